#include "destinations/postgres/pg_sql.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "destinations/value_text.hpp"
#include "sluice/pg/connection.hpp"
#include "sluice/reconcile.hpp"

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

namespace {

std::string pg_timestamp(std::int64_t us) {
    char buf[max_timestamp_text];
    return std::string(buf, dest::write_timestamp_pg(buf, us));
}

}  // namespace

std::string epoch_ms_sql(const std::string& col, bool numeric_extract) {
    if (numeric_extract) return fmt::format("floor(extract(epoch from {}) * 1000)::bigint", col);
    return fmt::format("round(extract(epoch from date_trunc('milliseconds', {} AT TIME ZONE 'UTC')) * 1000)::bigint",
                       col);
}

std::optional<time_range> time_range_sql(const std::string& col, std::optional<std::int64_t> lo_us,
                                         std::optional<std::int64_t> hi_us, int first_param) {
    if (lo_us && hi_us && *lo_us >= *hi_us) return std::nullopt;
    if (hi_us && *hi_us <= pg_min_timestamp_us) return std::nullopt;
    time_range r;
    int n = first_param;
    // Below PostgreSQL's range the bound would be rejected; it excludes nothing anyway.
    if (lo_us && *lo_us > pg_min_timestamp_us) {
        r.where = fmt::format("{} >= ${}::timestamptz", col, n++);
        r.params.push_back(pg_timestamp(*lo_us));
    }
    if (hi_us) {
        if (!r.where.empty()) r.where += " AND ";
        r.where += fmt::format("{} < ${}::timestamptz", col, n++);
        r.params.push_back(pg_timestamp(*hi_us));
    }
    if (r.where.empty()) r.where = col + " IS NOT NULL";
    return r;
}

std::string range_sweep_sql(const std::string& target, const time_range& range) {
    return fmt::format("UPDATE {0} SET {1} = true WHERE {2} < $1::timestamptz AND NOT {1} AND {3}", target,
                       qi(deleted_column), qi(synced_at_column), range.where);
}

std::string summarize_sql(const std::string& target, const std::string& time_col,
                          const std::vector<std::string>& int_values, std::int64_t width_ms,
                          const time_range& range, bool numeric_extract) {
    // The subquery names the epoch once; its aliases (e, v0, v1, ...) are all the
    // outer query sees, so user column names cannot collide with them. % and /
    // on bigint truncate toward zero, as the contract's formulas assume.
    std::string inner = epoch_ms_sql(time_col, numeric_extract) + " AS e";
    std::string fp = fmt::format("(e % {})", fingerprint_modulus);
    for (std::size_t i = 0; i < int_values.size(); ++i) {
        inner += fmt::format(", {} AS v{}", int_values[i], i);
        fp += fmt::format(" + (coalesce(v{}, 0) % {})", i, fingerprint_modulus);
    }
    return fmt::format("SELECT {}, count(*), sum({}) FROM (SELECT {} FROM {} WHERE NOT {} AND {}) s "
                       "GROUP BY 1 ORDER BY 1",
                       floor_div_sql("e", width_ms), fp, inner, target, qi(deleted_column), range.where);
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
