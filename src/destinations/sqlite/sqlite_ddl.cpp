#include "destinations/sqlite/sqlite_ddl.hpp"

#include <fmt/format.h>

#include "destinations/sqlite/sqlite_handle.hpp"

namespace sluice::sqlite {

const char* declared_type(value_type t) noexcept {
    switch (t) {
    case value_type::boolean: return "BOOLEAN";
    case value_type::int64: return "INTEGER";
    case value_type::float64: return "REAL";
    case value_type::decimal: return "DECIMAL_TEXT";
    case value_type::string: return "TEXT";
    case value_type::bytes: return "BLOB";
    case value_type::timestamp: return "TIMESTAMP_TEXT";
    case value_type::date: return "DATE_TEXT";
    case value_type::json: return "JSON_TEXT";
    case value_type::null: break;
    }
    return "TEXT";
}

namespace {

bool is_key(const table_schema& s, std::size_t col) {
    for (std::size_t k : s.key)
        if (k == col) return true;
    return false;
}

std::string key_list(const table_schema& s) {
    std::string out;
    for (std::size_t k : s.key) {
        if (!out.empty()) out += ", ";
        out += quote_ident(s.columns[k].name);
    }
    return out;
}

}  // namespace

std::string create_table_sql(const std::string& table, const table_schema& schema) {
    std::string sql = "CREATE TABLE IF NOT EXISTS " + quote_ident(table) + " (";
    for (std::size_t i = 0; i < schema.columns.size(); ++i) {
        const column& c = schema.columns[i];
        sql += fmt::format("{} {}{}, ", quote_ident(c.name), declared_type(c.type),
                           // SQLite lets NULL into non-INTEGER primary keys (a legacy quirk).
                           is_key(schema, i) ? " NOT NULL" : "");
    }
    sql += fmt::format("{} TIMESTAMP_TEXT NOT NULL, {} BOOLEAN NOT NULL DEFAULT 0, PRIMARY KEY ({}))",
                       quote_ident(synced_at_column), quote_ident(deleted_column), key_list(schema));
    return sql;
}

std::string add_column_sql(const std::string& table, const column& c) {
    return fmt::format("ALTER TABLE {} ADD COLUMN {} {}", quote_ident(table), quote_ident(c.name),
                       declared_type(c.type));
}

std::string upsert_sql(const std::string& table, const table_schema& schema) {
    std::string cols, params, updates;
    const std::size_t n = schema.columns.size();
    for (std::size_t i = 0; i < n; ++i) {
        std::string q = quote_ident(schema.columns[i].name);
        cols += q + ", ";
        params += fmt::format("?{}, ", i + 1);
        if (!is_key(schema, i)) updates += fmt::format("{0} = excluded.{0}, ", q);
    }
    std::string synced = quote_ident(synced_at_column), deleted = quote_ident(deleted_column);
    return fmt::format(
        "INSERT INTO {} ({}{}, {}) VALUES ({}?{}, 0) ON CONFLICT ({}) DO UPDATE SET {}{} = excluded.{}, {} = 0",
        quote_ident(table), cols, synced, deleted, params, n + 1, key_list(schema), updates, synced, synced,
        deleted);
}

std::string sweep_sql(const std::string& table) {
    return fmt::format("UPDATE {0} SET {1} = 1 WHERE {2} < ?1 AND {1} = 0", quote_ident(table),
                       quote_ident(deleted_column), quote_ident(synced_at_column));
}

std::string create_state_sql() {
    return fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (source TEXT NOT NULL, table_name TEXT NOT NULL, cursor TEXT NOT NULL, "
        "rows_synced INTEGER NOT NULL DEFAULT 0, updated_at TIMESTAMP_TEXT NOT NULL, "
        "PRIMARY KEY (source, table_name))",
        quote_ident(state_table));
}

std::string upsert_state_sql() {
    return fmt::format(
        "INSERT INTO {0} (source, table_name, cursor, rows_synced, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (source, table_name) DO UPDATE SET cursor = excluded.cursor, "
        "rows_synced = {0}.rows_synced + excluded.rows_synced, updated_at = excluded.updated_at",
        quote_ident(state_table));
}

std::string bump_state_sql() {
    return fmt::format(
        "UPDATE {} SET rows_synced = rows_synced + ?1, updated_at = ?2 WHERE source = ?3 AND table_name = ?4",
        quote_ident(state_table));
}

}  // namespace sluice::sqlite
