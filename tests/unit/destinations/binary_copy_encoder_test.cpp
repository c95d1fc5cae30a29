#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "destinations/postgres/binary_copy_encoder.hpp"
#include "sluice/error.hpp"
#include "value_builders.hpp"

using namespace sluice;
using dest_test::dbl;
using dest_test::of;
using dest_test::txt;
using pgdest::encode_binary_value;
using pgdest::numeric_binary;

namespace {

std::string hex(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

std::string numeric_hex(std::string_view text) {
    std::string out;
    if (!numeric_binary(text, out)) return "declined";
    return hex(out);
}

std::string field_hex(value_type column, const value_view& v) {
    std::string out;
    if (!encode_binary_value(column, v, out)) return "declined";
    return hex(out);
}

}  // namespace

// Expected bytes are PostgreSQL 15's own: SELECT encode(numeric_send('<text>'::numeric), 'hex').
TEST_CASE("binary copy: numerics match numeric_send byte for byte") {
    CHECK(numeric_hex("0") == "0000000000000000");
    CHECK(numeric_hex("-0.00") == "0000000000000002");
    CHECK(numeric_hex("1") == "00010000000000000001");
    CHECK(numeric_hex("-1") == "00010000400000000001");
    CHECK(numeric_hex("12345.678") == "0003000100000003000109291a7c");
    CHECK(numeric_hex("0.05") == "0001ffff0000000201f4");
    CHECK(numeric_hex("0.0001") == "0001ffff000000040001");
    CHECK(numeric_hex("10000") == "00010001000000000001");
    CHECK(numeric_hex("1e4") == "00010001000000000001");
    CHECK(numeric_hex("1.5e3") == "000100000000000005dc");
    CHECK(numeric_hex("1.5e-3") == "0001ffff00000004000f");
    CHECK(numeric_hex("  -7.250 ") == "0002000040000003000709c4");
    CHECK(numeric_hex("+.5") == "0001ffff000000011388");
    CHECK(numeric_hex("5.") == "00010000000000000005");
    CHECK(numeric_hex("99999999999999.999999") == "00060003000000060063270f270f270f270f26ac");
    CHECK(numeric_hex("-99999999999999.999999") == "00060003400000060063270f270f270f270f26ac");
    CHECK(numeric_hex("1e-1000") == "0001ff06000003e80001");
    CHECK(numeric_hex("1e1000") == "000100fa000000000001");
    CHECK(numeric_hex("123456789012345678901234567890.000000000000000000001") ==
          "000e000700000015000c0d801ed204d2162e23340d801ed20000000000000000000003e8");
    CHECK(numeric_hex("0.000000001") == "0001fffd0000000903e8");
    CHECK(numeric_hex("100000000") == "00010002000000000001");
}

TEST_CASE("binary copy: NaN and infinities as numeric_in spells them") {
    CHECK(numeric_hex("NaN") == "00000000c0000000");
    CHECK(numeric_hex("nan") == "00000000c0000000");
    CHECK(numeric_hex("Infinity") == "00000000d0000000");
    CHECK(numeric_hex("+INF") == "00000000d0000000");
    CHECK(numeric_hex("-inf") == "00000000f0000000");
    CHECK(numeric_hex(" -Infinity\t") == "00000000f0000000");
}

TEST_CASE("binary copy: numerics it cannot read exactly are declined, not guessed") {
    for (std::string_view bad : {"", " ", ".", "+", "-", "1e", "e5", "1e+", "1.2.3", "1_000", "0x1f", "1 2", "NaNx",
                                 "infinityy", "1e1001", "1e-1001", "--1", "12a"})
        CHECK_MESSAGE(numeric_hex(bad) == "declined", "'", bad, "'");
    CHECK(numeric_hex(std::string(16384, '0').insert(0, "0.")) == "declined");   // dscale > 16383
    CHECK(numeric_hex(std::string(16383, '1').insert(0, "0.")) != "declined");
}

TEST_CASE("binary copy: fields by column type") {
    CHECK(field_hex(value_type::int64, value_view{}) == "ffffffff");
    CHECK(field_hex(value_type::boolean, of(value_type::boolean, 1)) == "0000000101");
    CHECK(field_hex(value_type::int64, of(value_type::int64, -2)) == "00000008fffffffffffffffe");
    CHECK(field_hex(value_type::float64, dbl(1.5)) == "000000083ff8000000000000");
    CHECK(field_hex(value_type::float64, dbl(-std::numeric_limits<double>::infinity())) ==
          "00000008fff0000000000000");
    // 2000-01-01 is PostgreSQL's zero; 1970 checked against timestamptz_send / date_send.
    CHECK(field_hex(value_type::timestamp, of(value_type::timestamp, 946684800000000)) == "000000080000000000000000");
    CHECK(field_hex(value_type::timestamp, of(value_type::timestamp, 0)) == "00000008fffca2fec4c82000");
    CHECK(field_hex(value_type::date, of(value_type::date, 10957)) == "0000000400000000");
    CHECK(field_hex(value_type::date, of(value_type::date, 0)) == "00000004ffffd533");
    CHECK(field_hex(value_type::string, txt(value_type::string, "a\tb")) == "00000003610962");
    CHECK(field_hex(value_type::bytes, txt(value_type::bytes, std::string_view("\0\xff", 2))) == "0000000200ff");
    CHECK(field_hex(value_type::json, txt(value_type::json, "[1]")) == "00000004015b315d");
    // Text-like cells are encoded for the column they land in.
    CHECK(field_hex(value_type::json, txt(value_type::string, "{}")) == "00000003017b7d");
    CHECK(field_hex(value_type::decimal, txt(value_type::string, "1")) == "0000000a00010000000000000001");
    CHECK(field_hex(value_type::string, txt(value_type::decimal, "1.50")) == "00000004312e3530");
}

TEST_CASE("binary copy: timestamps and dates outside PostgreSQL's range are declined") {
    const std::int64_t min_us = -210'866'803'200'000'000;  // 4714-11-24 BC
    CHECK(field_hex(value_type::timestamp, of(value_type::timestamp, min_us)) != "declined");
    CHECK(field_hex(value_type::timestamp, of(value_type::timestamp, min_us - 1)) == "declined");
    CHECK(field_hex(value_type::timestamp, of(value_type::timestamp, std::numeric_limits<std::int64_t>::min())) ==
          "declined");
    CHECK(field_hex(value_type::timestamp, of(value_type::timestamp, std::numeric_limits<std::int64_t>::max())) !=
          "declined");
    CHECK(field_hex(value_type::date, of(value_type::date, -2'440'588)) != "declined");
    CHECK(field_hex(value_type::date, of(value_type::date, -2'440'589)) == "declined");
    CHECK(field_hex(value_type::date, of(value_type::date, 2'147'483'494 - 2'440'588 - 1)) != "declined");
    CHECK(field_hex(value_type::date, of(value_type::date, 2'147'483'494 - 2'440'588)) == "declined");
    CHECK(field_hex(value_type::date, of(value_type::date, std::numeric_limits<std::int64_t>::max())) == "declined");
}

TEST_CASE("binary copy: a batch is header, rows with the sluice columns, trailer; mismatches name the cell") {
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = "t";
    s->columns = {{"id", value_type::int64, "", false}, {"name", value_type::string, "", true}};
    s->key = {0};
    batch b(s);
    b.put_int64(1);
    b.put_text(value_type::string, "x");
    b.end_row();

    pgdest::binary_copy_buffer out;
    for (int round = 0; round < 2; ++round) {
        out.begin();
        CHECK(out.append_row(b, 0, 946684800000001, "where"));
        out.finish();
        CHECK(hex(out.view()) ==
              "5047434f50590aff0d0a00"    // signature
              "0000000000000000"          // flags, extension
              "0004"                      // 2 columns + synced-at + deleted
              "000000080000000000000001"  // id
              "0000000178"                // name
              "000000080000000000000001"  // synced at 2000-01-01 00:00:00.000001
              "0000000100"                // deleted = false
              "ffff");
    }

    batch bad(s);
    bad.put_int64(9);
    bad.put_int64(5);  // not text
    bad.end_row();
    out.begin();
    try {
        out.append_row(bad, 0, 0, "postgres destination: table \"src\".\"t\"");
        FAIL("expected a data_error");
    } catch (const data_error& e) {
        const std::string m = e.what();
        CHECK(m.find("\"src\".\"t\"") != std::string::npos);
        CHECK(m.find("\"name\"") != std::string::npos);
        CHECK(m.find("id=9") != std::string::npos);
    }

    batch ancient(s);
    ancient.put_int64(2);
    ancient.put_null();
    ancient.end_row();
    out.begin();
    CHECK_FALSE(out.append_row(ancient, 0, std::numeric_limits<std::int64_t>::min(), "where"));
}
