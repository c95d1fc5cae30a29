#pragma once
// Druid SQL types (INFORMATION_SCHEMA.COLUMNS.DATA_TYPE, the sqlTypesHeader row)
// → the sluice value model, and how each type's JSON value is read.
//
//   VARCHAR CHAR                               → string
//   BIGINT INTEGER SMALLINT TINYINT            → int64 (parsed as integers: > 2^53 stays exact)
//   DOUBLE FLOAT REAL DECIMAL[(p,s)]           → double (Druid's DECIMAL is floating point)
//   TIMESTAMP                                  → timestamp (ms)
//   DATE                                       → date
//   BOOLEAN                                    → bool
//   COMPLEX<json> OTHER                        → json
//   ARRAY, "<T> ARRAY", ARRAY<T>               → json (real arrays: sqlStringifyArrays=false)
//   other COMPLEX<...> (sketches, hyperUnique) → skipped: opaque binary aggregates, not data
// Anything else is unknown: discovery fails naming the column (exclude it).

#include <optional>
#include <string_view>

#include "sluice/value.hpp"

namespace sluice::druid {

enum class wire_kind { text, integer, floating, boolean, timestamp, date, json };

struct druid_type {
    value_type model = value_type::string;
    wire_kind wire = wire_kind::text;
    bool operator==(const druid_type&) const = default;
};

enum class type_verdict { mapped, skipped, unknown };

struct type_mapping {
    type_verdict verdict = type_verdict::unknown;
    druid_type type;
};

// Case-insensitive.
type_mapping map_druid_type(std::string_view sql_type);

}  // namespace sluice::druid
