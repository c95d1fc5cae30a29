#include "daemon/table_task.hpp"

#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/backoff.hpp"
#include "sluice/clock.hpp"
#include "sluice/error.hpp"
#include "sluice/pipeline.hpp"
#include "sluice/source.hpp"

namespace sluice::daemon {

namespace asio = boost::asio;

namespace {

struct stopped_error : std::runtime_error {
    stopped_error() : std::runtime_error("task stopped") {}
};

}  // namespace

table_task::table_task(table_spec spec, std::string table, std::string group, asio::any_io_executor ex,
                       table_schema_ptr discovered)
    : spec_(std::move(spec)),
      table_(std::move(table)),
      discovered_(std::move(discovered)),
      group_(std::move(group)),
      strand_(asio::make_strand(ex)),
      sleeper_(strand_) {}

void table_task::spawn(task_env& env, discovered_fn on_discovered, std::function<void()> on_exit) {
    asio::co_spawn(strand_, run(env, std::move(on_discovered)),
                   asio::bind_cancellation_slot(
                       cancel_.slot(), [self = shared_from_this(), on_exit = std::move(on_exit)](
                                           std::exception_ptr e) {
                           if (e && !self->stop_requested())
                               spdlog::error("{}: task ended: {}", self->key(), describe(e));
                           on_exit();
                       }));
}

void table_task::stop(bool remove_status) {
    if (remove_status) remove_status_.store(true);
    if (stop_.exchange(true)) return;
    // Order matters (see begin_pass): stop_ first, then the progress it may be using.
    if (auto p = current_progress()) p->fail(std::make_exception_ptr(stopped_error()));
    asio::post(strand_, [self = shared_from_this()] { self->sleeper_.cancel(); });
}

void table_task::abandon() {
    stop(false);
    // Terminal: the source's connection may be left mid-query, which is fine
    // because this task's source instance is dropped with it.
    asio::post(strand_, [self = shared_from_this()] { self->cancel_.emit(asio::cancellation_type::terminal); });
}

void table_task::wake_if_failing() {
    // On the strand: a failure is recorded and its backoff sleep begun in one step
    // there, so this either finds the sleep pending or the next pass under way.
    asio::post(strand_, [self = shared_from_this()] {
        if (self->failures_.load() > 0) self->sleeper_.cancel();
    });
}

std::shared_ptr<table_progress> table_task::current_progress() {
    std::lock_guard lock(mutex_);
    return progress_;
}

void table_task::begin_pass(std::shared_ptr<table_progress> p) {
    std::lock_guard lock(mutex_);
    if (progress_) {
        done_rows_ += progress_->rows_written.load();
        done_batches_ += progress_->batches_written.load();
    }
    progress_ = std::move(p);
}

void table_task::set_status(task_env& env, const std::function<void(table_status&)>& change) {
    // A stopped task no longer speaks for the table: its successor (or nobody) does.
    if (stop_.load()) return;
    env.registry.update(spec_.source.name, table_, change);
}

void table_task::refresh(status_registry& registry) {
    if (stop_.load() || is_discovery()) return;
    std::shared_ptr<table_progress> p;
    std::uint64_t rows = 0, batches = 0;
    {
        std::lock_guard lock(mutex_);
        p = progress_;
        rows = base_rows_ + done_rows_;
        batches = base_batches_ + done_batches_;
    }
    if (!p) return;
    rows += p->rows_written.load();
    batches += p->batches_written.load();
    if (batches != seen_batches_) {
        seen_batches_ = batches;
        last_progress_ = clock::now();
    }
    const auto cursor = p->cursor();
    const auto cursor_time = p->committed_cursor_time.load();
    registry.update(spec_.source.name, table_, [&](table_status& s) {
        s.rows_synced = rows;
        s.batches = batches;
        if (!cursor.empty()) s.cursor = cursor;
        if (cursor_time != INT64_MIN) s.newest_cursor_us = cursor_time;
    });
}

bool table_task::stalled(clock::duration timeout) const {
    if (!in_pass_.load() || stop_.load()) return false;
    const auto started = clock::time_point(clock::duration(pass_started_.load()));
    return clock::now() - std::max(started, last_progress_) > timeout;
}

std::unique_ptr<source> table_task::make_own_source(asio::any_io_executor ex) const {
    // A source instance that knows only this table (or, for discovery, all of them).
    config::source_config cfg = spec_.source;
    if (!is_discovery()) {
        config::table_config t = spec_.table;
        if (spec_.all_tables()) {
            t = {};
            t.name = table_;
            t.settings = spec_.source.settings;
        }
        cfg.all_tables = false;
        cfg.tables = {t};
    }
    return make_source(cfg, ex);
}

asio::awaitable<void> table_task::sleep(clock::duration d) {
    if (stop_.load()) co_return;
    sleeper_.expires_after(d);
    co_await sleeper_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> table_task::run(task_env& env, discovered_fn on_discovered) {
    auto ex = co_await asio::this_coro::executor;
    const std::string name = key();
    const auto& settings = spec_.all_tables() ? spec_.source.settings : spec_.table.settings;
    const auto fail_delay = [&](unsigned n) { return backoff_delay(n, env.settings.backoff_max, random_unit()); };
    const auto record_failure = [&](const std::string& what) {
        const unsigned n = ++failures_;
        set_status(env, [&](table_status& s) {
            s.state = table_state::backoff;
            ++s.errors;
            ++s.retries;
            s.last_error = config::redact(what, env.secrets);
        });
        return fail_delay(n);
    };

    if (!is_discovery()) {
        env.registry.update(spec_.source.name, table_, [&](table_status& s) {
            ++s.task_starts;
            s.state = table_state::starting;
            s.freshness_threshold = settings.freshness_threshold;
            std::lock_guard lock(mutex_);
            base_rows_ = s.rows_synced;
            base_batches_ = s.batches;
        });
    }
    std::unique_ptr<source> src;

    // Discovery: the table's schema (or, for `tables: all`, every table's name).
    table_schema_ptr schema = std::move(discovered_);
    if (schema) src = make_own_source(ex);
    bool announced = false;
    constexpr auto rediscover_every = std::chrono::minutes(1);
    while (!stop_.load() && !schema) {
        std::string error;
        try {
            if (!src) src = make_own_source(ex);
            auto found = co_await src->discover();
            if (is_discovery()) {
                if (failures_.exchange(0) > 0 || !announced) {
                    spdlog::info("{}: discovered {} tables", spec_.source.name, found.size());
                    announced = true;
                }
                if (!stop_.load()) on_discovered(std::move(found));
                // Tables created later in the source are picked up by the next round.
                co_await sleep(std::max<clock::duration>(settings.poll_interval, rediscover_every));
                continue;
            }
            for (auto& s : found)
                if (s->table == table_) schema = s;
            if (!schema) error = "table not found in the source";
        } catch (...) {
            error = describe(std::current_exception());
        }
        if (schema) break;
        if (stop_.load()) break;
        if (is_discovery()) {
            const auto d = fail_delay(++failures_);
            spdlog::error("{}: discovery failed (retrying in {} ms): {}", spec_.source.name, d.count(), error);
            co_await sleep(d);
        } else {
            const auto d = record_failure("discovery failed: " + error);
            spdlog::error("{}: discovery failed (retrying in {} ms): {}", name, d.count(), error);
            co_await sleep(d);
        }
    }

    while (!stop_.load() && schema) {
        auto progress = std::make_shared<table_progress>(schema->qualified_name());
        begin_pass(progress);
        if (stop_.load()) break;  // stop() may have seen the previous progress
        pass_started_.store(clock::now().time_since_epoch().count());
        in_pass_.store(true);
        set_status(env, [&](table_status& s) {
            s.state = table_state::syncing;
            s.last_attempt_us = now_us();
        });
        const auto t0 = clock::now();
        writer_lane& lane = env.lanes[env.lanes.route(*schema)];
        co_await sync_table(*src, *lane.dest, schema, lane.channel, progress);
        // The pass ends when its rows are committed, not when they are queued: last_success
        // and last_duration_s in /status must not run ahead of the destination.
        if (!progress->failed.load() && !stop_.load()) co_await wait_committed(lane.channel, schema, progress);
        const bool reconcile_due =
            settings.reconcile_interval.count() > 0 &&
            (!last_reconcile_ || clock::now() - *last_reconcile_ >= settings.reconcile_interval);
        std::optional<reconcile_report> reconciled;
        if (reconcile_due && !stop_.load() && !progress->failed.load()) {
            reconciled = co_await reconcile_after_pass(*src, *lane.dest, schema, lane.channel, progress);
            last_reconcile_ = clock::now();  // also when unsupported or failed: no retry storm
        }
        in_pass_.store(false);
        if (stop_.load()) break;
        const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
        clock::duration delay;
        if (progress->failed.load()) {
            delay = record_failure(describe(progress->failure()));
            spdlog::warn("{}: retrying in {} ms", name, std::chrono::duration_cast<millis>(delay).count());
        } else {
            // After an outage the log says when the table is back, not only when it failed.
            if (const unsigned failed = failures_.exchange(0); failed > 0)
                spdlog::info("{}: pass succeeded after {} failed attempt{}", name, failed, failed == 1 ? "" : "s");
            set_status(env, [&](table_status& s) {
                s.state = table_state::idle;
                ++s.passes;
                s.rows_soft_deleted += progress->rows_soft_deleted.load();
                if (reconciled) {
                    ++s.reconciles;
                    s.reconcile_mismatches += reconciled->buckets_mismatched;
                    s.reconcile_rows_reread += reconciled->rows_reread;
                    s.last_reconcile_us = now_us();
                }
                s.last_success_us = now_us();
                s.last_duration_s = seconds;
                s.last_error.clear();
            });
            delay = jittered(settings.poll_interval, 0.1, random_unit());
        }
        co_await sleep(delay);
    }
    if (src) src->close();
}

}  // namespace sluice::daemon
