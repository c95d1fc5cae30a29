#pragma once
// PostgreSQL / Redshift catalog types → the sluice value model, plus what the
// reader needs to know about a column's source type (how to select it, how to
// cast a cursor parameter to it).

#include <string>
#include <string_view>

#include "sluice/schema.hpp"
#include "sluice/value.hpp"

namespace sluice::postgres {

// `data_type` and `udt_name` as information_schema.columns reports them.
// Unknown types map to string (their text form), so a new extension type never
// stops a sync.
value_type map_pg_type(std::string_view data_type, std::string_view udt_name);

// The name kept in column::source_type: data_type, except enums/extension types
// (their udt_name) and arrays ("int4[]").
std::string source_type_name(std::string_view data_type, std::string_view udt_name);

// Arrays are read as `to_json(col)::text` so they arrive as JSON.
bool select_as_json(const column& c);

// "::<type>" for a parameter compared with this column, or "" when the server
// should infer it (enums and other types whose name is not a plain SQL type).
std::string param_cast(const column& c);

// True for timestamp/timestamptz source columns (lookback arithmetic applies).
bool is_timestamp_source(const column& c);

}  // namespace sluice::postgres
