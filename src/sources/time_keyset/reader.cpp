#include "sources/time_keyset/reader.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/cancellation.hpp"
#include "sluice/error.hpp"
#include "sluice/progress.hpp"
#include "sluice/synthetic_key.hpp"
#include "sources/time_keyset/windows.hpp"

namespace sluice::time_keyset {

namespace asio = boost::asio;

namespace {

// A NULL cursor value (nullable cursor column): sorts first.
constexpr std::int64_t null_cursor = std::numeric_limits<std::int64_t>::min();

asio::awaitable<void> deliver(read_context& ctx, batch_ptr b) {
    ctx.sink.progress()->rows_read += b->rows();
    co_await ctx.sink.send(std::move(b));
}

// Synthetic keys of one read: occurrence numbers restart whenever the group
// column's value changes (none: the whole table is one group). A value type,
// so a page that fails half-parsed can be undone.
struct row_keyer {
    synthetic_keyer keyer;
    std::optional<std::int64_t> prev;  // group value of the previous row
    std::optional<std::size_t> group_column;
};

// One page: run + parse into a fresh batch. A body-level failure is retried
// after undoing the keys of the half-parsed page; other errors pass through
// (the HTTP client already retried what the status line showed).
asio::awaitable<batch_ptr> fetch_page(read_context& ctx, page_parser& parser, const std::string& sql,
                                      row_keyer& keys) {
    const auto& s = *ctx.schema;
    const std::size_t data_cols = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
    const std::string doing = "reading a page";
    row_finisher finish = [](batch& out) { out.end_row(); };
    if (s.synthetic_key) {
        finish = [&keys, data_cols](batch& out) {
            const auto h = hash_pending_row(out, data_cols);
            if (keys.group_column) {
                const auto v = out.pending(*keys.group_column);
                const std::int64_t c = v.is_null() ? null_cursor : v.i;
                if (keys.prev && *keys.prev != c) keys.keyer.new_group();
                keys.prev = c;
                out.put_text(value_type::string, keys.keyer.next_key(h, c));
            } else {
                out.put_text(value_type::string, keys.keyer.next_key(h));
            }
            out.end_row();
        };
    }
    for (unsigned attempt = 1;; ++attempt) {
        const auto resp = co_await ctx.sql.run(sql, doing);
        const row_keyer before = keys;
        auto b = std::make_unique<batch>(ctx.schema, ctx.batch_size());
        std::string failure;
        try {
            parser.parse(resp, *b, finish);
            co_return b;
        } catch (const error& e) {
            if (e.kind() != error_kind::transient) throw;
            failure = e.what();
        }
        keys = before;
        const std::string why = failure + " [" + sql + "]";
        if (!co_await ctx.http.pause_before_retry(attempt, why))
            throw error(error_kind::transient, fmt::format("{} (gave up after {} attempts)", why, attempt));
    }
}

// Keyset pages on column `ci` over [pos, upper). Batches go to `collect` when
// given, else straight on. `saved`: the stored cursor, which batches only carry
// once the position moves beyond it; no `saved` and !emit_cursor: full mode.
asio::awaitable<void> read_range(read_context& ctx, std::size_t ci, boundary pos, std::optional<std::int64_t> upper,
                                 const std::optional<cursor_state>& saved, bool emit_cursor,
                                 std::vector<batch_ptr>* collect) {
    const auto& s = *ctx.schema;
    const auto& column = s.columns[ci].name;
    const auto n = static_cast<std::int64_t>(ctx.batch_size());

    cursor_state state;
    state.column = column;
    if (saved && !saved->full && saved->column == column) state = *saved;
    const cursor_state stored = state;

    auto parser = ctx.sql.make_parser();
    row_keyer keys;
    keys.group_column = ci;
    std::vector<std::int64_t> page_ts;

    for (;;) {
        time_range range;
        if (pos.start && *pos.start != null_cursor) range.lower = pos.start;
        range.upper = upper;
        const std::int64_t limit = ctx.sql.page_limit(pos.skip, n);
        const auto sql = ctx.sql.page_sql(column, range, pos.skip, limit);
        auto b = co_await fetch_page(ctx, *parser, sql, keys);
        page_ts.clear();
        for (std::size_t row = 0; row < b->rows(); ++row) {
            const auto v = b->at(row, ci);
            page_ts.push_back(v.is_null() ? null_cursor : v.i);
        }
        const auto next = advance_past(pos, page_ts);
        if (emit_cursor && beyond(next, stored)) {
            state.t = next.start;
            state.k = next.skip;
            b->cursor = encode_cursor(state);
            if (*next.start != null_cursor) b->cursor_time = *next.start;
        }
        pos = next;
        const auto got = static_cast<std::int64_t>(b->rows());
        if (got > 0) {
            if (collect)
                collect->push_back(std::move(b));
            else
                co_await deliver(ctx, std::move(b));
        }
        if (got < limit) break;
        co_await throw_if_cancelled();
    }
}

asio::awaitable<std::optional<std::int64_t>> scalar_time(read_context& ctx, const std::string& sql,
                                                         const std::string& doing) {
    const auto text = co_await ctx.sql.scalar(sql, doing);
    if (!text) co_return std::nullopt;
    co_return parse_timestamp_micros(*text);
}

// The pass's last (possibly empty) batch: the "full pass done" cursor and the
// soft-delete of every row this pass did not write.
asio::awaitable<void> finish_full(read_context& ctx, batch_ptr b, std::int64_t pass_start) {
    cursor_state done;
    done.full = true;
    done.done = true;
    b->cursor = encode_cursor(done);
    b->soft_delete_unseen_before = pass_start;
    co_await deliver(ctx, std::move(b));
}

}  // namespace

asio::awaitable<void> read_incremental(read_context& ctx, const std::optional<cursor_state>& saved_in) {
    const auto& s = *ctx.schema;
    const std::size_t ci = *s.cursor_column;
    const auto& cursor_name = s.columns[ci].name;
    std::optional<cursor_state> saved = saved_in;
    if (saved && (saved->full || saved->column != cursor_name)) {
        spdlog::info("{}: stored cursor does not match the table's cursor; reading from the start",
                     s.qualified_name());
        saved.reset();
    }
    const auto lookback_us = static_cast<std::int64_t>(ctx.settings.lookback.count()) * 1000;
    boundary pos = resume_point(saved, s.synthetic_key, saved && saved->t == null_cursor ? 0 : lookback_us);

    std::size_t windows = 1;
    std::optional<std::int64_t> lo, hi;
    // Windows need every row to fall in some [a, b): a nullable cursor column's
    // NULL rows would fall in none, so such tables page sequentially.
    if (ctx.settings.max_in_flight > 1 && !s.columns[ci].nullable) {
        time_range range;
        if (pos.start && *pos.start != null_cursor) range.lower = pos.start;
        const auto count_sql = ctx.sql.count_sql(cursor_name, range);
        const std::string counting = "counting rows";  // named: g++ 12 mishandles temporaries in co_await
        const auto cnt = co_await ctx.sql.scalar(count_sql, counting);
        std::int64_t rows = 0;
        if (cnt) rows = std::stoll(*cnt);
        ctx.sink.progress()->rows_estimate = rows;
        windows = window_count(rows, ctx.batch_size(), ctx.settings.max_in_flight);
        if (windows > 1) {
            const auto max_sql = ctx.sql.max_sql(cursor_name, range);
            const std::string finding_max = "finding the newest row";
            hi = co_await scalar_time(ctx, max_sql, finding_max);
            if (range.lower) {
                lo = range.lower;
            } else {
                // From scratch: the first window starts at the oldest row.
                const auto min_sql = ctx.sql.min_sql(cursor_name);
                const std::string finding_min = "finding the oldest row";
                lo = co_await scalar_time(ctx, min_sql, finding_min);
            }
            if (!lo || !hi || *hi <= *lo) windows = 1;
        }
    }
    if (windows <= 1) {
        co_await read_range(ctx, ci, pos, std::nullopt, saved, true, nullptr);
        co_return;
    }

    auto plan = split_windows(*lo, *hi, windows, ctx.sql.time_quantum());
    spdlog::debug("{}: reading {} time windows, {} in flight", s.qualified_name(), plan.size(),
                  ctx.settings.max_in_flight);
    // Sliding pipeline: `in_flight` workers take windows in order, each after
    // taking a credit; the deliverer hands windows on strictly in order and
    // returns a credit per delivered window, so at most `in_flight` windows are
    // read or buffered at any time. Any failure cancels the rest (the cursor
    // stays at the last delivered batch).
    const auto in_flight = static_cast<std::size_t>(std::max(1, ctx.settings.max_in_flight));
    const auto ex = co_await asio::this_coro::executor;
    using credit_channel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    using done_channel = asio::experimental::concurrent_channel<void(boost::system::error_code, std::size_t)>;
    credit_channel credits(ex, plan.size() + in_flight);
    done_channel finished(ex, plan.size());
    for (std::size_t i = 0; i < in_flight; ++i) credits.try_send(boost::system::error_code{});
    std::vector<std::vector<batch_ptr>> out(plan.size());
    std::atomic<std::size_t> next_window{0};

    auto worker = [&]() -> asio::awaitable<void> {
        for (;;) {
            co_await credits.async_receive(asio::use_awaitable);
            const std::size_t w = next_window++;
            if (w >= plan.size()) co_return;
            // The first window continues the stored position (with its boundary
            // skip); every other starts at its own lower bound with nothing skipped.
            const boundary start = w == 0 ? pos : boundary{plan[w].lower, 0};
            co_await read_range(ctx, ci, start, plan[w].upper, saved, true, &out[w]);
            finished.try_send(boost::system::error_code{}, w);
        }
    };
    auto deliverer = [&]() -> asio::awaitable<void> {
        std::vector<bool> done(plan.size(), false);
        for (std::size_t w = 0; w < plan.size(); ++w) {
            while (!done[w]) done[co_await finished.async_receive(asio::use_awaitable)] = true;
            for (auto& b : out[w]) co_await deliver(ctx, std::move(b));
            out[w].clear();
            credits.try_send(boost::system::error_code{});
            co_await throw_if_cancelled();
        }
    };
    using op_type = decltype(asio::co_spawn(ex, deliverer(), asio::deferred));
    std::vector<op_type> ops;
    ops.push_back(asio::co_spawn(ex, deliverer(), asio::deferred));
    for (std::size_t i = 0; i < std::min(in_flight, plan.size()); ++i)
        ops.push_back(asio::co_spawn(ex, worker(), asio::deferred));
    auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(ops))
                               .async_wait(asio::experimental::wait_for_one_error(), asio::use_awaitable);
    for (auto i : order)
        if (errors[i]) std::rethrow_exception(errors[i]);
}

asio::awaitable<void> read_full(read_context& ctx, std::optional<std::size_t> time_column) {
    const auto pass_start = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    if (time_column) {
        co_await read_range(ctx, *time_column, boundary{}, std::nullopt, std::nullopt, false, nullptr);
        auto last = std::make_unique<batch>(ctx.schema);
        co_await finish_full(ctx, std::move(last), pass_start);
        co_return;
    }
    const auto n = static_cast<std::int64_t>(ctx.batch_size());
    auto parser = ctx.sql.make_parser();
    row_keyer keys;  // the whole table is one group
    std::int64_t skip = 0;
    for (;;) {
        const auto sql = ctx.sql.offset_page_sql(skip, n);
        auto b = co_await fetch_page(ctx, *parser, sql, keys);
        const auto got = static_cast<std::int64_t>(b->rows());
        skip += got;
        if (got < n) {
            co_await finish_full(ctx, std::move(b), pass_start);
            break;
        }
        co_await deliver(ctx, std::move(b));
        co_await throw_if_cancelled();
    }
}

asio::awaitable<void> read_between(read_context& ctx, std::int64_t lo_us, std::int64_t hi_us) {
    const auto& s = *ctx.schema;
    if (!s.cursor_column) throw error(error_kind::fatal, ctx.context + ": re-reading a range needs a cursor column");
    if (lo_us >= hi_us) co_return;
    co_await read_range(ctx, *s.cursor_column, boundary{lo_us, 0}, hi_us, std::nullopt, false, nullptr);
}

}  // namespace sluice::time_keyset
