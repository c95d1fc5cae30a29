#include <doctest/doctest.h>

#include <simdjson.h>

#include "daemon/status_json.hpp"

using namespace sluice::daemon;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000'000;  // 2023-11-14T22:13:20Z

status_snapshot sample() {
    status_snapshot s;
    s.config_generation = 2;
    s.config_file = "sluice.yaml";
    s.last_reload = reload_result{false, t0, "sluice.yaml:3: bad \"value\""};
    s.destination_reachable = true;
    s.config_loaded = true;
    s.started_us = t0 - 90'000'000;
    table_status a;
    a.source = "pg";
    a.table = "orders";
    a.state = table_state::idle;
    a.rows_synced = 10;
    a.last_success_us = t0 - 1'500'000;
    a.cursor = R"({"updated_at":"2023-11-14T22:13:15Z"})";
    a.newest_cursor_us = t0 - 5'000'000;
    table_status b;
    b.source = "pg";
    b.table = "events";
    b.state = table_state::failed;
    b.last_error = "relation \"events\" does not exist";
    b.cursor = "{broken";
    s.tables = {b, a};
    return s;
}

}  // namespace

TEST_CASE("status json: globals and tables") {
    const std::string text = render_status_json(sample(), t0);
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(text);
    CHECK(uint64_t(doc["config_generation"]) == 2);
    CHECK(std::string_view(doc["config_file"]) == "sluice.yaml");
    CHECK(bool(doc["last_reload"]["ok"]) == false);
    CHECK(std::string_view(doc["last_reload"]["at"]) == "2023-11-14T22:13:20.000000Z");
    CHECK(std::string_view(doc["last_reload"]["message"]) == "sluice.yaml:3: bad \"value\"");
    CHECK(bool(doc["destination_reachable"]));
    CHECK(double(doc["uptime_seconds"]) == 90.0);
    simdjson::dom::array tables = doc["tables"];
    REQUIRE(tables.size() == 2);
    simdjson::dom::element events = tables.at(0);
    CHECK(std::string_view(events["state"]) == "failed");
    CHECK(std::string_view(events["cursor"]) == "{broken");  // not JSON: kept as a string
    CHECK(events["freshness_seconds"].is_null());
    CHECK(events["last_success"].is_null());
    CHECK(std::string_view(events["last_error"]) == "relation \"events\" does not exist");
    simdjson::dom::element orders = tables.at(1);
    CHECK(uint64_t(orders["rows_synced"]) == 10);
    CHECK(std::string_view(orders["cursor"]["updated_at"]) == "2023-11-14T22:13:15Z");  // embedded object
    CHECK(double(orders["freshness_seconds"]) == 5.0);
    CHECK(std::string_view(orders["last_success"]) == "2023-11-14T22:13:18.500000Z");
    CHECK(orders["last_error"].is_null());
}

TEST_CASE("status json: no reload yet") {
    status_snapshot s;
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(render_status_json(s, t0));
    CHECK(doc["last_reload"].is_null());
    CHECK(simdjson::dom::array(doc["tables"]).size() == 0);
}

TEST_CASE("readiness: config, destination and freshness thresholds") {
    status_snapshot s = sample();
    CHECK(check_readiness(s, t0).ready);

    s.destination_reachable = false;
    s.config_loaded = false;
    auto r = check_readiness(s, t0);
    CHECK_FALSE(r.ready);
    REQUIRE(r.reasons.size() == 2);
    CHECK(r.reasons[0].find("configuration") != std::string::npos);
    CHECK(r.reasons[1].find("destination") != std::string::npos);

    s = sample();
    s.tables[1].freshness_threshold = std::chrono::seconds(4);  // cursor is 5 s old
    r = check_readiness(s, t0);
    CHECK_FALSE(r.ready);
    REQUIRE(r.reasons.size() == 1);
    CHECK(r.reasons[0].find("pg.orders is stale") != std::string::npos);
    s.tables[1].freshness_threshold = std::chrono::seconds(6);
    CHECK(check_readiness(s, t0).ready);

    // No cursor time: the last success counts; before any success, the start does.
    s.tables[0].freshness_threshold = std::chrono::seconds(60);
    CHECK_FALSE(check_readiness(s, t0).ready);  // started 90 s ago, never succeeded
    s.tables[0].last_success_us = t0 - 30'000'000;
    CHECK(check_readiness(s, t0).ready);

    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(render_readiness_json(check_readiness(s, t0 + 100'000'000)));
    CHECK_FALSE(bool(doc["ready"]));
    CHECK(simdjson::dom::array(doc["reasons"]).size() == 2);
}

TEST_CASE("readiness names the destination and why it fails") {
    status_snapshot s = sample();
    s.destination = "postgres host=10.0.0.5 port=5432 dbname=dw";
    s.destination_reachable = false;
    s.destination_error = "connection refused";
    auto r = check_readiness(s, t0);
    REQUIRE(r.reasons.size() == 1);
    CHECK(r.reasons[0] == "destination unreachable: postgres host=10.0.0.5 port=5432 dbname=dw: connection refused");

    // A full disk answers pings: the failing writes make it unready until one commits.
    s.destination_reachable = true;
    s.destination_error.clear();
    s.destination_write_error = "sqlite destination: table \"pg__orders\": database or disk is full";
    r = check_readiness(s, t0);
    REQUIRE(r.reasons.size() == 1);
    CHECK(r.reasons[0] == "destination writes failing: " + s.destination_write_error);

    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(render_status_json(s, t0));
    CHECK(std::string_view(doc["destination"]) == s.destination);
    CHECK(doc["destination_error"].is_null());
    CHECK(std::string_view(doc["destination_write_error"]) == s.destination_write_error);
    s.destination_write_error.clear();
    CHECK(check_readiness(s, t0).ready);
}

TEST_CASE("a failing table is unready only past its freshness threshold, and says why") {
    status_snapshot s = sample();
    s.tables[1].last_error = "postgres source pg: connection refused";
    CHECK(check_readiness(s, t0).ready);  // no threshold: /status and /metrics report it
    s.tables[1].freshness_threshold = std::chrono::seconds(4);  // cursor is 5 s old
    const auto r = check_readiness(s, t0);
    REQUIRE(r.reasons.size() == 1);
    CHECK(r.reasons[0] ==
          "pg.orders is stale: 5.0s old, threshold 4.0s; last error: postgres source pg: connection refused");
}
