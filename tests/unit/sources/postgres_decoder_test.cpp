#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <cmath>
#include <memory>

#include "sluice/batch.hpp"
#include "sluice/error.hpp"
#include "sources/postgres/copy_text.hpp"
#include "sources/postgres/row_decoder.hpp"
#include "sources/postgres/schema_builder.hpp"

using namespace sluice;
using namespace sluice::postgres;

namespace {

// A real PGresult built in memory (libpq's PQmakeEmptyPGresult/PQsetvalue), so
// the decoder is tested without a server.
pg::result make_result(const std::vector<std::vector<std::optional<std::string>>>& rows, int ncols) {
    PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
    std::vector<PGresAttDesc> attrs(static_cast<std::size_t>(ncols));
    std::vector<std::string> names;
    for (int i = 0; i < ncols; ++i) names.push_back("c" + std::to_string(i));
    for (int i = 0; i < ncols; ++i)
        attrs[static_cast<std::size_t>(i)] =
            PGresAttDesc{names[static_cast<std::size_t>(i)].data(), 0, 0, 0, 25, -1, -1};
    PQsetResultAttrs(r, ncols, attrs.data());
    for (std::size_t row = 0; row < rows.size(); ++row)
        for (int c = 0; c < ncols; ++c) {
            const auto& v = rows[row][static_cast<std::size_t>(c)];
            std::string copy = v.value_or("");
            PQsetvalue(r, static_cast<int>(row), c, v ? copy.data() : nullptr,
                       v ? static_cast<int>(copy.size()) : -1);
        }
    return pg::result(r);
}

table_schema orders_schema(std::map<std::string, value_type> declared = {}) {
    config::source_config src;
    src.name = "warehouse";
    raw_table t{"orders",
                {{"id", "bigint", "int8", false},
                 {"ts", "timestamp with time zone", "timestamptz", true},
                 {"blob", "bytea", "bytea", true},
                 {"x", "double precision", "float8", true},
                 {"ok", "boolean", "bool", true},
                 {"name", "text", "text", true}},
                {"id"}};
    config::table_config tc;
    tc.name = "orders";
    tc.column_types = std::move(declared);
    return build_schema(src, t, &tc);
}

}  // namespace

TEST_CASE("single-value decoders") {
    CHECK(decode_int64("-42") == -42);
    CHECK(decode_int64("12.000") == 12);
    CHECK_FALSE(decode_int64("12.5").has_value());
    CHECK_FALSE(decode_int64("abc").has_value());
    CHECK_FALSE(decode_int64("").has_value());
    CHECK_FALSE(decode_int64("99999999999999999999").has_value());
    CHECK(decode_double("1.5") == 1.5);
    CHECK(std::isnan(*decode_double("NaN")));
    CHECK(*decode_double("Infinity") == INFINITY);
    CHECK(*decode_double("-Infinity") == -INFINITY);
    CHECK(decode_double("1e-300") == 1e-300);
    CHECK_FALSE(decode_double("1.5x").has_value());
    CHECK(decode_bool("t") == true);
    CHECK(decode_bool("f") == false);
    CHECK_FALSE(decode_bool("maybe").has_value());

    std::string out;
    CHECK(decode_bytes("\\x00ff41", false, out));
    CHECK(out == std::string("\0\xff"
                             "A",
                             3));
    CHECK(decode_bytes("0aFF", false, out));  // Redshift varbyte: plain hex
    CHECK(out == "\x0a\xff");
    CHECK_FALSE(decode_bytes("\\x0", false, out));
    CHECK_FALSE(decode_bytes("\\xzz", false, out));
    CHECK(decode_bytes("plain text", true, out));
    CHECK(out == "plain text");
}

TEST_CASE("row decoder fills typed cells") {
    const auto schema = std::make_shared<const table_schema>(orders_schema());
    row_decoder d(*schema);
    auto r = make_result(
        {{std::string("42"), std::string("2024-05-01 14:34:56.123456+02"), std::string("\\x6869"),
          std::string("-Infinity"), std::string("t"), std::string("ünï")},
         {std::string("43"), std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}},
        6);
    batch b(schema);
    for (int row = 0; row < r.rows(); ++row) {
        d.decode(r, row, b);
        b.end_row();
    }
    REQUIRE(b.rows() == 2);
    CHECK(b.at(0, 0).i == 42);
    CHECK(b.at(0, 1).type == value_type::timestamp);
    CHECK(b.at(0, 1).i == *parse_timestamp_micros("2024-05-01T12:34:56.123456Z"));
    CHECK(b.at(0, 2).s == "hi");
    CHECK(b.at(0, 3).d == -INFINITY);
    CHECK(b.at(0, 4).i == 1);
    CHECK(b.at(0, 5).s == "ünï");
    for (std::size_t c = 1; c < 6; ++c) CHECK(b.at(1, c).is_null());
}

TEST_CASE("values that do not fit raise data_error naming table, column and key") {
    const auto schema = std::make_shared<const table_schema>(orders_schema());
    row_decoder d(*schema);
    batch b(schema);
    auto r = make_result({{std::string("42"), std::string("infinity"), std::nullopt, std::nullopt,
                           std::nullopt, std::nullopt}},
                         6);
    try {
        d.decode(r, 0, b);
        FAIL("no data_error");
    } catch (const data_error& e) {
        CHECK(std::string(e.what()) ==
              "warehouse.orders: column \"ts\" (key id=42): value 'infinity' does not fit timestamp");
        CHECK(e.kind() == error_kind::fatal);
    }
    CHECK(b.rows() == 0);

    const auto declared = std::make_shared<const table_schema>(orders_schema({{"name", value_type::int64}}));
    row_decoder d2(*declared);
    batch b2(declared);
    auto r2 = make_result(
        {{std::string("7"), std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::string("abc")}}, 6);
    CHECK_THROWS_WITH_AS(d2.decode(r2, 0, b2),
                         "warehouse.orders: column \"name\" (key id=7): value 'abc' does not fit int64",
                         data_error);

    auto r3 = make_result({{std::string("8"), std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                            std::string("bad \xff utf8")}},
                          6);
    CHECK_THROWS_WITH_AS(
        d.decode(r3, 0, b),
        "warehouse.orders: column \"name\" (key id=8): value 'bad \xff utf8' is not valid UTF-8", data_error);
}

TEST_CASE("COPY text rows: fields, NULLs and escapes give a query result's text") {
    copy_text_row row;
    row.parse("42\t\\N\t\t\\\\N\ta\\tb\\nc\\\\d\n", 5, "t");
    CHECK(row.get(0) == "42");
    CHECK(row.is_null(1));
    CHECK_FALSE(row.is_null(2));
    CHECK(row.get(2).empty());
    CHECK(row.get(3) == "\\N");  // a value that merely looks like NULL
    CHECK(row.get(4) == "a\tb\nc\\d");
    // Octal and hex escapes, and a backslash before any other character.
    row.parse("\\101\\x41\\x4a\\0\\q\\b\\f\\r\\v", 1, "t");
    CHECK(row.get(0) == std::string("AAJ\0q\b\f\r\v", 9));
    // Views into the unescaped text stay valid while later fields are unescaped.
    row.parse("\\\\a\t\\\\b\t\\\\c", 3, "t");
    CHECK(row.get(0) == "\\a");
    CHECK(row.get(1) == "\\b");
    CHECK(row.get(2) == "\\c");
    CHECK_THROWS_WITH_AS(row.parse("1\t2", 3, "src.t: reading"),
                         "src.t: reading: malformed COPY row: 2 fields where 3 columns were selected", data_error);
    CHECK_THROWS_AS(row.parse("1\\", 1, "t"), data_error);

    // The same decoder reads them: a bytea field's hex and a text field with a tab.
    const auto schema = std::make_shared<const table_schema>(orders_schema());
    row_decoder d(*schema);
    batch b(schema);
    row.parse("7\t2024-05-01 14:34:56+02\t\\\\x6869\t1.5\tf\tta\\tb\n", 6, "t");
    d.decode(row, b);
    b.end_row();
    CHECK(b.at(0, 0).i == 7);
    CHECK(b.at(0, 2).s == "hi");
    CHECK(b.at(0, 5).s == "ta\tb");
}
