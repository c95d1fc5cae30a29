#include "sources/hbase/cursor_bound.hpp"

#include <charconv>
#include <cstdint>

#include <fmt/format.h>

#include "sluice/value.hpp"

namespace sluice::hbase {

namespace {

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// The filter language quotes with ' and doubles it inside strings.
std::string quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        out += c;
        if (c == '\'') out += '\'';
    }
    out += '\'';
    return out;
}

}  // namespace

std::optional<std::string> minus_lookback(std::string_view hw, std::chrono::milliseconds lookback) {
    const std::int64_t ms = lookback.count();
    if (ms <= 0) return std::string(hw);
    if (all_digits(hw)) {
        std::int64_t v = 0;
        const auto [p, ec] = std::from_chars(hw.data(), hw.data() + hw.size(), v);
        if (ec != std::errc()) return std::nullopt;
        return fmt::format("{:0{}d}", std::max<std::int64_t>(0, v - ms), hw.size());
    }
    if (hw.size() == 8) {
        std::uint64_t v = 0;
        for (unsigned char c : hw) v = (v << 8) | c;
        const auto lowered = static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(v) - ms));
        std::string out(8, '\0');
        for (int i = 7; i >= 0; --i) out[static_cast<std::size_t>(i)] = static_cast<char>((lowered >> (8 * (7 - i))) & 0xff);
        return out;
    }
    const auto micros = parse_timestamp_micros(hw);
    if (!micros || hw.size() < 19) return std::nullopt;
    // "YYYY-MM-DDTHH:MM:SS.ffffffZ" from the core, then reshaped like the stored text.
    const std::string full = format_timestamp_micros(*micros - ms * 1000);
    if (full.size() < 27) return std::nullopt;
    std::string out = full.substr(0, 19);
    out[10] = hw[10];
    std::size_t i = 19;
    if (i < hw.size() && hw[i] == '.') {
        std::size_t digits = 0;
        for (++i; i < hw.size() && hw[i] >= '0' && hw[i] <= '9'; ++i) ++digits;
        out += '.';
        for (std::size_t d = 0; d < digits; ++d) out += d < 6 ? full[20 + d] : '0';
    }
    const auto zone = hw.substr(i);  // kept as stored; other offsets would shift the digits
    if (!zone.empty() && zone != "Z" && zone != "+00:00" && zone != "+0000" && zone != "+00") return std::nullopt;
    out.append(zone);
    return out;
}

std::string cursor_filter(std::string_view cursor_cell, std::string_view lower) {
    const auto colon = cursor_cell.find(':');
    return fmt::format("SingleColumnValueFilter({}, {}, >=, {}, true, true)", quote(cursor_cell.substr(0, colon)),
                       quote(cursor_cell.substr(colon + 1)), quote("binary:" + std::string(lower)));
}

std::string and_filters(std::string_view a, std::string_view b) {
    if (a.empty()) return std::string(b);
    if (b.empty()) return std::string(a);
    return fmt::format("({}) AND ({})", a, b);
}

}  // namespace sluice::hbase
