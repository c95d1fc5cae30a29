#include "daemon/daemon.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/config_diff.hpp"
#include "daemon/http_server.hpp"
#include "daemon/notify.hpp"
#include "daemon/reload.hpp"
#include "daemon/supervisor.hpp"
#include "sluice/clock.hpp"
#include "sluice/logging.hpp"
#include "sluice/pipeline.hpp"
#include "sluice/writer_lanes.hpp"

namespace sluice::daemon {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

namespace {

// Everything the daemon owns; it lives until the process ends (see run_daemon).
class runner {
public:
    runner(config::config cfg, const run_options& opts, asio::any_io_executor ex)
        : cfg_(std::move(cfg)),
          opts_(opts),
          ex_(ex),
          strand_(asio::make_strand(ex)),
          lanes_(cfg_.destination, ex),
          http_(ex, cfg_.http.listen, registry_),
          env_{lanes_, registry_, cfg_.daemon, cfg_.secrets},
          supervisor_(strand_, ex, env_) {}

    // Binds the HTTP address (throws) before anything else starts.
    void bind() {
        http_.start();
    }
    std::future<int> start() { return asio::co_spawn(strand_, main(), asio::use_future); }

private:
    asio::awaitable<int> main() {
        registry_.set_global([&](status_snapshot& s) {
            s.config_generation = 1;
            s.config_file = opts_.config_path;
            s.config_loaded = true;
            s.started_us = now_us();
            s.channel_max_bytes = lanes_.max_bytes();
            s.destination = describe_destination();
        });
        try {
            co_await lanes_.connect();
            set_reachable(true);
        } catch (...) {
            // Not fatal: tasks back off and the pinger reconnects when it is back.
            const auto why = describe(std::current_exception());
            spdlog::error("destination {}: {}", describe_destination(), why);
            set_reachable(false, why);
        }
        auto on_write = [this](const std::exception_ptr& e) { on_write_result(e); };
        lanes_.start_writers(on_write, [this](std::size_t, std::exception_ptr e) {
            if (!e) return;
            spdlog::critical("writer stopped: {}", describe(e));
            asio::post(strand_, [this] {
                exit_code_ = 1;
                signals_.cancel();
            });
        });
        asio::co_spawn(strand_, http_.run(), asio::detached);
        supervisor_.start_all(table_specs(cfg_));
        spdlog::info("sluice {} running: {} configured, HTTP on {}", SLUICE_VERSION,
                     describe_tables(), cfg_.http.listen);
        notify_ready();
        asio::co_spawn(strand_, ticker(), asio::detached);
        asio::co_spawn(strand_, pinger(), asio::detached);

        for (;;) {
            auto [ec, sig] = co_await signals_.async_wait(asio::as_tuple(asio::use_awaitable));
            if (ec) break;  // the writer died
            if (sig == SIGHUP) {
                reload();
                continue;
            }
            spdlog::info("{} received: stopping (grace {} s; a second signal exits at once)",
                         sig == SIGINT ? "SIGINT" : "SIGTERM",
                         std::chrono::duration_cast<std::chrono::seconds>(cfg_.daemon.shutdown_grace).count());
            break;
        }
        co_return co_await shutdown();
    }

    asio::awaitable<int> shutdown() {
        notify_stopping();
        stopping_ = true;
        signals_.async_wait([](boost::system::error_code ec, int) {
            if (ec) return;
            spdlog::warn("second signal: exiting at once");
            spdlog::default_logger()->flush();
            std::_Exit(130);
        });
        const auto deadline = clock::now() + cfg_.daemon.shutdown_grace;
        asio::steady_timer t(strand_);
        // 1. Sources stop at their next batch boundary; queued batches of stopped
        //    tables are dropped by the writer, the one being written commits whole.
        supervisor_.stop_all();
        // A source blocked in a query (on a lock, a slow server) never reaches a
        // batch boundary: after half the grace period its read is cancelled. Only
        // reads are cut short; the writer's transaction is left to finish.
        const auto patience = clock::now() + cfg_.daemon.shutdown_grace / 2;
        bool abandoned = false;
        while (!supervisor_.drained() && clock::now() < deadline) {
            if (!abandoned && clock::now() >= patience) {
                spdlog::warn("tables still reading after {} ms: cancelling their reads",
                             std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.daemon.shutdown_grace / 2)
                                 .count());
                supervisor_.abandon_stopping();
                abandoned = true;
            }
            t.expires_after(20ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        // 2. The writers drain what is left, then end.
        if (!lanes_.writers_done() && supervisor_.drained()) co_await lanes_.close_channels();
        while (!lanes_.writers_done() && clock::now() < deadline) {
            t.expires_after(20ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        http_.stop();
        if (!lanes_.writers_done() || !supervisor_.drained()) {
            // Rolled back by the destination when the process exits: nothing half-committed.
            spdlog::warn("shutdown grace exceeded: abandoning the batches in flight");
            lanes_.shutdown_channels();
            co_return exit_code_;
        }
        lanes_.close();
        spdlog::info("stopped");
        co_return exit_code_;
    }

    void reload() {
        notify_reloading();
        const auto outcome = reload_config(cfg_, opts_.config_path);
        if (outcome.next) {
            supervisor_.apply(table_specs(*outcome.next), outcome.diff);
            cfg_ = std::move(*outcome.next);
            env_.secrets = cfg_.secrets;
            setup_logging(opts_.log_level.value_or(cfg_.log.level), opts_.log_format.value_or(cfg_.log.format),
                          cfg_.secrets);
        }
        registry_.set_global([&](status_snapshot& s) {
            s.last_reload = reload_result{outcome.next.has_value(), now_us(), outcome.message};
            if (outcome.next) {
                ++s.config_generation;
                ++s.reloads_ok;
            } else {
                ++s.reloads_failed;
            }
        });
        notify_ready();
        last_status_.clear();  // announce the new table count
    }

    // Refreshes statuses, runs the watchdog, pings systemd's watchdog: only
    // while this strand is alive, which is what WatchdogSec should observe.
    asio::awaitable<void> ticker() {
        const auto sd_period = watchdog_period();
        const auto period = sd_period ? std::min<clock::duration>(1s, *sd_period) : clock::duration(1s);
        asio::steady_timer t(strand_);
        while (!stopping_) {
            supervisor_.tick();
            const bool stale_ping = ping_started_ && clock::now() - *ping_started_ > 30s;
            if (stale_ping) set_reachable(false, "no answer to its ping for 30 s");
            registry_.set_global([&](status_snapshot& s) {
                s.channel_depth = lanes_.depth();
                s.channel_bytes = lanes_.bytes_in_flight();
            });
            const auto status = fmt::format("syncing {} tables, {} failing{}", supervisor_.table_count(),
                                            supervisor_.failing_count(),
                                            reachable_ ? "" : ", destination unreachable");
            if (status != last_status_) {
                notify_status(status);
                last_status_ = status;
            }
            if (sd_period) notify_watchdog();
            t.expires_after(period);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }

    // Readiness: the destination answers. Reconnects when it does not, so the
    // tasks' next attempts (after their backoff) find it back.
    asio::awaitable<void> pinger() {
        asio::steady_timer t(strand_);
        while (!stopping_) {
            t.expires_after(5s);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            if (stopping_) break;
            ping_started_ = clock::now();
            bool ok = true;
            std::string why;
            for (std::size_t i = 0; i < lanes_.size() && ok && !stopping_; ++i) {
                std::tie(ok, why) = co_await ping_or_reconnect(*lanes_[i].dest);
            }
            ping_started_.reset();
            const bool back = ok && !reachable_;
            set_reachable(ok, why);
            if (back) {
                // Tables that failed while it was down may be sleeping through a long
                // backoff (up to daemon.backoff_max, 5 min by default): retry them now.
                // The write error was the lost connection, which is restored.
                if (write_failing_.exchange(false))
                    registry_.set_global([](status_snapshot& s) { s.destination_write_error.clear(); });
                supervisor_.wake_failing();
            }
        }
    }

    void set_reachable(bool ok, const std::string& why = {}) {
        reachable_ = ok;
        registry_.set_global([&](status_snapshot& s) {
            s.destination_reachable = ok;
            s.destination_error = ok ? std::string() : config::redact(why, cfg_.secrets);
        });
    }

    // Pings one writer connection; reconnects it when the ping fails.
    asio::awaitable<std::pair<bool, std::string>> ping_or_reconnect(destination& dest) {
        std::string why;
        try {
            co_await dest.ping();
            co_return std::pair<bool, std::string>(true, why);
        } catch (...) {
            why = describe(std::current_exception());
            if (reachable_) spdlog::error("destination unreachable: {}", why);
        }
        bool ok = false;
        if (!stopping_) {
            try {
                co_await dest.connect();
                ok = true;
            } catch (...) {
                // Still down; the next round tries again.
                why = describe(std::current_exception());
            }
            if (ok) spdlog::info("destination reachable again");
        }
        co_return std::pair<bool, std::string>(ok, why);
    }

    // "postgres host=… (2 writers)": the description of every writer connection.
    std::string describe_destination() const {
        const auto first = lanes_[0].dest->describe();
        return lanes_.size() == 1 ? first : fmt::format("{} ({} writers)", first, lanes_.size());
    }

    // A writer's verdict on each batch (its strand). A destination-wide failure
    // (transient kind: a full disk, a lost connection, a lock held too long) shows
    // on /readyz until a later batch commits; a table's own bad data shows only on
    // that table. The flag keeps the registry's lock off the per-batch path.
    void on_write_result(const std::exception_ptr& e) {
        if (!e) {
            if (write_failing_.exchange(false)) {
                spdlog::info("destination {}: writes succeed again", describe_destination());
                registry_.set_global([](status_snapshot& s) { s.destination_write_error.clear(); });
            }
            return;
        }
        if (!is_transient(e)) return;
        write_failing_.store(true);
        const auto why = config::redact(describe(e), write_secrets_);
        registry_.set_global([&](status_snapshot& s) { s.destination_write_error = why; });
    }

    std::string describe_tables() const {
        std::size_t n = 0;
        for (const auto& s : cfg_.sources) n += s.all_tables ? 0 : s.tables.size();
        return fmt::format("{} sources, {} listed tables", cfg_.sources.size(), n);
    }

    config::config cfg_;
    run_options opts_;
    asio::any_io_executor ex_;
    asio::any_io_executor strand_;
    status_registry registry_;
    writer_lanes lanes_;
    http_server http_;
    task_env env_;
    supervisor supervisor_;
    asio::signal_set signals_{strand_, SIGHUP, SIGTERM, SIGINT};

    // Strand only.
    int exit_code_ = 0;
    bool stopping_ = false;
    bool reachable_ = false;
    std::optional<clock::time_point> ping_started_;
    std::string last_status_;

    // Set on the writer's strand; cleared there by a commit, or here when the
    // destination is reachable again.
    std::atomic<bool> write_failing_{false};
    const std::vector<std::string> write_secrets_ = cfg_.secrets;  // the start-up secrets (restart-only)
};

class pid_file {
public:
    explicit pid_file(std::string path) : path_(std::move(path)) {
        if (path_.empty()) return;
        std::ofstream out(path_, std::ios::trunc);
        out << ::getpid() << '\n';
        if (!out) spdlog::warn("cannot write pid file {}", path_);
    }
    ~pid_file() {
        if (!path_.empty()) std::remove(path_.c_str());
    }
    pid_file(const pid_file&) = delete;
    pid_file& operator=(const pid_file&) = delete;

private:
    std::string path_;
};

}  // namespace

int run_daemon(config::config cfg, const run_options& opts) {
    const std::string pid_path = cfg.daemon.pid_file;
    asio::thread_pool pool(opts.threads);
    std::unique_ptr<runner> r;
    try {
        r = std::make_unique<runner>(std::move(cfg), opts, pool.get_executor());
        r->bind();
    } catch (...) {
        spdlog::error("{}", describe(std::current_exception()));
        pool.stop();
        pool.join();
        return 1;
    }
    int code = 1;
    {
        // Written once the signal handlers are installed: `sluice reload` must not
        // be able to kill a daemon that is still starting.
        pid_file pid(pid_path);
        auto fut = r->start();
        try {
            code = fut.get();
        } catch (...) {
            spdlog::critical("daemon failed: {}", describe(std::current_exception()));
        }
        pool.stop();
        pool.join();
    }
    // Coroutines cut short (past the grace period, idle sessions) still hold
    // pointers into `r`, and destroying them after it, or it after the pool, is
    // undefined; the destination is closed and nothing is half-committed, so the
    // process ends here without running those destructors.
    spdlog::default_logger()->flush();
    std::fflush(stdout);
    std::_Exit(code);
}

}  // namespace sluice::daemon
