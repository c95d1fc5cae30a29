#pragma once
// Druid SQL text. Identifiers double-quoted (embedded quotes doubled), string
// literals single-quoted, timestamps as TIMESTAMP 'yyyy-MM-dd HH:mm:ss.SSS'
// literals (Druid compares milliseconds; the ISO 'T…Z' form does not cast).
// Non-aggregating queries may only ORDER BY __time-like columns, so ties on
// __time come back in no fixed order: no query here pages with OFFSET.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/sql_quote.hpp"
#include "sources/time_keyset/dialect.hpp"
#include "sources/time_keyset/time_range.hpp"

namespace sluice::druid {

// µs → TIMESTAMP '2024-01-01 00:00:00.123' (floored to the millisecond).
std::string timestamp_literal(std::int64_t micros);

// One datasource: "schema"."name".
struct table_ref {
    std::string schema;
    std::string name;
    std::string sql() const { return quote_identifier(schema) + "." + quote_identifier(name); }
};

// SELECT <cols> FROM t [WHERE c >= .. [AND c < ..]] ORDER BY c LIMIT n
std::string page_query(const table_ref& t, std::string_view select_list, std::string_view cursor,
                       const time_keyset::time_range& range, std::int64_t limit);
// Every row of a tie group, unordered: SELECT <cols> FROM t WHERE c = TIMESTAMP '..'
// (or c IS NULL; no WHERE for the whole table).
std::string group_query(const table_ref& t, std::string_view select_list, std::string_view cursor,
                        const time_keyset::tie_group& g);
// SELECT COUNT(*) FROM t WHERE <the group>
std::string group_count_query(const table_ref& t, std::string_view cursor, const time_keyset::tie_group& g);
std::string count_query(const table_ref& t, std::string_view cursor, const time_keyset::time_range& range);
std::string min_query(const table_ref& t, std::string_view cursor);
std::string max_query(const table_ref& t, std::string_view cursor, const time_keyset::time_range& range);

// Reconcile's bucket summary (sluice/reconcile.hpp) over rows with `cursor` in
// `range` (µs, rendered as millisecond TIMESTAMP literals): per bucket =
// floor(ms / width_ms) the row count and Σ mod(ms, P) + Σ_c mod(COALESCE(c, 0), P)
// over `int_columns`, ms = TIMESTAMP_TO_MILLIS(cursor). Druid's MOD and BIGINT
// division truncate like SQLite's and PostgreSQL's `%` and `/`, so the numbers
// equal the destinations' exactly; floor division is spelled with MOD (Druid
// SQL has no `%`). One GROUP BY query, no subquery:
//   SELECT <bucket>, COUNT(*), SUM(<fp>) FROM t WHERE .. GROUP BY 1 ORDER BY 1
std::string summary_query(const table_ref& t, std::string_view cursor, const std::vector<std::string>& int_columns,
                          const time_keyset::time_range& range, std::int64_t width_ms);

std::string tables_query(std::string_view schema);
std::string columns_query(std::string_view schema, std::string_view table);

}  // namespace sluice::druid
