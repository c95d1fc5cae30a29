#pragma once
// The SQL text of the SQLite destination: declared types, table creation and
// evolution, the per-table upsert, the sweep and the state table. Every
// identifier is quoted; every value is a bound parameter.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/schema.hpp"
#include "sluice/value.hpp"

namespace sluice::sqlite {

inline constexpr const char* state_table = "_sluice_state";

// Declared types chosen for their affinity, so SQLite keeps values exact:
// names containing TEXT get TEXT affinity (no numeric coercion of decimals or
// timestamps), INTEGER/REAL/BLOB keep their classes, BOOLEAN is NUMERIC (0/1).
const char* declared_type(value_type t) noexcept;

std::string create_table_sql(const std::string& table, const table_schema& schema);
std::string add_column_sql(const std::string& table, const column& c);
// Parameters ?1..?n are the schema's columns in order, ?n+1 the synced-at text.
std::string upsert_sql(const std::string& table, const table_schema& schema);
// ?1: the sweep instant as timestamp text.
std::string sweep_sql(const std::string& table);

// Reconcile (sluice/reconcile.hpp). Timestamps are compared and converted as the
// stored TIMESTAMP_TEXT, which is fixed-width only for years 0000..9999: values
// outside (and any stray non-timestamp text) are left out of summaries and
// range sweeps alike, so the two always agree on which rows a range holds.
//
// `col` is a quoted TIMESTAMP_TEXT column; its instant in whole ms, floored.
std::string epoch_ms_sql(const std::string& col);
struct time_range {
    std::string where;                // "length(col) = 27 AND col >= ?N AND col < ?M"
    std::vector<std::string> params;  // bound texts, in parameter order from ?first_param
};
// Restricts `col` to [lo_us, hi_us) (nullopt: unbounded) by comparing the text,
// which sorts like the instant and lets an index on the column serve the scan.
// nullopt when no storable instant lies in the range.
std::optional<time_range> time_range_sql(const std::string& col, std::optional<std::int64_t> lo_us,
                                         std::optional<std::int64_t> hi_us, int first_param);
// The sweep restricted to a time range: ?1 the sweep instant, then range.params.
std::string range_sweep_sql(const std::string& table, const time_range& range);
// Buckets of `width_ms`: rows (bucket, count, fingerprint) ordered by bucket.
// `int_values` are the fingerprint's SQL expressions (quoted columns, or NULL
// for a column the table does not have yet); parameters are range.params.
std::string summarize_sql(const std::string& table, const std::string& time_col,
                          const std::vector<std::string>& int_values, std::int64_t width_ms,
                          const time_range& range);

std::string create_state_sql();
// ?1 source, ?2 table, ?3 cursor, ?4 rows, ?5 updated_at.
std::string upsert_state_sql();
// ?1 rows, ?2 updated_at, ?3 source, ?4 table: counts rows of cursor-less batches.
std::string bump_state_sql();

}  // namespace sluice::sqlite
