#pragma once
// Reading one table into batches (the body of postgres_source::sync()).
//
// - read_keyset: tables with a real key. Incremental: keyset on (cursor, key);
//   full: a pass in key order ending with the soft-delete sweep. On PostgreSQL
//   the pass is ONE `COPY (query) TO STDOUT` in a REPEATABLE READ READ ONLY
//   transaction, decoded as it streams in (one sort, bounded memory, no fetch
//   round trips); on Redshift (no COPY TO STDOUT, cursors materialize on the
//   leader) keyset pages with LIMIT.
//   Full passes of tables without key also go here (content order, cursor).
// - read_groups: incremental tables without key: whole cursor-value groups per
//   batch, so synthetic occurrence numbers are stable across syncs.
//
// Lookback: on resume, a timestamp cursor re-reads from stored - lookback
// (c >= bound, no key part; upserts make the re-read harmless). Other cursor
// types (integers, strings) ignore lookback: there is no meaningful "minus".

#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "sluice/batch.hpp"
#include "sluice/cancellation.hpp"
#include "sluice/config.hpp"
#include "sluice/pg/connection.hpp"
#include "sluice/source.hpp"
#include "sluice/synthetic_key.hpp"
#include "sources/postgres/cursor_state.hpp"
#include "sources/postgres/query_builder.hpp"
#include "sources/postgres/row_decoder.hpp"

namespace sluice::postgres {

struct read_context {
    pg::connection& conn;
    table_schema_ptr schema;
    batch_sink& sink;
    config::table_settings settings;
    bool redshift = false;

    std::size_t batch_size() const { return settings.batch_size ? settings.batch_size : 1; }
};

boost::asio::awaitable<void> read_keyset(read_context& ctx, const std::optional<cursor_state>& saved);
boost::asio::awaitable<void> read_groups(read_context& ctx, const std::optional<cursor_state>& saved);
// Reconcile (range_reader.cpp): rows with lo <= cursor < hi, and bucket summaries.
boost::asio::awaitable<void> read_range(read_context& ctx, std::int64_t lo_ms, std::int64_t hi_ms);
boost::asio::awaitable<std::vector<bucket_stats>> summarize(pg::connection& conn, const table_schema& s,
                                                            const bucket_query& q);

// Shared by both readers.
class batch_builder {
public:
    enum class grouping {
        by_cursor,   // synthetic keys restart whenever the cursor value changes
        by_content,  // rows arrive in content order: identical rows are adjacent
    };
    batch_builder(table_schema_ptr schema, grouping g);
    batch_ptr build(const pg::result& r);
    // One row (decoded, keyed, end_row()) onto `b`.
    void append(const text_row& row, batch& b);
    void new_group() { keyer_.new_group(); }

private:
    table_schema_ptr schema_;
    row_decoder decoder_;
    synthetic_keyer keyer_;
    grouping grouping_;
    std::string prev_cursor_;
    bool have_prev_ = false;
    hash128 prev_hash_;
};

position row_position(const text_row& row, const std::vector<std::size_t>& cols);
inline position row_position(const pg::result& r, int row, const std::vector<std::size_t>& cols) {
    return row_position(result_row(r, row), cols);
}
// Lower bound for a lookback re-read, or nullopt when lookback does not apply.
std::optional<std::string> lookback_bound(const read_context& ctx, const std::optional<std::string>& stored);
boost::asio::awaitable<void> deliver(read_context& ctx, batch_ptr b);

// The statement that opens a read's snapshot: Redshift has no REPEATABLE READ READ ONLY.
std::string_view begin_snapshot_sql(bool redshift);

}  // namespace sluice::postgres
