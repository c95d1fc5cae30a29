#include "sluice/value.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace sluice {

namespace {

struct type_name {
    std::string_view name;
    value_type type;
};

constexpr std::array<type_name, 20> type_names{{
    {"null", value_type::null},         {"bool", value_type::boolean},
    {"int64", value_type::int64},       {"double", value_type::float64},
    {"decimal", value_type::decimal},   {"string", value_type::string},
    {"bytes", value_type::bytes},       {"timestamp", value_type::timestamp},
    {"date", value_type::date},         {"json", value_type::json},
    // aliases accepted in config files
    {"boolean", value_type::boolean},   {"float64", value_type::float64},
    {"float", value_type::float64},     {"int", value_type::int64},
    {"integer", value_type::int64},     {"bigint", value_type::int64},
    {"text", value_type::string},       {"binary", value_type::bytes},
    {"timestamptz", value_type::timestamp}, {"datetime", value_type::timestamp},
}};

bool read_digits(std::string_view& s, int n, int& out) {
    if (s.size() < static_cast<std::size_t>(n)) return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
        char c = s[static_cast<std::size_t>(i)];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    s.remove_prefix(static_cast<std::size_t>(n));
    return true;
}

bool eat(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

// YYYY-MM-DD with an optional leading '-' is not supported: the model's dates
// are proleptic Gregorian AD; BC dates do not fit and are reported as such.
bool parse_ymd(std::string_view& s, int& y, int& m, int& d) {
    if (!read_digits(s, 4, y)) return false;
    // PostgreSQL prints years > 9999 with more digits.
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
        y = y * 10 + (s.front() - '0');
        s.remove_prefix(1);
        if (y > 294276) return false;
    }
    if (!eat(s, '-') || !read_digits(s, 2, m) || !eat(s, '-') || !read_digits(s, 2, d)) return false;
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    return true;
}

}  // namespace

std::string_view to_string(value_type t) noexcept {
    for (const auto& n : type_names)
        if (n.type == t) return n.name;
    return "unknown";
}

std::optional<value_type> value_type_from_string(std::string_view name) noexcept {
    for (const auto& n : type_names)
        if (n.name == name) return n.type;
    return std::nullopt;
}

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int>(yy + (m <= 2));
}

std::optional<std::int64_t> parse_date_days(std::string_view s) noexcept {
    int y, m, d;
    if (!parse_ymd(s, y, m, d) || !s.empty()) return std::nullopt;
    return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<std::int64_t> millis_to_micros(std::int64_t millis) noexcept {
    std::int64_t micros = 0;
    if (__builtin_mul_overflow(millis, std::int64_t{1000}, &micros)) return std::nullopt;
    return micros;
}

std::optional<std::int64_t> parse_timestamp_micros(std::string_view s) noexcept {
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!parse_ymd(s, y, mo, d)) return std::nullopt;
    std::int64_t micros = 0;
    if (!s.empty() && (s.front() == ' ' || s.front() == 'T' || s.front() == 't')) {
        s.remove_prefix(1);
        if (!read_digits(s, 2, h) || !eat(s, ':') || !read_digits(s, 2, mi)) return std::nullopt;
        if (eat(s, ':') && !read_digits(s, 2, sec)) return std::nullopt;
        if (h > 24 || mi > 59 || sec > 60) return std::nullopt;
        if (eat(s, '.')) {
            int digits = 0;
            while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
                if (digits < 6) micros = micros * 10 + (s.front() - '0');
                ++digits;
                s.remove_prefix(1);
            }
            if (digits == 0) return std::nullopt;
            for (int i = digits; i < 6; ++i) micros *= 10;
        }
    }
    std::int64_t offset_seconds = 0;
    if (!s.empty()) {
        if (s == "Z" || s == "z") {
            s = {};
        } else if (s.front() == '+' || s.front() == '-') {
            const int sign = s.front() == '-' ? -1 : 1;
            s.remove_prefix(1);
            int oh = 0, om = 0, os = 0;
            if (!read_digits(s, 2, oh)) return std::nullopt;
            if (eat(s, ':')) {
                if (!read_digits(s, 2, om)) return std::nullopt;
                if (eat(s, ':') && !read_digits(s, 2, os)) return std::nullopt;
            } else if (s.size() == 2 && !read_digits(s, 2, om)) {
                return std::nullopt;
            }
            offset_seconds = sign * (oh * 3600 + om * 60 + os);
        }
        if (!s.empty()) return std::nullopt;
    }
    const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    const std::int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_seconds;
    return seconds * 1000000 + micros;
}

namespace {

char* put_digits(char* p, std::uint64_t v, int width) noexcept {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

// "YYYY-MM-DD"; years outside 0..9999 (far from everyday data) via snprintf.
char* put_date(char* p, std::int64_t days) noexcept {
    int y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    if (y < 0 || y > 9999) {
        const int n = std::snprintf(p, max_timestamp_text, "%04d-%02u-%02u", y, m, d);
        return p + n;
    }
    p = put_digits(p, static_cast<std::uint64_t>(y), 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    return put_digits(p, d, 2);
}

}  // namespace

std::size_t write_timestamp_micros(char* out, std::int64_t micros) noexcept {
    std::int64_t seconds = micros / 1000000;
    std::int64_t frac = micros % 1000000;
    if (frac < 0) {
        frac += 1000000;
        seconds -= 1;
    }
    std::int64_t days = seconds / 86400;
    std::int64_t sod = seconds % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    char* p = put_date(out, days);
    *p++ = 'T';
    p = put_digits(p, static_cast<std::uint64_t>(sod / 3600), 2);
    *p++ = ':';
    p = put_digits(p, static_cast<std::uint64_t>(sod / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, static_cast<std::uint64_t>(sod % 60), 2);
    *p++ = '.';
    p = put_digits(p, static_cast<std::uint64_t>(frac), 6);
    *p++ = 'Z';
    return static_cast<std::size_t>(p - out);
}

std::size_t write_date_days(char* out, std::int64_t days) noexcept {
    return static_cast<std::size_t>(put_date(out, days) - out);
}

std::string format_timestamp_micros(std::int64_t micros) {
    char buf[max_timestamp_text];
    return std::string(buf, write_timestamp_micros(buf, micros));
}

std::string format_date_days(std::int64_t days) {
    char buf[max_timestamp_text];
    return std::string(buf, write_date_days(buf, days));
}

bool is_valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        // Fast path for ASCII runs, which dominate real data.
        if (*p < 0x80) {
            ++p;
            continue;
        }
        int n;
        std::uint32_t cp;
        if ((*p & 0xE0) == 0xC0) {
            n = 1;
            cp = *p & 0x1F;
        } else if ((*p & 0xF0) == 0xE0) {
            n = 2;
            cp = *p & 0x0F;
        } else if ((*p & 0xF8) == 0xF0) {
            n = 3;
            cp = *p & 0x07;
        } else {
            return false;
        }
        if (end - p <= n) return false;
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

}  // namespace sluice
