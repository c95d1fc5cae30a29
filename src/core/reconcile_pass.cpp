#include "sluice/clock.hpp"
#include "sluice/reconcile_pass.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <utility>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include "sluice/destination.hpp"
#include "sluice/error.hpp"
#include "sluice/progress.hpp"
#include "sluice/source.hpp"

namespace sluice {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

struct span {
    std::int64_t lo_ms, hi_ms;
};

}  // namespace

// The defaults of the source interface: only sources that implement reconcile say so.
bool source::can_reconcile(const table_schema&) const { return false; }

asio::awaitable<std::vector<bucket_stats>> source::summarize(table_schema_ptr schema, bucket_query) {
    throw error(error_kind::fatal, schema->qualified_name() + ": this source cannot summarize tables");
    co_return std::vector<bucket_stats>{};
}

asio::awaitable<void> source::reread(table_schema_ptr schema, std::int64_t, std::int64_t, batch_sink&) {
    throw error(error_kind::fatal, schema->qualified_name() + ": this source cannot re-read ranges");
    co_return;
}

std::vector<std::int64_t> default_bucket_widths_ms() { return {86'400'000, 3'600'000, 60'000, 1'000}; }

asio::awaitable<reconcile_report> reconcile_table(source& src, destination& dest, table_schema_ptr schema,
                                                  batch_sink& sink, std::int64_t hi_ms, std::size_t reread_rows,
                                                  std::vector<std::int64_t> widths_ms) {
    if (!schema->cursor_column) throw error(error_kind::fatal, schema->qualified_name() + ": reconcile needs a cursor");
    if (widths_ms.empty()) widths_ms = default_bucket_widths_ms();
    const auto started = std::chrono::steady_clock::now();
    reconcile_report report;

    struct pending {
        bucket_query q;
        std::size_t level;
    };
    bucket_query top;
    top.time_column = *schema->cursor_column;
    top.int_columns = fingerprint_columns(*schema);
    top.hi_ms = hi_ms;
    top.width_ms = widths_ms[0];
    std::vector<pending> todo{{top, 0}};
    std::vector<span> leaves;

    while (!todo.empty()) {
        const pending p = todo.back();
        todo.pop_back();
        const bucket_query q = p.q;
        // Both sides at once: the source query runs remotely while the destination
        // scans locally (on SQLite's own thread), and both scan the same rows.
        auto source_side = src.summarize(schema, q);
        auto dest_side = dest.summarize(*schema, q);
        auto both_sides = std::move(source_side) && std::move(dest_side);
        const auto [at_source, at_dest] = co_await std::move(both_sides);
        std::map<std::int64_t, std::pair<bucket_stats, bucket_stats>> both;  // bucket -> (source, destination)
        for (const auto& b : at_source) both[b.bucket].first = b;
        for (const auto& b : at_dest) both[b.bucket].second = b;
        for (auto& [bucket, sd] : both) {
            ++report.buckets_compared;
            sd.first.bucket = sd.second.bucket = bucket;  // absent on one side: zero rows
            if (sd.first == sd.second) continue;
            span s{bucket * q.width_ms, (bucket + 1) * q.width_ms};
            if (q.lo_ms) s.lo_ms = std::max(s.lo_ms, *q.lo_ms);
            s.hi_ms = std::min(s.hi_ms, q.hi_ms);
            const auto rows = static_cast<std::size_t>(std::max(sd.first.rows, sd.second.rows));
            spdlog::debug("{}: bucket [{}, {}) ms differs: source {} rows / {}, destination {} rows / {}",
                          schema->qualified_name(), s.lo_ms, s.hi_ms, sd.first.rows, sd.first.fingerprint,
                          sd.second.rows, sd.second.fingerprint);
            if (p.level + 1 < widths_ms.size() && rows > reread_rows) {
                bucket_query finer = q;
                finer.lo_ms = s.lo_ms;
                finer.hi_ms = s.hi_ms;
                finer.width_ms = widths_ms[p.level + 1];
                todo.push_back({finer, p.level + 1});
            } else {
                leaves.push_back(s);
            }
        }
    }
    report.buckets_mismatched = leaves.size();

    // Adjacent buckets are re-read by one query.
    std::sort(leaves.begin(), leaves.end(), [](const span& a, const span& b) { return a.lo_ms < b.lo_ms; });
    std::vector<span> ranges;
    for (const auto& s : leaves) {
        if (!ranges.empty() && ranges.back().hi_ms == s.lo_ms)
            ranges.back().hi_ms = s.hi_ms;
        else
            ranges.push_back(s);
    }
    const auto& progress = sink.progress();
    for (const auto& r : ranges) {
        const std::int64_t reread_start = now_us();
        const std::uint64_t before = progress ? progress->rows_read.load() : 0;
        co_await src.reread(schema, r.lo_ms, r.hi_ms, sink);
        if (progress) report.rows_reread += progress->rows_read.load() - before;
        // Committed after the re-read rows (one writer, in order): every row of the
        // range the source still has was just written, so older ones are gone there.
        auto sweep = std::make_unique<batch>(schema, 0);
        sweep->soft_delete_unseen_before = reread_start;
        sweep->soft_delete_range = batch::sweep_range{*schema->cursor_column, r.lo_ms * 1000, r.hi_ms * 1000};
        co_await sink.send(std::move(sweep));
        ++report.ranges_reread;
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    co_return report;
}

}  // namespace sluice
