#pragma once
// The SQL text of the PostgreSQL destination. Identifiers are quoted with
// pg::connection::quote_ident; values are always parameters or COPY data.

#include <string>

#include "sluice/schema.hpp"
#include "sluice/value.hpp"

namespace sluice::pgdest {

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

std::string create_state_sql();  // schema "sluice" and its _sluice_state table
// $1 source, $2 table, $3 cursor, $4 rows, $5 updated_at.
std::string upsert_state_sql();
// $1 rows, $2 updated_at, $3 source, $4 table.
std::string bump_state_sql();

}  // namespace sluice::pgdest
