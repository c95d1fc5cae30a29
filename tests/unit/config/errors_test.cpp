// One test per class of configuration problem: each names the file, the 1-based line, the key
// path and what is wrong.
#include <algorithm>
#include <string>

#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace sluice::config;
using namespace sluice::config::test;

TEST_CASE("a YAML syntax error is one problem with its line") {
    const auto p = only_problem("log:\n  level: info\n  format: [text\nsources: []\n");
    CHECK(p.where.file == "test.yaml");
    CHECK(p.where.line >= 3);
    CHECK(p.message.find("YAML syntax error") != std::string::npos);
    CHECK(p.to_string().starts_with("test.yaml:" + std::to_string(p.where.line) + ": YAML syntax error"));
}

TEST_CASE("unknown keys are reported with a suggestion when the typo is close") {
    const auto problems =
        problems_of(std::string("log:\n  levle: info\n  colour: red\nfoo: 1\n") + minimal_sources);
    REQUIRE(problems.size() == 3);
    CHECK(has_problem(problems, 2, "log.levle", "unknown key 'levle' (did you mean 'level'?)"));
    CHECK(has_problem(problems, 3, "log.colour", "unknown key 'colour'"));
    CHECK(problems[1].message.find("did you mean") == std::string::npos);
    CHECK(has_problem(problems, 4, "foo", "unknown key 'foo'"));
    CHECK(problems[0].to_string() == "test.yaml:2: log.levle: unknown key 'levle' (did you mean 'level'?)");
}

TEST_CASE("unknown keys inside sources and tables") {
    const auto problems = problems_of(R"(sources:
  - name: pg
    type: postgres
    dsn: x
    tabels: all
    tables:
      - name: t
        cursr: id
)");
    REQUIRE(problems.size() == 2);
    CHECK(has_problem(problems, 5, "sources[0].tabels", "did you mean 'tables'?"));
    CHECK(has_problem(problems, 8, "sources[0].tables[0].cursr", "did you mean 'cursor'?"));
}

TEST_CASE("a value of the wrong type") {
    auto p = only_problem(std::string("defaults:\n  batch_size: [1, 2]\n") + minimal_sources);
    CHECK(p.where.line == 2);
    CHECK(p.path == "defaults.batch_size");
    CHECK(p.message == "expected a string, got a list");

    p = only_problem(std::string("defaults:\n  max_in_flight: lots\n") + minimal_sources);
    CHECK(p.path == "defaults.max_in_flight");
    CHECK(p.message == "expected a positive integer, got 'lots'");

    p = only_problem(std::string("log: verbose\n") + minimal_sources);
    CHECK(p.where.line == 1);
    CHECK(p.path == "log");
    CHECK(p.message == "expected a mapping, got a scalar");

    p = only_problem("sources:\n  pg: {type: postgres}\n");
    CHECK(p.path == "sources");
    CHECK(p.message == "expected a list of sources");
}

TEST_CASE("a bad duration") {
    const auto p = only_problem(std::string("defaults:\n  poll_interval: 30\n") + minimal_sources);
    CHECK(p.where.line == 2);
    CHECK(p.path == "defaults.poll_interval");
    CHECK(p.message.starts_with("invalid duration '30'"));
    CHECK(only_problem(std::string("defaults:\n  poll_interval: -5s\n") + minimal_sources)
              .message.starts_with("invalid duration '-5s'"));
    // poll_interval must be positive, lookback may be zero.
    CHECK(only_problem(std::string("defaults:\n  poll_interval: 0s\n") + minimal_sources).message ==
          "must be greater than 0");
    CHECK(parse_ok(std::string("defaults:\n  lookback: 0\n") + minimal_sources).defaults.lookback.count() ==
          0);
}

TEST_CASE("a bad size") {
    const auto p = only_problem(std::string("destination:\n  batch_bytes: 16 megs\n") + minimal_sources);
    CHECK(p.where.line == 2);
    CHECK(p.path == "destination.batch_bytes");
    CHECK(p.message.starts_with("invalid size '16 megs'"));
}

TEST_CASE("missing required keys") {
    auto p = only_problem("log: {level: info}\n");
    CHECK(p.path == "sources");
    CHECK(p.message == "missing required key 'sources'");

    const auto problems = problems_of("sources:\n  - type: postgres\n  - name: q\n    type: questdb\n");
    REQUIRE(problems.size() == 3);
    CHECK(has_problem(problems, 2, "sources[0].name", "missing required key 'name'"));
    CHECK(has_problem(problems, 2, "sources[0].dsn", "missing required key 'dsn'"));
    CHECK(has_problem(problems, 3, "sources[1].url", "missing required key 'url'"));

    p = only_problem("destination:\n  type: postgres\n" + std::string(minimal_sources));
    CHECK(p.where.line == 1);
    CHECK(p.path == "destination.dsn");

    p = only_problem(
        "sources:\n  - name: pg\n    type: postgres\n    dsn: x\n    tables:\n      - cursor: id\n");
    CHECK(p.where.line == 6);
    CHECK(p.path == "sources[0].tables[0].name");
}

TEST_CASE("duplicate source names") {
    const auto p = only_problem(R"(sources:
  - name: pg
    type: postgres
    dsn: a
  - name: pg
    type: druid
    url: http://druid:8888
)");
    CHECK(p.where.line == 5);
    CHECK(p.path == "sources[1].name");
    CHECK(p.message == "duplicate source name 'pg' (first at line 2)");
}

TEST_CASE("bad source names") {
    for (const char* name : {"Warehouse", "my-db", "\"\"", "db 1"}) {
        const auto p = only_problem(std::string("sources:\n  - name: ") + name +
                                    "\n    type: druid\n    url: http://d\n");
        CAPTURE(name);
        CHECK(p.where.line == 2);
        CHECK(p.path == "sources[0].name");
        CHECK(p.message.starts_with("invalid source name"));
    }
}

TEST_CASE("unknown source type") {
    const auto p = only_problem("sources:\n  - name: m\n    type: mysql\n    dsn: x\n");
    CHECK(p.where.line == 3);
    CHECK(p.path == "sources[0].type");
    CHECK(p.message.starts_with("unknown source type 'mysql'"));
}

TEST_CASE("a key that belongs to another source type") {
    const auto problems = problems_of(R"(sources:
  - name: pg
    type: postgres
    dsn: x
    url: http://x
    port: 5432
  - name: q
    type: questdb
    url: http://q:9000
    schema: public
    tables:
      - name: t
        columns: [{cell: "a:b"}]
)");
    REQUIRE(problems.size() == 4);
    CHECK(has_problem(problems, 5, "sources[0].url", "key 'url' is not valid for a source of type postgres"));
    CHECK(
        has_problem(problems, 6, "sources[0].port", "key 'port' is not valid for a source of type postgres"));
    CHECK(has_problem(problems, 10, "sources[1].schema",
                      "key 'schema' is not valid for a source of type questdb"));
    CHECK(has_problem(problems, 13, "sources[1].tables[0].columns",
                      "not valid for a table of a source of type"));

    const auto p = only_problem("destination:\n  path: x.db\n  dsn: host=x\n" + std::string(minimal_sources));
    CHECK(p.path == "destination.dsn");
    CHECK(p.message == "key 'dsn' is not valid for a destination of type sqlite");

    // SQLite takes one writer at a time, so it has no writers key to tune.
    CHECK(only_problem("destination:\n  path: x.db\n  writers: 2\n" + std::string(minimal_sources)).message ==
          "key 'writers' is not valid for a destination of type sqlite");
}

TEST_CASE("destination.writers is bounded") {
    const auto zero = only_problem("destination: {type: postgres, dsn: x, writers: 0}\n" + std::string(minimal_sources));
    CHECK(zero.path == "destination.writers");
    CHECK(zero.message == "expected a positive integer, got '0'");
    const auto many = only_problem("destination: {type: postgres, dsn: x, writers: 65}\n" + std::string(minimal_sources));
    CHECK(many.path == "destination.writers");
    CHECK(many.message == "65 writers is more than the 64 allowed");
}

TEST_CASE("an unset environment variable") {
    fake_environment().clear();
    const auto p = only_problem("log:\n  level: ${LOG_LEVEL}\n" + std::string(minimal_sources));
    CHECK(p.where.line == 2);
    CHECK(p.path == "log.level");
    CHECK(p.message == "environment variable 'LOG_LEVEL' is not set");
    CHECK(p.to_string() == "test.yaml:2: log.level: environment variable 'LOG_LEVEL' is not set");
    CHECK(only_problem("log:\n  level: ${LOG\n" + std::string(minimal_sources))
              .message.starts_with("unterminated"));
}

TEST_CASE("an unreadable secret file") {
    const auto p = only_problem(R"(sources:
  - name: pg
    type: postgres
    dsn: host=db
    password_file: /nonexistent/sluice/pg_password
)");
    CHECK(p.where.line == 5);
    CHECK(p.path == "sources[0].password_file");
    CHECK(p.message ==
          "cannot read secret file '/nonexistent/sluice/pg_password': No such file or directory");
}

TEST_CASE("both password and password_file") {
    const auto problems = problems_of(R"(sources:
  - name: q
    type: questdb
    url: http://q:9000
    password: hunter2
    password_file: /nonexistent/qdb
)");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].where.line == 6);
    CHECK(problems[0].path == "sources[0].password_file");
    CHECK(problems[0].message == "both 'password' and 'password_file' are set; use only one");
}

TEST_CASE("a bad column type name") {
    const auto p = only_problem(R"(sources:
  - name: pg
    type: postgres
    dsn: x
    tables:
      - name: orders
        column_types:
          total: decimal
          note: varchar2
)");
    CHECK(p.where.line == 9);
    CHECK(p.path == "sources[0].tables[0].column_types.note");
    CHECK(p.message.starts_with("unknown type 'varchar2'"));
}

TEST_CASE("table-level problems: duplicates, include with exclude, bad enums") {
    const auto problems = problems_of(R"(sources:
  - name: pg
    type: postgres
    dsn: x
    tables:
      - orders
      - name: orders
      - name: users
        include_columns: [id]
        exclude_columns: [pw]
        mode: sometimes
      - name: t
        mode: cell_timestamp
)");
    REQUIRE(problems.size() == 4);
    CHECK(has_problem(problems, 7, "sources[0].tables[1]", "duplicate table 'orders' (first at line 6)"));
    CHECK(has_problem(problems, 10, "sources[0].tables[2].exclude_columns", "cannot both be set"));
    CHECK(has_problem(problems, 11, "sources[0].tables[2].mode", "invalid value 'sometimes'"));
    CHECK(has_problem(problems, 13, "sources[0].tables[3].mode", "only valid for hbase"));
}

TEST_CASE("service sections: http.listen, log enums, destination type") {
    const auto problems = problems_of(R"(destination:
  type: mysql
http:
  listen: 127.0.0.1:70000
log:
  level: loud
  format: xml
)" + std::string(minimal_sources));
    REQUIRE(problems.size() == 4);
    CHECK(has_problem(problems, 2, "destination.type",
                      "invalid value 'mysql' (expected one of: sqlite, postgres)"));
    CHECK(has_problem(problems, 4, "http.listen", "invalid listen address '127.0.0.1:70000'"));
    CHECK(has_problem(problems, 6, "log.level", "invalid value 'loud'"));
    CHECK(has_problem(problems, 7, "log.format", "invalid value 'xml'"));
    CHECK(only_problem("http: {listen: localhost}\n" + std::string(minimal_sources)).path == "http.listen");
    // Many digits are refused without accumulating them into an int (fuzz_config_load: UBSan).
    CHECK(only_problem("http: {listen: '127.0.0.1:7000777770000'}\n" + std::string(minimal_sources)).path ==
          "http.listen");
    CHECK(parse_ok("http: {listen: '[::1]:9000'}\n" + std::string(minimal_sources)).http.listen ==
          "[::1]:9000");
}

TEST_CASE("several problems are all reported, in line order, with their lines") {
    fake_environment().clear();
    const std::string yaml = R"(destination:
  batch_rows: 0
defaults:
  poll_interval: soon
http: { listen: "127.0.0.1:8686" }
sources:
  - name: Bad-Name
    type: postgres
    dsn: x
  - name: q
    type: questdb
    url: http://q:9000
    password: ${QDB_PASSWORD}
    tables:
      - name: t
        batch_size: -1
)";
    const auto problems = problems_of(yaml);
    REQUIRE(problems.size() == 5);
    CHECK(problems[0].to_string() ==
          "test.yaml:2: destination.batch_rows: expected a positive integer, got '0'");
    CHECK(problems[1].where.line == 4);
    CHECK(problems[1].path == "defaults.poll_interval");
    CHECK(problems[2].where.line == 7);
    CHECK(problems[2].path == "sources[0].name");
    CHECK(problems[3].to_string() ==
          "test.yaml:13: sources[1].password: environment variable 'QDB_PASSWORD' is not set");
    CHECK(problems[4].where.line == 16);
    CHECK(problems[4].path == "sources[1].tables[0].batch_size");

    // what() lists them all, one per line.
    try {
        parse_config(yaml, "test.yaml", &fake_env);
        FAIL("expected config_error");
    } catch (const config_error& e) {
        const std::string what = e.what();
        CHECK(std::count(what.begin(), what.end(), '\n') == 4);
        CHECK(what.starts_with("test.yaml:2: destination.batch_rows:"));
        CHECK(what.find("\ntest.yaml:16: sources[1].tables[0].batch_size:") != std::string::npos);
    }
}

TEST_CASE("load_config reports a missing file as one problem") {
    try {
        load_config("/nonexistent/sluice.yaml");
        FAIL("expected config_error");
    } catch (const config_error& e) {
        REQUIRE(e.problems().size() == 1);
        CHECK(std::string(e.what()) ==
              "/nonexistent/sluice.yaml: cannot read config file: No such file or directory");
    }
}
