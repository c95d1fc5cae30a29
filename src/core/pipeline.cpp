#include "sluice/pipeline.hpp"
#include "sluice/reconcile_pass.hpp"

#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sluice/writer_lanes.hpp"

namespace sluice {

namespace asio = boost::asio;
using boost::system::error_code;

std::string describe(const std::exception_ptr& e) {
    if (!e) return {};
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown error";
    }
}

bool is_transient(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const error& ex) {
        return ex.kind() == error_kind::transient;
    } catch (...) {
        return false;
    }
}

namespace {

// Collects completions of coroutines spawned with `completion()`; wait() returns
// once all of them have finished.
class wait_group {
public:
    explicit wait_group(asio::any_io_executor ex) : done_(ex, 1024) {}
    auto completion() {
        ++pending_;
        return [this](std::exception_ptr) { done_.try_send(error_code{}); };
    }
    asio::awaitable<void> wait() {
        for (; pending_ > 0; --pending_) co_await done_.async_receive(asio::as_tuple(asio::use_awaitable));
    }

private:
    asio::experimental::concurrent_channel<void(error_code)> done_;
    std::size_t pending_ = 0;
};

// Whether `next` may be committed in the same transaction as `group`: the same
// table and schema version, rows or a cursor to write, and no soft-delete sweep
// on either (a sweep ends its batch's transaction), within the limits.
bool joins(const batch& group, const batch& next, const writer_limits& limits) {
    const auto sweeps = [](const batch& b) { return b.soft_delete_unseen_before || b.soft_delete_range; };
    return next.schema_ptr() == group.schema_ptr() && next.progress == group.progress && !sweeps(group) &&
           !sweeps(next) && !(next.empty() && next.cursor.empty()) && !(next.progress && next.progress->failed.load()) &&
           group.rows() + next.rows() <= limits.rows && group.byte_size() + next.byte_size() <= limits.bytes;
}

// Batches whose order matters to each other: the same source table, or the same
// destination table (a table's `destination:` may name another's).
bool same_table(const table_schema& a, const table_schema& b) {
    return a.source == b.source && (a.table == b.table || a.destination_table() == b.destination_table());
}

// `next`'s rows, cursor and completion callback become part of `group`.
void absorb(batch& group, batch& next) {
    group.append_rows(next);
    if (!next.cursor.empty()) group.cursor = std::move(next.cursor);
    if (next.cursor_time) group.cursor_time = next.cursor_time;
    if (next.after_write) {
        group.after_write = [first = std::move(group.after_write), then = std::move(next.after_write)] {
            if (first) first();
            then();
        };
    }
}

}  // namespace

asio::awaitable<void> run_writer(batch_channel& channel, destination& dest, write_listener on_write,
                                 writer_limits limits) {
    auto ex = co_await asio::this_coro::executor;
    // Received but not written yet, in channel order: batches of other tables that
    // were queued when a group was formed. Counted by the channel until released.
    std::deque<batch_ptr> pending;
    bool closed = false;
    for (;;) {
        batch_ptr b;
        if (!pending.empty()) {
            b = std::move(pending.front());
            pending.pop_front();
        } else if (!closed) {
            b = co_await channel.receive();
        }
        if (!b) break;
        std::size_t bytes = b->byte_size();
        std::size_t received = 1;  // batches in this transaction, for the channel's release
        const auto progress = b->progress;
        // Whatever happens to the batch below, a flush() waiting on it is told.
        struct notify_after_write {
            batch& b;
            ~notify_after_write() {
                if (b.after_write) b.after_write();
            }
        } notify{*b};
        if (progress && progress->failed.load()) {
            channel.release(bytes, received);  // the table already failed: drop what was in flight
            continue;
        }
        if (b->empty() && b->cursor.empty() && !b->soft_delete_unseen_before) {
            channel.release(bytes, received);  // a flush() barrier: nothing to write
            continue;
        }
        // Everything already queued, then the batches of this table among it, in
        // order, until one that cannot join (a table's batches never overtake each
        // other; other tables' batches may wait for this commit).
        while (!closed) {
            std::optional<batch_ptr> next = channel.try_receive();
            if (!next) break;  // nothing queued: never wait for more
            if (!*next) closed = true;
            else pending.push_back(std::move(*next));
        }
        for (auto it = pending.begin(); it != pending.end();) {
            batch& next = **it;
            if (!same_table(next.schema(), b->schema())) {
                ++it;
                continue;
            }
            if (!joins(*b, next, limits)) break;
            bytes += next.byte_size();
            ++received;
            absorb(*b, next);
            it = pending.erase(it);
        }
        // Transient failures (lost connection, serialization conflicts) are retried
        // with backoff: the transaction was rolled back, so replaying is exact.
        for (int attempt = 1;; ++attempt) {
            std::exception_ptr e;
            try {
                co_await dest.write(*b);
                if (progress && b->cursor_time) progress->committed_cursor_time.store(*b->cursor_time);
                if (on_write) on_write(nullptr);
                break;
            } catch (...) {
                e = std::current_exception();
            }
            const std::string name = b->schema().qualified_name();
            if (is_transient(e) && attempt < 5) {
                spdlog::warn("{}: write failed (attempt {}), retrying: {}", name, attempt, describe(e));
                asio::steady_timer t(ex, std::chrono::milliseconds(200 << attempt));
                co_await t.async_wait(asio::use_awaitable);
                try {
                    co_await dest.connect();
                } catch (...) {
                    // The next write attempt reports what is still wrong.
                }
                continue;
            }
            spdlog::error("{}: write failed: {}", name, describe(e));
            if (progress) progress->fail(e);
            if (on_write) on_write(e);
            break;
        }
        channel.release(bytes, received);
    }
}

asio::awaitable<void> sync_table(source& src, destination& dest, table_schema_ptr schema,
                                 batch_channel& channel, std::shared_ptr<table_progress> progress) {
    try {
        auto cursor = co_await dest.read_cursor(schema->source, schema->table);
        co_await dest.prepare_table(*schema);
        if (cursor) progress->set_committed_cursor(*cursor);
        batch_sink sink(channel, progress);
        co_await src.sync(schema, std::move(cursor), sink);
    } catch (...) {
        auto e = std::current_exception();
        // A failure the writer already reported is not logged twice.
        if (!progress->failed.load()) spdlog::error("{}: sync failed: {}", progress->name, describe(e));
        progress->fail(e);
    }
}

asio::awaitable<void> wait_committed(batch_channel& channel, table_schema_ptr schema,
                                     std::shared_ptr<table_progress> progress) {
    try {
        batch_sink sink(channel, progress);
        co_await sink.flush(std::move(schema));
    } catch (...) {
        auto e = std::current_exception();
        if (!progress->failed.load()) spdlog::error("{}: waiting for the pass's commits failed: {}", progress->name, describe(e));
        progress->fail(e);
    }
}

asio::awaitable<std::optional<reconcile_report>> reconcile_after_pass(source& src, destination& dest,
                                                                     table_schema_ptr schema, batch_channel& channel,
                                                                     std::shared_ptr<table_progress> progress) {
    if (progress->failed.load() || !src.can_reconcile(*schema)) co_return std::nullopt;
    std::optional<reconcile_report> report;
    try {
        batch_sink sink(channel, progress);
        // The destination must hold everything the pass read before it is compared.
        co_await sink.flush(schema);
        if (progress->failed.load()) co_return std::nullopt;
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        auto widths = default_bucket_widths_ms();
        const auto until_ms = now_ms + 1;  // named: sluice/coro.hpp
        report = co_await reconcile_table(src, dest, schema, sink, until_ms, reread_bucket_rows, std::move(widths));
        co_await sink.flush(schema);
        spdlog::info("{}: reconcile: {} buckets compared, {} differed, {} rows re-read in {} queries, "
                     "{} rows soft-deleted ({:.2f}s)",
                     progress->name, report->buckets_compared, report->buckets_mismatched, report->rows_reread,
                     report->ranges_reread, progress->rows_soft_deleted.load(), report->seconds);
    } catch (...) {
        auto e = std::current_exception();
        if (!progress->failed.load()) spdlog::error("{}: reconcile failed: {}", progress->name, describe(e));
        progress->fail(e);
    }
    co_return report;
}

namespace {

// A coroutine function, not a lambda: its arguments live in its frame.
asio::awaitable<void> pass_then_reconcile(source& src, destination& dest, table_schema_ptr schema,
                                          batch_channel& channel, std::shared_ptr<table_progress> progress,
                                          bool reconcile, std::optional<reconcile_report>& report) {
    co_await sync_table(src, dest, schema, channel, progress);
    if (reconcile) report = co_await reconcile_after_pass(src, dest, schema, channel, progress);
}

}  // namespace

asio::awaitable<std::vector<table_outcome>> run_once(std::vector<std::unique_ptr<source>>& sources,
                                                     const std::vector<std::string>& source_names,
                                                     writer_lanes& lanes,
                                                     std::function<void(progress_list)> on_started,
                                                     once_options opts) {
    auto ex = co_await asio::this_coro::executor;
    std::vector<table_outcome> outcomes;

    struct job {
        source* src;
        table_schema_ptr schema;
        std::shared_ptr<table_progress> progress;
    };
    std::vector<job> jobs;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        try {
            for (auto& schema : co_await sources[i]->discover()) {
                if (!opts.only_table.empty() && schema->qualified_name() != opts.only_table) continue;
                jobs.push_back({sources[i].get(), schema,
                                std::make_shared<table_progress>(schema->qualified_name())});
            }
        } catch (...) {
            auto msg = describe(std::current_exception());
            spdlog::error("{}: discovery failed: {}", source_names[i], msg);
            outcomes.push_back({source_names[i], 0, {}, msg, std::nullopt, 0});
        }
    }

    if (on_started) {
        progress_list all;
        for (const auto& j : jobs) all.push_back(j.progress);
        on_started(std::move(all));
    }

    wait_group writer_done(ex);
    // Per lane: the error its writer stopped with (the destination unusable).
    std::vector<std::exception_ptr> writer_errors(lanes.size());
    std::vector<std::function<void(std::exception_ptr)>> writer_stopped;
    for (std::size_t i = 0; i < lanes.size(); ++i) writer_stopped.emplace_back(writer_done.completion());
    lanes.start_writers({}, [&](std::size_t lane, std::exception_ptr e) {
        writer_errors[lane] = e;
        writer_stopped[lane](e);
    });

    wait_group syncs(ex);
    std::vector<std::optional<reconcile_report>> reports(jobs.size());
    std::vector<std::size_t> lane_of(jobs.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto& j = jobs[i];
        lane_of[i] = lanes.route(*j.schema);
        writer_lane& lane = lanes[lane_of[i]];
        asio::co_spawn(asio::make_strand(ex),
                       pass_then_reconcile(*j.src, *lane.dest, j.schema, lane.channel, j.progress, opts.reconcile,
                                           reports[i]),
                       syncs.completion());
    }
    co_await syncs.wait();
    co_await lanes.close_channels();
    co_await writer_done.wait();

    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto& j = jobs[i];
        table_outcome o{j.progress->name, j.progress->rows_written.load(), j.progress->cursor(), {}, std::nullopt, 0};
        o.reconcile = reports[i];
        o.rows_soft_deleted = j.progress->rows_soft_deleted.load();
        if (j.progress->failed.load()) o.error = describe(j.progress->failure());
        else if (writer_errors[lane_of[i]]) o.error = describe(writer_errors[lane_of[i]]);
        outcomes.push_back(std::move(o));
    }
    co_return outcomes;
}

}  // namespace sluice
