// Fuzz target: a scannerGetList reply from an HBase Thrift gateway, decoded the way the
// source decodes it (src/sources/hbase/wire_codec.*: Thrift's generated code over a
// memory buffer) and mapped into rows (row_mapper: every declared type, cell timestamps,
// `_cells` JSON). First byte: bit 0 compact protocol, bit 1 row keys as bytes.
// Invariants: only Thrift's exceptions and sluice::error escape; a reply Thrift decodes
// is also one whole message to the boundary walker, of exactly the bytes Thrift read
// (else buffered transport would wait forever or cut it); mapped rows are well-typed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <thrift/TConfiguration.h>
#include <thrift/Thrift.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include "fuzz_common.hpp"
#include "sluice/error.hpp"
#include "sources/hbase/message_size.hpp"
#include "sources/hbase/row_mapper.hpp"
#include "sources/hbase/table_layout.hpp"
#include "sources/hbase/wire_codec.hpp"

using namespace sluice;
using namespace sluice::hbase;

namespace {

table_plan make_plan(bool bytes_keys) {
    config::source_config src;
    src.name = "hb";
    src.type = "hbase";
    config::table_config t;
    t.name = "fuzz";
    t.columns = {{"cf:s", "s", value_type::string},   {"cf:i", "i", value_type::int64},
                 {"cf:d", "d", value_type::float64},  {"cf:b", "b", value_type::boolean},
                 {"cf:t", "t", value_type::timestamp}, {"cf:day", "day", value_type::date},
                 {"cf:n", "n", value_type::decimal},  {"cf:j", "j", value_type::json},
                 {"cf:raw", "raw", value_type::bytes}};
    t.scan.include_timestamp = true;
    t.cells.null_on_decode_error = true;  // map every row: a bad cell becomes NULL
    t.cells.row_key_type = bytes_keys ? "bytes" : "string";
    return plan_table(src, t);
}

// The bytes of `reply` Thrift's generated client reads for one scannerGetList reply
// (the codec does not expose its buffer: the same decode, on a buffer we can ask).
std::size_t thrift_consumed(bool compact, const std::string& reply) {
    namespace tp = apache::thrift::protocol;
    namespace tt = apache::thrift::transport;
    auto config = std::make_shared<apache::thrift::TConfiguration>(1 << 30, 1 << 30);
    auto buffer = std::make_shared<tt::TMemoryBuffer>(
        reinterpret_cast<std::uint8_t*>(const_cast<char*>(reply.data())), static_cast<std::uint32_t>(reply.size()),
        tt::TMemoryBuffer::OBSERVE, config);
    std::shared_ptr<tp::TProtocol> p;
    if (compact)
        p = std::make_shared<tp::TCompactProtocolT<tt::TMemoryBuffer>>(buffer);
    else
        p = std::make_shared<tp::TBinaryProtocolT<tt::TMemoryBuffer>>(buffer);
    wire::HbaseClient client(p, p);
    std::vector<wire::TRowResult> rows;
    client.recv_scannerGetList(rows);
    return reply.size() - buffer->available_read();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const std::uint8_t mode = in.byte();
    const bool compact = mode & 1;
    const std::string reply(in.rest());

    wire_codec codec(compact);
    (void)codec.peek_list_size(reply);
    std::vector<wire::TRowResult> rows;
    try {
        codec.reply("scannerGetList", reply, [&](wire::HbaseClient& c) { c.recv_scannerGetList(rows); });
    } catch (const apache::thrift::TException&) {
        return 0;
    }

    const std::size_t consumed = thrift_consumed(compact, reply);
    try {
        const auto walked = compact ? compact_message_size(reply) : binary_message_size(reply);
        FUZZ_CHECK(walked.has_value(), "Thrift decoded a reply the walker still waits for");
        FUZZ_CHECK(*walked == consumed, "the walker's message is " + std::to_string(*walked) + " bytes, Thrift read " +
                                            std::to_string(consumed));
    } catch (const malformed_message& e) {
        // The walker gives up on nesting deeper than any HBase reply; Thrift allows a
        // little more. Anything else it refuses, Thrift must refuse too.
        FUZZ_CHECK(std::string(e.what()).find("nesting") != std::string::npos,
                   std::string("the walker rejects a reply Thrift decodes: ") + e.what());
    }

    static const table_plan plain = make_plan(false), bytes_keys = make_plan(true);
    const table_plan& plan = (mode & 2) ? bytes_keys : plain;
    row_mapper mapper(plan.schema, plan.layout);
    batch out(plan.schema);
    std::vector<cell_view> cells;
    for (const auto& r : rows) {
        cells.clear();
        collect_cells(r, cells);
        try {
            mapper.append(r.row, cells, out);
        } catch (const sluice::error&) {
            // a row key that is not UTF-8 (row_key_type: string): the table fails
        }
    }
    fuzz::check_batch(out);
    return 0;
}
