#include <doctest/doctest.h>

#include <algorithm>

#include "daemon/config_diff.hpp"

using namespace sluice;
using namespace sluice::daemon;

namespace {

config::config parse(const std::string& text) { return config::parse_config(text, "test.yaml"); }

const std::string base = R"(
http: { listen: 127.0.0.1:8686 }
sources:
  - name: wh
    type: postgres
    dsn: "host=h dbname=d"
    tables:
      - name: orders
      - name: items
        poll_interval: 5s
  - name: ev
    type: druid
    url: http://druid:8888
)";

bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("an identical file changes nothing") {
    auto d = diff_configs(parse(base), parse(base));
    CHECK(d.added.empty());
    CHECK(d.removed.empty());
    CHECK(d.changed.empty());
    CHECK(d.restart_only.empty());
    CHECK(d.unchanged.size() == 3);
    CHECK(has(d.unchanged, "ev.*"));  // tables: all is one spec
}

TEST_CASE("moving a table down the file is not a change") {
    const std::string moved = R"(
http: { listen: 127.0.0.1:8686 }
sources:
  - name: wh
    type: postgres
    dsn: "host=h dbname=d"
    tables:

      - name: items
        poll_interval: 5s
      - name: orders
  - name: ev
    type: druid
    url: http://druid:8888
)";
    auto d = diff_configs(parse(base), parse(moved));
    CHECK(d.changed.empty());
    CHECK(d.unchanged.size() == 3);
}

TEST_CASE("added, removed and changed tables; siblings stay unchanged") {
    const std::string next = R"(
http: { listen: 127.0.0.1:8686 }
sources:
  - name: wh
    type: postgres
    dsn: "host=h dbname=d"
    tables:
      - name: orders
      - name: items
        poll_interval: 7s
      - name: refunds
)";
    auto d = diff_configs(parse(base), parse(next));
    CHECK(d.added == std::vector<std::string>{"wh.refunds"});
    CHECK(d.removed == std::vector<std::string>{"ev.*"});
    CHECK(d.changed == std::vector<std::string>{"wh.items"});
    CHECK(d.unchanged == std::vector<std::string>{"wh.orders"});
}

TEST_CASE("a source-level change restarts all its tables; defaults cascade") {
    auto d = diff_configs(parse(base), parse("defaults: { batch_size: 10 }\n" + base));
    CHECK(d.changed.size() == 3);
    std::string dsn = base;
    dsn.replace(dsn.find("dbname=d"), 8, "dbname=e");
    d = diff_configs(parse(base), parse(dsn));
    CHECK(d.changed == std::vector<std::string>{"wh.items", "wh.orders"});
    CHECK(d.unchanged == std::vector<std::string>{"ev.*"});
}

TEST_CASE("restart-only keys are reported and kept") {
    std::string next = base;
    next.replace(next.find("8686"), 4, "9999");
    next = "log: { level: debug }\ndaemon: { shutdown_grace: 5s }\n" + next;
    auto running = parse(base);
    auto d = diff_configs(running, parse(next));
    CHECK(has(d.restart_only, "http.listen"));
    CHECK(has(d.restart_only, "log.level"));
    CHECK(has(d.restart_only, "daemon.shutdown_grace"));
    CHECK(d.changed.empty());
    auto kept = keep_restart_only(running, parse(next));
    CHECK(kept.http.listen == "127.0.0.1:8686");
    CHECK(kept.log.level == "info");
}

TEST_CASE("daemon keys and freshness_threshold parse") {
    auto cfg = parse("daemon: { shutdown_grace: 5s, watchdog_timeout: 1m, backoff_max: 10s, pid_file: /run/s.pid }\n"
                     "defaults: { freshness_threshold: 2m }\n" + base);
    using namespace std::chrono_literals;
    CHECK(cfg.daemon.shutdown_grace == 5s);
    CHECK(cfg.daemon.watchdog_timeout == 1min);
    CHECK(cfg.daemon.backoff_max == 10s);
    CHECK(cfg.daemon.pid_file == "/run/s.pid");
    CHECK(cfg.sources[0].tables[0].settings.freshness_threshold == 2min);
    CHECK(parse(base).daemon.shutdown_grace == 30s);
}
