#pragma once
// The one value model every source maps into and every destination maps out of
// (DESIGN.md §3). Values are stored in batches as 16-byte cells plus an arena, so
// the hot path never allocates per value; `value_view` is the read side.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

enum class value_type : std::uint8_t {
    null,       // only ever the type of a NULL cell, never of a column
    boolean,
    int64,
    float64,
    decimal,    // exact, kept as its decimal text ("12.3400", "-1e-3" is not produced)
    string,     // valid UTF-8
    bytes,      // arbitrary octets
    timestamp,  // UTC, microseconds since the Unix epoch
    date,       // days since 1970-01-01
    json,       // JSON text (arrays, objects, any value)
};

// Canonical names: "null", "bool", "int64", "double", "decimal", "string",
// "bytes", "timestamp", "date", "json" (as used in config files and messages).
// value_type_from_string also accepts aliases: boolean, float64, float, int,
// integer, bigint, text, binary, timestamptz, datetime.
std::string_view to_string(value_type t) noexcept;
std::optional<value_type> value_type_from_string(std::string_view name) noexcept;

// True for the types whose payload lives in the batch arena.
constexpr bool is_text_like(value_type t) noexcept {
    return t == value_type::decimal || t == value_type::string || t == value_type::bytes ||
           t == value_type::json;
}

// A read-only view of one cell. `s` points into the owning batch's arena and is
// valid as long as the batch is alive and unmodified.
struct value_view {
    value_type type = value_type::null;
    std::int64_t i = 0;  // boolean (0/1), int64, timestamp (µs), date (days)
    double d = 0.0;      // float64
    std::string_view s;  // decimal, string, bytes, json

    bool is_null() const noexcept { return type == value_type::null; }
};

// Civil-time helpers shared by every source and destination, so that all of them
// render and parse timestamps identically.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept;
void civil_from_days(std::int64_t days, int& y, unsigned& m, unsigned& d) noexcept;

// "2024-05-01 12:34:56.123456+00" style parse used by Postgres text output and
// ISO-8601 ("2024-05-01T12:34:56.123Z"). Offsets (+HH, +HH:MM, Z) are applied;
// a missing offset means UTC. Returns nullopt when the text is not a timestamp
// the model can hold (e.g. "infinity").
std::optional<std::int64_t> parse_timestamp_micros(std::string_view text) noexcept;
std::optional<std::int64_t> parse_date_days(std::string_view text) noexcept;
// Epoch milliseconds (Druid, HBase cells and cell timestamps) as microseconds; nullopt when
// the instant is beyond what 64-bit microseconds hold (about ±292,000 years).
std::optional<std::int64_t> millis_to_micros(std::int64_t millis) noexcept;

// "2024-05-01T12:34:56.123456Z" (always six fraction digits, so the text sorts
// like the instant: SQLite stores timestamps this way) and "2024-05-01".
std::string format_timestamp_micros(std::int64_t micros);
std::string format_date_days(std::int64_t days);
// The same texts written into a caller's buffer of at least max_timestamp_text
// bytes, without allocating: what destinations use per value on the hot path.
inline constexpr std::size_t max_timestamp_text = 40;
std::size_t write_timestamp_micros(char* out, std::int64_t micros) noexcept;
std::size_t write_date_days(char* out, std::int64_t days) noexcept;

// Checks that `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace sluice
