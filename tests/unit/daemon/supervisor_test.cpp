// The daemon's supervisor on a thread pool, driven as daemon.cpp drives it (everything
// through its strand): table tasks start, fail discovery against a source that refuses
// connections, back off and record their errors; ticks refresh the registry while it is
// read from another thread (as /status does); a reload removes, changes and adds tables;
// stop_all drains every task. The ThreadSanitizer build (tests/tsan) runs this with the
// tasks, the supervisor strand, the writer and the reader on different threads.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <unistd.h>
#include <future>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "daemon/config_diff.hpp"
#include "daemon/reload.hpp"
#include "daemon/supervisor.hpp"
#include "sluice/config.hpp"
#include "sluice/pipeline.hpp"

using namespace sluice;
using namespace sluice::daemon;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Port 1 on the loopback refuses at once: every discovery fails fast and is retried.
config::config parse(const std::string& dest_path, const std::string& tables) {
    const std::string text = "destination: { type: sqlite, path: \"" + dest_path + "\" }\n" +
                             "daemon: { backoff_max: 1s, shutdown_grace: 5s }\n"
                             "sources:\n"
                             "  - name: wh\n"
                             "    type: postgres\n"
                             "    dsn: \"host=127.0.0.1 port=1 dbname=d user=u connect_timeout=2\"\n"
                             "    password: never-shown\n"
                             "    tables:\n" +
                             tables;
    return config::parse_config(text, "supervisor-test.yaml");
}

// Runs `f` on the strand and waits for its result.
template <class F>
auto on(asio::strand<asio::thread_pool::executor_type>& strand, F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(strand, [&task] { task(); });
    return result.get();
}

std::map<std::string, table_status> statuses(const status_registry& reg) {
    std::map<std::string, table_status> out;
    for (auto& t : reg.snapshot().tables) out[t.source + "." + t.table] = t;
    return out;
}

}  // namespace

TEST_CASE("supervisor: tasks fail and back off on their own threads, a reload restarts only what changed") {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("sluice-supervisor-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string dest_path = (dir / "dest.db").string();

    const auto first = parse(dest_path, "      - name: orders\n      - name: items\n      - name: gone\n");
    const auto second = parse(dest_path,
                              "      - name: orders\n"
                              "      - name: items\n        poll_interval: 7s\n"
                              "      - name: added\n");

    asio::thread_pool pool(3);
    auto strand = asio::make_strand(pool.get_executor());
    std::vector<std::unique_ptr<destination>> dests;
    dests.push_back(make_destination(first.destination, pool.get_executor()));
    writer_lanes lanes(std::move(dests), pool.get_executor(), 8, 1 << 20);
    writer_lane& lane = lanes[0];
    status_registry registry;
    task_env env{lanes, registry, first.daemon, first.secrets};
    auto writer =
        asio::co_spawn(asio::make_strand(pool.get_executor()), run_writer(lane.channel, *lane.dest), asio::use_future);
    supervisor sup(strand, pool.get_executor(), env);

    on(strand, [&] {
        sup.start_all(table_specs(first));
        return 0;
    });
    // Ticks on the strand while this thread reads the registry, as the HTTP server does.
    const auto until_failed = [&](const std::vector<std::string>& keys) {
        for (int i = 0; i < 200; ++i) {
            on(strand, [&] {
                sup.tick();
                return 0;
            });
            const auto s = statuses(registry);
            bool all = true;
            for (const auto& k : keys) all = all && s.contains(k) && s.at(k).errors > 0;
            if (all) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    };
    REQUIRE(until_failed({"wh.orders", "wh.items", "wh.gone"}));
    {
        const auto s = statuses(registry);
        CHECK(on(strand, [&] { return sup.table_count(); }) == 3);
        for (const auto& entry : s) {
            const auto& key = entry.first;  // not a structured binding: clang 14 cannot capture one
            const auto& t = entry.second;
            CAPTURE(key);
            CHECK(t.task_starts == 1);
            CHECK(t.last_error.find("discovery failed") != std::string::npos);
            CHECK(t.last_error.find("never-shown") == std::string::npos);  // redacted
        }
    }

    const auto diff = diff_configs(first, second);
    CHECK(diff.removed == std::vector<std::string>{"wh.gone"});
    CHECK(diff.changed == std::vector<std::string>{"wh.items"});
    CHECK(diff.added == std::vector<std::string>{"wh.added"});
    on(strand, [&] {
        sup.apply(table_specs(second), diff);
        return 0;
    });
    REQUIRE(until_failed({"wh.orders", "wh.items", "wh.added"}));
    {
        const auto s = statuses(registry);
        CHECK_FALSE(s.contains("wh.gone"));
        CHECK(s.at("wh.orders").task_starts == 1);  // untouched by the reload
        CHECK(s.at("wh.items").task_starts == 2);   // restarted with its new settings
        CHECK(s.at("wh.added").task_starts == 1);
    }

    on(strand, [&] {
        sup.stop_all();
        return 0;
    });
    bool drained = false;
    for (int i = 0; i < 500 && !drained; ++i) {
        if (i == 100)
            on(strand, [&] {
                sup.abandon_stopping();  // as the daemon does after half the grace period
                return 0;
            });
        drained = on(strand, [&] { return sup.drained(); });
        if (!drained) std::this_thread::sleep_for(20ms);
    }
    CHECK(drained);
    auto close = asio::co_spawn(pool, lane.channel.close(), asio::use_future);
    close.get();
    writer.get();
    lanes.close();
    pool.join();
    std::filesystem::remove_all(dir);
}
