#include "sources/hbase/table_pass.hpp"

#include <chrono>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "sluice/async_mutex.hpp"
#include "sluice/progress.hpp"
#include "sources/hbase/cursor_bound.hpp"
#include "sources/hbase/range_scanner.hpp"
#include "sources/hbase/row_mapper.hpp"
#include "sources/hbase/scan_checkpoint.hpp"

namespace sluice::hbase {

namespace asio = boost::asio;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::string> cursor_value(std::string_view cursor_cell, const std::vector<cell_view>& cells) {
    for (const auto& c : cells)
        if (c.column == cursor_cell) return std::string(c.value);
    return std::nullopt;
}

class table_pass {
public:
    table_pass(client_pool& pool, const table_plan& plan, batch_sink& sink, asio::any_io_executor ex)
        : pool_(pool), plan_(plan), layout_(plan.layout), sink_(sink), mutex_(std::move(ex)) {}

    asio::awaitable<void> run(std::optional<std::string> cursor) {
        restore(cursor);
        if (!cp_.pass) co_await start_pass();
        const range_scan scan = make_scan();

        std::vector<std::size_t> todo;
        for (std::size_t i = 0; i < cp_.pass->ranges.size(); ++i)
            if (!cp_.pass->ranges[i].done) todo.push_back(i);
        const std::size_t workers =
            std::min<std::size_t>(todo.size(), static_cast<std::size_t>(std::max(1, layout_.settings.max_parallel_workers)));
        std::atomic<std::size_t> next{0};
        auto worker = [&]() -> asio::awaitable<void> {
            while (next < todo.size()) {
                const std::size_t i = todo[next++];
                const range_progress start = cp_.pass->ranges[i];
                // Arguments as named locals: g++ 12 may destroy temporaries of a
                // co_await expression twice.
                const deliver_rows to_sink = [this, i](const std::vector<wire::TRowResult>& rows, bool done) {
                    return deliver(i, rows, done);
                };
                auto scanning = scan_range(pool_, scan, start.range, start.last, to_sink);
                co_await std::move(scanning);
            }
        };
        if (workers <= 1) {
            co_await worker();
        } else {
            const auto ex = co_await asio::this_coro::executor;
            using op_type = decltype(asio::co_spawn(ex, worker(), asio::deferred));
            std::vector<op_type> ops;
            for (std::size_t w = 0; w < workers; ++w) ops.push_back(asio::co_spawn(ex, worker(), asio::deferred));
            auto group = asio::experimental::make_parallel_group(std::move(ops));
            auto all = group.async_wait(asio::experimental::wait_for_one_error(), asio::use_awaitable);
            auto [order, errors] = co_await std::move(all);
            for (auto i : order)
                if (errors[i]) std::rethrow_exception(errors[i]);
        }
        co_await finish_pass();
    }

private:
    void restore(const std::optional<std::string>& cursor) {
        const auto mode = std::string(mode_name(layout_.mode));
        if (cursor && !cursor->empty()) {
            auto saved = scan_checkpoint::decode(*cursor);
            if (saved && saved->mode == mode) {
                cp_ = std::move(*saved);
                return;
            }
            spdlog::warn("{}: stored cursor is not an HBase {} checkpoint; reading from the start",
                         plan_.schema->qualified_name(), mode);
        }
        cp_ = scan_checkpoint{};
        cp_.mode = mode;
    }

    asio::awaitable<void> start_pass() {
        pass_progress p;
        p.started_ms = now_ms();
        if (layout_.mode == scan_mode::cursor_column && cp_.hw) {
            p.lower = minus_lookback(*cp_.hw, layout_.settings.lookback);
            if (!p.lower) {
                spdlog::warn("{}: cursor cell value is not a time encoding sluice knows; lookback ignored",
                             plan_.schema->qualified_name());
                p.lower = cp_.hw;
            }
        }
        const key_range whole = configured_range(layout_.scan);
        // Parallel region scans only where order and counting do not matter.
        if (!layout_.scan.reverse && !layout_.scan.limit && layout_.settings.max_parallel_workers > 1) {
            auto client = co_await pool_.acquire();
            const auto regions = co_await client->regions(layout_.hbase_table);
            pool_.release(std::move(client));
            std::vector<region_bounds> bounds;
            for (const auto& r : regions) bounds.push_back({r.startKey, r.endKey});
            for (auto& piece : split_by_regions(whole, bounds)) p.ranges.push_back({std::move(piece), {}, false});
        } else {
            p.ranges.push_back({whole, {}, false});
        }
        cp_.pass = std::move(p);
    }

    range_scan make_scan() const {
        const auto& s = layout_.scan;
        range_scan rs;
        rs.table = layout_.hbase_table;
        rs.batch_size = static_cast<std::int32_t>(std::max<std::size_t>(1, layout_.settings.batch_size));
        rs.pipelined = s.pipelined;
        rs.reverse = s.reverse;
        rs.required_prefix = s.row_prefix;
        if (s.limit) rs.limit = s.limit > cp_.pass->rows ? s.limit - cp_.pass->rows : 1;
        auto& t = rs.base;
        t.__set_caching(rs.batch_size);
        if (s.reverse) t.__set_reversed(true);
        if (s.sorted_columns) t.__set_sortColumns(true);
        if (s.scan_batching) t.__set_batchSize(static_cast<std::int32_t>(s.scan_batching));
        // A snapshot bound for the incremental modes: cells written after the pass
        // started are left to the next pass, whose lower bound then covers them.
        // Not in full mode: a row whose only version is newer would look deleted.
        if (s.timestamp)
            t.__set_timestamp(*s.timestamp);
        else if (layout_.mode != scan_mode::full)
            t.__set_timestamp(cp_.pass->started_ms);
        std::vector<std::string> columns = s.scan_columns;
        if (columns.empty() && !layout_.other_cells) {
            for (const auto& c : layout_.cells) columns.push_back(c.cell);
            if (layout_.cursor_cell) columns.push_back(*layout_.cursor_cell);
        }
        if (!columns.empty()) t.__set_columns(columns);
        std::string filter = s.filter;
        if (cp_.pass->lower) filter = and_filters(filter, cursor_filter(*layout_.cursor_cell, *cp_.pass->lower));
        if (!filter.empty()) t.__set_filterString(filter);
        return rs;
    }

    asio::awaitable<void> deliver(std::size_t range, const std::vector<wire::TRowResult>& fragments, bool done) {
        const auto& schema = plan_.schema;
        auto b = std::make_unique<batch>(schema, fragments.size());
        row_mapper mapper(schema, layout_);
        std::vector<cell_view> cells;
        std::optional<std::string> max_cursor;
        // cell_timestamp: rows with a cell at or after watermark - lookback.
        std::optional<std::int64_t> changed_since;
        if (layout_.mode == scan_mode::cell_timestamp && cp_.wm)
            changed_since = *cp_.wm - static_cast<std::int64_t>(layout_.settings.lookback.count());
        std::size_t scanned = 0;
        for (std::size_t i = 0; i < fragments.size();) {
            std::size_t j = i;
            cells.clear();
            for (; j < fragments.size() && fragments[j].row == fragments[i].row; ++j) collect_cells(fragments[j], cells);
            ++scanned;
            if (layout_.cursor_cell) {
                auto v = cursor_value(*layout_.cursor_cell, cells);
                if (v && (!max_cursor || *v > *max_cursor)) max_cursor = std::move(v);
            }
            const bool keep = !changed_since || std::any_of(cells.begin(), cells.end(), [&](const cell_view& c) {
                                  return c.timestamp >= *changed_since;
                              });
            if (keep) mapper.append(fragments[i].row, cells, *b);
            i = j;
        }
        decode_warnings_ += mapper.decode_warnings();

        auto guard = co_await mutex_.lock();
        auto& r = cp_.pass->ranges[range];
        if (!fragments.empty()) r.last = fragments.back().row;
        if (done) r.done = true;
        cp_.pass->rows += scanned;
        if (max_cursor && (!cp_.pass->max || *max_cursor > *cp_.pass->max)) cp_.pass->max = std::move(max_cursor);
        b->cursor = cp_.encode();
        sink_.progress()->rows_read += b->rows();
        co_await sink_.send(std::move(b));
    }

    asio::awaitable<void> finish_pass() {
        auto guard = co_await mutex_.lock();
        auto b = std::make_unique<batch>(plan_.schema, 0);
        if (layout_.mode == scan_mode::full) b->soft_delete_unseen_before = cp_.pass->started_ms * 1000;
        if (layout_.mode == scan_mode::cell_timestamp) cp_.wm = cp_.pass->started_ms;
        if (layout_.mode == scan_mode::cursor_column && cp_.pass->max && (!cp_.hw || *cp_.pass->max > *cp_.hw))
            cp_.hw = cp_.pass->max;
        if (decode_warnings_)
            spdlog::warn("{}: {} cells could not be decoded as declared and were stored as NULL in this pass",
                         plan_.schema->qualified_name(), decode_warnings_.load());
        cp_.pass.reset();
        b->cursor = cp_.encode();
        co_await sink_.send(std::move(b));
    }

    client_pool& pool_;
    const table_plan& plan_;
    const table_layout& layout_;
    batch_sink& sink_;
    async_mutex mutex_;
    scan_checkpoint cp_;
    std::atomic<std::uint64_t> decode_warnings_{0};
};

}  // namespace

asio::awaitable<void> run_table_pass(client_pool& pool, const table_plan& plan, std::optional<std::string> cursor,
                                     batch_sink& sink) {
    table_pass pass(pool, plan, sink, co_await asio::this_coro::executor);
    co_await pass.run(std::move(cursor));
}

}  // namespace sluice::hbase
