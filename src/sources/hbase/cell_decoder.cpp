#include "sources/hbase/cell_decoder.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <simdjson.h>

namespace sluice::hbase {

namespace {

std::optional<std::int64_t> decimal_int(std::string_view s) {
    std::int64_t v = 0;
    const char* first = s.data();
    if (!s.empty() && s[0] == '+') ++first;
    const auto [p, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || first == s.data() + s.size()) return std::nullopt;
    return v;
}

std::uint64_t big_endian64(std::string_view s) {
    std::uint64_t v = 0;
    for (unsigned char c : s) v = (v << 8) | c;
    return v;
}

bool equals_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if ((a[i] | 0x20) != b[i]) return false;
    return true;
}

std::optional<double> text_double(std::string_view s) {
    if (equals_ci(s, "nan")) return std::nan("");
    if (equals_ci(s, "infinity") || equals_ci(s, "+infinity") || equals_ci(s, "inf")) return HUGE_VAL;
    if (equals_ci(s, "-infinity") || equals_ci(s, "-inf")) return -HUGE_VAL;
    double v = 0;
    const char* first = s.data();
    if (!s.empty() && s[0] == '+') ++first;
    const auto [p, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || first == s.data() + s.size()) return std::nullopt;
    return v;
}

bool is_decimal_text(std::string_view s) {
    std::size_t i = 0, digits = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) ++digits;
    if (i < s.size() && s[i] == '.')
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) ++digits;
    return digits > 0 && i == s.size();
}

bool valid_json(std::string_view s) {
    if (!is_valid_utf8(s)) return false;
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element ignored;
    return !parser.parse(s.data(), s.size(), true).get(ignored);
}

}  // namespace

bool is_text(std::string_view bytes) noexcept {
    return bytes.find('\0') == std::string_view::npos && is_valid_utf8(bytes);
}

bool decode_cell(value_type type, std::string_view bytes, batch& out) {
    switch (type) {
    case value_type::string:
        if (!is_text(bytes)) return false;
        out.put_text(value_type::string, bytes);
        return true;
    case value_type::bytes:
        out.put_text(value_type::bytes, bytes);
        return true;
    case value_type::int64:
        if (auto v = decimal_int(bytes)) {
            out.put_int64(*v);
            return true;
        }
        if (bytes.size() == 8) {
            out.put_int64(static_cast<std::int64_t>(big_endian64(bytes)));
            return true;
        }
        return false;
    case value_type::float64:
        if (auto v = text_double(bytes)) {
            out.put_float64(*v);
            return true;
        }
        if (bytes.size() == 8) {
            const auto bits = big_endian64(bytes);
            double d;
            std::memcpy(&d, &bits, sizeof d);
            out.put_float64(d);
            return true;
        }
        return false;
    case value_type::boolean:
        if (equals_ci(bytes, "true") || bytes == "1") {
            out.put_bool(true);
            return true;
        }
        if (equals_ci(bytes, "false") || bytes == "0") {
            out.put_bool(false);
            return true;
        }
        if (bytes.size() == 1) {
            out.put_bool(bytes[0] != 0);
            return true;
        }
        return false;
    case value_type::timestamp:
        // Millis beyond what µs can hold are not a timestamp (they overflowed before).
        if (auto ms = decimal_int(bytes)) {
            const auto us = millis_to_micros(*ms);
            if (us) out.put_timestamp(*us);
            return us.has_value();
        }
        if (auto us = parse_timestamp_micros(bytes)) {
            out.put_timestamp(*us);
            return true;
        }
        if (bytes.size() == 8) {
            const auto us = millis_to_micros(static_cast<std::int64_t>(big_endian64(bytes)));
            if (us) out.put_timestamp(*us);
            return us.has_value();
        }
        return false;
    case value_type::date:
        if (auto d = parse_date_days(bytes)) {
            out.put_date(*d);
            return true;
        }
        return false;
    case value_type::decimal:
        if (!is_decimal_text(bytes)) return false;
        out.put_text(value_type::decimal, bytes);
        return true;
    case value_type::json:
        if (!valid_json(bytes)) return false;
        out.put_text(value_type::json, bytes);
        return true;
    case value_type::null:
        break;
    }
    return false;
}

std::string_view expected_encoding(value_type type) {
    switch (type) {
    case value_type::string: return "UTF-8 text without NUL bytes";
    case value_type::bytes: return "bytes";
    case value_type::int64: return "decimal text or 8-byte big-endian";
    case value_type::float64: return "decimal text or 8-byte big-endian IEEE 754";
    case value_type::boolean: return "true/false/1/0 or one byte";
    case value_type::timestamp: return "ISO-8601 text, epoch milliseconds as text, or 8-byte big-endian millis";
    case value_type::date: return "YYYY-MM-DD";
    case value_type::decimal: return "decimal text";
    case value_type::json: return "a JSON document";
    case value_type::null: break;
    }
    return "a value";
}

}  // namespace sluice::hbase
