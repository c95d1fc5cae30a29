#pragma once
// Helpers shared by the destinations: PostgreSQL's spelling of timestamps and
// dates outside years 1..9999, the cell/column type check and the row-key text
// used in errors. (ISO text comes from the core's write_timestamp_micros.)

#include <cstddef>
#include <cstdint>
#include <string>

#include "sluice/batch.hpp"
#include "sluice/reconcile.hpp"
#include "sluice/schema.hpp"
#include "sluice/value.hpp"

namespace sluice::dest {

// sluice's timestamps spelled for PostgreSQL input (buffers of
// max_timestamp_text bytes): the core's ISO text for years 1..9999,
// otherwise "Y-MM-DD HH:MM:SS.ffffff+00" with " BC" for years <= 0 (year 0 is 1 BC).
std::size_t write_timestamp_pg(char* out, std::int64_t micros);
std::size_t write_date_pg(char* out, std::int64_t days);

// Whether a cell may be stored in a column of the given type. The text-like
// types that hold text (string, decimal, json) are accepted for one another so
// that a source's declared-type override cannot be defeated by a spelling
// choice; everything else must match exactly (null always fits).
constexpr bool cell_fits(value_type column, value_type cell) noexcept {
    if (cell == value_type::null || cell == column) return true;
    auto texty = [](value_type t) { return is_text_like(t) && t != value_type::bytes; };
    return texty(column) && texty(cell);
}

// Reconcile bounds (ms) as µs. Saturating: an instant too far out for int64 µs
// is also past anything a destination stores, so it still bounds correctly.
constexpr std::int64_t ms_to_us_saturated(std::int64_t ms) noexcept {
    constexpr std::int64_t limit = INT64_MAX / 1000;
    if (ms > limit) return limit * 1000;
    if (ms < -limit) return -limit * 1000;
    return ms * 1000;
}

// Rejects a summarize() request no destination can answer: a non-positive
// bucket width, a bucket column that is not a timestamp, or a fingerprint
// column out of range. Errors are fatal and start with `ctx`.
void check_bucket_query(const table_schema& schema, const bucket_query& q, const std::string& ctx);

// "id=5, region='eu'" for error messages (values shortened).
std::string describe_key(const batch& b, std::size_t row);

// Throws data_error naming destination table, column and key when a cell does
// not fit its column. `where` is e.g. "sqlite table \"src__t\"".
[[noreturn]] void throw_type_mismatch(const std::string& where, const batch& b, std::size_t row,
                                      std::size_t col);

}  // namespace sluice::dest
