// QuestDB type mapping and the /exec parser's handling of values that do not
// fit, plus inputs the captures do not cover (arrays, BINARY, mid-stream errors).

#include <doctest/doctest.h>

#include <limits>
#include <memory>
#include <string>

#include "sluice/batch.hpp"
#include "sluice/error.hpp"
#include "sluice/http/client.hpp"
#include "sources/questdb/response_parser.hpp"
#include "sources/questdb/type_map.hpp"

using namespace sluice;
using namespace sluice::questdb;

namespace {

struct parsed {
    exec_result r;
    std::unique_ptr<batch> b;
};

parsed parse(std::string body) {
    body.reserve(body.size() + http_body_padding);
    exec_response_parser parser;
    parsed out;
    out.r = parser.parse(body, "questdb source 'q' table 't'", [&](const std::vector<exec_column>& cols) {
        auto s = std::make_shared<table_schema>();
        for (const auto& c : cols) s->columns.push_back(column{c.name, c.mapped.model, c.type, true});
        out.b = std::make_unique<batch>(s);
        return out.b.get();
    });
    return out;
}

std::string one_column(const std::string& type, const std::string& values) {
    return R"({"query":"q","columns":[{"name":"c","type":")" + type + R"("}],"timestamp":-1,"dataset":)" + values +
           R"(,"count":1})";
}

}  // namespace

TEST_CASE("questdb type map: every QuestDB type maps to the value model") {
    const auto model = [](std::string_view t) { return map_questdb_type(t).value().model; };
    for (const char* t : {"SYMBOL", "STRING", "VARCHAR", "CHAR", "UUID", "IPv4", "LONG256", "GEOHASH(4c)",
                          "GEOHASH(7b)", "INTERVAL"})
        CHECK_MESSAGE(model(t) == value_type::string, t);
    for (const char* t : {"LONG", "INT", "SHORT", "BYTE"}) CHECK_MESSAGE(model(t) == value_type::int64, t);
    for (const char* t : {"DOUBLE", "FLOAT"}) CHECK_MESSAGE(model(t) == value_type::float64, t);
    CHECK(model("BOOLEAN") == value_type::boolean);
    for (const char* t : {"TIMESTAMP", "DATE", "TIMESTAMP_NS"}) CHECK_MESSAGE(model(t) == value_type::timestamp, t);
    CHECK(model("DECIMAL(18,3)") == value_type::decimal);
    CHECK(model("BINARY") == value_type::bytes);
    for (const char* t : {"ARRAY", "DOUBLE[]", "DOUBLE[][]"}) CHECK_MESSAGE(model(t) == value_type::json, t);
    CHECK(model("ipv4") == value_type::string);  // case-insensitive
    CHECK_FALSE(map_questdb_type("CURSOR").has_value());
    CHECK_FALSE(map_questdb_type("").has_value());
}

TEST_CASE("questdb type map: an unknown type is a fatal error naming column and type") {
    try {
        map_column_type("weird_col", "RECORD");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::fatal);
        CHECK(std::string(e.what()).find("weird_col") != std::string::npos);
        CHECK(std::string(e.what()).find("RECORD") != std::string::npos);
    }
    CHECK_THROWS_AS(parse(one_column("RECORD", "[[1]]")), error);
}

TEST_CASE("questdb parser: a value that does not fit is a data_error naming column and row") {
    try {
        parse(one_column("LONG", R"([[1],[2],["abc"]])"));
        FAIL("expected a data_error");
    } catch (const data_error& e) {
        const std::string msg = e.what();
        CHECK(msg.find("'c'") != std::string::npos);
        CHECK(msg.find("LONG") != std::string::npos);
        CHECK(msg.find("row 2") != std::string::npos);
        CHECK(msg.find("abc") != std::string::npos);
        CHECK(msg.find("table 't'") != std::string::npos);
    }
    CHECK_THROWS_AS(parse(one_column("LONG", "[[1.5]]")), data_error);
    CHECK_THROWS_AS(parse(one_column("LONG", "[[9223372036854775808]]")), data_error);
    CHECK_THROWS_AS(parse(one_column("DOUBLE", R"([["x"]])")), data_error);
    CHECK_THROWS_AS(parse(one_column("BOOLEAN", "[[1]]")), data_error);
    CHECK_THROWS_AS(parse(one_column("TIMESTAMP", R"([["yesterday"]])")), data_error);
    CHECK_THROWS_AS(parse(one_column("STRING", R"([[{"a":1}]])")), data_error);
    CHECK_THROWS_AS(parse(one_column("STRING", "[[1,2]]")), data_error);  // row wider than the columns
    CHECK_THROWS_AS(parse(one_column("STRING", "[[]]")), data_error);     // narrower
}

TEST_CASE("questdb parser: integers stay exact, doubles accept Java style and non-finite text") {
    auto p = parse(one_column("LONG", R"([[9223372036854775807],[-9223372036854775807],["123"],[null]])"));
    REQUIRE(p.r.rows == 4);
    CHECK(p.b->at(0, 0).i == std::numeric_limits<std::int64_t>::max());
    CHECK(p.b->at(1, 0).i == -std::numeric_limits<std::int64_t>::max());
    CHECK(p.b->at(2, 0).i == 123);
    CHECK(p.b->at(3, 0).is_null());

    p = parse(one_column("DOUBLE", R"([[1.0E300],[1.0E-7],[2],[null],["NaN"],["-Infinity"],[NaN]])"));
    REQUIRE(p.r.rows == 7);
    CHECK(p.b->at(0, 0).d == 1e300);
    CHECK(p.b->at(1, 0).d == 1e-7);
    CHECK(p.b->at(2, 0).d == 2.0);
    for (std::size_t r = 3; r < 7; ++r) CHECK(p.b->at(r, 0).is_null());
}

TEST_CASE("questdb parser: timestamps, DATE, TIMESTAMP_NS, arrays, decimals and BINARY") {
    auto p = parse(one_column("TIMESTAMP", R"([["2024-01-01T00:00:01.123456Z"]])"));
    CHECK(p.b->at(0, 0).i == 1704067201123456);
    p = parse(one_column("DATE", R"([["2024-01-01T00:00:01.123Z"]])"));
    CHECK(p.b->at(0, 0).type == value_type::timestamp);
    CHECK(p.b->at(0, 0).i == 1704067201123000);
    p = parse(one_column("TIMESTAMP_NS", R"([["2024-01-01T00:00:01.123456789Z"]])"));
    CHECK(p.b->at(0, 0).i == 1704067201123456);

    p = parse(one_column("DOUBLE[][]", R"([[[[1.0,null],[2.5,3]]],[null]])"));
    CHECK(p.b->at(0, 0).type == value_type::json);
    CHECK(p.b->at(0, 0).s == "[[1.0,null],[2.5,3]]");
    CHECK(p.b->at(1, 0).is_null());
    p = parse(R"({"columns":[{"name":"a","type":"ARRAY","dim":1,"elemType":"DOUBLE"}],"dataset":[[[1.5]]],"count":1})");
    CHECK(p.b->at(0, 0).s == "[1.5]");

    p = parse(one_column("DECIMAL(10,2)", R"([["12.30"],[7.25],[null]])"));
    CHECK(p.b->at(0, 0).type == value_type::decimal);
    CHECK(p.b->at(0, 0).s == "12.30");
    CHECK(p.b->at(1, 0).s == "7.25");
    CHECK(p.b->at(2, 0).is_null());

    p = parse(one_column("BINARY", R"([[[]],[[1,2,255]]])"));
    CHECK(p.b->at(0, 0).is_null());  // QuestDB never exports the content
    CHECK(p.b->at(1, 0).s == std::string("\x01\x02\xff", 3));
}

TEST_CASE("questdb parser: an error after HTTP 200 and rows is reported as an error") {
    const auto p = parse(R"({"query":"q","columns":[{"name":"c","type":"INT"}],"timestamp":-1,"dataset":[[1],[2]],)"
                         R"("count":2,"error":"timeout, query aborted","errorPos":3})");
    CHECK(p.r.kind == exec_kind::error);
    CHECK(p.r.is_error());
    CHECK(p.r.message == "timeout, query aborted");
    CHECK(p.r.position == 3);
    CHECK(p.r.rows == 2);
}

TEST_CASE("questdb parser: ddl, dml with updated, notice; malformed JSON is transient") {
    auto p = parse(R"({"dml":"OK","updated":5})");
    CHECK(p.r.kind == exec_kind::dml);
    CHECK(p.r.updated == 5);
    p = parse(R"({"notice":"empty query","query":"","position":"0"})");
    CHECK(p.r.kind == exec_kind::notice);
    CHECK(p.r.position == 0);
    try {
        parse(R"({"columns":[{"name":"c","type":"INT"}],"dataset":[[1],)");
        FAIL("expected an error");
    } catch (const data_error&) {
        FAIL("malformed JSON is not a data error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::transient);
    }
    CHECK_THROWS_AS(parse("Not Found"), error);
}

TEST_CASE("questdb parser: an array cell must be JSON, a null must be null (found by fuzzing the Druid twin)") {
    // On-Demand's raw_json() of an array only counts brackets up to the one closing it.
    CHECK_THROWS_AS(parse(one_column("DOUBLE[]", "[[[1,\"x\" ` ///]]")), error);
    CHECK_THROWS_AS(parse(one_column("DOUBLE[]", "[[{1]]")), error);
    // type() looks at the first byte only: "nulx" is not a NULL.
    CHECK_THROWS_AS(parse(one_column("DOUBLE", "[[nulx]]")), error);
    const auto ok = parse(one_column("DOUBLE[]", "[[[1.5,[2]]],[null]]"));
    REQUIRE(ok.b->rows() == 2);
    CHECK(ok.b->at(0, 0).s == "[1.5,[2]]");
    CHECK(ok.b->at(1, 0).is_null());
}

TEST_CASE("questdb parser: nm=true uses the caller's columns, a finisher completes rows") {
    std::string body = R"({"dataset":[["a",1],["b",2]],"count":2})";
    body.reserve(body.size() + http_body_padding);
    const std::vector<exec_column> known{{"s", "SYMBOL", {value_type::string, wire_kind::text}},
                                         {"n", "LONG", {value_type::int64, wire_kind::integer}}};
    auto s = std::make_shared<table_schema>();
    s->columns = {column{"s", value_type::string, "SYMBOL", true}, column{"n", value_type::int64, "LONG", true},
                  column{"_sluice_key", value_type::string, "", false}};
    batch b(s);
    exec_response_parser parser;
    int finished = 0;
    const auto r = parser.parse(
        body, "ctx", [&](const std::vector<exec_column>&) { return &b; }, &known,
        [&](batch& out) {
            out.put_text(value_type::string, "k" + std::to_string(++finished));
            out.end_row();
        });
    CHECK(r.rows == 2);
    CHECK(r.columns.size() == 2);
    REQUIRE(b.rows() == 2);
    CHECK(b.at(1, 0).s == "b");
    CHECK(b.at(1, 2).s == "k2");
    // Without known columns the rows cannot be typed.
    CHECK_THROWS_AS(parser.parse(body, "ctx", [&](const std::vector<exec_column>&) { return &b; }), error);
}

TEST_CASE("questdb parser: without a batch the rows are only counted") {
    std::string body = R"({"columns":[{"name":"a","type":"INT"},{"name":"s","type":"STRING"}],"timestamp":-1,)"
                       R"("dataset":[[1,"x"],[2,null],[3,"z"]],"count":3})";
    body.reserve(body.size() + http_body_padding);
    exec_response_parser parser;
    const auto r = parser.parse(body, "ctx");
    CHECK(r.kind == exec_kind::rows);
    CHECK(r.rows == 3);
    CHECK(r.count == 3);
    CHECK(r.columns.size() == 2);
    // The parser is reusable for the next page.
    const auto again = parser.parse(body, "ctx");
    CHECK(again.rows == 3);
}
