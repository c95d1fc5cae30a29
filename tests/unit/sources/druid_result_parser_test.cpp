// Druid source: 200 bodies in array and arrayLines formats with header rows,
// values of every type, and the truncated bodies of a query that failed mid-stream.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "sluice/error.hpp"
#include "sources/druid/result_parser.hpp"

using namespace sluice;
using namespace sluice::druid;

namespace {

http_response response(std::string body, bool header_included = true) {
    http_response r;
    r.status = 200;
    r.content_type = "application/json";
    if (header_included) r.headers.emplace_back("X-Druid-SQL-Header-Included", "yes");
    r.body = std::move(body);
    r.body.reserve(r.body.size() + http_body_padding);
    return r;
}

table_schema_ptr schema_of(const row_layout& l) {
    auto s = std::make_shared<table_schema>();
    for (std::size_t i = 0; i < l.names.size(); ++i) s->columns.push_back({l.names[i], l.types[i].model, "", true});
    s->key = {0};
    return s;
}

const time_keyset::row_finisher end_row = [](batch& b) { b.end_row(); };

row_layout all_types() {
    row_layout l;
    l.names = {"__time", "page", "added", "delta", "flag", "attrs", "tags", "day"};
    l.types = {{value_type::timestamp, wire_kind::timestamp}, {value_type::string, wire_kind::text},
               {value_type::int64, wire_kind::integer},       {value_type::float64, wire_kind::floating},
               {value_type::boolean, wire_kind::boolean},     {value_type::json, wire_kind::json},
               {value_type::json, wire_kind::json},           {value_type::date, wire_kind::date}};
    return l;
}

const char* const names_row = R"(["__time","page","added","delta","flag","attrs","tags","day"])";
const char* const types_row = R"(["TIMESTAMP","VARCHAR","BIGINT","DOUBLE","BOOLEAN","COMPLEX<json>","VARCHAR ARRAY","DATE"])";
const char* const row1 =
    R"(["2015-09-12T00:47:53.259Z","Talk:\"Main\"",9223372036854775807,-1.5,true,{"a":[1,2]},["x","y"],"2015-09-12T00:00:00.000Z"])";
const char* const row2 = R"(["2015-09-12T00:47:53.260Z",null,-9007199254740993,null,false,null,null,null])";

void check_rows(const batch& b) {
    REQUIRE(b.rows() == 2);
    CHECK(b.at(0, 0).i == *parse_timestamp_micros("2015-09-12T00:47:53.259Z"));
    CHECK(b.at(0, 1).s == "Talk:\"Main\"");
    CHECK(b.at(0, 2).i == INT64_MAX);
    CHECK(b.at(0, 3).type == value_type::float64);
    CHECK(b.at(0, 4).i == 1);
    CHECK(b.at(0, 5).s == R"({"a":[1,2]})");
    CHECK(b.at(0, 6).s == R"(["x","y"])");
    CHECK(b.at(0, 7).i == *parse_date_days("2015-09-12"));
    CHECK(b.at(1, 1).is_null());
    CHECK(b.at(1, 2).i == -9007199254740993);  // beyond double precision, exact
    CHECK(b.at(1, 3).is_null());
    CHECK(b.at(1, 4).i == 0);
    CHECK(b.at(1, 7).is_null());
}

}  // namespace

TEST_CASE("druid result: array format with names and SQL types headers") {
    const auto layout = all_types();
    batch b(schema_of(layout));
    result_parser p;
    const auto body = std::string("[") + names_row + "," + types_row + "," + row1 + "," + row2 + "]\n";
    CHECK(p.parse_rows(response(body), result_format::array, layout, b, end_row, "t") == 2);
    check_rows(b);

    // Without the response header the types row is recognised by its content.
    batch c(schema_of(layout));
    CHECK(p.parse_rows(response(body, false), result_format::array, layout, c, end_row, "t") == 2);
    check_rows(c);
    // ...and a server that sent only the names row loses no data row.
    batch d(schema_of(layout));
    const auto names_only = std::string("[") + names_row + "," + row1 + "," + row2 + "]";
    CHECK(p.parse_rows(response(names_only, false), result_format::array, layout, d, end_row, "t") == 2);
    check_rows(d);

    // Empty result: the header rows are still there.
    batch e(schema_of(layout));
    CHECK(p.parse_rows(response(std::string("[") + names_row + "," + types_row + "]\n"), result_format::array,
                       layout, e, end_row, "t") == 0);
}

TEST_CASE("druid result: arrayLines format ends with a blank line") {
    const auto layout = all_types();
    result_parser p;
    batch b(schema_of(layout));
    const auto body = std::string(names_row) + "\n" + types_row + "\n" + row1 + "\n" + row2 + "\n\n";
    CHECK(p.parse_rows(response(body), result_format::array_lines, layout, b, end_row, "t") == 2);
    check_rows(b);

    batch c(schema_of(layout));
    const auto cut = std::string(names_row) + "\n" + types_row + "\n" + row1 + "\n";
    CHECK_THROWS_WITH_AS(p.parse_rows(response(cut), result_format::array_lines, layout, c, end_row, "t"),
                         doctest::Contains("without its terminator"), error);
}

TEST_CASE("druid result: arrayLines streamed in pieces of any size give the same rows") {
    const auto layout = all_types();
    const auto body = std::string(names_row) + "\n" + types_row + "\n" + row1 + "\n" + row2 + "\n\n";
    for (bool header : {true, false}) {
        const auto head = response("", header);
        // Two pieces cut at every byte, and one byte at a time.
        for (std::size_t cut = 0; cut <= body.size(); ++cut) {
            CAPTURE(cut);
            lines_stream_parser p(layout, "t");
            batch b(schema_of(layout));
            p.feed(head, std::string_view(body).substr(0, cut), b, end_row);
            p.feed(head, std::string_view(body).substr(cut), b, end_row);
            p.finish();
            CHECK(p.rows() == 2);
            check_rows(b);
        }
        lines_stream_parser p(layout, "t");
        batch b(schema_of(layout));
        for (char c : body) p.feed(head, std::string_view(&c, 1), b, end_row);
        p.finish();
        check_rows(b);
    }
}

TEST_CASE("druid result: a streamed answer cut anywhere fails transiently at its end") {
    const auto layout = all_types();
    const auto body = std::string(names_row) + "\n" + types_row + "\n" + row1 + "\n" + row2 + "\n\n";
    for (std::size_t len = 0; len + 1 < body.size(); ++len) {
        CAPTURE(len);
        lines_stream_parser p(layout, "t");
        batch b(schema_of(layout));
        p.feed(response(""), std::string_view(body).substr(0, len), b, end_row);
        try {
            p.finish();
            FAIL("a cut-off stream finished");
        } catch (const error& e) {
            CHECK(e.kind() == error_kind::transient);
            CHECK(std::string(e.what()).find("without its terminator") != std::string::npos);
        }
    }
    // Bytes after the blank line are not Druid's: transient too.
    lines_stream_parser p(layout, "t");
    batch b(schema_of(layout));
    CHECK_THROWS_AS(p.feed(response(""), body + row1 + "\n", b, end_row), error);
    // A changed column list is final.
    lines_stream_parser q(layout, "t");
    batch c(schema_of(layout));
    const auto other = std::string(R"(["__time","other"])") + "\n";
    try {
        q.feed(response(""), other, c, end_row);
        FAIL("changed columns accepted");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::fatal);
    }
}

TEST_CASE("druid result: a truncated 200 body is a transient failure, never rows") {
    const auto layout = all_types();
    result_parser p;
    const auto full = std::string("[") + names_row + "," + types_row + "," + row1 + "," + row2 + "]\n";
    // Cut after every byte: at a row boundary the body may even end in ']'.
    for (std::size_t len = 1; len + 1 < full.size(); ++len) {
        CAPTURE(len);
        batch b(schema_of(layout));
        try {
            p.parse_rows(response(full.substr(0, len)), result_format::array, layout, b, end_row, "t");
            FAIL("a truncated body parsed");
        } catch (const data_error&) {
            FAIL("a truncated body was reported as bad data");
        } catch (const error& e) {
            CHECK(e.kind() == error_kind::transient);
        }
    }
}

TEST_CASE("druid result: changed columns and bad values are final") {
    const auto layout = all_types();
    result_parser p;
    batch b(schema_of(layout));
    const auto renamed = std::string(R"([["__time","PAGE","added","delta","flag","attrs","tags","day"],)") +
                         types_row + "]";
    try {
        p.parse_rows(response(renamed), result_format::array, layout, b, end_row, "t");
        FAIL("no error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::fatal);
        CHECK(std::string(e.what()).find("columns changed") != std::string::npos);
    }
    const auto bad = std::string("[") + names_row + "," + types_row +
                     R"(,["2015-09-12T00:47:53.259Z","p",1.5,0,true,null,null,null]])";
    CHECK_THROWS_WITH_AS(p.parse_rows(response(bad), result_format::array, layout, b, end_row, "t"),
                         doctest::Contains("column 'added'"), data_error);
    CHECK(b.rows() == 0);
}

TEST_CASE("druid result: epoch millis beyond 64-bit microseconds are not a timestamp (found by fuzzing)") {
    const auto layout = all_types();
    result_parser p;
    batch b(schema_of(layout));
    // 14420188099373259 ms * 1000 overflowed int64 (undefined behaviour, a wrapped instant).
    const auto huge = std::string("[") + names_row + "," + types_row +
                      R"(,[14420188099373259,"p",1,0.5,true,null,null,null]])";
    CHECK_THROWS_WITH_AS(p.parse_rows(response(huge), result_format::array, layout, b, end_row, "t"),
                         doctest::Contains("not a timestamp"), data_error);
    CHECK(b.rows() == 0);
}

TEST_CASE("druid result: a types row announced by the header must parse too (found by fuzzing)") {
    const auto layout = all_types();
    result_parser p;
    // The header says row 2 is the types row, so it is not decoded as data, but a body
    // that does not parse is a failed query however little of it matters.
    const auto broken = std::string("[") + names_row + R"(,["TIMESTAMP","VARCHAR{a":1}],)" + row1 + "]\n";
    batch b(schema_of(layout));
    CHECK_THROWS_AS(p.parse_rows(response(broken), result_format::array, layout, b, end_row, "t"), error);
    lines_stream_parser s(layout, "t");
    batch c(schema_of(layout));
    const auto lines = std::string(names_row) + "\n" + R"(["TIMESTAMP",7,"x")" + "\n" + row1 + "\n\n";
    CHECK_THROWS_AS(s.feed(response(""), lines, c, end_row), error);
}

TEST_CASE("druid result: quoting a value of a malformed body stays inside the body (found by fuzzing)") {
    // On-Demand's raw token for the broken value ran far past the end of the body, and the
    // error message read it (an out-of-bounds read; ASan: SEGV in trim_raw).
    const auto layout = all_types();
    result_parser p;
    batch b(schema_of(layout));
    const std::string body = std::string("[") + names_row +
                             R"(,["2015-09-12T00:47:53.259Z","Talk:\"Main\"",9223372036854775807,-1.5,true,"":a{[1,2]},)"
                             R"(["x","y"],"2015-09-12T00:00:00.000Z"],["2015-09-12T00:47:53.260Z",null-,90071992l,fa|se,)"
                             R"(null,null,null]])" "\n";
    CHECK_THROWS_AS(p.parse_rows(response(body, false), result_format::array, layout, b, end_row, "t"), error);
    CHECK(b.rows() == 0);
}

TEST_CASE("druid result: a json cell must be JSON, a null must be null (found by fuzzing)") {
    // On-Demand's raw_json() of an object only counts brackets up to the one closing it:
    // '{' + binary garbage + ']' was stored as a json cell of a body that does not parse.
    const auto layout = all_types();
    result_parser p;
    const std::string garbage_object = std::string("[") + names_row +
                                       R"(,["2015-09-12T00:47:53.259Z","Talk:\"Main\"",9223372036854775807,-1.5,true,{`)" +
                                       std::string(7, '\0') + "///./ll,fall,nu]l,ll]]\n";
    batch b(schema_of(layout));
    CHECK_THROWS_AS(p.parse_rows(response(garbage_object, false), result_format::array, layout, b, end_row, "t"),
                    error);
    CHECK(b.rows() == 0);
    CHECK_THROWS_AS(p.parse_text(response(garbage_object, false), result_format::array, "t"), error);
    // type() looks at the first byte only: "nulx" is not a NULL.
    const auto bad_null = std::string("[") + names_row + "," + types_row +
                          R"(,["2015-09-12T00:47:53.259Z","p",1,nulx,true,null,null,null]])";
    batch c(schema_of(layout));
    CHECK_THROWS_AS(p.parse_rows(response(bad_null), result_format::array, layout, c, end_row, "t"), error);
    CHECK(c.rows() == 0);
    CHECK_THROWS_AS(p.parse_text(response(bad_null), result_format::array, "t"), error);
}

TEST_CASE("druid result: a json cell's string or number token must be valid JSON (found by fuzzing)") {
    // A json column holding a string with an invalid escape ("\|") was stored as its raw
    // token: the typed reader took the body, the text reader (rightly) refused it.
    const auto layout = all_types();
    result_parser p;
    for (const char* cell : {R"("m|<\|")", "1e", "-", "tru"}) {
        CAPTURE(cell);
        const auto body = std::string("[") + names_row + "," + types_row + R"(,["2015-09-12T00:47:53.259Z","p",1,1.5,true,)" +
                          cell + R"(,null,null]])";
        batch b(schema_of(layout));
        CHECK_THROWS_AS(p.parse_rows(response(body), result_format::array, layout, b, end_row, "t"), error);
        CHECK(b.rows() == 0);
        CHECK_THROWS_AS(p.parse_text(response(body), result_format::array, "t"), error);
    }
    // Valid scalars in a json column are kept as their JSON text.
    const auto ok = std::string("[") + names_row + "," + types_row +
                    R"(,["2015-09-12T00:47:53.259Z","p",1,1.5,true,"a\"b",12.5e3,null]])";
    batch b(schema_of(layout));
    CHECK(p.parse_rows(response(ok), result_format::array, layout, b, end_row, "t") == 1);
    CHECK(b.at(0, 5).s == R"("a\"b")");
    CHECK(b.at(0, 6).s == "12.5e3");
}

TEST_CASE("druid result: small answers as text") {
    result_parser p;
    const auto r = p.parse_text(response(R"([["EXPR$0"],["BIGINT"],[42]])"), result_format::array, "t");
    CHECK(r.columns == std::vector<std::string>{"EXPR$0"});
    CHECK(r.types == std::vector<std::string>{"BIGINT"});
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0][0] == "42");
    const auto m = p.parse_text(response(R"([["EXPR$0"],["TIMESTAMP"],[null]])" "\n", false), result_format::array, "t");
    REQUIRE(m.rows.size() == 1);
    CHECK_FALSE(m.rows[0][0]);
    const auto old = p.parse_text(response(R"([["EXPR$0"],["2015-09-12T00:47:53.259Z"]])", false),
                                  result_format::array, "t");
    CHECK(old.types.empty());
    REQUIRE(old.rows.size() == 1);
    CHECK(old.rows[0][0] == "2015-09-12T00:47:53.259Z");
}
