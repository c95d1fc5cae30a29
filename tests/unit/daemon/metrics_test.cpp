#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/metrics.hpp"
#include "daemon/status_json.hpp"

using namespace sluice::daemon;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000'000;  // 2023-11-14T22:13:20Z

status_snapshot sample() {
    status_snapshot s;
    s.config_generation = 3;
    s.config_file = "/etc/sluice/sluice.yaml";
    s.reloads_ok = 2;
    s.reloads_failed = 1;
    s.last_reload = reload_result{false, t0, "sluice.yaml:4: unknown key 'tabels'"};
    s.destination_reachable = true;
    s.config_loaded = true;
    s.channel_depth = 2;
    s.channel_bytes = 4096;
    s.channel_max_bytes = 1 << 20;
    s.started_us = t0 - 60'000'000;
    table_status a;
    a.source = "pg";
    a.table = "public.orders";
    a.state = table_state::idle;
    a.task_starts = 1;
    a.passes = 5;
    a.rows_synced = 1234;
    a.batches = 7;
    a.last_success_us = t0 - 2'000'000;
    a.last_duration_s = 0.25;
    a.cursor = R"({"updated_at":"2023-11-14T22:13:10Z","id":[5]})";
    a.newest_cursor_us = t0 - 10'000'000;
    table_status b;
    b.source = "we\"ird\\src";
    b.table = "line\nbreak";
    b.state = table_state::backoff;
    b.errors = 3;
    b.retries = 2;
    b.last_error = "connection refused";
    b.cursor = "not json";
    s.tables = {a, b};
    return s;
}

struct sample_line {
    std::string name;
    std::map<std::string, std::string> labels;
    std::string value;
};

// The reverse of the exposition format, enough to check what we write.
sample_line parse_sample(const std::string& line) {
    sample_line out;
    std::size_t i = line.find_first_of("{ ");
    out.name = line.substr(0, i);
    if (line[i] == '{') {
        ++i;
        while (line[i] != '}') {
            const std::size_t eq = line.find('=', i);
            std::string key = line.substr(i, eq - i);
            REQUIRE(line[eq + 1] == '"');
            std::string value;
            std::size_t j = eq + 2;
            for (; line[j] != '"'; ++j) {
                if (line[j] == '\\') {
                    ++j;
                    value += line[j] == 'n' ? '\n' : line[j];
                } else {
                    value += line[j];
                }
            }
            out.labels[key] = value;
            i = j + 1;
            if (line[i] == ',') ++i;
        }
        ++i;
    }
    REQUIRE(line[i] == ' ');
    out.value = line.substr(i + 1);
    return out;
}

std::vector<sample_line> parse_all(const std::string& text, std::map<std::string, std::string>& types) {
    std::vector<sample_line> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        REQUIRE(!line.empty());
        if (line.rfind("# TYPE ", 0) == 0) {
            const auto sp = line.find(' ', 7);
            types[line.substr(7, sp - 7)] = line.substr(sp + 1);
            continue;
        }
        if (line.rfind("# HELP ", 0) == 0) continue;
        REQUIRE(line[0] != '#');
        out.push_back(parse_sample(line));
        CHECK(types.count(out.back().name) == 1);  // TYPE comes before the samples
    }
    return out;
}

const sample_line* find(const std::vector<sample_line>& v, const std::string& name, const std::string& table = {}) {
    for (const auto& s : v)
        if (s.name == name && (table.empty() || s.labels.at("table") == table)) return &s;
    return nullptr;
}

}  // namespace

TEST_CASE("metrics: label values are escaped") {
    CHECK(escape_label_value(R"(a"b\c)") == R"(a\"b\\c)");
    CHECK(escape_label_value("x\ny") == "x\\ny");
    CHECK(escape_label_value("plain") == "plain");
}

TEST_CASE("metrics: every family parses back with types and values") {
    std::map<std::string, std::string> types;
    const auto samples = parse_all(render_metrics(sample(), t0), types);
    CHECK(types.at("sluice_rows_synced_total") == "counter");
    CHECK(types.at("sluice_channel_depth") == "gauge");
    CHECK(find(samples, "sluice_rows_synced_total", "public.orders")->value == "1234");
    CHECK(find(samples, "sluice_rows_synced_total", "public.orders")->labels.at("source") == "pg");
    CHECK(find(samples, "sluice_batches_total", "public.orders")->value == "7");
    CHECK(find(samples, "sluice_sync_passes_total", "public.orders")->value == "5");
    CHECK(std::stod(find(samples, "sluice_last_sync_duration_seconds", "public.orders")->value) == 0.25);
    CHECK(std::stod(find(samples, "sluice_freshness_seconds", "public.orders")->value) == 10.0);
    CHECK(find(samples, "sluice_table_up", "public.orders")->value == "1");
    CHECK(find(samples, "sluice_config_generation")->value == "3");
    CHECK(find(samples, "sluice_destination_up")->value == "1");
    CHECK(find(samples, "sluice_destination_write_failing")->value == "0");
    CHECK(find(samples, "sluice_channel_bytes")->value == "4096");
    int reloads = 0;
    for (const auto& s : samples)
        if (s.name == "sluice_reloads_total") {
            CHECK(s.value == (s.labels.at("result") == "ok" ? "2" : "1"));
            ++reloads;
        }
    CHECK(reloads == 2);
}

TEST_CASE("metrics: odd names survive the round trip; unknown freshness is left out") {
    std::map<std::string, std::string> types;
    const auto samples = parse_all(render_metrics(sample(), t0), types);
    const auto* errors = find(samples, "sluice_sync_errors_total", "line\nbreak");
    REQUIRE(errors);
    CHECK(errors->labels.at("source") == "we\"ird\\src");
    CHECK(errors->value == "3");
    CHECK(find(samples, "sluice_sync_retries_total", "line\nbreak")->value == "2");
    CHECK(find(samples, "sluice_table_up", "line\nbreak")->value == "0");
    CHECK(find(samples, "sluice_freshness_seconds", "line\nbreak") == nullptr);
}

TEST_CASE("metrics: a table retrying after a failed pass stays down until a pass succeeds") {
    auto s = sample();
    s.tables[1].state = table_state::syncing;  // trying again; its last pass failed
    std::map<std::string, std::string> types;
    auto samples = parse_all(render_metrics(s, t0), types);
    CHECK(find(samples, "sluice_table_up", "line\nbreak")->value == "0");
    s.tables[1].last_error.clear();  // a pass succeeded
    samples = parse_all(render_metrics(s, t0), types);
    CHECK(find(samples, "sluice_table_up", "line\nbreak")->value == "1");
}
