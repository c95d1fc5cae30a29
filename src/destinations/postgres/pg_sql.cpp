#include "destinations/postgres/pg_sql.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sluice/pg/connection.hpp"

namespace sluice::pgdest {
namespace {

std::string qi(std::string_view name) { return pg::connection::quote_ident(name); }

bool is_key(const table_schema& s, std::size_t col) {
    return std::find(s.key.begin(), s.key.end(), col) != s.key.end();
}

std::string key_list(const table_schema& s) {
    std::string out;
    for (std::size_t k : s.key) {
        if (!out.empty()) out += ", ";
        out += qi(s.columns[k].name);
    }
    return out;
}

std::string column_list(const table_schema& s) {
    std::string out;
    for (const column& c : s.columns) out += qi(c.name) + ", ";
    out += qi(synced_at_column) + ", " + qi(deleted_column);
    return out;
}

}  // namespace

const char* pg_type(value_type t) noexcept {
    switch (t) {
    case value_type::boolean: return "boolean";
    case value_type::int64: return "bigint";
    case value_type::float64: return "double precision";
    case value_type::decimal: return "numeric";
    case value_type::string: return "text";
    case value_type::bytes: return "bytea";
    case value_type::timestamp: return "timestamptz";
    case value_type::date: return "date";
    case value_type::json: return "jsonb";
    case value_type::null: break;
    }
    return "text";
}

std::string create_table_sql(const std::string& target, const table_schema& schema) {
    std::string sql = "CREATE TABLE IF NOT EXISTS " + target + " (";
    for (const column& c : schema.columns) sql += fmt::format("{} {}, ", qi(c.name), pg_type(c.type));
    sql += fmt::format("{} timestamptz NOT NULL DEFAULT now(), {} boolean NOT NULL DEFAULT false, PRIMARY KEY ({}))",
                       qi(synced_at_column), qi(deleted_column), key_list(schema));
    return sql;
}

std::string add_column_sql(const std::string& target, const column& c) {
    return fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}", target, qi(c.name), pg_type(c.type));
}

std::string copy_sql(const std::string& table, const table_schema& schema) {
    return fmt::format("COPY {} ({}) FROM STDIN", table, column_list(schema));
}

std::string create_stage_sql(const std::string& stage, const std::string& target) {
    return fmt::format("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS", stage, target);
}

std::string merge_sql(const std::string& target, const std::string& stage, const table_schema& schema) {
    const std::string cols = column_list(schema);
    std::string updates;
    for (std::size_t i = 0; i < schema.columns.size(); ++i)
        if (!is_key(schema, i)) updates += fmt::format("{0} = EXCLUDED.{0}, ", qi(schema.columns[i].name));
    const std::string synced = qi(synced_at_column), deleted = qi(deleted_column);
    return fmt::format(
        "INSERT INTO {0} ({1}) SELECT {1} FROM {2} ON CONFLICT ({3}) DO UPDATE SET {4}{5} = EXCLUDED.{5}, "
        "{6} = false",
        target, cols, stage, key_list(schema), updates, synced, deleted);
}

std::string sweep_sql(const std::string& target) {
    return fmt::format("UPDATE {0} SET {1} = true WHERE {2} < $1::timestamptz AND NOT {1}", target,
                       qi(deleted_column), qi(synced_at_column));
}

std::string create_state_sql() {
    return "CREATE SCHEMA IF NOT EXISTS sluice; "
           "CREATE TABLE IF NOT EXISTS sluice._sluice_state (source text NOT NULL, table_name text NOT NULL, "
           "cursor text NOT NULL, rows_synced bigint NOT NULL DEFAULT 0, "
           "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, table_name))";
}

std::string upsert_state_sql() {
    return "INSERT INTO sluice._sluice_state AS s (source, table_name, cursor, rows_synced, updated_at) "
           "VALUES ($1, $2, $3, $4::bigint, $5::timestamptz) ON CONFLICT (source, table_name) DO UPDATE SET "
           "cursor = EXCLUDED.cursor, rows_synced = s.rows_synced + EXCLUDED.rows_synced, "
           "updated_at = EXCLUDED.updated_at";
}

std::string bump_state_sql() {
    return "UPDATE sluice._sluice_state SET rows_synced = rows_synced + $1::bigint, updated_at = $2::timestamptz "
           "WHERE source = $3 AND table_name = $4";
}

}  // namespace sluice::pgdest
