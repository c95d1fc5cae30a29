#pragma once
// SQL text for the postgres source's reads. Identifiers are always quoted;
// values are always parameters ($1...), never spliced into the text.
//
// Keyset reads order by (leading, rest...): for incremental tables the cursor
// then the key, for full passes the key alone. Rows whose cursor is NULL come
// first (NULLS FIRST) in the initial pass; a position inside that NULL section
// resumes with "cursor IS NULL AND key > k, or cursor IS NOT NULL". Once past
// it, only non-NULL cursors can compare greater, so later rows whose cursor is
// (or becomes) NULL are not picked up again: give such tables a NOT NULL cursor.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sluice/pg/connection.hpp"
#include "sluice/reconcile.hpp"
#include "sluice/schema.hpp"

namespace sluice::postgres {

struct read_query {
    std::string sql;
    std::vector<pg::param> params;
};

// Values of the order columns at a row, as PostgreSQL text (nullopt = NULL).
using position = std::vector<std::optional<std::string>>;

enum class bound_kind {
    start,        // from the beginning
    after,        // strictly after `position` (all order columns)
    at_or_after,  // leading column >= the single value (lookback re-read)
};

struct keyset_request {
    std::vector<std::size_t> order;  // column indices: leading first
    bound_kind bound = bound_kind::start;
    position from;                     // after: one value per order column; at_or_after: one value
    bool row_compare = true;           // PostgreSQL: (a, b) > ($1, $2); Redshift: expanded OR form
    std::optional<std::size_t> limit;  // Redshift pages
};

// Quoted select list of every source column (not the synthetic key), arrays as JSON text.
std::string select_list(const table_schema& s);

read_query keyset_query(const table_schema& s, const keyset_request& req);

// Synthetic-key incremental reads work on whole cursor groups:
// the cursor value of the n-th row after `lower` (exclusive, or inclusive for a
// lookback) — the upper bound of the next page ...
read_query group_upper_query(const table_schema& s, const std::optional<std::string>& lower, bool inclusive,
                             std::size_t n);
// ... and the rows with lower < c <= upper (no upper: to the end), ordered by c.
read_query group_page_query(const table_schema& s, const std::optional<std::string>& lower, bool inclusive,
                            const std::optional<std::string>& upper);
// Every row whose cursor is NULL (one group, read once in the initial pass).
read_query null_group_query(const table_schema& s);

// Reconcile (reconcile.hpp): per bucket of the timestamp cursor, count and
// fingerprint, with $1/$2 the bounds as timestamps ($1 absent when lo is).
read_query summary_query(const table_schema& s, const bucket_query& q, const std::optional<std::string>& lo,
                         const std::string& hi);
// Every row with lo <= c < hi in (cursor, key) order: a reconcile re-read.
read_query range_query(const table_schema& s, const std::string& lo, const std::string& hi);

// Parallel initial loads (parallel_load.hpp), on the table's single key column:
// its smallest and largest value as text;
read_query key_bounds_query(const table_schema& s);
// the key column's histogram bounds from pg_stats (ANALYZE's sample, in the
// column's own order), one row each, as text; no rows without statistics;
read_query histogram_bounds_query(const table_schema& s);
// the (cursor, key) of the newest row in (cursor NULLS FIRST, key) order;
read_query end_position_query(const table_schema& s);
// the rows with lo <= key < hi and key > last (each when set), in key order.
read_query range_rows_query(const table_schema& s, const std::optional<std::string>& lo,
                            const std::optional<std::string>& hi, const std::optional<std::string>& last);

// The query with its parameters written in as literals (NULL for nullopt):
// for statements that take no parameters, such as COPY (query) TO STDOUT. $n
// inside quoted identifiers and string literals is left alone.
std::string with_literals(const read_query& q);

// Full pass of a table without key: ordered by every column's text, so identical
// rows are adjacent and get their occurrence numbers in one run.
read_query content_order_query(const table_schema& s);

}  // namespace sluice::postgres
