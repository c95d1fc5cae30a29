#pragma once
// cursor_column mode compares cursor cells byte-wise on the server
// (SingleColumnValueFilter), so a lookback must be subtracted in the cell's own
// encoding: 8-byte big-endian millis, fixed-width epoch-millis text, or ISO-8601
// text re-rendered in the same shape (separator, fraction digits, zone suffix).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::hbase {

// `high_water` minus `lookback`, in the same encoding; nullopt when the value is
// in none of the encodings above (the caller then uses high_water unchanged).
std::optional<std::string> minus_lookback(std::string_view high_water, std::chrono::milliseconds lookback);

// The server-side filter selecting rows whose cursor cell is >= lower.
std::string cursor_filter(std::string_view cursor_cell, std::string_view lower);

// Combines the user's filter string with ours (either may be empty).
std::string and_filters(std::string_view a, std::string_view b);

}  // namespace sluice::hbase
