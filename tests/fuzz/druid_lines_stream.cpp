// Fuzz target: the streamed arrayLines parser (druid::lines_stream_parser), fed the
// body in pieces of fuzzer-chosen sizes as the HTTP client delivers them.
// Input: a mode byte (bit 0: X-Druid-SQL-Header-Included), 4 bytes of piece sizes
// (1..256, used in turn), then the body.
// Invariants: only sluice::error (and data_error) escape; the outcome (rows delivered,
// and whether and how it failed) does not depend on where the pieces are cut: it equals
// feeding the whole body at once; the batch holds only whole rows of the right types.
#include <cstddef>
#include <cstdint>
#include <string>
#include <typeinfo>

#include "druid_layout.hpp"
#include "sluice/error.hpp"

using namespace sluice;
using namespace sluice::druid;

namespace {

struct outcome {
    std::size_t rows = 0;
    int failure = 0;  // 0 none, 1 data_error, 2 fatal, 3 transient
    bool operator==(const outcome&) const = default;
    std::string describe() const { return std::to_string(rows) + " rows, failure " + std::to_string(failure); }
};

int failure_of(const sluice::error& e) {
    if (dynamic_cast<const data_error*>(&e)) return 1;
    return e.kind() == error_kind::fatal ? 2 : 3;
}

outcome run(const http_response& head, std::string_view body, const std::uint8_t* cuts, batch& out) {
    static const row_layout layout = fuzz::druid_layout();
    const time_keyset::row_finisher end_row = [](batch& b) { b.end_row(); };
    lines_stream_parser parser(layout, "fuzz");
    outcome o;
    try {
        std::size_t at = 0;
        for (std::size_t i = 0; at < body.size(); ++i) {
            const std::size_t n = cuts ? 1 + cuts[i % 4] : body.size();
            const auto piece = body.substr(at, n);
            parser.feed(head, piece, out, end_row);
            at += piece.size();
        }
        parser.finish();
    } catch (const sluice::error& e) {
        o.failure = failure_of(e);
    }
    o.rows = parser.rows();
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const std::uint8_t mode = in.byte();
    std::uint8_t cuts[4];
    for (auto& c : cuts) c = in.byte();
    const http_response head = fuzz::druid_head((mode & 1) != 0);
    const std::string body(in.rest());

    static const table_schema_ptr schema = fuzz::druid_schema();
    batch whole_rows(schema), piece_rows(schema);
    const outcome whole = run(head, body, nullptr, whole_rows);
    const outcome pieces = run(head, body, cuts, piece_rows);
    FUZZ_CHECK(whole == pieces, "whole body: " + whole.describe() + "; in pieces: " + pieces.describe());
    FUZZ_CHECK(piece_rows.rows() == pieces.rows, "batch rows differ from the parser's count");
    fuzz::check_batch(piece_rows);
    return 0;
}
