#pragma once
// QuestDB column types (as /exec reports them in "columns[].type") → the sluice
// value model, plus how the JSON value of each type is decoded.
//
//   SYMBOL STRING VARCHAR CHAR UUID IPv4 LONG256 INTERVAL GEOHASH(..)  → string
//   LONG INT SHORT BYTE                                                → int64
//   DOUBLE FLOAT                                                       → double (null = NULL, NaN or ±Inf)
//   BOOLEAN                                                            → bool (QuestDB has no NULL: reads false)
//   TIMESTAMP (6 digits) TIMESTAMP_NS (9, truncated to µs) DATE (3)     → timestamp
//   DECIMAL(p,s)                                                       → decimal (exact text)
//   ARRAY / DOUBLE[] ...                                               → json (the nested arrays)
//   BINARY                                                             → bytes
//
// BINARY: QuestDB never exports binary content over JSON; every value arrives as
// `[]` and is read as NULL (an array of byte values, should a server send one,
// is decoded). Sync such columns through SQL (e.g. base64) if the bytes matter.
// CHAR NULL arrives as "" and cannot be told apart from an empty value.

#include <optional>
#include <string_view>

#include "sluice/value.hpp"

namespace sluice::questdb {

// How a column's JSON values are read.
enum class wire_kind { text, integer, floating, boolean, timestamp, decimal, json, binary };

struct questdb_type {
    value_type model = value_type::string;
    wire_kind wire = wire_kind::text;
    bool operator==(const questdb_type&) const = default;
};

// Case-insensitive ("IPv4" is the one mixed-case name); nullopt for unknown types.
std::optional<questdb_type> map_questdb_type(std::string_view type) noexcept;

// As map_questdb_type, but an unknown type is a fatal sluice::error naming the
// column and the type: a new QuestDB type must be mapped deliberately, not guessed.
questdb_type map_column_type(std::string_view column, std::string_view type);

}  // namespace sluice::questdb
