// QuestDB source: discovery parsing of tables() / table_columns() bodies of
// 7.4.2 and 9.3.2 (tests/fixtures/questdb-captures) and schema building.

#include <doctest/doctest.h>

#include <string>

#include "sluice/config.hpp"
#include "sluice/error.hpp"
#include "sources/questdb/catalog.hpp"
#include "sources/questdb/questdb_source.hpp"

#include "questdb_captures.hpp"

using namespace sluice;
using namespace sluice::questdb;

namespace {

std::string body_of(const std::string& version, const std::string& file) {
    const std::string raw = test::read_capture(test::questdb_captures_dir() / version / file);
    const auto p = raw.find("\r\n\r\n");
    REQUIRE_MESSAGE(p != std::string::npos, file << " has no header/body separator");
    return raw.substr(p + 4);
}

}  // namespace

TEST_CASE("questdb catalog: tables() and table_columns() of 7.4.2 and 9.3.2") {
    for (const std::string v : {"7.4.2", "9.3.2"}) {
        CAPTURE(v);
        const auto tables = parse_tables(body_of(v, "16_tables.txt"), "test");
        REQUIRE(tables.size() >= 1);
        bool found = false;
        for (const auto& t : tables)
            if (t.name == "sensor") {
                found = true;
                CHECK(t.designated == "ts");
            }
        CHECK(found);
        const auto cols = parse_table_columns(body_of(v, "17_table_columns.txt"), "test");
        REQUIRE(cols.size() == 7);
        CHECK(cols[0].name == "ts");
        CHECK(cols[0].type == "TIMESTAMP");
        CHECK(cols[0].designated);
        CHECK_FALSE(cols[1].designated);
        CHECK(cols[1].type == "SYMBOL");
        for (const auto& c : cols) CHECK_FALSE(c.upsert_key);

        config::source_config cfg;
        cfg.name = "q";
        const auto s = build_schema(cfg, raw_table{"sensor", "ts"}, cols, nullptr);
        CHECK(s.mode == sync_mode::incremental);
        REQUIRE(s.cursor_column);
        CHECK(*s.cursor_column == 0);
        CHECK(s.synthetic_key);
        CHECK(s.columns.back().name == "_sluice_key");
        CHECK(s.key == std::vector<std::size_t>{s.columns.size() - 1});
        CHECK(s.columns[0].type == value_type::timestamp);
        CHECK(s.columns[2].type == value_type::float64);
    }
}

TEST_CASE("questdb catalog: old `name` column, upsert keys, full mode, errors") {
    const std::string tables =
        R"J({"query":"tables()","columns":[{"name":"id","type":"INT"},{"name":"name","type":"STRING"},)J"
        R"J({"name":"designatedTimestamp","type":"STRING"}],"dataset":[[1,"a",null],[2,"b","ts"]],"count":2})J";
    const auto t = parse_tables(tables, "test");
    REQUIRE(t.size() == 2);
    CHECK(t[0].name == "a");
    CHECK(t[0].designated.empty());
    CHECK(t[1].designated == "ts");

    const std::vector<raw_column> cols{{"ts", "TIMESTAMP", true, true}, {"id", "SYMBOL", false, true},
                                       {"v", "DOUBLE", false, false}};
    config::source_config cfg;
    cfg.name = "q";
    auto s = build_schema(cfg, raw_table{"b", "ts"}, cols, nullptr);
    CHECK_FALSE(s.synthetic_key);
    CHECK(s.key == std::vector<std::size_t>{0, 1});
    CHECK(s.columns.size() == 3);

    // No designated timestamp and no cursor: full mode.
    const std::vector<raw_column> plain{{"id", "LONG", false, false}, {"v", "STRING", false, false}};
    s = build_schema(cfg, raw_table{"a", ""}, plain, nullptr);
    CHECK(s.mode == sync_mode::full);
    CHECK(s.synthetic_key);

    // A cursor override that is not a timestamp is refused.
    config::table_config tc;
    tc.name = "a";
    tc.cursor = "id";
    CHECK_THROWS_AS(build_schema(cfg, raw_table{"a", ""}, plain, &tc), error);
    const std::vector<raw_column> with_ts{{"id", "LONG", false, false}, {"at", "TIMESTAMP", false, false}};
    tc.cursor = "at";
    s = build_schema(cfg, raw_table{"a", ""}, with_ts, &tc);
    CHECK(s.mode == sync_mode::incremental);
    CHECK(*s.cursor_column == 1);

    // Error bodies: QuestDB's message and position.
    try {
        parse_simple(R"J({"query":"x","error":"table does not exist [table=nope]","position":"14"})J", "ctx",
                     error_kind::fatal);
        FAIL("no throw");
    } catch (const error& e) {
        const std::string what = e.what();
        CHECK(what.find("table does not exist") != std::string::npos);
        CHECK(what.find("position 14") != std::string::npos);
        CHECK(e.kind() == error_kind::fatal);
    }
    // Inside an HTTP 200 body: transient by default.
    try {
        parse_simple(R"J({"query":"x","count":3,"error":"timeout","errorPos":2})J", "ctx");
        FAIL("no throw");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::transient);
        CHECK(std::string(e.what()).find("position 2") != std::string::npos);
    }
}
