#include <doctest/doctest.h>

#include "sluice/value.hpp"

using namespace sluice;

TEST_CASE("timestamps parse from PostgreSQL and ISO text, with offsets") {
    CHECK(parse_timestamp_micros("1970-01-01 00:00:00") == 0);
    CHECK(parse_timestamp_micros("1970-01-01T00:00:01Z") == 1000000);
    CHECK(parse_timestamp_micros("2024-05-01 12:34:56.123456+00") == 1714566896123456);
    CHECK(parse_timestamp_micros("2024-05-01 14:34:56.123456+02") == 1714566896123456);
    CHECK(parse_timestamp_micros("2024-05-01 12:04:56.123456-00:30") == 1714566896123456);
    CHECK(parse_timestamp_micros("2024-05-01T12:34:56.1Z") == 1714566896100000);
    CHECK(parse_timestamp_micros("1969-12-31 23:59:59.999999") == -1);
    CHECK(parse_timestamp_micros("2024-05-01") == 1714521600000000);
    CHECK_FALSE(parse_timestamp_micros("infinity"));
    CHECK_FALSE(parse_timestamp_micros("-infinity"));
    CHECK_FALSE(parse_timestamp_micros("2024-13-01 00:00:00"));
    CHECK_FALSE(parse_timestamp_micros("2024-05-01 12:34:56 BC"));
}

TEST_CASE("timestamps format with six fraction digits so text sorts like time") {
    CHECK(format_timestamp_micros(0) == "1970-01-01T00:00:00.000000Z");
    CHECK(format_timestamp_micros(1714566896123456) == "2024-05-01T12:34:56.123456Z");
    CHECK(format_timestamp_micros(-1) == "1969-12-31T23:59:59.999999Z");
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{-86400000001}, std::int64_t{253402300799999999}})
        CHECK(parse_timestamp_micros(format_timestamp_micros(v)) == v);
}

TEST_CASE("dates round-trip through days since the epoch") {
    CHECK(parse_date_days("1970-01-01") == 0);
    CHECK(parse_date_days("2000-03-01") == 11017);
    CHECK(parse_date_days("1900-02-28") == -25509);
    CHECK(format_date_days(11017) == "2000-03-01");
    CHECK(format_date_days(-25509) == "1900-02-28");
    CHECK_FALSE(parse_date_days("infinity"));
    CHECK_FALSE(parse_date_days("2024-02-30x"));
}

TEST_CASE("type names and aliases") {
    CHECK(to_string(value_type::float64) == "double");
    CHECK(value_type_from_string("int64") == value_type::int64);
    CHECK(value_type_from_string("boolean") == value_type::boolean);
    CHECK(value_type_from_string("timestamptz") == value_type::timestamp);
    CHECK_FALSE(value_type_from_string("varchar(3)"));
}

TEST_CASE("UTF-8 validation rejects overlongs, surrogates and truncation") {
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xc3"));
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
    CHECK_FALSE(is_valid_utf8("\xff"));
}
