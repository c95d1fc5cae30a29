// read_keyset: see reader.hpp.

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/clock.hpp"
#include "sources/postgres/copy_text.hpp"
#include "sources/postgres/reader.hpp"

namespace sluice::postgres {

namespace asio = boost::asio;

namespace {

constexpr const char* cursor_name = "\"sluice_read\"";
// Single-node Redshift clusters cap FETCH FORWARD at 1000 rows.
constexpr std::size_t redshift_max_fetch = 1000;

// Where the read starts and what the cursor JSON carries forward.
struct plan {
    std::vector<std::size_t> order;  // empty: content order (full pass without key)
    keyset_request request;
    cursor_state state;
};

plan make_plan(const read_context& ctx, const std::optional<cursor_state>& saved) {
    const auto& s = *ctx.schema;
    plan p;
    const bool full = s.mode == sync_mode::full;
    p.state.full = full;
    if (!s.synthetic_key) {
        if (!full) p.order.push_back(*s.cursor_column);
        p.order.insert(p.order.end(), s.key.begin(), s.key.end());
    }
    p.request.order = p.order;
    p.request.row_compare = !ctx.redshift;
    if (ctx.redshift) p.request.limit = ctx.batch_size();

    if (full) {
        const bool resume = saved && saved->full && !saved->done && saved->pass > 0;
        p.state.pass = resume ? saved->pass : now_us();
        // Without a key there is no position: a resumed pass restarts (keeping pass_start).
        if (resume && !p.order.empty() && saved->k.size() == p.order.size()) {
            p.request.bound = bound_kind::after;
            p.request.from = saved->k;
        }
        return p;
    }
    const auto& cursor = s.columns[*s.cursor_column].name;
    p.state.column = cursor;
    const bool resume = saved && !saved->full && saved->column == cursor && saved->k.size() == s.key.size();
    if (saved && !resume)
        spdlog::info("{}: stored cursor does not match the table's cursor/key; reading from the start",
                     s.qualified_name());
    if (!resume) return p;
    p.state.c = saved->c;
    p.state.k = saved->k;
    if (auto lb = lookback_bound(ctx, saved->c)) {
        p.request.bound = bound_kind::at_or_after;
        p.request.from = {std::move(*lb)};
    } else {
        p.request.bound = bound_kind::after;
        p.request.from.push_back(saved->c);
        p.request.from.insert(p.request.from.end(), saved->k.begin(), saved->k.end());
    }
    return p;
}

// The position after `row` (the last row of a batch) becomes the cursor.
void advance(plan& p, const text_row& row) {
    if (p.order.empty()) return;
    auto pos = row_position(row, p.order);
    if (p.state.full) {
        p.state.k = pos;
    } else {
        p.state.c = pos.front();
        p.state.k.assign(pos.begin() + 1, pos.end());
    }
    p.request.bound = bound_kind::after;
    p.request.from = std::move(pos);
}

// Stamps a batch with the cursor; the last batch of a full pass also carries
// the sweep: every row still at the source was rewritten since pass start, the
// rest vanished.
void stamp(plan& p, batch& b, bool last) {
    if (p.state.full && last) {
        p.state.done = true;
        b.soft_delete_unseen_before = p.state.pass;
    }
    b.cursor = encode_cursor(p.state);
}

// PostgreSQL: the whole pass is ONE `COPY (SELECT … ORDER BY …) TO STDOUT` in a
// REPEATABLE READ snapshot, decoded row by row into batches as it streams in:
// no cursor round trips and no result sets to build, which is what a server-side
// cursor's FETCH costs on both sides.
asio::awaitable<void> read_by_copy(read_context& ctx, plan& p) {
    const auto& s = *ctx.schema;
    const auto q = p.order.empty() ? content_order_query(s) : keyset_query(s, p.request);
    const std::string copy_sql = "COPY (" + with_literals(q) + ") TO STDOUT";
    const std::size_t fields = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
    const std::string context = s.qualified_name() + ": reading";
    batch_builder builder(ctx.schema, batch_builder::grouping::by_content);
    const std::string_view begin_sql = begin_snapshot_sql(false);
    co_await ctx.conn.exec(begin_sql);
    co_await ctx.conn.copy_out_start(copy_sql);
    pg::copy_row line;
    copy_text_row row;
    auto b = std::make_unique<batch>(ctx.schema, ctx.batch_size());
    for (;;) {
        const bool more = co_await ctx.conn.copy_out_next(line);
        if (more) {
            row.parse(line.data(), fields, context);
            builder.append(row, *b);
            if (b->rows() < ctx.batch_size()) continue;
        }
        // A full batch, or the end of the pass (its last batch may be empty: a
        // full pass must still deliver the sweep). `row` is still the batch's
        // last row: copy_out_next leaves `line` alone when the COPY ends.
        if (b->rows() > 0) advance(p, row);
        if (b->rows() > 0 || (p.state.full && !more)) {
            stamp(p, *b, !more);
            co_await deliver(ctx, std::move(b));
            b = std::make_unique<batch>(ctx.schema, ctx.batch_size());
        }
        if (!more) break;
        co_await throw_if_cancelled();
    }
    const std::string_view commit_sql = "COMMIT";
    co_await ctx.conn.exec(commit_sql);
}

}  // namespace

asio::awaitable<void> read_keyset(read_context& ctx, const std::optional<cursor_state>& saved) {
    const auto& s = *ctx.schema;
    plan p = make_plan(ctx, saved);
    if (!ctx.redshift) {
        co_await read_by_copy(ctx, p);
        co_return;
    }
    // Redshift has no COPY TO STDOUT: keyset pages with LIMIT, or (no order)
    // a cursor fetched in slices.
    const bool paged = !p.order.empty();
    const std::size_t fetch = paged ? ctx.batch_size() : std::min(ctx.batch_size(), redshift_max_fetch);
    batch_builder builder(ctx.schema, batch_builder::grouping::by_content);
    const std::string fetch_sql = fmt::format("FETCH FORWARD {} FROM {}", fetch, cursor_name);
    if (!paged) {
        const auto q = content_order_query(s);
        // Named SQL texts, not temporaries inside the co_await: sluice/coro.hpp.
        const std::string_view begin_sql = begin_snapshot_sql(ctx.redshift);
        co_await ctx.conn.exec(begin_sql);
        const std::string declare_sql = fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", cursor_name, q.sql);
        co_await ctx.conn.exec(declare_sql, q.params);
    }
    for (;;) {
        pg::result r;
        if (paged) {
            const auto q = keyset_query(s, p.request);
            r = co_await ctx.conn.exec(q.sql, q.params);
        } else {
            r = co_await ctx.conn.exec(fetch_sql);
        }
        const int n = r.rows();
        const bool last = static_cast<std::size_t>(n) < fetch;
        auto b = builder.build(r);
        if (n > 0) advance(p, result_row(r, n - 1));
        if (n > 0 || (p.state.full && last)) {
            stamp(p, *b, last);
            co_await deliver(ctx, std::move(b));
        }
        if (last) break;
        co_await throw_if_cancelled();
    }
    if (!paged) {
        const std::string close_sql = fmt::format("CLOSE {}; COMMIT", cursor_name);
        co_await ctx.conn.exec(close_sql);
    }
}

}  // namespace sluice::postgres
