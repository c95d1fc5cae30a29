#include "sources/druid/sql_text.hpp"

#include <fmt/format.h>

#include "sluice/reconcile.hpp"
#include "sluice/value.hpp"

namespace sluice::druid {

namespace {

void append_where(std::string& sql, std::string_view cursor, const time_keyset::time_range& range) {
    if (!range.lower && !range.upper) return;
    const auto col = quote_identifier(cursor);
    sql += " WHERE ";
    if (range.lower) sql += col + " >= " + timestamp_literal(*range.lower);
    if (range.lower && range.upper) sql += " AND ";
    if (range.upper) sql += col + " < " + timestamp_literal(*range.upper);
}

void append_group(std::string& sql, std::string_view cursor, const time_keyset::tie_group& g) {
    using kind = time_keyset::tie_group::kind;
    if (g.k == kind::all) return;
    sql += " WHERE " + quote_identifier(cursor);
    sql += g.k == kind::null ? " IS NULL" : " = " + timestamp_literal(g.t);
}

}  // namespace


std::string timestamp_literal(std::int64_t micros) {
    std::int64_t ms = micros / 1000;
    if (micros % 1000 < 0) --ms;  // floor, also before 1970
    std::int64_t days = ms / 86'400'000;
    std::int64_t rest = ms % 86'400'000;
    if (rest < 0) {
        rest += 86'400'000;
        --days;
    }
    int y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(days, y, m, d);
    return fmt::format("TIMESTAMP '{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}'", y, m, d, rest / 3'600'000,
                       rest / 60'000 % 60, rest / 1000 % 60, rest % 1000);
}

std::string page_query(const table_ref& t, std::string_view select_list, std::string_view cursor,
                       const time_keyset::time_range& range, std::int64_t limit) {
    std::string sql = "SELECT ";
    sql += select_list;
    sql += " FROM " + t.sql();
    append_where(sql, cursor, range);
    sql += " ORDER BY " + quote_identifier(cursor);
    sql += " LIMIT " + std::to_string(limit);
    return sql;
}

std::string group_query(const table_ref& t, std::string_view select_list, std::string_view cursor,
                        const time_keyset::tie_group& g) {
    std::string sql = "SELECT ";
    sql += select_list;
    sql += " FROM " + t.sql();
    append_group(sql, cursor, g);
    return sql;
}

std::string group_count_query(const table_ref& t, std::string_view cursor, const time_keyset::tie_group& g) {
    std::string sql = "SELECT COUNT(*) FROM " + t.sql();
    append_group(sql, cursor, g);
    return sql;
}

std::string count_query(const table_ref& t, std::string_view cursor, const time_keyset::time_range& range) {
    std::string sql = "SELECT COUNT(*) FROM " + t.sql();
    append_where(sql, cursor, range);
    return sql;
}

std::string min_query(const table_ref& t, std::string_view cursor) {
    return "SELECT MIN(" + quote_identifier(cursor) + ") FROM " + t.sql();
}

std::string max_query(const table_ref& t, std::string_view cursor, const time_keyset::time_range& range) {
    std::string sql = "SELECT MAX(" + quote_identifier(cursor) + ") FROM " + t.sql();
    append_where(sql, cursor, range);
    return sql;
}

std::string summary_query(const table_ref& t, std::string_view cursor, const std::vector<std::string>& int_columns,
                          const time_keyset::time_range& range, std::int64_t width_ms) {
    const std::string ms = "TIMESTAMP_TO_MILLIS(" + quote_identifier(cursor) + ")";
    const std::string P = std::to_string(fingerprint_modulus);
    // floor(ms / W) with truncating MOD and division: (ms - MOD(MOD(ms, W) + W, W)) / W
    // (the same expression as floor_div_sql, MOD for `%`).
    const std::string bucket = fmt::format("(({0}) - MOD(MOD({0}, {1}) + {1}, {1})) / {1}", ms, width_ms);
    std::string fp = fmt::format("MOD({}, {})", ms, P);
    for (const auto& c : int_columns) fp += fmt::format(" + MOD(COALESCE({}, 0), {})", quote_identifier(c), P);
    std::string sql = fmt::format("SELECT {}, COUNT(*), SUM({}) FROM {}", bucket, fp, t.sql());
    append_where(sql, cursor, range);
    sql += " GROUP BY 1 ORDER BY 1";
    return sql;
}

std::string tables_query(std::string_view schema) {
    return "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = " + quote_string_literal(schema) +
           " ORDER BY TABLE_NAME";
}

std::string columns_query(std::string_view schema, std::string_view table) {
    return "SELECT COLUMN_NAME, DATA_TYPE, ORDINAL_POSITION, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS "
           "WHERE TABLE_SCHEMA = " +
           quote_string_literal(schema) + " AND TABLE_NAME = " + quote_string_literal(table) + " ORDER BY ORDINAL_POSITION";
}

}  // namespace sluice::druid
