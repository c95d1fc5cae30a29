#include "sources/postgres/parallel_load.hpp"

#include <algorithm>
#include <atomic>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/async_mutex.hpp"
#include "sluice/progress.hpp"
#include "sources/postgres/copy_text.hpp"
#include "sources/postgres/query_builder.hpp"

namespace sluice::postgres {

namespace asio = boost::asio;

namespace {

bool integer_key(const column& key) {
    const auto& t = key.source_type;  // information_schema's data_type
    return key.type == value_type::int64 && (t == "smallint" || t == "integer" || t == "bigint");
}

// Types with a total order whose text form reads back as the same value (so a
// histogram bound or a last key is a valid range bound): not floats or booleans.
bool splittable_key(const column& key) {
    static constexpr std::string_view ordered[] = {"numeric", "decimal", "date", "timestamp without time zone",
                                                   "timestamp with time zone", "text", "character varying",
                                                   "character", "uuid"};
    return integer_key(key) || std::find(std::begin(ordered), std::end(ordered), key.source_type) != std::end(ordered);
}

}  // namespace

bool parallel_load_applies(const read_context& ctx, const std::optional<cursor_state>& saved,
                           std::optional<std::int64_t> estimated_rows) {
    const auto& s = *ctx.schema;
    if (ctx.redshift || s.mode != sync_mode::incremental || s.synthetic_key || s.key.size() != 1 ||
        !s.cursor_column)
        return false;
    if (!splittable_key(s.columns[s.key.front()])) return false;
    if (saved && saved->load) return true;  // a load in progress is finished as a load
    const int workers = ctx.settings.max_parallel_workers;
    if (saved || workers <= 1 || !estimated_rows) return false;
    return *estimated_rows >= parallel_load_batches_per_worker * static_cast<std::int64_t>(ctx.batch_size()) * workers;
}

std::vector<load_range> split_key_range(std::int64_t min, std::int64_t max, std::size_t n) {
    std::vector<load_range> out;
    const __int128 span = static_cast<__int128>(max) - min + 1;
    if (n < 1 || span <= 0) n = 1;
    if (span > 0 && static_cast<__int128>(n) > span) n = static_cast<std::size_t>(span);
    for (std::size_t i = 0; i < n; ++i) {
        load_range r;
        if (i > 0) r.lo = std::to_string(static_cast<std::int64_t>(min + span * static_cast<__int128>(i) / n));
        if (i + 1 < n) r.hi = std::to_string(static_cast<std::int64_t>(min + span * static_cast<__int128>(i + 1) / n));
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<load_range> split_by_histogram(const std::vector<std::string>& bounds, std::size_t n) {
    std::vector<std::string> cuts;
    if (n > 1 && bounds.size() >= 2) {
        for (std::size_t j = 1; j < n; ++j) {
            const std::string& b = bounds[(j * (bounds.size() - 1) + n / 2) / n];
            if (cuts.empty() || cuts.back() != b) cuts.push_back(b);
        }
    }
    std::vector<load_range> out(cuts.size() + 1);
    for (std::size_t i = 0; i < cuts.size(); ++i) {
        out[i].hi = cuts[i];
        out[i + 1].lo = cuts[i];
    }
    return out;
}

namespace {

// The load's shared state: stamping a batch with it and sending that batch are
// one step under the lock (see the header: channel order = commit order).
class load_state {
public:
    load_state(read_context& ctx, cursor_state state, asio::any_io_executor ex)
        : ctx_(ctx), state_(std::move(state)), mutex_(std::move(ex)) {}

    const parallel_load& load() const { return *state_.load; }

    asio::awaitable<void> send(batch_ptr b, std::size_t range, const std::optional<std::string>& last, bool done) {
        auto guard = co_await mutex_.lock();
        auto& r = state_.load->ranges[range];
        if (last) r.last = last;
        if (done) r.done = true;
        b->cursor = encode_cursor(state_);
        ctx_.sink.progress()->rows_read += b->rows();
        co_await ctx_.sink.send(std::move(b));
    }

    // Every range is read: incremental reading continues after the snapshot's newest row.
    asio::awaitable<void> finish() {
        auto guard = co_await mutex_.lock();
        const auto load = std::move(*state_.load);
        state_.load.reset();
        auto b = std::make_unique<batch>(ctx_.schema);
        if (load.has_end) {
            state_.c = load.end_c;
            state_.k = load.end_k;
            if (load.end_c)
                if (auto t = parse_timestamp_micros(*load.end_c)) b->cursor_time = *t;
        }
        b->cursor = encode_cursor(state_);
        co_await ctx_.sink.send(std::move(b));
    }

private:
    read_context& ctx_;
    cursor_state state_;
    async_mutex mutex_;
};

// Reads range `i` on `conn` (inside the shared snapshot) into batches.
asio::awaitable<void> read_range(read_context& ctx, pg::connection& conn, load_state& state, std::size_t i) {
    const auto& s = *ctx.schema;
    const load_range r = state.load().ranges[i];
    const auto q = range_rows_query(s, r.lo, r.hi, r.last);
    const std::string copy_sql = "COPY (" + with_literals(q) + ") TO STDOUT";
    const std::size_t fields = s.columns.size();
    const std::size_t key = s.key.front();
    const std::string context = fmt::format("{}: reading key range {}", s.qualified_name(), i);
    batch_builder builder(ctx.schema, batch_builder::grouping::by_content);
    co_await conn.copy_out_start(copy_sql);
    pg::copy_row line;
    copy_text_row row;
    auto b = std::make_unique<batch>(ctx.schema, ctx.batch_size());
    for (;;) {
        const bool more = co_await conn.copy_out_next(line);
        if (more) {
            row.parse(line.data(), fields, context);
            builder.append(row, *b);
            if (b->rows() < ctx.batch_size()) continue;
        }
        // `row` is still the batch's last row (copy_out_next leaves `line` alone at the end).
        std::optional<std::string> last;
        if (b->rows() > 0) last = std::string(row.get(key));
        if (b->rows() > 0 || !more) {
            // The end of a range goes on even without rows: its "done" saves a resume the query.
            co_await state.send(std::move(b), i, last, !more);
            b = std::make_unique<batch>(ctx.schema, ctx.batch_size());
        }
        if (!more) co_return;
        co_await throw_if_cancelled();
    }
}

}  // namespace

asio::awaitable<void> read_parallel_load(read_context& ctx, const std::optional<cursor_state>& saved,
                                         pg::pool& pool, std::vector<pg::pool::slot> extra) {
    const auto& s = *ctx.schema;
    cursor_state state;
    state.column = s.columns[*s.cursor_column].name;
    auto& first = ctx.conn;
    // Named SQL texts, not temporaries inside the co_await: sluice/coro.hpp.
    const std::string_view begin_sql = begin_snapshot_sql(false), commit_sql = "COMMIT";
    const std::string_view export_sql = "SELECT pg_export_snapshot()";
    co_await first.exec(begin_sql);
    const auto exported = co_await first.exec(export_sql);
    const std::string snapshot(exported.get(0, 0));
    const auto planned = static_cast<std::size_t>(std::max(1, ctx.settings.max_parallel_workers));
    if (saved && saved->load) {
        state.load = saved->load;
    } else {
        parallel_load load;
        const auto end_sql = end_position_query(s).sql;
        const auto end = co_await first.exec(end_sql);
        if (end.rows() > 0) {
            load.has_end = true;
            load.end_c = end.is_null(0, 0) ? std::nullopt : std::optional<std::string>(std::string(end.get(0, 0)));
            for (int c = 1; c < end.columns(); ++c) load.end_k.emplace_back(std::string(end.get(0, c)));
            const auto histogram = histogram_bounds_query(s);
            const auto hist = co_await first.exec(histogram.sql, histogram.params);
            std::vector<std::string> bounds;
            for (int i = 0; i < hist.rows(); ++i) bounds.emplace_back(hist.get(i, 0));
            if (bounds.size() >= 2) {
                load.ranges = split_by_histogram(bounds, planned * 4);
            } else if (integer_key(s.columns[s.key.front()])) {
                const auto minmax_sql = key_bounds_query(s).sql;
                const auto minmax = co_await first.exec(minmax_sql);
                load.ranges = split_key_range(std::stoll(std::string(minmax.get(0, 0))),
                                              std::stoll(std::string(minmax.get(0, 1))), planned * 4);
            } else {
                spdlog::info("{}: no statistics for key {} (ANALYZE the table to split its initial load); "
                             "reading it as one range", s.qualified_name(),
                             pg::connection::quote_ident(s.columns[s.key.front()].name));
                load.ranges.push_back({});
            }
        } else {
            load.ranges.push_back({});  // an empty table: one range, read and done at once
        }
        state.load = std::move(load);
    }
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < state.load->ranges.size(); ++i)
        if (!state.load->ranges[i].done) todo.push_back(i);
    const std::size_t workers = std::max<std::size_t>(1, std::min({planned, extra.size() + 1, todo.size()}));
    // Slots this load cannot use go back to the other tables now.
    while (extra.size() + 1 > workers) extra.pop_back();
    spdlog::info("{}: initial load in {} key ranges ({} to read) on {} connections", s.qualified_name(),
                 state.load->ranges.size(), todo.size(), workers);

    const auto ex = co_await asio::this_coro::executor;
    load_state shared(ctx, std::move(state), ex);
    std::atomic<std::size_t> next{0};
    const auto read_ranges = [&](pg::connection& conn) -> asio::awaitable<void> {
        for (std::size_t n = next++; n < todo.size(); n = next++) co_await read_range(ctx, conn, shared, todo[n]);
    };
    // The first connection reads in the snapshot it exported; the others import it.
    auto worker = [&](std::size_t w) -> asio::awaitable<void> {
        if (w == 0) {
            co_await read_ranges(first);
            co_return;
        }
        auto conn = co_await pool.open(std::move(extra[w - 1]));
        co_await conn->exec(begin_sql);
        const std::string import = "SET TRANSACTION SNAPSHOT " + pg::connection::quote_literal(snapshot);
        co_await conn->exec(import);
        co_await read_ranges(*conn);
        co_await conn->exec(commit_sql);
        conn.keep();
    };
    using op_type = decltype(asio::co_spawn(ex, worker(0), asio::deferred));
    std::vector<op_type> ops;
    for (std::size_t w = 0; w < workers; ++w) ops.push_back(asio::co_spawn(ex, worker(w), asio::deferred));
    auto group = asio::experimental::make_parallel_group(std::move(ops));
    auto all = group.async_wait(asio::experimental::wait_for_one_error(), asio::use_awaitable);
    auto [order, errors] = co_await std::move(all);
    for (auto i : order)
        if (errors[i]) std::rethrow_exception(errors[i]);
    co_await first.exec(commit_sql);
    co_await shared.finish();
}

}  // namespace sluice::postgres
