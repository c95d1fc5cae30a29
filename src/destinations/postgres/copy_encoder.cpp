#include "destinations/postgres/copy_encoder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "destinations/value_text.hpp"

namespace sluice::pgdest {

char* copy_storage::grow(std::size_t n) {
    if (buf_.size() - used_ < n) {
        std::size_t want = std::max(buf_.size() * 2, used_ + n);
        buf_.resize(std::max<std::size_t>(want, 64 * 1024));
    }
    return buf_.data() + used_;
}

void copy_buffer::append_escaped(std::string_view s) {
    char* p = grow(s.size() * 2);
    const char* in = s.data();
    const char* end = in + s.size();
    while (in != end) {
        const char c = *in++;
        switch (c) {
        case '\\': *p++ = '\\'; *p++ = '\\'; break;
        case '\t': *p++ = '\\'; *p++ = 't'; break;
        case '\n': *p++ = '\\'; *p++ = 'n'; break;
        case '\r': *p++ = '\\'; *p++ = 'r'; break;
        default: *p++ = c;
        }
    }
    used_ = static_cast<std::size_t>(p - buf_.data());
}

void copy_buffer::append_bytea(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    char* p = grow(3 + s.size() * 2);
    *p++ = '\\';
    *p++ = '\\';
    *p++ = 'x';
    for (unsigned char c : s) {
        *p++ = hex[c >> 4];
        *p++ = hex[c & 0xf];
    }
    used_ = static_cast<std::size_t>(p - buf_.data());
}

void copy_buffer::append_value(const value_view& v) {
    switch (v.type) {
    case value_type::null: {
        char* p = grow(2);
        p[0] = '\\';
        p[1] = 'N';
        used_ += 2;
        return;
    }
    case value_type::boolean:
        *grow(1) = v.i ? 't' : 'f';
        used_ += 1;
        return;
    case value_type::int64: {
        char* p = grow(24);
        used_ = static_cast<std::size_t>(std::to_chars(p, p + 24, v.i).ptr - buf_.data());
        return;
    }
    case value_type::float64: {
        char* p = grow(32);
        if (std::isnan(v.d)) {
            std::memcpy(p, "NaN", 3);
            used_ += 3;
        } else if (std::isinf(v.d)) {
            const std::string_view s = v.d > 0 ? "Infinity" : "-Infinity";
            std::memcpy(p, s.data(), s.size());
            used_ += s.size();
        } else {
            used_ = static_cast<std::size_t>(std::to_chars(p, p + 32, v.d).ptr - buf_.data());
        }
        return;
    }
    case value_type::timestamp:
        used_ += dest::write_timestamp_pg(grow(max_timestamp_text), v.i);
        return;
    case value_type::date:
        used_ += dest::write_date_pg(grow(max_timestamp_text), v.i);
        return;
    case value_type::bytes: append_bytea(v.s); return;
    case value_type::decimal:
    case value_type::string:
    case value_type::json: append_escaped(v.s); return;
    }
}

void copy_buffer::append_row(const batch& b, std::size_t row, std::string_view suffix, const std::string& where) {
    const auto& cols = b.schema().columns;
    const std::size_t n = cols.size();
    for (std::size_t c = 0; c < n; ++c) {
        const value_view v = b.at(row, c);
        if (v.type != cols[c].type && !dest::cell_fits(cols[c].type, v.type))
            dest::throw_type_mismatch(where, b, row, c);
        append_value(v);
        if (c + 1 < n) {
            *grow(1) = '\t';
            ++used_;
        }
    }
    char* p = grow(suffix.size() + 1);
    if (!suffix.empty()) std::memcpy(p, suffix.data(), suffix.size());
    p[suffix.size()] = '\n';
    used_ += suffix.size() + 1;
}

std::string encode_copy_value(const value_view& v) {
    copy_buffer b;
    b.append_value(v);
    return std::string(b.view());
}

}  // namespace sluice::pgdest
