#include <doctest/doctest.h>

#include <random>

#include "destinations/value_text.hpp"

using namespace sluice;

TEST_CASE("the buffer writers match the string formatters and round-trip through the parsers") {
    std::mt19937_64 rng(7);
    // Years 0..9999 take the digit path; outside it snprintf.
    const std::int64_t lo = days_from_civil(-50, 1, 1) * 86400000000, hi = days_from_civil(10050, 1, 1) * 86400000000;
    std::uniform_int_distribution<std::int64_t> any(lo, hi);
    std::vector<std::int64_t> samples = {0, -1, 1, 86399999999, 86400000000, 951782400000000 /* 2000-02-29 */,
                                         days_from_civil(1, 1, 1) * 86400000000,
                                         days_from_civil(9999, 12, 31) * 86400000000 + 86399999999};
    for (int i = 0; i < 20000; ++i) samples.push_back(any(rng));
    char buf[max_timestamp_text];
    for (std::int64_t us : samples) {
        std::string fast(buf, write_timestamp_micros(buf, us));
        REQUIRE(fast == format_timestamp_micros(us));
        std::int64_t days = us / 86400000000;
        REQUIRE(std::string(buf, write_date_days(buf, days)) == format_date_days(days));
        // An independent check of the text itself: the parser reads it back.
        if (us >= days_from_civil(1, 1, 1) * 86400000000 && us < days_from_civil(10000, 1, 1) * 86400000000) {
            REQUIRE(parse_timestamp_micros(fast) == us);
            REQUIRE(parse_date_days(std::string(buf, write_date_days(buf, days))) == days);
        }
    }
}

TEST_CASE("cell_fits: exact types, null, and text kinds for one another") {
    using dest::cell_fits;
    CHECK(cell_fits(value_type::int64, value_type::null));
    CHECK(cell_fits(value_type::int64, value_type::int64));
    CHECK_FALSE(cell_fits(value_type::int64, value_type::float64));
    CHECK_FALSE(cell_fits(value_type::timestamp, value_type::int64));
    CHECK(cell_fits(value_type::json, value_type::string));
    CHECK(cell_fits(value_type::decimal, value_type::string));
    CHECK_FALSE(cell_fits(value_type::bytes, value_type::string));
    CHECK_FALSE(cell_fits(value_type::string, value_type::bytes));
}
