#pragma once
// The SQL text of the PostgreSQL destination. Identifiers are quoted with
// pg::connection::quote_ident; values are always parameters or COPY data.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/schema.hpp"
#include "sluice/value.hpp"

namespace sluice::pgdest {

// 4714-11-24 BC 00:00 UTC, PostgreSQL's earliest timestamptz, in µs since 1970.
inline constexpr std::int64_t pg_min_timestamp_us = -210'866'803'200'000'000;

const char* pg_type(value_type t) noexcept;

// `target` is the quoted, schema-qualified table name.
std::string create_table_sql(const std::string& target, const table_schema& schema);
std::string add_column_sql(const std::string& target, const column& c);
// COPY of the schema's columns plus _sluice_synced_at and _sluice_deleted.
std::string copy_sql(const std::string& table, const table_schema& schema);
std::string create_stage_sql(const std::string& stage, const std::string& target);
// Upserts everything in the stage into the target; un-deletes reappearing rows.
std::string merge_sql(const std::string& target, const std::string& stage, const table_schema& schema);
// $1: the sweep instant.
std::string sweep_sql(const std::string& target);

// Reconcile (sluice/reconcile.hpp).
// `col` is a quoted timestamptz column; its instant in whole ms, floored. Since
// PostgreSQL 14 extract() returns numeric, which is exact; before, it returns
// double precision, so for `numeric_extract` false the instant is first
// truncated to the ms and the double only rounded back (exact for any instant).
std::string epoch_ms_sql(const std::string& col, bool numeric_extract = true);
struct time_range {
    std::string where;                // "col >= $N::timestamptz AND col < $M::timestamptz"
    std::vector<std::string> params;  // bound instants as text, in parameter order from $first_param
};
// Restricts `col` to [lo_us, hi_us) (nullopt: unbounded) with comparisons an
// index on the column can serve; nullopt when the range is empty.
std::optional<time_range> time_range_sql(const std::string& col, std::optional<std::int64_t> lo_us,
                                         std::optional<std::int64_t> hi_us, int first_param);
// The sweep restricted to a time range: $1 the sweep instant, then range.params.
std::string range_sweep_sql(const std::string& target, const time_range& range);
// Buckets of `width_ms`: rows (bucket, count, fingerprint) ordered by bucket.
// `int_values` are the fingerprint's SQL expressions (quoted bigint columns, or
// NULL::bigint for a column the table does not have yet); parameters are range.params.
std::string summarize_sql(const std::string& target, const std::string& time_col,
                          const std::vector<std::string>& int_values, std::int64_t width_ms,
                          const time_range& range, bool numeric_extract = true);

std::string create_state_sql();  // schema "sluice" and its _sluice_state table
// $1 source, $2 table, $3 cursor, $4 rows, $5 updated_at.
std::string upsert_state_sql();
// $1 rows, $2 updated_at, $3 source, $4 table.
std::string bump_state_sql();

}  // namespace sluice::pgdest
