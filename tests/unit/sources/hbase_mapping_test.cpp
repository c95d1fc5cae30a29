// Cells to typed columns: every declared type's accepted encodings, `_cells`
// for the rest, errors that name table, row and cell.
#include <doctest/doctest.h>

#include <cstdint>

#include "sluice/error.hpp"
#include "sources/hbase/cell_decoder.hpp"
#include "sources/hbase/row_mapper.hpp"
#include "sources/hbase/table_layout.hpp"

using namespace sluice;
using namespace sluice::hbase;

namespace {

table_schema_ptr one_column(value_type t) {
    auto s = std::make_shared<table_schema>();
    s->source = "s";
    s->table = "t";
    s->columns.push_back(column{"c", t, "", true});
    s->key = {0};
    return s;
}

// Decodes `bytes` as `t` into a one-column batch; nullopt when rejected.
std::optional<value_view> decode(value_type t, std::string_view bytes, batch& b) {
    if (!decode_cell(t, bytes, b)) return std::nullopt;
    b.end_row();
    return b.at(b.rows() - 1, 0);
}

config::source_config source() {
    config::source_config s;
    s.name = "hb";
    s.type = "hbase";
    return s;
}

}  // namespace

TEST_CASE("cell decoding: text and Bytes.toBytes encodings") {
    batch b(one_column(value_type::int64));
    CHECK(decode(value_type::int64, "-42", b)->i == -42);
    CHECK(decode(value_type::int64, std::string("\x00\x00\x00\x00\x00\x00\x01\x00", 8), b)->i == 256);
    CHECK(decode(value_type::int64, std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8), b)->i == -2);
    CHECK_FALSE(decode(value_type::int64, "abc", b));
    CHECK_FALSE(decode(value_type::int64, "", b));
    CHECK(decode(value_type::float64, "2.5e3", b)->type == value_type::float64);
    CHECK_FALSE(decode(value_type::float64, "2.5x", b));
    CHECK(decode(value_type::boolean, "TRUE", b)->i == 1);
    CHECK(decode(value_type::boolean, std::string("\xff", 1), b)->i == 1);
    CHECK(decode(value_type::boolean, std::string("\x00", 1), b)->i == 0);
    CHECK_FALSE(decode(value_type::boolean, "yes", b));
    CHECK(decode(value_type::timestamp, "2024-01-01T00:00:01.5Z", b)->i == 1704067201500000);
    CHECK(decode(value_type::timestamp, "1704067201500", b)->i == 1704067201500000);
    CHECK(decode(value_type::timestamp, std::string("\x00\x00\x01\x8c\xc2\x51\xf3\x1c", 8), b)->i ==
          1704067199772000);
    CHECK_FALSE(decode(value_type::timestamp, "yesterday", b));
    // Millis beyond what 64-bit microseconds hold (found by fuzzing: the * 1000 overflowed).
    CHECK_FALSE(decode(value_type::timestamp, "9223372036854775807", b));
    CHECK_FALSE(decode(value_type::timestamp, std::string("\x34\x2d\x0d\x34\x34\x32\x03\x00", 8), b));
    CHECK(decode(value_type::timestamp, "-9223372036854775", b)->i == -9223372036854775000);
    CHECK(decode(value_type::string, "h\xc3\xa9", b)->s == "h\xc3\xa9");
    CHECK_FALSE(decode(value_type::string, "\xff\xfe", b));
    CHECK_FALSE(decode(value_type::string, std::string("a\0b", 3), b));
    CHECK(decode(value_type::bytes, "\xff\xfe", b)->s == "\xff\xfe");
    CHECK(decode(value_type::json, R"({"a":[1,2]})", b)->s == R"({"a":[1,2]})");
    CHECK_FALSE(decode(value_type::json, "{", b));
    CHECK(decode(value_type::decimal, "-12.340", b)->s == "-12.340");
    CHECK_FALSE(decode(value_type::decimal, "1,2", b));
}

TEST_CASE("a row maps declared cells, cell timestamps and everything else into _cells") {
    config::table_config t;
    t.name = "profile";
    t.columns = {{"info:name", "name", value_type::string}, {"info:age", "age", value_type::int64}};
    t.scan.include_timestamp = true;
    const auto plan = plan_table(source(), t);
    const auto& s = *plan.schema;
    REQUIRE(s.columns.size() == 6);
    CHECK(s.columns[0].name == "row_key");
    CHECK(s.columns[1].name == "name");
    CHECK(s.columns[2].name == "name_ts");
    CHECK(s.columns[3].name == "age");
    CHECK(s.columns[5].name == "_cells");
    CHECK(s.mode == sync_mode::full);

    wire::TRowResult r;
    r.row = "user1";
    r.__isset.columns = true;
    r.columns["info:age"].value = "31";
    r.columns["info:age"].timestamp = 1000;
    r.columns["info:name"].value = "Ann";
    r.columns["info:name"].timestamp = 2000;
    r.columns["x:raw"].value = "\xff";
    r.columns["x:raw"].timestamp = 3000;
    r.columns["x:zero"].value = std::string("\0\x01", 2);
    r.columns["x:zero"].timestamp = 4000;
    std::vector<cell_view> cells;
    collect_cells(r, cells);
    batch b(plan.schema);
    row_mapper m(plan.schema, plan.layout);
    m.append(r.row, cells, b);
    REQUIRE(b.rows() == 1);
    CHECK(b.at(0, 0).s == "user1");
    CHECK(b.at(0, 1).s == "Ann");
    CHECK(b.at(0, 2).i == 2000000);
    CHECK(b.at(0, 3).i == 31);
    CHECK(b.at(0, 4).i == 1000000);
    CHECK(b.at(0, 5).s ==
          R"({"x:raw":{"value":{"b64":"/w=="},"ts":3000},"x:zero":{"value":{"b64":"AAE="},"ts":4000}})");

    // A row without the declared cells: NULLs, and no _cells when nothing is left.
    cells.clear();
    m.append("user2", cells, b);
    CHECK(b.at(1, 1).is_null());
    CHECK(b.at(1, 3).is_null());
    CHECK(b.at(1, 5).is_null());
}

TEST_CASE("an undecodable cell names table, row and cell, or becomes NULL when configured") {
    config::table_config t;
    t.name = "profile";
    t.columns = {{"info:age", "age", value_type::int64}};
    t.cells.other_cells = false;
    auto plan = plan_table(source(), t);
    std::vector<cell_view> cells = {{"info:age", "abc", 1}};
    batch b(plan.schema);
    {
        row_mapper m(plan.schema, plan.layout);
        try {
            m.append("row\x01", cells, b);
            FAIL("expected a data_error");
        } catch (const data_error& e) {
            const std::string what = e.what();
            CHECK(what.find("hb.profile") != std::string::npos);
            CHECK(what.find("0x726f7701") != std::string::npos);
            CHECK(what.find("info:age") != std::string::npos);
            CHECK(what.find("int64") != std::string::npos);
        }
    }
    t.cells.null_on_decode_error = true;
    plan = plan_table(source(), t);
    batch b2(plan.schema);
    row_mapper m(plan.schema, plan.layout);
    m.append("r", cells, b2);
    CHECK(b2.at(0, 1).is_null());
    CHECK(m.decode_warnings() == 1);
}

TEST_CASE("a cell timestamp beyond 64-bit microseconds is undecodable, not wrapped") {
    config::table_config t;
    t.name = "profile";
    t.columns = {{"info:age", "age", value_type::int64}};
    t.cells.other_cells = false;
    t.scan.include_timestamp = true;
    auto plan = plan_table(source(), t);
    const std::vector<cell_view> cells = {{"info:age", "31", INT64_MAX}};
    batch b(plan.schema);
    {
        row_mapper m(plan.schema, plan.layout);
        CHECK_THROWS_WITH_AS(m.append("r", cells, b), doctest::Contains("cell timestamp"), data_error);
    }
    t.cells.null_on_decode_error = true;
    plan = plan_table(source(), t);
    batch b2(plan.schema);
    row_mapper m(plan.schema, plan.layout);
    m.append("r", cells, b2);
    CHECK(b2.at(0, 1).i == 31);
    CHECK(b2.at(0, 2).is_null());
    CHECK(m.decode_warnings() == 1);
}

TEST_CASE("row keys must be UTF-8 unless declared bytes") {
    config::table_config t;
    t.name = "bin";
    auto plan = plan_table(source(), t);
    batch b(plan.schema);
    row_mapper m(plan.schema, plan.layout);
    CHECK_THROWS_AS(m.append("\xfe\x01", {}, b), data_error);
    t.cells.row_key_type = "bytes";
    plan = plan_table(source(), t);
    batch b2(plan.schema);
    row_mapper m2(plan.schema, plan.layout);
    m2.append("\xfe\x01", {}, b2);
    CHECK(b2.at(0, 0).s == "\xfe\x01");
}

TEST_CASE("modes: cursor cell means cursor_column, incremental without it cell timestamps") {
    config::table_config t;
    t.name = "x";
    CHECK(plan_table(source(), t).layout.mode == scan_mode::full);
    t.mode = "incremental";
    CHECK(plan_table(source(), t).layout.mode == scan_mode::cell_timestamp);
    t.cursor = "cf:created_at";
    t.mode = "";
    CHECK(plan_table(source(), t).layout.mode == scan_mode::cursor_column);
    t.cursor = "created_at";
    CHECK_THROWS_AS(plan_table(source(), t), error);
    auto src = source();
    src.table_prefix = "app";
    t.cursor.reset();
    CHECK(plan_table(src, t).layout.hbase_table == "app_x");
}
