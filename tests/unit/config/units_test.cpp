#include <doctest/doctest.h>

#include "sluice/config.hpp"

using namespace std::chrono_literals;
using sluice::config::parse_duration;
using sluice::config::parse_size;

TEST_CASE("parse_duration accepts every documented unit") {
    CHECK(parse_duration("500ms") == 500ms);
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("5m") == 5min);
    CHECK(parse_duration("1h") == 1h);
    CHECK(parse_duration("2d") == 48h);
    CHECK(parse_duration("0") == 0ms);
    CHECK(parse_duration("0s") == 0ms);
    CHECK(parse_duration("1h30m") == 90min);
    CHECK(parse_duration(" 10s ") == 10s);
}

TEST_CASE("parse_duration rejects negatives, missing units and garbage") {
    CHECK_FALSE(parse_duration("-5s"));
    CHECK_FALSE(parse_duration("30"));
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("s"));
    CHECK_FALSE(parse_duration("5 parsecs"));
    CHECK_FALSE(parse_duration("5x"));
    CHECK_FALSE(parse_duration("1.5s"));
    CHECK_FALSE(parse_duration("10s5"));
    CHECK_FALSE(parse_duration("99999999999999999999d"));
}

TEST_CASE("parse_size accepts binary and decimal units") {
    CHECK(parse_size("16MiB") == 16u << 20);
    CHECK(parse_size("512KiB") == 512u << 10);
    CHECK(parse_size("1GiB") == 1u << 30);
    CHECK(parse_size("10MB") == 10'000'000u);
    CHECK(parse_size("4KB") == 4000u);
    CHECK(parse_size("4096") == 4096u);
    CHECK(parse_size("100B") == 100u);
    CHECK(parse_size("2 MiB") == 2u << 20);
}

TEST_CASE("parse_size rejects garbage") {
    CHECK_FALSE(parse_size(""));
    CHECK_FALSE(parse_size("MiB"));
    CHECK_FALSE(parse_size("-1"));
    CHECK_FALSE(parse_size("16 furlongs"));
    CHECK_FALSE(parse_size("1.5MiB"));
    CHECK_FALSE(parse_size("99999999999999999999GiB"));
}
