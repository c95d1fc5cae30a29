#pragma once
// QuestDB's side of the shared timestamp-keyset reader (time_keyset/): SQL
// text with `LIMIT lo,hi` row ranges, GET /exec, and the /exec body parser.
// The read strategy itself is in time_keyset/reader.hpp.

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "sluice/http/client.hpp"
#include "sources/time_keyset/dialect.hpp"

namespace sluice::questdb {

// GET /exec?query=<sql>. A non-2xx answer (400: QuestDB's message and position)
// is a fatal error carrying `context` and `doing`.
boost::asio::awaitable<http_response> exec(http_client& http, const std::string& sql, const std::string& context,
                                           const std::string& doing);

// One table. `select_list` is "*" or quoted column names; the schema is the
// discovered one (its data columns must match every page's columns).
std::unique_ptr<time_keyset::dialect> make_dialect(http_client& http, table_schema_ptr schema,
                                                   std::string select_list, std::string context);

}  // namespace sluice::questdb
