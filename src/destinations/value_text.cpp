#include "destinations/value_text.hpp"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "sluice/error.hpp"

namespace sluice::dest {
namespace {

constexpr std::int64_t micros_per_day = 86'400'000'000;

inline char* put2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
    return p + 2;
}

inline char* put_digits(char* p, std::uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

struct civil_time {
    int year;
    unsigned month, day;
    std::int64_t micros_of_day;
};

inline civil_time split(std::int64_t micros) {
    std::int64_t days = micros / micros_per_day;
    std::int64_t rem = micros % micros_per_day;
    if (rem < 0) {
        rem += micros_per_day;
        --days;
    }
    civil_time t{};
    civil_from_days(days, t.year, t.month, t.day);
    t.micros_of_day = rem;
    return t;
}

// "MM-DD" after the year, then the time of day; `sep` is 'T' or ' '.
inline char* put_rest(char* p, const civil_time& t, char sep, bool with_time) {
    *p++ = '-';
    p = put2(p, t.month);
    *p++ = '-';
    p = put2(p, t.day);
    if (!with_time) return p;
    auto secs = static_cast<std::uint64_t>(t.micros_of_day / 1'000'000);
    auto frac = static_cast<std::uint64_t>(t.micros_of_day % 1'000'000);
    *p++ = sep;
    p = put2(p, static_cast<unsigned>(secs / 3600));
    *p++ = ':';
    p = put2(p, static_cast<unsigned>(secs / 60 % 60));
    *p++ = ':';
    p = put2(p, static_cast<unsigned>(secs % 60));
    *p++ = '.';
    return put_digits(p, frac, 6);
}

// PostgreSQL spells years outside 1..9999 as "|year| ... BC" and accepts more
// than four digits; both only happen for dates far outside everyday data.
char* put_pg_year(char* p, int year, bool& bc) {
    bc = year <= 0;
    auto y = static_cast<std::uint64_t>(bc ? 1 - static_cast<std::int64_t>(year) : year);
    if (y < 10000) return put_digits(p, y, 4);
    return std::to_chars(p, p + 12, y).ptr;
}

}  // namespace

std::size_t write_timestamp_pg(char* out, std::int64_t micros) {
    civil_time t = split(micros);
    if (t.year >= 1 && t.year <= 9999) return write_timestamp_micros(out, micros);
    bool bc = false;
    char* p = put_pg_year(out, t.year, bc);
    p = put_rest(p, t, ' ', true);
    std::memcpy(p, "+00", 3);
    p += 3;
    if (bc) {
        std::memcpy(p, " BC", 3);
        p += 3;
    }
    return static_cast<std::size_t>(p - out);
}

std::size_t write_date_pg(char* out, std::int64_t days) {
    civil_time t{};
    civil_from_days(days, t.year, t.month, t.day);
    if (t.year >= 1 && t.year <= 9999) return write_date_days(out, days);
    bool bc = false;
    char* p = put_pg_year(out, t.year, bc);
    p = put_rest(p, t, ' ', false);
    if (bc) {
        std::memcpy(p, " BC", 3);
        p += 3;
    }
    return static_cast<std::size_t>(p - out);
}

namespace {

void append_value(std::string& out, const value_view& v) {
    char buf[max_timestamp_text];
    switch (v.type) {
    case value_type::null: out += "NULL"; break;
    case value_type::boolean: out += v.i ? "true" : "false"; break;
    case value_type::int64: out += std::to_string(v.i); break;
    case value_type::float64: out += fmt::format("{}", v.d); break;
    case value_type::timestamp: out.append(buf, write_timestamp_micros(buf, v.i)); break;
    case value_type::date: out.append(buf, write_date_days(buf, v.i)); break;
    case value_type::bytes: out += fmt::format("<{} bytes>", v.s.size()); break;
    default: {
        constexpr std::size_t limit = 60;
        out += '\'';
        out.append(v.s.substr(0, limit));
        if (v.s.size() > limit) out += "...";
        out += '\'';
    }
    }
}

}  // namespace

std::string describe_key(const batch& b, std::size_t row) {
    const table_schema& s = b.schema();
    std::string out;
    for (std::size_t k : s.key) {
        if (!out.empty()) out += ", ";
        out += s.columns[k].name;
        out += '=';
        append_value(out, b.at(row, k));
    }
    return out;
}

void throw_type_mismatch(const std::string& where, const batch& b, std::size_t row, std::size_t col) {
    const column& c = b.schema().columns[col];
    throw data_error(fmt::format("{}: column \"{}\" is declared {} but the value is a {} (row key {})", where,
                                 c.name, to_string(c.type), to_string(b.at(row, col).type),
                                 describe_key(b, row)));
}

void check_bucket_query(const table_schema& schema, const bucket_query& q, const std::string& ctx) {
    if (q.width_ms <= 0) throw error(error_kind::fatal, fmt::format("{}: bucket width {} ms", ctx, q.width_ms));
    if (q.time_column >= schema.columns.size() || schema.columns[q.time_column].type != value_type::timestamp)
        throw error(error_kind::fatal, ctx + ": the bucket column is not a timestamp column");
    for (std::size_t c : q.int_columns)
        if (c >= schema.columns.size())
            throw error(error_kind::fatal, fmt::format("{}: fingerprint column {} out of range", ctx, c));
}

}  // namespace sluice::dest
