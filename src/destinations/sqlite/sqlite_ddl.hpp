#pragma once
// The SQL text of the SQLite destination: declared types, table creation and
// evolution, the per-table upsert, the sweep and the state table. Every
// identifier is quoted; every value is a bound parameter.

#include <string>

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

std::string create_state_sql();
// ?1 source, ?2 table, ?3 cursor, ?4 rows, ?5 updated_at.
std::string upsert_state_sql();
// ?1 rows, ?2 updated_at, ?3 source, ?4 table: counts rows of cursor-less batches.
std::string bump_state_sql();

}  // namespace sluice::sqlite
