#include "sources/questdb/page_reader.hpp"

#include <algorithm>
#include <atomic>
#include <limits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sluice/progress.hpp"
#include "sluice/synthetic_key.hpp"
#include "sources/questdb/catalog.hpp"
#include "sources/questdb/query_builder.hpp"
#include "sources/questdb/response_parser.hpp"

namespace sluice::questdb {

namespace asio = boost::asio;

namespace {

// A NULL cursor value (non-designated cursor column): sorts first.
constexpr std::int64_t null_cursor = std::numeric_limits<std::int64_t>::min();

asio::awaitable<void> throw_if_cancelled() {
    const auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none)
        throw boost::system::system_error(asio::error::operation_aborted);
}

asio::awaitable<void> deliver(read_context& ctx, batch_ptr b) {
    ctx.sink.progress()->rows_read += b->rows();
    co_await ctx.sink.send(std::move(b));
}

std::string position_text(const exec_result& r) {
    return r.position ? " (at position " + std::to_string(*r.position) + ")" : "";
}

// Synthetic keys of one read: occurrence numbers restart whenever the cursor
// value changes (incremental) or run over the whole table (full: no group column).
// A value type, so a page that fails half-parsed can be undone.
struct row_keyer {
    synthetic_keyer keyer;
    std::optional<std::int64_t> prev;  // cursor value of the previous row
    std::optional<std::size_t> group_column;
};

// One page: GET + parse into a fresh batch. An error inside a 200 body or a
// malformed body is retried (the HTTP client's policy, after undoing the keys of
// the half-parsed page): QuestDB reports a failing query mid-stream, and a
// retried query answers whole. Other errors pass through.
asio::awaitable<batch_ptr> fetch_page(read_context& ctx, exec_response_parser& parser, const std::string& sql,
                                      row_keyer& keys) {
    const auto& s = *ctx.schema;
    const std::size_t data_cols = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
    const std::string doing = "reading a page";
    const std::string parse_context = ctx.context + ": " + doing;
    for (unsigned attempt = 1;; ++attempt) {
        const auto resp = co_await exec(ctx.http, sql, ctx.context, doing);
        const row_keyer before = keys;
        auto b = std::make_unique<batch>(ctx.schema, ctx.batch_size());
        const auto select = [&](const std::vector<exec_column>& cols) -> batch* {
            bool same = cols.size() == data_cols;
            for (std::size_t i = 0; same && i < cols.size(); ++i) same = cols[i].name == s.columns[i].name;
            if (!same)
                throw error(error_kind::fatal, ctx.context +
                                                   ": the table's columns changed since discovery; "
                                                   "run discovery again (restart or reload)");
            return b.get();
        };
        exec_response_parser::row_finisher finish;
        if (s.synthetic_key) {
            finish = [&](batch& out) {
                const auto h = hash_pending_row(out, data_cols);
                if (keys.group_column) {
                    const auto v = out.pending(*keys.group_column);
                    const std::int64_t c = v.is_null() ? null_cursor : v.i;
                    if (keys.prev && *keys.prev != c) keys.keyer.new_group();
                    keys.prev = c;
                }
                out.put_text(value_type::string, keys.keyer.next_key(h));
                out.end_row();
            };
        }
        std::string failure;
        try {
            const auto r = parser.parse(resp.body, parse_context, select, nullptr, finish);
            if (!r.is_error()) co_return b;
            failure = "QuestDB error while reading a page: " + r.message + position_text(r);
        } catch (const error& e) {
            if (e.kind() != error_kind::transient) throw;
            failure = e.what();
        }
        keys = before;
        const std::string why = ctx.context + ": " + failure + " [" + sql + "]";
        if (!co_await ctx.http.pause_before_retry(attempt, why))
            throw error(error_kind::transient,
                        fmt::format("{} (gave up after {} attempts)", why, attempt));
    }
}

// Keyset pages over [pos, upper): batches go to `collect` when given, else straight on.
asio::awaitable<void> read_range(read_context& ctx, boundary pos, std::optional<std::int64_t> upper,
                                 const std::optional<cursor_state>& saved, std::vector<batch_ptr>* collect) {
    const auto& s = *ctx.schema;
    const std::size_t ci = *s.cursor_column;
    const auto& cursor_name = s.columns[ci].name;
    const std::size_t n = ctx.batch_size();

    cursor_state state;
    state.column = cursor_name;
    if (saved && !saved->full && saved->column == cursor_name) state = *saved;
    const cursor_state stored = state;

    exec_response_parser parser;
    row_keyer keys;
    keys.group_column = ci;
    std::vector<std::int64_t> page_ts;

    for (;;) {
        time_range range;
        if (pos.start && *pos.start != null_cursor) range.lower = pos.start;
        range.upper = upper;
        const auto sql = page_query(s.source_table, ctx.select_list, cursor_name, range,
                                    pos.skip, pos.skip + static_cast<std::int64_t>(n));
        auto b = co_await fetch_page(ctx, parser, sql, keys);
        page_ts.clear();
        for (std::size_t row = 0; row < b->rows(); ++row) {
            const auto v = b->at(row, ci);
            page_ts.push_back(v.is_null() ? null_cursor : v.i);
        }
        const auto next = advance_past(pos, page_ts);
        if (beyond(next, stored)) {
            state.t = next.start;
            state.k = next.skip;
            b->cursor = encode_cursor(state);
            if (*next.start != null_cursor) b->cursor_time = *next.start;
        }
        pos = next;
        const std::size_t got = b->rows();
        if (got > 0 || !collect) {
            if (collect)
                collect->push_back(std::move(b));
            else if (got > 0)
                co_await deliver(ctx, std::move(b));
        }
        if (got < n) break;
        co_await throw_if_cancelled();
    }
}

asio::awaitable<std::optional<std::string>> scalar(read_context& ctx, const std::string& sql,
                                                   const std::string& doing) {
    const auto resp = co_await exec(ctx.http, sql, ctx.context, doing);
    const auto r = parse_simple(resp.body, ctx.context + ": " + doing);
    if (r.rows.empty() || r.rows[0].empty()) co_return std::nullopt;
    co_return r.rows[0][0];
}

}  // namespace

asio::awaitable<http_response> exec(http_client& http, const std::string& sql, const std::string& context,
                                    const std::string& doing) {
    auto resp = co_await http.request(boost::beast::http::verb::get, exec_target(sql));
    if (resp.ok()) co_return resp;
    const std::string where = context + ": " + doing + ": HTTP " + std::to_string(resp.status) + " from " +
                              http.origin();
    if (resp.is_json() || (!resp.body.empty() && resp.body.front() == '{')) {
        resp.body.reserve(resp.body.size() + http_body_padding);
        parse_simple(resp.body, where, error_kind::fatal);  // throws with QuestDB's message and position
    }
    std::string snippet = resp.body.substr(0, 200);
    throw error(error_kind::fatal, where + (snippet.empty() ? "" : ": " + snippet));
}

std::vector<time_window> split_windows(std::int64_t lower, std::int64_t upper, std::size_t windows) {
    std::vector<time_window> out;
    if (windows <= 1 || upper <= lower) {
        out.push_back({lower, std::nullopt});
        return out;
    }
    const std::int64_t span = upper - lower + 1;
    windows = std::min<std::size_t>(windows, static_cast<std::size_t>(span));
    const std::int64_t step = span / static_cast<std::int64_t>(windows);
    std::int64_t a = lower;
    for (std::size_t i = 0; i + 1 < windows; ++i) {
        out.push_back({a, a + step});
        a += step;
    }
    out.push_back({a, std::nullopt});
    return out;
}

std::size_t window_count(std::int64_t rows, std::size_t batch_size, int max_in_flight) {
    if (max_in_flight <= 1 || batch_size == 0) return 1;
    const auto per_window = static_cast<std::int64_t>(batch_size) * 2;
    if (rows <= per_window * 2) return 1;
    const auto w = static_cast<std::size_t>((rows + per_window - 1) / per_window);
    return std::min<std::size_t>(w, 4096);
}

asio::awaitable<void> read_incremental(read_context& ctx, const std::optional<cursor_state>& saved_in) {
    const auto& s = *ctx.schema;
    const auto& cursor_name = s.columns[*s.cursor_column].name;
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
    // Windows need every row to fall in some [a, b): a nullable (non-designated)
    // cursor column's NULL rows would fall in none, so such tables page sequentially.
    if (ctx.settings.max_in_flight > 1 && !s.columns[*s.cursor_column].nullable) {
        time_range range;
        if (pos.start && *pos.start != null_cursor) range.lower = pos.start;
        const auto cnt = co_await scalar(ctx, count_query(s.source_table, cursor_name, range), "counting rows");
        std::int64_t rows = 0;
        if (cnt) rows = std::stoll(*cnt);
        ctx.sink.progress()->rows_estimate = rows;
        windows = window_count(rows, ctx.batch_size(), ctx.settings.max_in_flight);
        if (windows > 1) {
            const auto mx = co_await scalar(ctx, max_query(s.source_table, cursor_name, range), "finding max");
            if (mx) hi = parse_timestamp_micros(*mx);
            if (range.lower) {
                lo = range.lower;
            } else {
                // From scratch: the first window starts at the oldest row; NULL
                // cursors (sorted first) and everything else are read by it.
                const auto mn = co_await scalar(
                    ctx, "SELECT min(" + quote_ident(cursor_name) + ") FROM " + quote_ident(s.source_table),
                    "finding min");
                if (mn) lo = parse_timestamp_micros(*mn);
            }
            if (!lo || !hi || *hi <= *lo) windows = 1;
        }
    }
    if (windows <= 1) {
        co_await read_range(ctx, pos, std::nullopt, saved, nullptr);
        co_return;
    }

    auto plan = split_windows(*lo, *hi, windows);
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
            co_await read_range(ctx, start, plan[w].upper, saved, &out[w]);
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

asio::awaitable<void> read_full(read_context& ctx) {
    const auto& s = *ctx.schema;
    const std::size_t n = ctx.batch_size();
    const auto pass_start = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    exec_response_parser parser;
    row_keyer keys;  // the whole table is one group
    std::int64_t lo = 0;
    for (;;) {
        const auto sql = full_page_query(s.source_table, ctx.select_list, lo, lo + static_cast<std::int64_t>(n));
        auto b = co_await fetch_page(ctx, parser, sql, keys);
        const std::size_t got = b->rows();
        lo += static_cast<std::int64_t>(got);
        if (got < n) {
            cursor_state done;
            done.full = true;
            done.done = true;
            b->cursor = encode_cursor(done);
            b->soft_delete_unseen_before = pass_start;
            co_await deliver(ctx, std::move(b));
            break;
        }
        co_await deliver(ctx, std::move(b));
        co_await throw_if_cancelled();
    }
}

}  // namespace sluice::questdb
