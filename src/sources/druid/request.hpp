#pragma once
// The JSON body of POST /druid/v2/sql and the query ids that make a query
// cancellable (DELETE /druid/v2/sql/{sqlQueryId}).

#include <map>
#include <string>
#include <string_view>

namespace sluice::druid {

// Positional rows after a header row of names and one of SQL types (protocol
// §4.1): `array` (one JSON array, for pages) or `arrayLines` (a row per line,
// which can be parsed as it streams in: whole tie groups and tables).
enum class result_format { array, array_lines };

// Context keys sluice sets itself; a configured query_context cannot override them.
bool is_reserved_context_key(std::string_view key);

// {"query":<sql>,"resultFormat":"array"|"arrayLines","header":true,"sqlTypesHeader":true,
//  "context":{<user entries>,"sqlQueryId":<id>,"sqlTimeZone":"Etc/UTC","sqlStringifyArrays":false}}
// `user_context` values are JSON texts (config::source_config::query_context);
// reserved keys among them are ignored.
std::string build_request_body(std::string_view sql, std::string_view query_id,
                               const std::map<std::string, std::string>& user_context,
                               result_format format = result_format::array);

// A random (version 4) UUID, fresh per query.
std::string new_query_id();

}  // namespace sluice::druid
