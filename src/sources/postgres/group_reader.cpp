// read_groups: incremental tables without a primary key (see reader.hpp).
// A page is every row with lower < c <= upper, where upper is the cursor value
// of the batch_size-th row past lower: groups sharing a cursor value are never
// split, so a batch may exceed batch_size when one group is large.

#include <spdlog/spdlog.h>

#include "sources/postgres/reader.hpp"

namespace sluice::postgres {

namespace asio = boost::asio;

asio::awaitable<void> read_groups(read_context& ctx, const std::optional<cursor_state>& saved) {
    const auto& s = *ctx.schema;
    const auto& cursor = s.columns[*s.cursor_column];
    cursor_state state;
    state.column = cursor.name;

    const bool resume = saved && !saved->full && saved->column == cursor.name && saved->k.empty();
    if (saved && !resume)
        spdlog::info("{}: stored cursor does not match the table's cursor; reading from the start",
                     s.qualified_name());
    std::optional<std::string> lower;
    bool inclusive = false;
    if (resume) {
        state.c = saved->c;
        lower = saved->c;
        if (auto lb = lookback_bound(ctx, saved->c)) {
            lower = std::move(lb);
            inclusive = true;
        }
    }

    batch_builder builder(ctx.schema, batch_builder::grouping::by_cursor);
    if (!resume && cursor.nullable) {
        // NULL cursors: one group, read once at the start (like the NULLS FIRST
        // section of keyed tables); "c":null then records that it is done.
        const auto q = null_group_query(s);
        const auto r = co_await ctx.conn.exec(q.sql, q.params);
        if (r.rows() > 0) {
            builder.new_group();
            auto b = builder.build(r);
            b->cursor = encode_cursor(state);
            co_await deliver(ctx, std::move(b));
            co_await throw_if_cancelled();
        }
    }

    const int ci = static_cast<int>(*s.cursor_column);
    for (;;) {
        const auto uq = group_upper_query(s, lower, inclusive, ctx.batch_size());
        const auto u = co_await ctx.conn.exec(uq.sql, uq.params);
        std::optional<std::string> upper;
        if (u.rows() > 0 && !u.is_null(0, 0)) upper = std::string(u.get(0, 0));

        const auto q = group_page_query(s, lower, inclusive, upper);
        const auto r = co_await ctx.conn.exec(q.sql, q.params);
        const int n = r.rows();
        if (n == 0) break;
        builder.new_group();
        auto b = builder.build(r);
        state.c = std::string(r.get(n - 1, ci));
        lower = state.c;
        inclusive = false;
        b->cursor = encode_cursor(state);
        co_await deliver(ctx, std::move(b));
        if (!upper) break;  // that page ran to the end of the table
        co_await throw_if_cancelled();
    }
}

}  // namespace sluice::postgres
