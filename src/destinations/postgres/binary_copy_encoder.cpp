#include "destinations/postgres/binary_copy_encoder.hpp"

#include <bit>
#include <cstring>

#include "destinations/postgres/pg_sql.hpp"
#include "destinations/value_text.hpp"

namespace sluice::pgdest {
namespace {

// PostgreSQL counts timestamps from 2000-01-01 UTC, sluice from 1970-01-01.
constexpr std::int64_t pg_epoch_days = 10957;
constexpr std::int64_t pg_epoch_us = pg_epoch_days * 86'400'000'000;
// The range timestamptz_recv and date_recv accept (4714-11-24 BC .. 294276 AD and
// .. 5874897 AD): outside it the text path gets the server's own error.
constexpr std::int64_t min_date_days = -2'440'588;                   // Julian day 0, in sluice's epoch
constexpr std::int64_t end_date_days = 2'147'483'494 - 2'440'588;    // first day past the range

constexpr char signature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its NUL

// numeric_send's sign words and limits (numeric.c).
constexpr std::uint16_t numeric_pos = 0x0000, numeric_neg = 0x4000, numeric_nan = 0xC000, numeric_pinf = 0xD000,
                        numeric_ninf = 0xF000;
constexpr int numeric_max_exponent = 1000;  // numeric_in rejects larger exponents
constexpr int numeric_max_dscale = 0x3FFF;
constexpr int numeric_max_weight = 0x7FFF;

bool is_pg_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

void append16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
}

// NaN and the infinities, spelled as numeric_in reads them; the rest of `s` must be blank.
bool numeric_special(std::string_view s, std::uint16_t& sign) {
    static constexpr std::pair<std::string_view, std::uint16_t> words[] = {
        {"nan", numeric_nan},       {"infinity", numeric_pinf}, {"+infinity", numeric_pinf},
        {"-infinity", numeric_ninf}, {"inf", numeric_pinf},      {"+inf", numeric_pinf},
        {"-inf", numeric_ninf}};
    for (const auto& [word, code] : words) {
        if (!starts_with_nocase(s, word)) continue;
        for (char c : s.substr(word.size()))
            if (!is_pg_space(c)) return false;
        sign = code;
        return true;
    }
    return false;
}

}  // namespace

bool numeric_binary(std::string_view text, std::string& out) {
    std::size_t i = 0, end = text.size();
    while (i < end && is_pg_space(text[i])) ++i;
    while (end > i && is_pg_space(text[end - 1])) --end;
    const std::string_view s = text.substr(i, end - i);

    std::uint16_t special = 0;
    if (numeric_special(s, special)) {
        out.clear();
        append16(out, 0);  // ndigits
        append16(out, 0);  // weight
        append16(out, special);
        append16(out, 0);  // dscale
        return true;
    }

    std::size_t p = 0;
    bool negative = false;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) negative = s[p++] == '-';
    // The mantissa's digits are read in place (one decimal cell per row: no allocation).
    const std::size_t digits_begin = p;
    std::size_t point = std::string_view::npos;  // digits before the point, when there is one
    long count_all = 0;
    long fraction = 0;
    for (; p < s.size(); ++p) {
        const char c = s[p];
        if (c >= '0' && c <= '9') {
            ++count_all;
            if (point != std::string_view::npos) ++fraction;
        } else if (c == '.' && point == std::string_view::npos) {
            point = static_cast<std::size_t>(count_all);
        } else {
            break;
        }
    }
    if (count_all == 0) return false;
    const auto digit = [&](std::size_t j) {  // the j-th mantissa digit, skipping the point
        return s[digits_begin + j + (j >= point ? 1 : 0)] - '0';
    };
    long exponent = 0;
    if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
        ++p;
        bool exp_negative = false;
        if (p < s.size() && (s[p] == '+' || s[p] == '-')) exp_negative = s[p++] == '-';
        const std::size_t exp_begin = p;
        for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p) {
            exponent = exponent * 10 + (s[p] - '0');
            if (exponent > numeric_max_exponent) return false;
        }
        if (p == exp_begin) return false;
        if (exp_negative) exponent = -exponent;
    }
    if (p != s.size()) return false;

    const long dscale = std::max(0L, fraction - exponent);
    if (dscale > numeric_max_dscale) return false;
    // value = 0.<digits> x 10^int_digits
    long int_digits = count_all - fraction + exponent;
    std::size_t first = 0;
    const auto total = static_cast<std::size_t>(count_all);
    while (first < total && digit(first) == 0) {
        ++first;
        --int_digits;
    }
    std::size_t last = total;
    while (last > first && digit(last - 1) == 0) --last;

    out.clear();
    if (first == last) {  // zero keeps only its scale
        append16(out, 0);
        append16(out, 0);
        append16(out, numeric_pos);
        append16(out, static_cast<std::uint16_t>(dscale));
        return true;
    }
    // Groups of four digits aligned on the decimal point.
    const long lead = ((4 - int_digits % 4) % 4 + 4) % 4;
    const long weight = (int_digits + lead) / 4 - 1;
    if (weight > numeric_max_weight) return false;
    const std::size_t count = last - first;
    const std::size_t ndigits = (static_cast<std::size_t>(lead) + count + 3) / 4;
    append16(out, static_cast<std::uint16_t>(ndigits));
    append16(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
    append16(out, negative ? numeric_neg : numeric_pos);
    append16(out, static_cast<std::uint16_t>(dscale));
    long pos = -lead;  // index into digits[first..last) of the group's first digit
    for (std::size_t g = 0; g < ndigits; ++g, pos += 4) {
        unsigned group = 0;
        for (long k = pos; k < pos + 4; ++k)
            group = group * 10 +
                    (k >= 0 && static_cast<std::size_t>(k) < count ? digit(first + static_cast<std::size_t>(k)) : 0);
        append16(out, static_cast<std::uint16_t>(group));
    }
    return true;
}

void binary_copy_buffer::put16(std::uint16_t v) {
    char* p = grow(2);
    p[0] = static_cast<char>(v >> 8);
    p[1] = static_cast<char>(v);
    used_ += 2;
}

void binary_copy_buffer::put32(std::uint32_t v) {
    char* p = grow(4);
    for (int k = 0; k < 4; ++k) p[k] = static_cast<char>(v >> (24 - 8 * k));
    used_ += 4;
}

void binary_copy_buffer::put64(std::uint64_t v) {
    char* p = grow(8);
    for (int k = 0; k < 8; ++k) p[k] = static_cast<char>(v >> (56 - 8 * k));
    used_ += 8;
}

void binary_copy_buffer::put_bytes(std::string_view s) {
    if (s.empty()) return;
    std::memcpy(grow(s.size()), s.data(), s.size());
    used_ += s.size();
}

void binary_copy_buffer::begin() {
    clear();
    put_bytes(std::string_view(signature, sizeof signature));
    put32(0);  // flags: no OIDs
    put32(0);  // header extension length
}

void binary_copy_buffer::finish() { put16(0xFFFF); }

bool binary_copy_buffer::append_numeric(std::string_view text) {
    thread_local std::string scratch;
    if (!numeric_binary(text, scratch)) return false;
    put32(static_cast<std::uint32_t>(scratch.size()));
    put_bytes(scratch);
    return true;
}

bool binary_copy_buffer::append_value(value_type column, const value_view& v) {
    if (v.is_null()) {
        put32(0xFFFFFFFF);
        return true;
    }
    switch (column) {
    case value_type::boolean:
        put32(1);
        *grow(1) = v.i ? 1 : 0;
        ++used_;
        return true;
    case value_type::int64:
        put32(8);
        put64(static_cast<std::uint64_t>(v.i));
        return true;
    case value_type::float64:
        put32(8);
        put64(std::bit_cast<std::uint64_t>(v.d));
        return true;
    case value_type::timestamp:
        if (v.i < pg_min_timestamp_us) return false;
        put32(8);
        put64(static_cast<std::uint64_t>(v.i - pg_epoch_us));
        return true;
    case value_type::date:
        if (v.i < min_date_days || v.i >= end_date_days) return false;
        put32(4);
        put32(static_cast<std::uint32_t>(static_cast<std::int32_t>(v.i - pg_epoch_days)));
        return true;
    case value_type::decimal: return append_numeric(v.s);
    case value_type::json:
        put32(static_cast<std::uint32_t>(v.s.size() + 1));
        *grow(1) = 1;  // jsonb's binary form: version 1, then the JSON text
        ++used_;
        put_bytes(v.s);
        return true;
    case value_type::bytes:
    case value_type::string:
    case value_type::null:
        if (v.s.size() > INT32_MAX) return false;
        put32(static_cast<std::uint32_t>(v.s.size()));
        put_bytes(v.s);
        return true;
    }
    return false;
}

bool binary_copy_buffer::append_row(const batch& b, std::size_t row, std::int64_t synced_at_us,
                                    const std::string& where) {
    const auto& cols = b.schema().columns;
    put16(static_cast<std::uint16_t>(cols.size() + 2));
    for (std::size_t c = 0; c < cols.size(); ++c) {
        const value_view v = b.at(row, c);
        if (v.type != cols[c].type && !dest::cell_fits(cols[c].type, v.type))
            dest::throw_type_mismatch(where, b, row, c);
        if (!append_value(cols[c].type, v)) return false;
    }
    value_view synced;
    synced.type = value_type::timestamp;
    synced.i = synced_at_us;
    value_view deleted;
    deleted.type = value_type::boolean;
    return append_value(value_type::timestamp, synced) && append_value(value_type::boolean, deleted);
}

bool encode_binary_value(value_type column, const value_view& v, std::string& out) {
    binary_copy_buffer b;
    if (!b.append_value(column, v)) return false;
    out.assign(b.view());
    return true;
}

}  // namespace sluice::pgdest
