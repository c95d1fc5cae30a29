// Fuzz target: the HBase cell decoders (src/sources/hbase/cell_decoder.*): cell bytes of
// any HBase application, decoded as the type a column is declared with.
// First byte: the declared type. Invariants: never throws; a rejected cell appends
// nothing; an accepted cell appends one value of the declared type (strings UTF-8);
// a timestamp or date of years 0000-9999 renders as text that parses back to itself
// (how the destinations store them).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "sources/hbase/cell_decoder.hpp"

using namespace sluice;

namespace {

constexpr value_type types[] = {value_type::string,    value_type::bytes, value_type::int64,
                                value_type::float64,   value_type::boolean, value_type::timestamp,
                                value_type::date,      value_type::decimal, value_type::json};

bool everyday_year(std::int64_t days) {
    int y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    return y >= 0 && y <= 9999;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const value_type type = types[in.byte() % std::size(types)];
    const std::string_view bytes = in.rest();

    batch b(fuzz::schema_of({column{"c", type, "", true}}));
    if (!hbase::decode_cell(type, bytes, b)) {
        fuzz::check_batch(b);  // nothing pending
        FUZZ_CHECK(b.rows() == 0, "rows after a rejected cell");
        return 0;
    }
    b.end_row();
    fuzz::check_batch(b);
    const value_view v = b.at(0, 0);
    FUZZ_CHECK(v.type == type, "decoded value of another type");
    if (type == value_type::timestamp && everyday_year(floor_div(v.i, 86'400'000'000))) {
        const std::string text = format_timestamp_micros(v.i);
        FUZZ_CHECK(parse_timestamp_micros(text) == v.i, text + " does not parse back");
    }
    if (type == value_type::date && everyday_year(v.i)) {
        const std::string text = format_date_days(v.i);
        FUZZ_CHECK(parse_date_days(text) == v.i, text + " does not parse back");
    }
    return 0;
}
