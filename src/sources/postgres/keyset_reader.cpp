// read_keyset: see reader.hpp.

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/clock.hpp"
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

}  // namespace

asio::awaitable<void> read_keyset(read_context& ctx, const std::optional<cursor_state>& saved) {
    const auto& s = *ctx.schema;
    plan p = make_plan(ctx, saved);
    const bool full = p.state.full;
    const bool paged = ctx.redshift && !p.order.empty();  // keyset pages with LIMIT
    std::size_t fetch = ctx.batch_size();
    if (ctx.redshift && !paged) fetch = std::min(fetch, redshift_max_fetch);

    batch_builder builder(ctx.schema, batch_builder::grouping::by_content);
    const std::string fetch_sql = fmt::format("FETCH FORWARD {} FROM {}", fetch, cursor_name);
    if (!paged) {
        const auto q = p.order.empty() ? content_order_query(s) : keyset_query(s, p.request);
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
        if (n > 0 && !p.order.empty()) {
            auto pos = row_position(r, n - 1, p.order);
            if (full) {
                p.state.k = pos;
            } else {
                p.state.c = pos.front();
                p.state.k.assign(pos.begin() + 1, pos.end());
            }
            p.request.bound = bound_kind::after;
            p.request.from = std::move(pos);
        }
        if (full && last) {
            // Every row still at the source was rewritten since pass start: the rest vanished.
            p.state.done = true;
            b->soft_delete_unseen_before = p.state.pass;
        }
        if (n > 0 || (full && last)) {
            b->cursor = encode_cursor(p.state);
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
