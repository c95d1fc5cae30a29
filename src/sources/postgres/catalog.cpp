#include "sources/postgres/catalog.hpp"

#include <map>

#include "sources/postgres/row_decoder.hpp"

namespace sluice::postgres {

namespace asio = boost::asio;

asio::awaitable<std::vector<raw_table>> read_catalog(pg::connection& conn, const std::string& schema) {
    const std::vector<pg::param> params{schema};
    std::map<std::string, raw_table> tables;
    // SQL texts are named locals, not literals inside the co_await: sluice/coro.hpp.
    const std::string_view tables_sql =
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name";
    const auto t = co_await conn.exec(tables_sql, params);
    for (int i = 0; i < t.rows(); ++i) tables[std::string(t.get(i, 0))].name = std::string(t.get(i, 0));

    const std::string_view columns_sql =
        "SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns "
        "WHERE table_schema = $1 ORDER BY table_name, ordinal_position";
    const auto c = co_await conn.exec(columns_sql, params);
    for (int i = 0; i < c.rows(); ++i) {
        auto it = tables.find(std::string(c.get(i, 0)));
        if (it == tables.end()) continue;  // a view or foreign table
        it->second.columns.push_back(raw_column{std::string(c.get(i, 1)), std::string(c.get(i, 2)),
                                                std::string(c.get(i, 3)), c.get(i, 4) == "YES"});
    }

    const std::string_view keys_sql =
        "SELECT kcu.table_name, kcu.column_name "
        "FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu "
        "  ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name "
        " AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name "
        "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = $1 "
        "ORDER BY kcu.table_name, kcu.ordinal_position";
    const auto k = co_await conn.exec(keys_sql, params);
    for (int i = 0; i < k.rows(); ++i) {
        auto it = tables.find(std::string(k.get(i, 0)));
        if (it != tables.end()) it->second.primary_key.emplace_back(k.get(i, 1));
    }

    std::vector<raw_table> out;
    out.reserve(tables.size());
    for (auto& [name, table] : tables) out.push_back(std::move(table));
    co_return out;
}

asio::awaitable<std::optional<std::int64_t>> estimate_rows(pg::connection& conn, const std::string& schema,
                                                           const std::string& table) {
    const std::vector<pg::param> params{schema, table};
    const std::string_view estimate_sql =
        "SELECT c.reltuples::bigint FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2";
    const auto r = co_await conn.exec(estimate_sql, params);
    if (r.rows() == 0 || r.is_null(0, 0)) co_return std::nullopt;
    const auto v = decode_int64(r.get(0, 0));
    if (!v || *v < 0) co_return std::nullopt;  // -1: never vacuumed/analyzed (PostgreSQL 14+)
    co_return v;
}

}  // namespace sluice::postgres
