// Fuzz target: the reply boundary walker of the HBase source's buffered transport
// (src/sources/hbase/message_size.*): where one Thrift message ends in a byte stream.
// First byte: bit 0 compact protocol (else binary); bytes 2-5: where the stream is cut
// into pieces for the incremental scanner. Invariants: only malformed_message escapes;
// the incremental scanner, fed growing prefixes, agrees with the one-shot walk; and when
// the walk says "a message of n bytes", Thrift's own generic skip over those n bytes
// either rejects them or consumes exactly n, never asking for more.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TTransportException.h>

#include "fuzz_common.hpp"
#include "sources/hbase/message_size.hpp"

using namespace sluice::hbase;
namespace tp = apache::thrift::protocol;
namespace tt = apache::thrift::transport;

namespace {

struct walk {
    std::optional<std::size_t> size;
    bool malformed = false;
    bool operator==(const walk&) const = default;
    std::string describe() const {
        return malformed ? "malformed" : size ? std::to_string(*size) + " bytes" : "needs more";
    }
};

walk one_shot(bool compact, std::string_view bytes) {
    walk w;
    try {
        w.size = compact ? compact_message_size(bytes) : binary_message_size(bytes);
    } catch (const malformed_message&) {
        w.malformed = true;
    }
    return w;
}

// The scanner sees the stream grow by the cut sizes, as the socket delivers it.
walk incremental(bool compact, std::string_view bytes, const std::uint8_t* cuts) {
    message_scanner scanner(compact);
    walk w;
    std::size_t have = 0;
    for (std::size_t i = 0;; ++i) {
        have = std::min(bytes.size(), have + 1 + cuts[i % 4] * 4u);
        try {
            w.size = scanner.feed(bytes.substr(0, have));
        } catch (const malformed_message&) {
            w.malformed = true;
            return w;
        }
        if (w.size || have == bytes.size()) return w;
    }
}

template <class Protocol>
void thrift_agrees(std::string_view message) {
    auto config = std::make_shared<apache::thrift::TConfiguration>(1 << 30, 1 << 30);
    auto buffer = std::make_shared<tt::TMemoryBuffer>(
        reinterpret_cast<std::uint8_t*>(const_cast<char*>(message.data())), static_cast<std::uint32_t>(message.size()),
        tt::TMemoryBuffer::OBSERVE, config);
    Protocol p(buffer);
    try {
        std::string name;
        tp::TMessageType type;
        std::int32_t seqid = 0;
        p.readMessageBegin(name, type, seqid);
        tp::skip(p, tp::T_STRUCT);
        p.readMessageEnd();
    } catch (const tt::TTransportException& e) {
        FUZZ_CHECK(false, std::string("Thrift needs more than the walker's message: ") + e.what());
    } catch (const apache::thrift::TException&) {
        // Thrift rejects what the walker let through (a TProtocolException, or a plain
        // TException for an unknown compact type): the full decode reports it.
        return;
    }
    FUZZ_CHECK(buffer->available_read() == 0, "Thrift's message is " + std::to_string(buffer->available_read()) +
                                                  " bytes shorter than the walker's");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sluice::fuzz::input in(data, size);
    const bool compact = in.byte() & 1;
    std::uint8_t cuts[4];
    for (auto& c : cuts) c = in.byte();
    const std::string bytes(in.rest());

    const walk whole = one_shot(compact, bytes);
    const walk pieces = incremental(compact, bytes, cuts);
    FUZZ_CHECK(whole == pieces, "one shot: " + whole.describe() + "; incremental: " + pieces.describe());
    if (whole.size) {
        FUZZ_CHECK(*whole.size <= bytes.size(), "a message longer than the stream");
        const std::string_view message = std::string_view(bytes).substr(0, *whole.size);
        if (compact)
            thrift_agrees<tp::TCompactProtocolT<tt::TMemoryBuffer>>(message);
        else
            thrift_agrees<tp::TBinaryProtocolT<tt::TMemoryBuffer>>(message);
    }
    return 0;
}
