// Durations and sizes as users write them in the config file.
#include "sluice/config.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace sluice::config {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Reads leading decimal digits; false on none or on overflow.
bool read_number(std::string_view& s, std::uint64_t& out) {
    std::size_t i = 0;
    out = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        const auto digit = static_cast<std::uint64_t>(s[i] - '0');
        if (out > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
        out = out * 10 + digit;
        ++i;
    }
    s.remove_prefix(i);
    return i > 0;
}

bool multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) return false;
    out = a * b;
    return true;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::optional<duration> parse_duration(std::string_view text) {
    auto s = trim(text);
    if (s == "0") return duration{0};
    if (s.empty()) return std::nullopt;
    // Compound values ("1h30m") are accepted because people write them; each part needs a unit so
    // that "30" can never silently mean 30 ms.
    std::uint64_t total = 0;
    while (!s.empty()) {
        std::uint64_t n = 0;
        if (!read_number(s, n)) return std::nullopt;
        std::uint64_t unit_ms = 0;
        if (s.starts_with("ms")) {
            unit_ms = 1;
            s.remove_prefix(2);
        } else if (!s.empty() && (s[0] == 's' || s[0] == 'm' || s[0] == 'h' || s[0] == 'd')) {
            unit_ms = s[0] == 's' ? 1000 : s[0] == 'm' ? 60'000 : s[0] == 'h' ? 3'600'000 : 86'400'000;
            s.remove_prefix(1);
        } else {
            return std::nullopt;
        }
        std::uint64_t part = 0;
        if (!multiply(n, unit_ms, part) || part > std::numeric_limits<std::int64_t>::max() - total)
            return std::nullopt;
        total += part;
    }
    return duration{static_cast<duration::rep>(total)};
}

std::optional<std::size_t> parse_size(std::string_view text) {
    auto s = trim(text);
    std::uint64_t n = 0;
    if (!read_number(s, n)) return std::nullopt;
    s = trim(s);
    struct unit {
        std::string_view name;
        std::uint64_t factor;
    };
    static constexpr unit units[] = {
        {"", 1},
        {"B", 1},
        {"KB", 1000},
        {"MB", 1000'000},
        {"GB", 1000'000'000},
        {"TB", 1000'000'000'000},
        {"KiB", 1ull << 10},
        {"MiB", 1ull << 20},
        {"GiB", 1ull << 30},
        {"TiB", 1ull << 40},
        {"Ki", 1ull << 10},
        {"Mi", 1ull << 20},
        {"Gi", 1ull << 30},
        {"Ti", 1ull << 40},
    };
    for (const auto& u : units) {
        if (!iequals(s, u.name)) continue;
        std::uint64_t bytes = 0;
        if (!multiply(n, u.factor, bytes) || bytes > std::numeric_limits<std::size_t>::max())
            return std::nullopt;
        return static_cast<std::size_t>(bytes);
    }
    return std::nullopt;
}

}  // namespace sluice::config
