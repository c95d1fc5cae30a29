// Druid source: request bodies, SQL text, error bodies, type mapping, catalog.

#include <doctest/doctest.h>

#include <set>
#include <string>

#include <simdjson.h>

#include "sluice/error.hpp"
#include "sluice/value.hpp"
#include "sources/druid/catalog.hpp"
#include "sources/druid/errors.hpp"
#include "sources/druid/request.hpp"
#include "sources/druid/sql_text.hpp"
#include "sources/druid/type_map.hpp"

using namespace sluice;
using namespace sluice::druid;

namespace {
std::int64_t us(const char* iso) { return *parse_timestamp_micros(iso); }
}  // namespace

TEST_CASE("druid request: JSON body escapes the SQL and merges the context") {
    const std::map<std::string, std::string> user{{"timeout", "60000"}, {"priority", "10"},
                                                  {"lane", "\"low\""}, {"sqlTimeZone", "\"America/Denver\""}};
    const std::string sql = "SELECT \"a\\b\", 'x' FROM \"druid\".\"t\"\nWHERE c = '\t'";
    const auto body = build_request_body(sql, "0f0e-id", user);
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    REQUIRE_FALSE(p.parse(body).get(doc));
    CHECK(std::string_view(doc["query"]) == sql);
    CHECK(std::string_view(doc["resultFormat"]) == "array");
    CHECK(bool(doc["header"]));
    CHECK(bool(doc["sqlTypesHeader"]));
    const auto ctx = doc["context"];
    CHECK(std::string_view(ctx["sqlQueryId"]) == "0f0e-id");
    CHECK(std::string_view(ctx["sqlTimeZone"]) == "Etc/UTC");  // a configured zone cannot win
    CHECK_FALSE(bool(ctx["sqlStringifyArrays"]));
    CHECK(std::int64_t(ctx["timeout"]) == 60000);
    CHECK(std::int64_t(ctx["priority"]) == 10);
    CHECK(std::string_view(ctx["lane"]) == "low");
    CHECK(body.find("America/Denver") == std::string::npos);
    // Streamed reads (tie groups, whole tables) ask for a row per line.
    REQUIRE_FALSE(p.parse(build_request_body(sql, "id2", user, result_format::array_lines)).get(doc));
    CHECK(std::string_view(doc["resultFormat"]) == "arrayLines");
}

TEST_CASE("druid request: query ids are fresh version-4 UUIDs") {
    std::set<std::string> ids;
    for (int i = 0; i < 100; ++i) {
        const auto id = new_query_id();
        REQUIRE(id.size() == 36);
        CHECK(id[8] == '-');
        CHECK(id[14] == '4');
        CHECK(std::string("89ab").find(id[19]) != std::string::npos);
        ids.insert(id);
    }
    CHECK(ids.size() == 100);
}

TEST_CASE("druid sql: quoting, millisecond TIMESTAMP literals, keyset pages") {
    CHECK(quote_identifier("we\"ird") == "\"we\"\"ird\"");
    CHECK(quote_string_literal("o'brien") == "'o''brien'");
    CHECK(timestamp_literal(us("2024-01-01T00:00:00.123456Z")) == "TIMESTAMP '2024-01-01 00:00:00.123'");
    CHECK(timestamp_literal(us("1969-12-31T23:59:59.9995Z")) == "TIMESTAMP '1969-12-31 23:59:59.999'");
    const table_ref t{"druid", "wiki\"pedia"};
    time_keyset::time_range r;
    CHECK(page_query(t, "\"__time\", \"page\"", "__time", r, 500) ==
          "SELECT \"__time\", \"page\" FROM \"druid\".\"wiki\"\"pedia\" ORDER BY \"__time\" LIMIT 500");
    r.lower = us("2015-09-12T00:47:53.259Z");
    CHECK(page_query(t, "*", "__time", r, 500) ==
          "SELECT * FROM \"druid\".\"wiki\"\"pedia\" WHERE \"__time\" >= TIMESTAMP '2015-09-12 00:47:53.259' "
          "ORDER BY \"__time\" LIMIT 500");
    // Tie groups: one unordered query, no OFFSET anywhere.
    const time_keyset::tie_group at{time_keyset::tie_group::kind::at, us("2015-09-12T00:47:53.259Z")};
    CHECK(group_query(t, "*", "__time", at) ==
          "SELECT * FROM \"druid\".\"wiki\"\"pedia\" WHERE \"__time\" = TIMESTAMP '2015-09-12 00:47:53.259'");
    CHECK(group_count_query(t, "ts", {time_keyset::tie_group::kind::null, 0}) ==
          "SELECT COUNT(*) FROM \"druid\".\"wiki\"\"pedia\" WHERE \"ts\" IS NULL");
    CHECK(group_query(t, "\"k\"", "", {time_keyset::tie_group::kind::all, 0}) ==
          "SELECT \"k\" FROM \"druid\".\"wiki\"\"pedia\"");
    r.upper = us("2015-09-13T00:00:00Z");
    CHECK(count_query(t, "__time", r) ==
          "SELECT COUNT(*) FROM \"druid\".\"wiki\"\"pedia\" WHERE \"__time\" >= TIMESTAMP '2015-09-12 00:47:53.259' "
          "AND \"__time\" < TIMESTAMP '2015-09-13 00:00:00.000'");
    CHECK(max_query(t, "__time", {}) == "SELECT MAX(\"__time\") FROM \"druid\".\"wiki\"\"pedia\"");
    CHECK(min_query(t, "__time") == "SELECT MIN(\"__time\") FROM \"druid\".\"wiki\"\"pedia\"");
    CHECK(tables_query("dr'uid") ==
          "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'dr''uid' ORDER BY TABLE_NAME");
    CHECK(columns_query("druid", "t").find("WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = 't' ORDER BY "
                                          "ORDINAL_POSITION") != std::string::npos);
}

TEST_CASE("druid errors: the three body shapes") {
    const auto current = parse_error_body(
        R"({"error":"druidException","errorCode":"invalidInput","persona":"USER","category":"INVALID_INPUT",)"
        R"("errorMessage":"Column 'x' not found in any table","context":{"sourceType":"sql","line":"1","column":"8"}})");
    REQUIRE(current);
    CHECK(current->code == "invalidInput");
    CHECK(current->category == "INVALID_INPUT");
    CHECK(current->describe() == "invalidInput: Column 'x' not found in any table (line 1, column 8)");
    CHECK(current->describe().find("druidException") == std::string::npos);

    const auto wrapped = parse_error_body(
        R"({"error":"Query timeout","errorCode":"legacyQueryException","persona":"OPERATOR","category":"TIMEOUT",)"
        R"("errorMessage":"Query [abc] timed out.","context":{"errorClass":"org.apache.druid.query.QueryTimeoutException",)"
        R"("legacyErrorCode":"Query timeout","host":"h:8083"}})");
    REQUIRE(wrapped);
    CHECK(wrapped->describe() == "Query timeout: Query [abc] timed out.");
    CHECK(wrapped->error_class == "org.apache.druid.query.QueryTimeoutException");

    const auto legacy = parse_error_body(
        R"({"error":"SQL parse failed","errorMessage":"Encountered \"FROM\" at line 1, column 8.","errorClass":"org.apache.calcite.sql.parser.SqlParseException","host":null})");
    REQUIRE(legacy);
    CHECK(legacy->describe() == "SQL parse failed: Encountered \"FROM\" at line 1, column 8.");
    CHECK(legacy->error_class == "org.apache.calcite.sql.parser.SqlParseException");

    // Numbers for line/column, and a druidException without errorCode.
    const auto numeric = parse_error_body(
        R"({"error":"druidException","category":"INVALID_INPUT","errorMessage":"bad","context":{"line":2,"column":3}})");
    REQUIRE(numeric);
    CHECK(numeric->describe() == "INVALID_INPUT: bad (line 2, column 3)");

    CHECK_FALSE(parse_error_body("<html><body>429 Too Many Requests</body></html>"));
    CHECK_FALSE(parse_error_body(""));
    CHECK_FALSE(parse_error_body("[1,2]"));
}

TEST_CASE("druid types: mapping, sketches skipped, unknown refused") {
    auto is = [](const char* t, value_type v, wire_kind w) {
        const auto m = map_druid_type(t);
        return m.verdict == type_verdict::mapped && m.type == druid_type{v, w};
    };
    CHECK(is("VARCHAR", value_type::string, wire_kind::text));
    CHECK(is("char", value_type::string, wire_kind::text));
    for (const char* t : {"BIGINT", "INTEGER", "SMALLINT", "TINYINT"}) CHECK(is(t, value_type::int64, wire_kind::integer));
    for (const char* t : {"DOUBLE", "FLOAT", "REAL", "DECIMAL", "DECIMAL(10, 2)"})
        CHECK(is(t, value_type::float64, wire_kind::floating));
    CHECK(is("TIMESTAMP", value_type::timestamp, wire_kind::timestamp));
    CHECK(is("TIMESTAMP(3)", value_type::timestamp, wire_kind::timestamp));
    CHECK(is("DATE", value_type::date, wire_kind::date));
    CHECK(is("BOOLEAN", value_type::boolean, wire_kind::boolean));
    CHECK(is("COMPLEX<json>", value_type::json, wire_kind::json));
    CHECK(is("OTHER", value_type::json, wire_kind::json));
    CHECK(is("ARRAY", value_type::json, wire_kind::json));
    CHECK(is("VARCHAR ARRAY", value_type::json, wire_kind::json));
    CHECK(is("ARRAY<STRING>", value_type::json, wire_kind::json));
    CHECK(map_druid_type("COMPLEX<hyperUnique>").verdict == type_verdict::skipped);
    CHECK(map_druid_type("COMPLEX<HLLSketch>").verdict == type_verdict::skipped);
    CHECK(map_druid_type("COMPLEX").verdict == type_verdict::skipped);
    CHECK(map_druid_type("GEOMETRY").verdict == type_verdict::unknown);
}

TEST_CASE("druid catalog: columns sorted by a numeric ORDINAL_POSITION, schema built") {
    text_result r;
    r.columns = {"COLUMN_NAME", "DATA_TYPE", "ORDINAL_POSITION", "IS_NULLABLE"};
    // Old servers: ORDINAL_POSITION is a string and "10" sorts before "2".
    r.rows = {{"__time", "TIMESTAMP", "1", "NO"},    {"added", "BIGINT", "10", "NO"},
              {"page", "VARCHAR", "2", "YES"},       {"sketch", "COMPLEX<HLLSketch>", "3", "YES"},
              {"attrs", "COMPLEX<json>", "4", "YES"}, {"tags", "VARCHAR ARRAY", "5", "YES"},
              {"day", "DATE", "6", "YES"}};
    const auto cols = parse_columns(r, "test");
    REQUIRE(cols.size() == 7);
    CHECK(cols[0].name == "__time");
    CHECK(cols[1].name == "page");
    CHECK(cols.back().name == "added");

    config::source_config cfg;
    cfg.name = "d";
    const auto s = build_schema(cfg, "wiki", cols, nullptr);
    std::vector<std::string> names;
    for (const auto& c : s.columns) names.push_back(c.name);
    CHECK(names == std::vector<std::string>{"__time", "page", "attrs", "tags", "day", "added", "_sluice_key"});
    CHECK(s.cursor_column == 0u);
    CHECK_FALSE(s.columns[0].nullable);
    CHECK(s.mode == sync_mode::incremental);
    CHECK(s.synthetic_key);
    CHECK(s.columns[2].type == value_type::json);
    CHECK(s.columns[4].type == value_type::date);

    config::table_config tc;
    tc.name = "wiki";
    tc.primary_key = std::vector<std::string>{"page"};
    tc.column_types["day"] = value_type::timestamp;  // DATE may be kept as a timestamp
    tc.mode = "full";
    const auto f = build_schema(cfg, "wiki", cols, &tc);
    CHECK(f.mode == sync_mode::full);
    CHECK_FALSE(f.synthetic_key);
    CHECK(f.columns[*f.find_column("day")].type == value_type::timestamp);

    tc.mode = "";
    tc.cursor = "page";
    CHECK_THROWS_AS(build_schema(cfg, "wiki", cols, &tc), error);
    tc.cursor.reset();
    tc.column_types["page"] = value_type::int64;
    CHECK_THROWS_AS(build_schema(cfg, "wiki", cols, &tc), error);

    text_result unknown = r;
    unknown.rows.push_back({"shape", "GEOMETRY", "11", "YES"});
    CHECK_THROWS_WITH_AS(build_schema(cfg, "wiki", parse_columns(unknown, "t"), nullptr),
                         doctest::Contains("'shape' has type 'GEOMETRY'"), error);
}

TEST_CASE("druid sql: reconcile's bucket summary, one GROUP BY query in Druid's spelling") {
    const table_ref t{"druid", "wiki\"pedia"};
    time_keyset::time_range r;
    r.upper = us("2024-01-02T00:00:00Z");
    // No lower bound, no integer columns: the instant alone.
    CHECK(summary_query(t, "__time", {}, r, 86'400'000) ==
          "SELECT ((TIMESTAMP_TO_MILLIS(\"__time\")) - MOD(MOD(TIMESTAMP_TO_MILLIS(\"__time\"), 86400000) + "
          "86400000, 86400000)) / 86400000, COUNT(*), SUM(MOD(TIMESTAMP_TO_MILLIS(\"__time\"), 1000003)) "
          "FROM \"druid\".\"wiki\"\"pedia\" WHERE \"__time\" < TIMESTAMP '2024-01-02 00:00:00.000' "
          "GROUP BY 1 ORDER BY 1");
    r.lower = us("2023-12-31T23:59:59.123Z");
    const auto sql = summary_query(t, "__time", {"added", "we\"ird"}, r, 60'000);
    CHECK(sql ==
          "SELECT ((TIMESTAMP_TO_MILLIS(\"__time\")) - MOD(MOD(TIMESTAMP_TO_MILLIS(\"__time\"), 60000) + 60000, "
          "60000)) / 60000, COUNT(*), SUM(MOD(TIMESTAMP_TO_MILLIS(\"__time\"), 1000003) + "
          "MOD(COALESCE(\"added\", 0), 1000003) + MOD(COALESCE(\"we\"\"ird\", 0), 1000003)) "
          "FROM \"druid\".\"wiki\"\"pedia\" WHERE \"__time\" >= TIMESTAMP '2023-12-31 23:59:59.123' "
          "AND \"__time\" < TIMESTAMP '2024-01-02 00:00:00.000' GROUP BY 1 ORDER BY 1");
    // Druid SQL has no `%`: MOD only (truncating, like SQLite's and PostgreSQL's `%`).
    CHECK(sql.find('%') == std::string::npos);
    // Another TIMESTAMP cursor is bucketed and bounded on itself.
    CHECK(summary_query(t, "ts", {}, r, 1000).find("TIMESTAMP_TO_MILLIS(\"ts\")") != std::string::npos);
    CHECK(summary_query(t, "ts", {}, r, 1000).find("WHERE \"ts\" >= ") != std::string::npos);
}

TEST_CASE("druid catalog: bucket summaries parsed as exact integers") {
    text_result r;
    r.columns = {"EXPR$0", "EXPR$1", "EXPR$2"};
    r.rows = {{"-1", "3", "-2999"}, {"19723", "1440", "9007199254740993"}};
    const auto b = parse_buckets(r, "t");
    REQUIRE(b.size() == 2);
    CHECK(b[0] == bucket_stats{-1, 3, -2999});
    CHECK(b[1] == bucket_stats{19723, 1440, 9007199254740993});  // beyond 2^53: not through a double
    text_result empty;
    empty.columns = r.columns;
    CHECK(parse_buckets(empty, "t").empty());
    text_result bad = r;
    bad.rows = {{"1", "2", std::nullopt}};
    CHECK_THROWS_WITH_AS(parse_buckets(bad, "t"), doctest::Contains("fingerprint is NULL"), error);
    bad.rows = {{"1.5", "2", "3"}};
    CHECK_THROWS_WITH_AS(parse_buckets(bad, "t"), doctest::Contains("'1.5', not an integer"), error);
    bad.rows = {{"1", "2"}};
    CHECK_THROWS_AS(parse_buckets(bad, "t"), error);
    bad.columns = {"a", "b"};
    bad.rows.clear();
    CHECK_THROWS_AS(parse_buckets(bad, "t"), error);
}
