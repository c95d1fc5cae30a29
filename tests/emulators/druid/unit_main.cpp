// Unit tests of the Druid emulator core (engine.cpp): rendering, type mapping, SQL
// translation, result formats with header rows and trailers, error bodies.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <limits>

#include "engine.hpp"

using namespace druid_emu;

TEST_CASE("Jackson-style JSON strings") {
  CHECK(json_escape("a") == "\"a\"");
  CHECK(json_escape("q\"b\\t\tn\nr\r") == "\"q\\\"b\\\\t\\tn\\nr\\r\"");
  CHECK(json_escape(std::string("\x01\x1f", 2)) == "\"\\u0001\\u001F\"");
  CHECK(json_escape("ünï €/") == "\"ünï €/\"");
}

TEST_CASE("Java-style doubles and floats") {
  CHECK(java_double(21.5) == "21.5");
  CHECK(java_double(1.0) == "1.0");
  CHECK(java_double(-3.25) == "-3.25");
  CHECK(java_double(1e300) == "1.0E300");
  CHECK(java_double(1e-7) == "1.0E-7");
  CHECK(java_double(0.1) == "0.1");
  CHECK(java_double(1e7) == "1.0E7");
  CHECK(java_double(123456.789) == "123456.789");
  CHECK(java_double(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(java_double(std::numeric_limits<double>::infinity()) == "null");
  CHECK(java_float(0.1f) == "0.1");
  CHECK(java_float(1.5f) == "1.5");
  CHECK(java_float(3.4028235e38f) == "3.4028235E38");
}

TEST_CASE("CSV fields (opencsv, quoted only when needed)") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("l1\nl2") == "\"l1\nl2\"");
  CHECK(csv_field("") == "");
}

TEST_CASE("timestamps") {
  CHECK(pg_ts_to_iso("2015-09-12 00:47:53.259+00") == "2015-09-12T00:47:53.259Z");
  CHECK(pg_ts_to_iso("2015-09-12 00:47:53+00") == "2015-09-12T00:47:53.000Z");
  CHECK(pg_ts_to_iso("2015-09-12 00:47:53.2+00") == "2015-09-12T00:47:53.200Z");
  CHECK(pg_ts_to_iso("2015-09-12 00:47:53.259999") == "2015-09-12T00:47:53.259Z");
  CHECK(pg_ts_to_iso("2015-09-12") == "2015-09-12T00:00:00.000Z");
  CHECK(pg_ts_to_iso("2015-09-12 02:00:00+02") == "2015-09-12T00:00:00.000Z");
  CHECK(!pg_ts_to_iso("infinity"));
  CHECK(millis_to_iso(0) == "1970-01-01T00:00:00.000Z");
  CHECK(millis_to_iso(1442018873259) == "2015-09-12T00:47:53.259Z");
  CHECK(millis_to_iso(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(millis_to_pg(1704067200123) == "2024-01-01 00:00:00.123+00");
}

TEST_CASE("PostgreSQL arrays") {
  auto a = parse_pg_array("{a,\"b c\",NULL,\"x\\\"y\",\"NULL\"}");
  REQUIRE(a);
  REQUIRE(a->size() == 5);
  CHECK((*a)[0] == "a");
  CHECK((*a)[1] == "b c");
  CHECK(!(*a)[2]);
  CHECK((*a)[3] == "x\"y");
  CHECK((*a)[4] == "NULL");
  CHECK(parse_pg_array("{}")->empty());
  CHECK(!parse_pg_array("{{1,2},{3,4}}"));
}

TEST_CASE("type mapping") {
  CHECK(map_pg_type(1184, true).sql == "TIMESTAMP");
  CHECK(map_pg_type(1184, true).druid == "LONG");
  CHECK(map_pg_type(20, true).sql == "BIGINT");
  CHECK(map_pg_type(16, true).sql == "BIGINT");
  CHECK(map_pg_type(16, false).sql == "BOOLEAN");
  CHECK(map_pg_type(701, true).druid == "DOUBLE");
  CHECK(map_pg_type(700, true).druid == "FLOAT");
  CHECK(map_pg_type(25, true).druid == "STRING");
  CHECK(map_pg_type(25, true).sql == "VARCHAR");
  CHECK(map_pg_type(3802, true).druid == "COMPLEX<json>");
  CHECK(map_pg_type(1009, true).druid == "ARRAY<STRING>");
  CHECK(map_pg_type(1016, true).druid == "ARRAY<LONG>");
  CHECK(map_pg_type(1022, true).druid == "ARRAY<DOUBLE>");
  CHECK(druid_to_pg_type("VARCHAR") == "text");
  CHECK(druid_to_pg_type("COMPLEX<json>") == "jsonb");
  CHECK(druid_to_pg_type("ARRAY<STRING>") == "text[]");
  CHECK(druid_to_pg_type("double") == "double precision");
  CHECK(!druid_to_pg_type("HYPERUNIQUE"));
}

TEST_CASE("translation") {
  auto t = translate("SELECT * FROM \"wiki\" WHERE \"user\" = ? AND __time >= ? LIMIT 10 OFFSET 5;", "druid",
                     "druid_emu");
  CHECK(t.sql == "SELECT * FROM \"wiki\" WHERE \"user\" = $1 AND __time >= $2 LIMIT 10 OFFSET 5");
  CHECK(t.placeholders == 2);
  CHECK(!t.information_schema);
  // question marks inside strings and identifiers are not placeholders
  CHECK(translate("SELECT '?', \"a?\" FROM t", "druid", "h").placeholders == 0);
  // schema-qualified datasource names go to the configured schema
  CHECK(translate("SELECT 1 FROM druid.\"ds\"", "d2", "d2_emu").sql == "SELECT 1 FROM \"d2\".\"ds\"");
  CHECK(translate("SELECT 1 FROM \"druid\".\"ds\"", "d2", "d2_emu").sql == "SELECT 1 FROM \"d2\".\"ds\"");
  // aliases keep their case, CAST types become PostgreSQL types
  auto a = translate("SELECT COUNT(*) AS Cnt, CAST(x AS DOUBLE) AS d, CAST(y AS FLOAT) FROM t", "druid", "h");
  CHECK(a.sql == "SELECT COUNT(*) AS \"Cnt\", CAST(x AS double precision) AS \"d\", CAST(y AS real) FROM t");
  CHECK(a.aliases == std::vector<std::string>{"Cnt", "d"});
  // INFORMATION_SCHEMA goes to the helper schema's views, with upper-case column names
  auto i = translate("SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'druid' "
                     "AND TABLE_NAME = 'x' ORDER BY ORDINAL_POSITION",
                     "druid", "druid_emu");
  CHECK(i.information_schema);
  CHECK(i.sql == "SELECT \"COLUMN_NAME\", \"DATA_TYPE\" FROM \"druid_emu\".\"COLUMNS\" WHERE \"TABLE_SCHEMA\" = "
                 "'druid' AND \"TABLE_NAME\" = 'x' ORDER BY \"ORDINAL_POSITION\"");
  CHECK(translate("select table_name from information_schema.tables", "druid", "h").sql ==
        "select \"TABLE_NAME\" from \"h\".\"TABLES\"");
  // comments are dropped
  CHECK(translate("SELECT 1 -- a ?\n", "druid", "h").placeholders == 0);
}

TEST_CASE("tie order of plain scans") {
  const std::string page = "SELECT \"__time\", \"v\" FROM \"druid\".\"t\" WHERE \"__time\" >= TIMESTAMP "
                           "'2024-01-01 00:00:00.000' ORDER BY \"__time\" LIMIT 500";
  const std::string ordered_prefix = "SELECT \"__time\", \"v\" FROM \"d\".\"t\" WHERE \"__time\" >= TIMESTAMP "
                                     "'2024-01-01 00:00:00.000' ORDER BY \"__time\", ";
  CHECK(translate(page, "d", "h").sql == ordered_prefix + "ctid LIMIT 500");
  CHECK(translate(page, "d", "h", TieOrder::Shuffle).sql == ordered_prefix + "random() LIMIT 500");
  CHECK(translate(page, "d", "h", TieOrder::Segments, 6).sql ==
        ordered_prefix + "(abs(hashtext(ctid::text)) % 4 + 2) % 4, ctid LIMIT 500");
  CHECK(translate("SELECT * FROM t ORDER BY __time DESC LIMIT 3", "d", "h").sql ==
        "SELECT * FROM t ORDER BY __time DESC, ctid DESC LIMIT 3");
  // Unordered scans: storage order when physical; otherwise in no fixed order, too.
  const std::string group = "SELECT * FROM \"t\" WHERE \"__time\" = TIMESTAMP '2024-01-01 00:00:00.000'";
  CHECK(translate(group, "d", "h").sql == group);
  CHECK(translate(group, "d", "h", TieOrder::Shuffle).sql == group + " ORDER BY random()");
  CHECK(translate("SELECT * FROM t LIMIT 10 OFFSET 5", "d", "h", TieOrder::Segments, 1).sql ==
        "SELECT * FROM t ORDER BY (abs(hashtext(ctid::text)) % 4 + 1) % 4, ctid LIMIT 10 OFFSET 5");
  // Aggregates, GROUP BY and INFORMATION_SCHEMA are left alone.
  for (auto q : {"SELECT COUNT(*) FROM t WHERE __time >= TIMESTAMP '2024-01-01 00:00:00'",
                 "SELECT MAX(\"__time\") FROM t", "SELECT a, COUNT(*) FROM t GROUP BY 1 ORDER BY 1"})
    CHECK(translate(q, "d", "h", TieOrder::Shuffle).sql == q);
  CHECK(parse_tie_order("segments") == TieOrder::Segments);
  CHECK_FALSE(parse_tie_order("random"));
}

namespace {
std::vector<Column> cols() {
  return {{"__time", map_pg_type(1184, true)}, {"s", map_pg_type(25, true)}, {"n", map_pg_type(20, true)}};
}
std::string render(Format f, bool h, bool t, bool s, bool with_rows = true) {
  ResultWriter w(f, h, t, s, true);
  std::string out;
  w.begin(cols(), out);
  if (with_rows) {
    w.row({std::string_view("2024-01-01 00:00:00.5+00"), std::string_view("a,\"b\""), std::string_view("9223372036854775807")}, out);
    w.row({std::string_view("2024-01-02 00:00:00+00"), std::nullopt, std::nullopt}, out);
  }
  w.end(out);
  return out;
}
}  // namespace

TEST_CASE("result formats, header rows and trailers") {
  CHECK(render(Format::Object, false, false, false) ==
        "[{\"__time\":\"2024-01-01T00:00:00.500Z\",\"s\":\"a,\\\"b\\\"\",\"n\":9223372036854775807},"
        "{\"__time\":\"2024-01-02T00:00:00.000Z\",\"s\":null,\"n\":null}]\n");
  CHECK(render(Format::Object, true, false, false, false) == "[{\"__time\":null,\"s\":null,\"n\":null}]\n");
  CHECK(render(Format::Object, true, true, true, false) ==
        "[{\"__time\":{\"type\":\"LONG\",\"sqlType\":\"TIMESTAMP\"},\"s\":{\"type\":\"STRING\",\"sqlType\":"
        "\"VARCHAR\"},\"n\":{\"type\":\"LONG\",\"sqlType\":\"BIGINT\"}}]\n");
  CHECK(render(Format::Object, true, false, true, false) ==
        "[{\"__time\":{\"sqlType\":\"TIMESTAMP\"},\"s\":{\"sqlType\":\"VARCHAR\"},\"n\":{\"sqlType\":\"BIGINT\"}}]\n");
  CHECK(render(Format::Array, true, true, true, false) ==
        "[[\"__time\",\"s\",\"n\"],[\"LONG\",\"STRING\",\"LONG\"],[\"TIMESTAMP\",\"VARCHAR\",\"BIGINT\"]]\n");
  CHECK(render(Format::Array, false, false, false) ==
        "[[\"2024-01-01T00:00:00.500Z\",\"a,\\\"b\\\"\",9223372036854775807],[\"2024-01-02T00:00:00.000Z\",null,null]]\n");
  CHECK(render(Format::ArrayLines, true, false, true) ==
        "[\"__time\",\"s\",\"n\"]\n[\"TIMESTAMP\",\"VARCHAR\",\"BIGINT\"]\n"
        "[\"2024-01-01T00:00:00.500Z\",\"a,\\\"b\\\"\",9223372036854775807]\n[\"2024-01-02T00:00:00.000Z\",null,null]\n\n");
  CHECK(render(Format::ObjectLines, false, false, false, false) == "\n");
  CHECK(render(Format::Array, false, false, false, false) == "[]\n");
  CHECK(render(Format::Csv, true, true, false) ==
        "__time,s,n\nLONG,STRING,LONG\n2024-01-01T00:00:00.500Z,\"a,\"\"b\"\"\",9223372036854775807\n"
        "2024-01-02T00:00:00.000Z,,\n\n");
}

TEST_CASE("value rendering by type") {
  ResultWriter w(Format::Array, false, false, false, true), real(Format::Array, false, false, false, false);
  CHECK(w.json_value(map_pg_type(701, true), "1") == "1.0");
  CHECK(w.json_value(map_pg_type(701, true), "NaN") == "null");
  CHECK(w.json_value(map_pg_type(700, true), "0.1") == "0.1");
  CHECK(w.json_value(map_pg_type(16, true), "t") == "1");
  CHECK(w.json_value(map_pg_type(16, false), "f") == "false");
  CHECK(w.json_value(map_pg_type(3802, true), "{\"a\": [1, 2.50], \"b c\": \"x y\"}") ==
        "{\"a\":[1,2.50],\"b c\":\"x y\"}");
  CHECK(w.json_value(map_pg_type(1009, true), "{a,\"b c\",NULL}") == "\"[\\\"a\\\",\\\"b c\\\",null]\"");
  CHECK(real.json_value(map_pg_type(1009, true), "{a,\"b c\",NULL}") == "[\"a\",\"b c\",null]");
  CHECK(real.json_value(map_pg_type(1016, true), "{1,-2}") == "[1,-2]");
  CHECK(real.json_value(map_pg_type(1022, true), "{1,2.5}") == "[1.0,2.5]");
  CHECK(w.csv_value(map_pg_type(1009, true), "{a,b}") == "\"[\"\"a\"\",\"\"b\"\"]\"");
  CHECK(w.csv_value(map_pg_type(25, true), std::nullopt) == "");
}

TEST_CASE("errors") {
  auto e = map_pg_error("42P01", "relation \"nope\" does not exist", 15, "SELECT * FROM nope", "q1", false);
  CHECK(e.status == 400);
  CHECK(e.body ==
        "{\"error\":\"druidException\",\"errorCode\":\"invalidInput\",\"persona\":\"USER\",\"category\":"
        "\"INVALID_INPUT\",\"errorMessage\":\"Object 'nope' not found within 'druid'\",\"context\":{\"sourceType\":"
        "\"sql\",\"line\":\"1\",\"column\":\"15\"}}");
  CHECK(map_pg_error("42703", "column \"x\" does not exist", 8, "SELECT x FROM t", "q", false).body.find(
            "Column 'x' not found in any table") != std::string::npos);
  CHECK(map_pg_error("57014", "canceling statement due to user request", 0, "", "q", true).status == 500);
  CHECK(map_pg_error("57014", "canceling statement due to statement timeout", 0, "", "q", false).status == 504);
  CHECK(map_pg_error("22012", "division by zero", 0, "", "q", false).status == 500);
  CHECK(legacy_error("Unknown exception", "m", "java.lang.RuntimeException") ==
        "{\"error\":\"Unknown exception\",\"errorMessage\":\"m\",\"errorClass\":\"java.lang.RuntimeException\","
        "\"host\":null}");
  CHECK(map_pg_error("42883", "function nope(integer) does not exist", 8, "SELECT nope(1)", "q", false).body.find(
            "\"No match found for function signature nope(integer)\"") != std::string::npos);
  CHECK(line_col("SELECT\n  x", 9) == std::pair<int, int>{2, 3});
}

TEST_CASE("formats by name") {
  CHECK(parse_format("OBJECTLINES") == Format::ObjectLines);
  CHECK(parse_format("csv") == Format::Csv);
  CHECK(!parse_format("xml"));
  CHECK(std::string(content_type(Format::Csv)) == "text/csv");
  CHECK(std::string(content_type(Format::ArrayLines)) == "text/plain");
}
