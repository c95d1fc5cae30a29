#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "destinations/postgres/copy_encoder.hpp"
#include "destinations/postgres/key_dedupe.hpp"
#include "destinations/postgres/pg_sql.hpp"
#include "sluice/error.hpp"
#include "value_builders.hpp"

using namespace sluice;
using dest_test::dbl;
using dest_test::of;
using dest_test::txt;
using pgdest::encode_copy_value;

TEST_CASE("copy encoder: nulls, booleans, integers") {
    CHECK(encode_copy_value(value_view{}) == "\\N");
    CHECK(encode_copy_value(of(value_type::boolean, 1)) == "t");
    CHECK(encode_copy_value(of(value_type::boolean, 0)) == "f");
    CHECK(encode_copy_value(of(value_type::int64, 0)) == "0");
    CHECK(encode_copy_value(of(value_type::int64, -42)) == "-42");
    CHECK(encode_copy_value(of(value_type::int64, std::numeric_limits<std::int64_t>::min())) ==
          "-9223372036854775808");
    CHECK(encode_copy_value(of(value_type::int64, std::numeric_limits<std::int64_t>::max())) ==
          "9223372036854775807");
}

TEST_CASE("copy encoder: doubles round-trip and special values use PostgreSQL's spelling") {
    CHECK(encode_copy_value(dbl(0.1)) == "0.1");
    CHECK(encode_copy_value(dbl(-0.0)) == "-0");
    CHECK(encode_copy_value(dbl(1e300)) == "1e+300");
    CHECK(encode_copy_value(dbl(std::numeric_limits<double>::quiet_NaN())) == "NaN");
    CHECK(encode_copy_value(dbl(std::numeric_limits<double>::infinity())) == "Infinity");
    CHECK(encode_copy_value(dbl(-std::numeric_limits<double>::infinity())) == "-Infinity");
    for (double d : {1.0 / 3.0, 2.0 / 3.0 * 1e-310, std::numeric_limits<double>::max(),
                     std::numeric_limits<double>::denorm_min(), 123456789.123456789, -2.5e-8}) {
        std::string s = encode_copy_value(dbl(d));
        double back = std::strtod(s.c_str(), nullptr);
        CHECK(std::memcmp(&back, &d, sizeof d) == 0);
    }
}

TEST_CASE("copy encoder: text escapes exactly backslash, tab, newline and carriage return") {
    CHECK(encode_copy_value(txt(value_type::string, "")) == "");
    CHECK(encode_copy_value(txt(value_type::string, "plain")) == "plain");
    CHECK(encode_copy_value(txt(value_type::string, "a\tb\nc\rd\\e")) == "a\\tb\\nc\\rd\\\\e");
    CHECK(encode_copy_value(txt(value_type::string, "\\N")) == "\\\\N");  // not a NULL
    CHECK(encode_copy_value(txt(value_type::string, "\\.")) == "\\\\.");  // not end-of-data
    CHECK(encode_copy_value(txt(value_type::string, "größe ☃ 'q' \"d\" \b\f")) == "größe ☃ 'q' \"d\" \b\f");
    CHECK(encode_copy_value(txt(value_type::json, "{\"a\":\"x\\ny\"}")) == "{\"a\":\"x\\\\ny\"}");
    CHECK(encode_copy_value(txt(value_type::decimal, "-12.3400")) == "-12.3400");
}

TEST_CASE("copy encoder: bytea as escaped hex") {
    CHECK(encode_copy_value(txt(value_type::bytes, "")) == "\\\\x");
    CHECK(encode_copy_value(txt(value_type::bytes, std::string_view("\x00\x01\xab\xff\\\n", 6))) ==
          "\\\\x0001abff5c0a");
}

TEST_CASE("copy encoder: timestamps and dates") {
    CHECK(encode_copy_value(of(value_type::timestamp, 0)) == "1970-01-01T00:00:00.000000Z");
    CHECK(encode_copy_value(of(value_type::timestamp, 1714566896123456)) == "2024-05-01T12:34:56.123456Z");
    CHECK(encode_copy_value(of(value_type::timestamp, -1)) == "1969-12-31T23:59:59.999999Z");
    CHECK(encode_copy_value(of(value_type::date, 19844)) == "2024-05-01");
    CHECK(encode_copy_value(of(value_type::date, 0)) == "1970-01-01");
    // Outside years 1..9999: PostgreSQL's own forms.
    const std::int64_t year0 = days_from_civil(0, 6, 15);  // 1 BC
    CHECK(encode_copy_value(of(value_type::date, year0)) == "0001-06-15 BC");
    CHECK(encode_copy_value(of(value_type::timestamp, year0 * 86400000000 + 1)) ==
          "0001-06-15 00:00:00.000001+00 BC");
    CHECK(encode_copy_value(of(value_type::date, days_from_civil(-99, 1, 2))) == "0100-01-02 BC");
    CHECK(encode_copy_value(of(value_type::date, days_from_civil(12345, 3, 4))) == "12345-03-04");
    CHECK(encode_copy_value(of(value_type::timestamp, days_from_civil(10000, 1, 1) * 86400000000)) ==
          "10000-01-01 00:00:00.000000+00");
}

TEST_CASE("copy encoder: rows are tab separated with the suffix appended, and the buffer is reused") {
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = "t";
    s->columns = {{"id", value_type::int64, "", false},
                  {"name", value_type::string, "", true},
                  {"doc", value_type::json, "", true}};
    s->key = {0};
    batch b(s);
    b.put_int64(1);
    b.put_text(value_type::string, "a\tb");
    b.put_null();
    b.end_row();
    b.put_int64(2);
    b.put_null();
    b.put_text(value_type::string, "[1]");  // string text is accepted in a json column
    b.end_row();

    pgdest::copy_buffer out;
    for (int round = 0; round < 2; ++round) {
        out.clear();
        out.append_row(b, 0, "\t2024-01-01T00:00:00.000000Z\tf", "where");
        out.append_row(b, 1, "", "where");
        CHECK(out.view() == "1\ta\\tb\t\\N\t2024-01-01T00:00:00.000000Z\tf\n2\t\\N\t[1]\n");
    }

    batch bad(s);
    bad.put_int64(9);
    bad.put_float64(1.5);  // not text
    bad.put_null();
    bad.end_row();
    try {
        out.append_row(bad, 0, "", "postgres destination: table \"src\".\"t\"");
        FAIL("expected a data_error");
    } catch (const data_error& e) {
        std::string m = e.what();
        CHECK(m.find("\"src\".\"t\"") != std::string::npos);
        CHECK(m.find("\"name\"") != std::string::npos);
        CHECK(m.find("id=9") != std::string::npos);
    }
}

TEST_CASE("copy encoder: large values grow the buffer") {
    std::string big(3 << 20, 'x');
    big[12345] = '\n';
    std::string enc = encode_copy_value(txt(value_type::string, big));
    CHECK(enc.size() == big.size() + 1);
    CHECK(enc.substr(12345, 2) == "\\n");
}

TEST_CASE("key dedupe keeps the last occurrence of every key") {
    auto s = std::make_shared<table_schema>();
    s->columns = {{"k", value_type::string, "", false}, {"n", value_type::int64, "", false}};
    s->key = {0, 1};
    batch b(s);
    const std::pair<const char*, int> keys[] = {{"a", 1}, {"b", 1}, {"a", 1}, {"a", 2}, {"b", 1}, {"", 1}};
    for (auto [k, n] : keys) {
        b.put_text(value_type::string, k);
        b.put_int64(n);
        b.end_row();
    }
    pgdest::key_dedupe d;
    CHECK(d.run(b) == 4);
    CHECK_FALSE(d.keep(0));
    CHECK_FALSE(d.keep(1));
    CHECK(d.keep(2));
    CHECK(d.keep(3));
    CHECK(d.keep(4));
    CHECK(d.keep(5));

    batch many(s);
    for (int i = 0; i < 5000; ++i) {
        many.put_text(value_type::string, "k");
        many.put_int64(i % 1000);
        many.end_row();
    }
    CHECK(d.run(many) == 1000);
    CHECK_FALSE(d.keep(0));
    CHECK(d.keep(4999));
}

TEST_CASE("postgres SQL quotes every identifier") {
    auto s = std::make_shared<table_schema>();
    s->columns = {{"we\"ird", value_type::int64, "", false}, {"v", value_type::json, "", true}};
    s->key = {0};
    const std::string target = "\"src\".\"t;--\"";
    CHECK(pgdest::create_table_sql(target, *s) ==
          "CREATE TABLE IF NOT EXISTS \"src\".\"t;--\" (\"we\"\"ird\" bigint, \"v\" jsonb, \"_sluice_synced_at\" "
          "timestamptz NOT NULL DEFAULT now(), \"_sluice_deleted\" boolean NOT NULL DEFAULT false, PRIMARY KEY "
          "(\"we\"\"ird\"))");
    CHECK(pgdest::merge_sql(target, "pg_temp.sluice_stage_1", *s) ==
          "INSERT INTO \"src\".\"t;--\" (\"we\"\"ird\", \"v\", \"_sluice_synced_at\", \"_sluice_deleted\") SELECT "
          "\"we\"\"ird\", \"v\", \"_sluice_synced_at\", \"_sluice_deleted\" FROM pg_temp.sluice_stage_1 ON CONFLICT "
          "(\"we\"\"ird\") DO UPDATE SET \"v\" = EXCLUDED.\"v\", \"_sluice_synced_at\" = "
          "EXCLUDED.\"_sluice_synced_at\", \"_sluice_deleted\" = false");
    CHECK(pgdest::copy_sql(target, *s) ==
          "COPY \"src\".\"t;--\" (\"we\"\"ird\", \"v\", \"_sluice_synced_at\", \"_sluice_deleted\") FROM STDIN");
}
