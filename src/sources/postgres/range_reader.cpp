// read_range and summarize: the postgres source's side of reconcile (reconcile.hpp).

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sources/postgres/reader.hpp"

namespace sluice::postgres {

namespace asio = boost::asio;

namespace {

constexpr const char* cursor_name = "\"sluice_reread\"";

}  // namespace

asio::awaitable<std::vector<bucket_stats>> summarize(pg::connection& conn, const table_schema& s,
                                                     const bucket_query& q) {
    std::optional<std::string> lo;
    if (q.lo_ms) lo = format_timestamp_micros(*q.lo_ms * 1000);
    const auto hi = format_timestamp_micros(q.hi_ms * 1000);
    const auto sql = summary_query(s, q, lo, hi);
    const auto r = co_await conn.exec(sql.sql, sql.params);
    std::vector<bucket_stats> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        bucket_stats b;
        b.bucket = std::stoll(std::string(r.get(i, 0)));
        b.rows = std::stoll(std::string(r.get(i, 1)));
        b.fingerprint = std::stoll(std::string(r.get(i, 2)));
        out.push_back(b);
    }
    co_return out;
}

asio::awaitable<void> read_range(read_context& ctx, std::int64_t lo_ms, std::int64_t hi_ms) {
    const auto& s = *ctx.schema;
    const auto q = range_query(s, format_timestamp_micros(lo_ms * 1000), format_timestamp_micros(hi_ms * 1000));
    // Keys as a normal sync makes them: synthetic occurrence numbers restart per
    // cursor value, and a bucket never splits a cursor value.
    batch_builder builder(ctx.schema, s.synthetic_key ? batch_builder::grouping::by_cursor
                                                      : batch_builder::grouping::by_content);
    const std::size_t fetch = ctx.redshift ? std::min<std::size_t>(ctx.batch_size(), 1000) : ctx.batch_size();
    // Named SQL texts, not temporaries inside the co_await: sluice/coro.hpp.
    const std::string_view begin_sql = begin_snapshot_sql(ctx.redshift);
    co_await ctx.conn.exec(begin_sql);
    const std::string declare_sql = fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", cursor_name, q.sql);
    co_await ctx.conn.exec(declare_sql, q.params);
    const std::string fetch_sql = fmt::format("FETCH FORWARD {} FROM {}", fetch, cursor_name);
    for (;;) {
        const auto r = co_await ctx.conn.exec(fetch_sql);
        const int n = r.rows();
        if (n > 0) {
            auto b = builder.build(r);  // no cursor: the table's position does not move
            co_await deliver(ctx, std::move(b));
        }
        if (static_cast<std::size_t>(n) < fetch) break;
        co_await throw_if_cancelled();
    }
    const std::string close_sql = fmt::format("CLOSE {}; COMMIT", cursor_name);
    co_await ctx.conn.exec(close_sql);
}

}  // namespace sluice::postgres
