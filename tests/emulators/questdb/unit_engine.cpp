#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "engine.hpp"

using namespace questdb_emu;

namespace {
std::string body(Engine& e, const std::string& q, const std::string& limit = "", bool count = false, bool nm = false) {
  ExecParams p;
  p.query = q;
  p.has_query = true;
  p.limit = limit;
  p.count = count;
  p.nm = nm;
  return e.exec_http(p).second;
}
void seed(Engine& e, int n) {
  e.execute("CREATE TABLE t (ts TIMESTAMP, k SYMBOL, v DOUBLE, n LONG, ok BOOLEAN) TIMESTAMP(ts) PARTITION BY DAY");
  // inserted out of order on purpose
  for (int i = n - 1; i >= 0; --i)
    e.execute("INSERT INTO t VALUES (" + std::to_string(1704067200000000LL + i * 1000000LL) + ", 'k" +
              std::to_string(i % 3) + "', " + std::to_string(i) + ".5, " + std::to_string(i) + ", " +
              (i % 2 ? "true" : "false") + ")");
}
}  // namespace

TEST_CASE("java-style doubles") {
  CHECK(java_double(21.5) == "21.5");
  CHECK(java_double(1e300) == "1.0E300");
  CHECK(java_double(1e-7) == "1.0E-7");
  CHECK(java_double(123456789012.0) == "1.23456789012E11");
  CHECK(java_double(0.1) == "0.1");
  CHECK(java_double(-3.25) == "-3.25");
  CHECK(java_double(1.0) == "1.0");
  CHECK(java_double(100.0) == "100.0");
  CHECK(java_double(0.001) == "0.001");
  CHECK(java_double(1e7) == "1.0E7");
  CHECK(java_double(0.1 + 0.2) == "0.30000000000000004");
  CHECK(java_double(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(java_double(std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("timestamps") {
  CHECK(format_ts_us(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_ts_us(1704067201123456LL) == "2024-01-01T00:00:01.123456Z");
  CHECK(format_ts_us(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(format_date_ms(1704067200000LL) == "2024-01-01T00:00:00.000Z");
  CHECK(parse_iso_us("2024-01-01T00:00:01.123456Z").value() == 1704067201123456LL);
  CHECK(parse_iso_us("2024-01-01").value() == 1704067200000000LL);
  CHECK(parse_iso_us("2024-01-01 01:00").value() == 1704070800000000LL);
  CHECK(parse_iso_us("2024-01-01T02:00:00+01:00").value() == 1704070800000000LL);
  CHECK(parse_iso_us("2024-01-01T00:00:00.5Z").value() == 1704067200500000LL);
  CHECK_FALSE(parse_iso_us("yesterday").has_value());
}

TEST_CASE("SELECT translation to SQLite") {
  Engine e("", "9.3.2");
  seed(e, 3);
  CHECK(e.translate_select("select * from t") == "SELECT c0, c1, c2, c3, c4 FROM \"qdb_t\" ORDER BY c0, rowid");
  CHECK(e.translate_select("SELECT k, \"v\" FROM T WHERE n >= 1 AND (k = 'a' OR k != 'b') LIMIT 2,4") ==
        "SELECT c1, c2 FROM \"qdb_t\" WHERE (c3 >= ? AND ((c1 = ? OR (c1 IS NOT ?)))) ORDER BY c0, rowid LIMIT 2 OFFSET 2");
  CHECK(e.translate_select("select count() from t where ts > '2024-01-01'") ==
        "SELECT count(*) FROM \"qdb_t\" WHERE c0 > ?");
  CHECK(e.translate_select("select n from t order by n desc limit 5") ==
        "SELECT c3 FROM \"qdb_t\" ORDER BY c3 DESC, rowid LIMIT 5");
  CHECK(e.translate_select("select k from t where k is null") == "SELECT c1 FROM \"qdb_t\" WHERE c1 IS NULL ORDER BY c0, rowid");
  // --shuffle-ties: what ORDER BY leaves tied comes back in a new order each time.
  e.shuffle_ties(true);
  CHECK(e.translate_select("select * from t") == "SELECT c0, c1, c2, c3, c4 FROM \"qdb_t\" ORDER BY c0, random()");
  CHECK(e.translate_select("select n from t order by ts, n limit 5") ==
        "SELECT c3 FROM \"qdb_t\" ORDER BY c0 ASC, c3 ASC, random() LIMIT 5");
}

TEST_CASE("execution: ts order, LIMIT forms, filters") {
  Engine e("", "9.3.2");
  seed(e, 10);
  auto r = e.execute("select n from t");
  REQUIRE(r.rows.size() == 10);
  CHECK(r.rows[0][0] == "0");
  CHECK(r.rows[9][0] == "9");
  CHECK(r.ts_index == -1);
  CHECK(e.execute("select ts, n from t").ts_index == 0);
  CHECK(e.execute("select n, ts from t").ts_index == 1);
  auto lim = [&](const std::string& l) {
    std::string s;
    for (auto& row : e.execute("select n from t limit " + l).rows) s += row[0] + ",";
    return s;
  };
  CHECK(lim("3") == "0,1,2,");
  CHECK(lim("-3") == "7,8,9,");
  CHECK(lim("2,4") == "2,3,");
  CHECK(lim("4,2") == "2,3,");
  CHECK(lim("5,5") == "");
  CHECK(lim("-5,-3") == "5,6,");
  CHECK(lim("2,-1") == "2,3,4,5,6,7,8,");
  CHECK(e.execute("select count() from t where ts >= '2024-01-01T00:00:05' and ok = true").rows[0][0] == "3");
  CHECK(e.execute("select min(ts), max(n) from t").rows[0][0] == "\"2024-01-01T00:00:00.000000Z\"");
  CHECK(e.execute("select min(ts), max(n) from t").columns[0].name == "min(ts)");
  CHECK(e.execute("select count() from t where k = 'k1' or n = 0").rows[0][0] == "4");
  CHECK(e.execute("select v from t where n = 3").rows[0][0] == "3.5");
  CHECK(body(e, "select 1") ==
        "{\"query\":\"select 1\",\"columns\":[{\"name\":\"1\",\"type\":\"INT\"}],\"timestamp\":-1,\"dataset\":[[1]],\"count\":1}");
}

TEST_CASE("errors carry QuestDB messages and positions") {
  Engine e("", "9.3.2");
  seed(e, 1);
  auto err = [&](const std::string& q) -> SqlError {
    try {
      e.execute(q);
    } catch (const SqlError& x) {
      return x;
    }
    return SqlError{"no error", 999};
  };
  CHECK(err("select nosuchcol from t").msg == "Invalid column: nosuchcol");
  CHECK(err("select nosuchcol from t").pos == 7);
  CHECK(err("select * from nosuchtable").msg == "table does not exist [table=nosuchtable]");
  CHECK(err("select * from nosuchtable").pos == 14);
  CHECK(err("selec * from t").pos == 0);
  CHECK(err("DELETE FROM t").pos == 0);
  CHECK(err("insert into t values ('garbage', 'a', 1, 1, true)").msg.find("inconvertible") == 0);
  CHECK(body(e, "select nosuchcol from t") ==
        "{\"query\":\"select nosuchcol from t\",\"error\":\"Invalid column: nosuchcol\",\"position\":7}");
}

TEST_CASE("dedup upsert keys replace rows") {
  Engine e("", "9.3.2");
  e.execute("CREATE TABLE d (ts TIMESTAMP, k SYMBOL, v LONG) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, k)");
  e.execute("INSERT INTO d VALUES ('2024-01-01', 'a', 1), ('2024-01-01', 'b', 2)");
  e.execute("INSERT INTO d VALUES ('2024-01-01', 'a', 10)");
  auto r = e.execute("select k, v from d order by k");
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0][1] == "10");
  auto tc = e.execute("table_columns('d')");
  CHECK(tc.rows[0].back() == "true");
  CHECK(tc.rows[2].back() == "false");
  CHECK(e.execute("tables()").rows[0][5] == "true");
}

TEST_CASE("exec_http: limit param, count, nm, versions") {
  Engine e("", "9.3.2");
  seed(e, 4);
  CHECK(body(e, "select n from t", "0,2") ==
        "{\"query\":\"select n from t\",\"columns\":[{\"name\":\"n\",\"type\":\"LONG\"}],\"timestamp\":-1,"
        "\"dataset\":[[0],[1]],\"count\":2}");
  CHECK(body(e, "select n from t", "2,3") ==
        "{\"query\":\"select n from t\",\"columns\":[{\"name\":\"n\",\"type\":\"LONG\"}],\"timestamp\":-1,"
        "\"dataset\":[[1],[2]],\"count\":3}");
  CHECK(body(e, "select n from t", "0,2", true, true) == "{\"dataset\":[[0],[1]],\"count\":4}");
  CHECK(body(e, "insert into t values (0, 'x', 1, 1, false)") == "{\"dml\":\"OK\"}");
  CHECK(body(e, "") == "{\"error\":\"empty query\",\"query\":\"\",\"position\":\"0\"}");
  CHECK(e.exec_http(ExecParams{}).first == 200);
  Engine old("", "7.4.2");
  seed(old, 1);
  CHECK(body(old, "insert into t values (0, 'x', 1, 1, false)") == "{\"ddl\":\"OK\"}");
  CHECK(old.exec_http(ExecParams{}).first == 400);
  CHECK(old.execute("table_columns('t')").columns.size() == 8);
  CHECK(old.execute("tables()").columns.size() == 9);
}
