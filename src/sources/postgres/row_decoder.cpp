#include "sources/postgres/row_decoder.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sluice/error.hpp"

namespace sluice::postgres {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool decode_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2) return false;
    out.clear();
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
    }
    return true;
}

std::string shorten(std::string_view v) {
    constexpr std::size_t max_len = 64;
    if (v.size() <= max_len) return std::string(v);
    return std::string(v.substr(0, max_len)) + "...";
}

}  // namespace

std::optional<std::int64_t> decode_int64(std::string_view t) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || t.empty()) return std::nullopt;
    if (p == t.data() + t.size()) return v;
    // A numeric declared int64 prints "12.000": exact only when the fraction is zero.
    if (*p != '.' || p + 1 == t.data() + t.size()) return std::nullopt;
    for (++p; p != t.data() + t.size(); ++p)
        if (*p != '0') return std::nullopt;
    return v;
}

std::optional<double> decode_double(std::string_view t) {
    if (t == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (t == "Infinity") return std::numeric_limits<double>::infinity();
    if (t == "-Infinity") return -std::numeric_limits<double>::infinity();
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || t.empty() || p != t.data() + t.size()) return std::nullopt;
    return v;
}

std::optional<bool> decode_bool(std::string_view t) {
    if (t == "t" || t == "true" || t == "1" || t == "TRUE" || t == "y" || t == "yes") return true;
    if (t == "f" || t == "false" || t == "0" || t == "FALSE" || t == "n" || t == "no") return false;
    return std::nullopt;
}

bool decode_bytes(std::string_view t, bool raw_fallback, std::string& out) {
    if (t.starts_with("\\x")) return decode_hex(t.substr(2), out);
    if (raw_fallback) {
        out.assign(t);
        return true;
    }
    return decode_hex(t, out);  // Redshift varbyte: plain hex digits
}

row_decoder::row_decoder(const table_schema& schema)
    : schema_(schema), ncols_(schema.synthetic_key ? schema.columns.size() - 1 : schema.columns.size()) {
    raw_bytes_.resize(ncols_);
    for (std::size_t i = 0; i < ncols_; ++i) {
        const auto& st = schema.columns[i].source_type;
        raw_bytes_[i] = !(st == "bytea" || st == "varbyte" || st == "binary varying" || st == "varbinary");
    }
}

std::string row_decoder::describe_key(const text_row& row) const {
    std::vector<std::size_t> cols;
    if (!schema_.synthetic_key)
        cols = schema_.key;
    else if (schema_.cursor_column)
        cols = {*schema_.cursor_column};
    std::string out;
    for (auto c : cols) {
        if (!out.empty()) out += ", ";
        out += schema_.columns[c].name + "=" + (row.is_null(c) ? std::string("NULL") : shorten(row.get(c)));
    }
    if (schema_.synthetic_key) return out.empty() ? "no key" : "no key; " + out;
    return out;
}

void row_decoder::fail(const text_row& row, std::size_t col, std::string_view value, const char* why) const {
    const auto& c = schema_.columns[col];
    const std::string reason = why ? std::string(why) : fmt::format("does not fit {}", to_string(c.type));
    throw data_error(fmt::format("{}: column \"{}\" (key {}): value '{}' {}", schema_.qualified_name(),
                                 c.name, describe_key(row), shorten(value), reason));
}

void row_decoder::decode(const text_row& row, batch& b) {
    for (std::size_t col = 0; col < ncols_; ++col) {
        if (row.is_null(col)) {
            b.put_null();
            continue;
        }
        const auto text = row.get(col);
        const auto type = schema_.columns[col].type;
        auto reject = [&](const char* why) {
            b.abandon_row();
            fail(row, col, text, why);
        };
        switch (type) {
            case value_type::null:
                b.put_null();
                break;
            case value_type::boolean:
                if (auto v = decode_bool(text))
                    b.put_bool(*v);
                else
                    reject(nullptr);
                break;
            case value_type::int64:
                if (auto v = decode_int64(text))
                    b.put_int64(*v);
                else
                    reject(nullptr);
                break;
            case value_type::float64:
                if (auto v = decode_double(text))
                    b.put_float64(*v);
                else
                    reject(nullptr);
                break;
            case value_type::timestamp:
                if (auto v = parse_timestamp_micros(text))
                    b.put_timestamp(*v);
                else
                    reject(nullptr);
                break;
            case value_type::date:
                if (auto v = parse_date_days(text))
                    b.put_date(*v);
                else
                    reject(nullptr);
                break;
            case value_type::bytes:
                if (decode_bytes(text, raw_bytes_[col], scratch_))
                    b.put_text(value_type::bytes, scratch_);
                else
                    reject("is not valid hex bytes");
                break;
            case value_type::decimal:
            case value_type::json:
                b.put_text(type, text);
                break;
            case value_type::string:
                if (!is_valid_utf8(text)) reject("is not valid UTF-8");
                b.put_text(type, text);
                break;
        }
    }
}

}  // namespace sluice::postgres
