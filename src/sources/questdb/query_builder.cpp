#include "sources/questdb/query_builder.hpp"

#include "sluice/http/client.hpp"
#include "sluice/value.hpp"

namespace sluice::questdb {

namespace {

void append_where(std::string& sql, std::string_view cursor, const time_range& range) {
    if (!range.lower && !range.upper) return;
    const auto col = quote_identifier(cursor);
    sql += " WHERE ";
    if (range.lower) sql += col + " >= " + timestamp_literal(*range.lower);
    if (range.lower && range.upper) sql += " AND ";
    if (range.upper) sql += col + " < " + timestamp_literal(*range.upper);
}

}  // namespace

std::string timestamp_literal(std::int64_t micros) { return "'" + format_timestamp_micros(micros) + "'"; }

std::string page_query(std::string_view table, std::string_view select_list, std::string_view cursor,
                       const time_range& range, std::int64_t limit) {
    std::string sql = "SELECT ";
    sql += select_list;
    sql += " FROM " + quote_identifier(table);
    append_where(sql, cursor, range);
    sql += " ORDER BY " + quote_identifier(cursor);
    sql += " LIMIT " + std::to_string(limit);
    return sql;
}

std::string group_page_query(std::string_view table, std::string_view select_list, std::string_view cursor,
                             const time_keyset::tie_group& g, const std::vector<std::string>& order_by,
                             std::int64_t lo, std::int64_t hi) {
    std::string sql = "SELECT ";
    sql += select_list;
    sql += " FROM " + quote_identifier(table) + " WHERE " + quote_identifier(cursor);
    sql += g.k == time_keyset::tie_group::kind::null ? " IS NULL" : " = " + timestamp_literal(g.t);
    for (std::size_t i = 0; i < order_by.size(); ++i) sql += (i ? ", " : " ORDER BY ") + quote_identifier(order_by[i]);
    sql += " LIMIT " + std::to_string(lo) + "," + std::to_string(hi);
    return sql;
}

std::string count_query(std::string_view table, std::string_view cursor, const time_range& range) {
    std::string sql = "SELECT count() FROM " + quote_identifier(table);
    append_where(sql, cursor, range);
    return sql;
}

std::string max_query(std::string_view table, std::string_view cursor, const time_range& range) {
    std::string sql = "SELECT max(" + quote_identifier(cursor) + ") FROM " + quote_identifier(table);
    append_where(sql, cursor, range);
    return sql;
}

std::string full_page_query(std::string_view table, std::string_view select_list, std::int64_t lo,
                            std::int64_t hi) {
    std::string sql = "SELECT ";
    sql += select_list;
    sql += " FROM " + quote_identifier(table);
    sql += " LIMIT " + std::to_string(lo) + "," + std::to_string(hi);
    return sql;
}

std::string table_columns_query(std::string_view table) { return "table_columns(" + quote_string_literal(table) + ")"; }

std::string exec_target(std::string_view sql) { return "/exec?query=" + url_encode(sql); }

}  // namespace sluice::questdb
