// Fuzz target: the cursors a destination hands back to each source (opaque JSON stored
// with every batch, so a damaged or foreign one must be refused, never crash a sync):
// src/core/cursor_json.cpp (shared reader), the time_keyset cursor (QuestDB, Druid) with
// its resume point, the postgres cursor and the HBase scan checkpoint.
// Invariants: never throws; a cursor that decodes re-encodes to text that decodes to the
// same cursor (and encodes identically again); resume_point never overflows.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "sluice/cursor_json.hpp"
#include "sources/hbase/scan_checkpoint.hpp"
#include "sources/postgres/cursor_state.hpp"
#include "sources/time_keyset/cursor_state.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    (void)read_cursor_fields(text, [](std::string_view, simdjson::ondemand::value) { return true; });

    if (const auto t = time_keyset::decode_cursor(text)) {
        const std::string again = time_keyset::encode_cursor(*t);
        const auto back = time_keyset::decode_cursor(again);
        FUZZ_CHECK(back && *back == *t, "time_keyset cursor does not round-trip: " + again);
        for (const std::int64_t lookback_us : {std::int64_t{0}, std::int64_t{1}, std::int64_t{3'600'000'000},
                                               INT64_MAX})
            (void)time_keyset::resume_point(t, lookback_us);
    }
    if (const auto p = postgres::decode_cursor(text)) {
        const std::string again = postgres::encode_cursor(*p);
        const auto back = postgres::decode_cursor(again);
        FUZZ_CHECK(back && *back == *p, "postgres cursor does not round-trip: " + again);
    }
    if (const auto h = hbase::scan_checkpoint::decode(text)) {
        const std::string again = h->encode();
        const auto back = hbase::scan_checkpoint::decode(again);
        FUZZ_CHECK(back.has_value(), "HBase checkpoint does not decode after encoding: " + again);
        FUZZ_CHECK(back->encode() == again, "HBase checkpoint encodes differently the second time: " + again);
    }
    return 0;
}
