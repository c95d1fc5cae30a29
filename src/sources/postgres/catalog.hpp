#pragma once
// Catalog reads through information_schema, which PostgreSQL and Redshift both
// have (pg_table_def would hide schemas outside search_path on Redshift).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "sluice/pg/connection.hpp"
#include "sources/postgres/schema_builder.hpp"

namespace sluice::postgres {

// Every base table of `schema` with its columns (ordinal order) and primary key.
boost::asio::awaitable<std::vector<raw_table>> read_catalog(pg::connection& conn, const std::string& schema);

// pg_class.reltuples (PostgreSQL only); nullopt when never analyzed.
boost::asio::awaitable<std::optional<std::int64_t>> estimate_rows(pg::connection& conn,
                                                                  const std::string& schema,
                                                                  const std::string& table);

}  // namespace sluice::postgres
