// Valid configurations: defaults, merging and the shapes `tables:` may take.
#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace std::chrono_literals;
using namespace sluice::config;
using namespace sluice::config::test;

TEST_CASE("an almost empty config gets every documented default") {
    const auto cfg = parse_ok("sources:\n  - name: ev\n    type: druid\n    url: http://druid:8888\n");
    CHECK(cfg.file == "test.yaml");
    CHECK(cfg.destination.type == "sqlite");
    CHECK(cfg.destination.path == "./sluice.db");
    CHECK(cfg.destination.batch_rows == 10000);
    CHECK(cfg.destination.batch_bytes == 16u << 20);
    CHECK(cfg.http.listen == "127.0.0.1:8686");
    CHECK(cfg.log.level == "info");
    CHECK(cfg.log.format == "text");
    CHECK(cfg.defaults.poll_interval == 30s);
    CHECK(cfg.defaults.lookback == 0s);
    CHECK(cfg.defaults.batch_size == 5000);
    CHECK(cfg.defaults.max_parallel_workers == 2);
    CHECK(cfg.defaults.max_in_flight == 4);
    REQUIRE(cfg.sources.size() == 1);
    const auto& src = cfg.sources[0];
    CHECK(src.name == "ev");
    CHECK(src.type == "druid");
    CHECK(src.url == "http://druid:8888");
    CHECK(src.all_tables);  // tables omitted
    CHECK(src.tables.empty());
    CHECK(src.where.line == 2);
    CHECK(cfg.secrets.empty());
}

TEST_CASE("table settings: table > source > defaults > built-in") {
    const auto cfg = parse_ok(R"(defaults:
  poll_interval: 1m
  batch_size: 100
sources:
  - name: pg
    type: postgres
    dsn: host=db
    batch_size: 200
    lookback: 10s
    tables:
      - name: a
        batch_size: 300
        max_in_flight: 9
      - b
  - name: other
    type: questdb
    url: http://q:9000
    tables: all
)");
    REQUIRE(cfg.sources.size() == 2);
    CHECK(cfg.defaults.poll_interval == 1min);
    CHECK(cfg.defaults.batch_size == 100);

    const auto& pg = cfg.sources[0];
    CHECK_FALSE(pg.all_tables);
    CHECK(pg.settings.poll_interval == 1min);  // from defaults
    CHECK(pg.settings.batch_size == 200);      // source override
    CHECK(pg.settings.lookback == 10s);
    CHECK(pg.settings.max_in_flight == 4);  // built-in
    CHECK_FALSE(pg.settings.max_in_flight_configured);  // so it may adapt
    REQUIRE(pg.tables.size() == 2);
    CHECK(pg.tables[0].name == "a");
    CHECK(pg.tables[0].settings.batch_size == 300);  // table override
    CHECK(pg.tables[0].settings.max_in_flight == 9);
    CHECK(pg.tables[0].settings.max_in_flight_configured);  // a fixed bound
    CHECK(pg.tables[0].settings.lookback == 10s);            // source
    CHECK(pg.tables[0].settings.poll_interval == 1min);      // defaults
    CHECK(pg.tables[0].settings.max_parallel_workers == 2);  // built-in
    CHECK(pg.tables[1].name == "b");                         // a bare string
    CHECK(pg.tables[1].settings == pg.settings);
    CHECK(pg.tables[1].where.line == 14);

    const auto& other = cfg.sources[1];
    CHECK(other.all_tables);  // tables: all
    CHECK(other.settings.batch_size == 100);
    CHECK(other.settings.poll_interval == 1min);
}

TEST_CASE("tables as a flow list of bare names and maps") {
    const auto cfg = parse_ok(R"(sources:
  - name: q
    type: questdb
    url: https://q:9000
    username: admin
    tables: [trades, { name: sensor, cursor: ts }]
)");
    const auto& q = cfg.sources[0];
    CHECK(q.username == "admin");
    CHECK_FALSE(q.password);
    REQUIRE(q.tables.size() == 2);
    CHECK(q.tables[0].name == "trades");
    CHECK_FALSE(q.tables[0].cursor);
    CHECK(q.tables[1].name == "sensor");
    CHECK(q.tables[1].cursor == "ts");
}

TEST_CASE("HTTP source TLS and timeout keys") {
    const auto cfg = parse_ok(R"(sources:
  - name: q
    type: questdb
    url: http://q:9000
    use_ssl: true
    ca_file: /etc/ssl/qdb.pem
    verify_tls: false
    timeout: 5m
  - name: d
    type: druid
    url: http://d:8888
)");
    const auto& q = cfg.sources[0];
    CHECK(q.url == "https://q:9000");  // use_ssl upgrades the scheme
    CHECK(q.ca_file == "/etc/ssl/qdb.pem");
    CHECK_FALSE(q.verify_tls);
    CHECK(q.request_timeout == 5min);
    const auto& d = cfg.sources[1];
    CHECK(d.url == "http://d:8888");
    CHECK(d.verify_tls);
    CHECK(d.request_timeout == 120s);

    const auto problems = problems_of("sources:\n  - name: q\n    type: questdb\n    url: https://q\n"
                                      "    use_ssl: false\n");
    REQUIRE(problems.size() == 1);
    CHECK(has_problem(problems, 5, "sources[0].use_ssl", "contradicts the https:// url"));
}

TEST_CASE("every table option") {
    const auto cfg = parse_ok(R"(sources:
  - name: warehouse
    type: redshift
    dsn: host=rs
    schema: sales
    tables:
      - name: orders
        cursor: updated_at
        primary_key: [region, id]
        exclude_columns: [secret]
        destination: all_orders
        mode: incremental
        column_types: { total: decimal, meta: json, ok: boolean }
      - name: items
        primary_key: id
        include_columns: [id, sku]
        mode: full
)");
    const auto& src = cfg.sources[0];
    CHECK(src.type == "redshift");
    CHECK(src.schema == "sales");
    const auto& orders = src.tables[0];
    CHECK(orders.cursor == "updated_at");
    CHECK(orders.primary_key == std::vector<std::string>{"region", "id"});
    CHECK(orders.exclude_columns == std::vector<std::string>{"secret"});
    CHECK(orders.include_columns.empty());
    CHECK(orders.destination == "all_orders");
    CHECK(orders.mode == "incremental");
    REQUIRE(orders.column_types.size() == 3);
    CHECK(orders.column_types.at("total") == sluice::value_type::decimal);
    CHECK(orders.column_types.at("meta") == sluice::value_type::json);
    CHECK(orders.column_types.at("ok") == sluice::value_type::boolean);
    const auto& items = src.tables[1];
    CHECK(items.primary_key == std::vector<std::string>{"id"});  // one string
    CHECK(items.include_columns == std::vector<std::string>{"id", "sku"});
    CHECK(items.mode == "full");
    CHECK_FALSE(items.destination);
}

TEST_CASE("an hbase source with cell columns and scan options") {
    const auto cfg = parse_ok(R"(sources:
  - name: profiles
    type: hbase
    host: hbase.internal
    port: 9091
    transport: framed
    protocol: compact
    client: http
    table_prefix: "prod_"
    timeout: 5s
    tables:
      - name: profile
        mode: cursor_column
        cursor: info:created_at
        row_prefix: "user#"
        limit: 1000
        reverse: true
        columns:
          - { cell: "info:name", name: name, type: string }
          - { cell: "info:age", name: age, type: int64 }
          - { cell: "stats:score", type: double }
      - name: visits
        mode: cell_timestamp
)");
    const auto& hb = cfg.sources[0];
    CHECK(hb.host == "hbase.internal");
    CHECK(hb.port == 9091);
    CHECK(hb.transport == "framed");
    CHECK(hb.protocol == "compact");
    CHECK(hb.client == "http");
    CHECK(hb.table_prefix == "prod_");
    CHECK(hb.timeout == 5s);
    const auto& profile = hb.tables[0];
    CHECK(profile.mode == "cursor_column");
    CHECK(profile.cursor == "info:created_at");
    CHECK(profile.scan.row_prefix == "user#");
    CHECK(profile.scan.limit == 1000);
    CHECK(profile.scan.reverse);
    REQUIRE(profile.columns.size() == 3);
    CHECK(profile.columns[1].cell == "info:age");
    CHECK(profile.columns[1].name == "age");
    CHECK(profile.columns[1].type == sluice::value_type::int64);
    CHECK(profile.columns[2].name == "score");  // defaults to the qualifier
    CHECK(profile.columns[2].type == sluice::value_type::float64);
    CHECK(hb.tables[1].mode == "cell_timestamp");
}

TEST_CASE("hbase defaults and cell column problems") {
    const auto cfg = parse_ok("sources:\n  - name: hb\n    type: hbase\n");
    CHECK(cfg.sources[0].host == "127.0.0.1");
    CHECK(cfg.sources[0].port == 9090);
    CHECK(cfg.sources[0].transport == "buffered");
    CHECK(cfg.sources[0].timeout == 30s);

    const auto problems = problems_of(R"(sources:
  - name: hb
    type: hbase
    port: 99999
    tables:
      - name: t
        mode: cursor_column
        columns:
          - { cell: "nocolon" }
          - { cell: "f:a", name: x }
          - { cell: "f:b", name: x, type: null }
)");
    REQUIRE(problems.size() == 4);
    CHECK(has_problem(problems, 4, "sources[0].port", "out of range"));
    CHECK(has_problem(problems, 6, "sources[0].tables[0].cursor", "needs a 'cursor'"));
    CHECK(has_problem(problems, 9, "sources[0].tables[0].columns[0].cell", "invalid cell 'nocolon'"));
    CHECK(has_problem(problems, 11, "sources[0].tables[0].columns[2]", "duplicate column name 'x'"));
}

TEST_CASE("a postgres destination") {
    const auto cfg = parse_ok(R"(destination:
  type: postgres
  dsn: postgres://sluice@dest:5432/analytics
  schema_prefix: raw_
  batch_rows: 500
  batch_bytes: 4MiB
)" + std::string(minimal_sources));
    CHECK(cfg.destination.type == "postgres");
    CHECK(cfg.destination.dsn == "postgres://sluice@dest:5432/analytics");
    CHECK(cfg.destination.schema_prefix == "raw_");
    CHECK(cfg.destination.batch_rows == 500);
    CHECK(cfg.destination.batch_bytes == 4u << 20);
    CHECK_FALSE(cfg.destination.password);
    CHECK(cfg.destination.writers == 2);  // the default: two backends share the writing

    const auto one = parse_ok("destination: {type: postgres, dsn: x, writers: 1}\n" + std::string(minimal_sources));
    CHECK(one.destination.writers == 1);
}

TEST_CASE("null values mean 'use the default'") {
    const auto cfg = parse_ok("log:\n  level:\nhttp:\n" + std::string(minimal_sources));
    CHECK(cfg.log.level == "info");
    CHECK(cfg.http.listen == "127.0.0.1:8686");
}

TEST_CASE("duplicate keys are problems, not silent overrides") {
    const auto p = only_problem("log:\n  level: info\n  level: debug\n" + std::string(minimal_sources));
    CHECK(p.where.line == 3);
    CHECK(p.path == "log.level");
    CHECK(p.message == "duplicate key 'level' (first at line 2)");
}

TEST_CASE("druid: schema and query_context") {
    const auto cfg = parse_ok(R"(sources:
  - name: d
    type: druid
    url: http://d:8888
    query_context: { timeout: 60000, priority: 10, useCache: false, lane: "low", ratio: 0.5, id: "42" }
  - name: e
    type: druid
    url: http://e:8888
    schema: lookup
)");
    const auto& d = cfg.sources[0];
    CHECK(d.schema == "druid");  // the default for druid
    const std::map<std::string, std::string> expected{{"timeout", "60000"}, {"priority", "10"},
                                                      {"useCache", "false"}, {"lane", "\"low\""},
                                                      {"ratio", "0.5"},      {"id", "\"42\""}};
    CHECK(d.query_context == expected);
    CHECK(cfg.sources[1].schema == "lookup");
    CHECK(cfg.sources[1].query_context.empty());

    const auto p = only_problem("sources:\n  - name: d\n    type: druid\n    url: http://d\n"
                                "    query_context: { sqlQueryId: x }\n");
    CHECK(p.path == "sources[0].query_context.sqlQueryId");
    CHECK(p.message.find("set by sluice") != std::string::npos);
    const auto q = only_problem("sources:\n  - name: d\n    type: druid\n    url: http://d\n"
                                "    query_context: [1, 2]\n");
    CHECK(q.path == "sources[0].query_context");
    const auto r = only_problem("sources:\n  - name: q\n    type: questdb\n    url: http://q\n"
                                "    query_context: { a: 1 }\n");
    CHECK(r.message.find("not valid for a source of type questdb") != std::string::npos);
}
