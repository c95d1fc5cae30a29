#pragma once
// One JSON value of a Druid result row → one batch cell, by the column's type
// (type_map.hpp). Kept apart from the body walk so the per-type rules live in one place.

#include <string_view>

#include <simdjson.h>

#include "sluice/batch.hpp"
#include "sources/druid/type_map.hpp"

namespace sluice::druid {

// Throws data_error naming `context`, the column and the row (after abandoning
// the pending row) when the value does not fit the type. `json`: the buffer the
// value was parsed from (bounds what an error message may quote).
void put_value(batch& b, simdjson::ondemand::value v, druid_type type, std::string_view column, std::size_t row,
               std::string_view context, std::string_view json);

}  // namespace sluice::druid
