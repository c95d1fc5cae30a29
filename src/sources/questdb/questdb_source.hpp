#pragma once
// The QuestDB source (REST /exec over the shared http_client): discovery through
// tables() and table_columns(), keyset pages on the designated timestamp (or the
// configured `cursor:`), pipelined time windows, full passes for tables without
// a timestamp. The read strategy is shared with Druid: time_keyset/reader.hpp.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "sluice/config.hpp"
#include "sluice/source.hpp"

namespace sluice {

std::unique_ptr<source> make_questdb_source(const config::source_config& cfg, boost::asio::any_io_executor ex);

namespace questdb {

struct raw_table;
struct raw_column;

// The schema of one table from its tables() row and table_columns() rows, with
// the table's configuration applied (`tc` may be null). Throws error(fatal) for a
// bad cursor/key override or an unknown column type.
table_schema build_schema(const config::source_config& cfg, const raw_table& t, const std::vector<raw_column>& cols,
                          const config::table_config* tc);

}  // namespace questdb

}  // namespace sluice
