// Fuzz target: the Druid SQL result parser (src/sources/druid/result_parser.*) on whole
// 200 bodies, in both result formats (first byte: bit 0 arrayLines instead of array,
// bit 1 X-Druid-SQL-Header-Included), as typed rows and as text (discovery, summaries).
// Invariants: only sluice::error (and data_error) escape; the batch holds exactly the
// rows reported, each cell of its column's type, no half row; an answer that parses as
// typed rows parses as text too, with the same number of rows.
#include <cstddef>
#include <cstdint>
#include <string>

#include "druid_layout.hpp"
#include "sluice/error.hpp"

using namespace sluice;
using namespace sluice::druid;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const std::uint8_t mode = in.byte();
    const auto format = (mode & 1) ? result_format::array_lines : result_format::array;
    http_response resp = fuzz::druid_head((mode & 2) != 0);
    resp.body.reserve(in.rest().size() + http_body_padding);
    resp.body.assign(in.rest());

    static const row_layout layout = fuzz::druid_layout();
    static const table_schema_ptr schema = fuzz::druid_schema();
    const time_keyset::row_finisher end_row = [](batch& b) { b.end_row(); };

    result_parser parser;
    batch rows(schema);
    std::size_t n = 0;
    bool typed = false;
    try {
        n = parser.parse_rows(resp, format, layout, rows, end_row, "fuzz");
        typed = true;
    } catch (const sluice::error&) {
    }
    if (typed) {
        FUZZ_CHECK(rows.rows() == n, std::to_string(rows.rows()) + " rows in the batch, " + std::to_string(n) +
                                         " reported");
        fuzz::check_batch(rows);
    }

    text_result text;
    bool as_text = false;
    try {
        text = parser.parse_text(resp, format, "fuzz");
        as_text = true;
    } catch (const sluice::error&) {
    }
    if (typed) {
        FUZZ_CHECK(as_text, "typed rows parsed but the text reading failed");
        FUZZ_CHECK(text.rows.size() == n, std::to_string(text.rows.size()) + " text rows, " + std::to_string(n) +
                                              " typed rows");
    }
    return 0;
}
