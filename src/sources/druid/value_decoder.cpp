#include "sources/druid/value_decoder.hpp"

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sources/time_keyset/raw_value.hpp"

namespace sluice::druid {

namespace od = simdjson::ondemand;
using time_keyset::is_non_finite_text;
using time_keyset::composite_json;
using time_keyset::valid_scalar;
using time_keyset::consume_null;
using time_keyset::trim_raw;
using time_keyset::within;

namespace {

[[noreturn]] void bad_value(batch& b, std::string_view column, std::size_t row, std::string_view what,
                            std::string_view raw, std::string_view context) {
    b.abandon_row();
    throw data_error(fmt::format("{}: column '{}' at row {} of the response: {}: {}", context, column, row, what,
                                 trim_raw(raw).substr(0, 80)));
}

}  // namespace

void put_value(batch& b, od::value v, druid_type type, std::string_view column, std::size_t row,
               std::string_view context, std::string_view json) {
    const std::string_view raw = within(v.raw_json_token(), json);
    od::json_type jt = od::json_type::null;
    if (v.type().get(jt)) {
        if (type.wire == wire_kind::floating && is_non_finite_text(trim_raw(raw))) return b.put_null();
        bad_value(b, column, row, "invalid JSON value", raw, context);
    }
    if (jt == od::json_type::null) {
        if (!consume_null(v)) bad_value(b, column, row, "invalid JSON value", raw, context);
        return b.put_null();
    }
    switch (type.wire) {
    case wire_kind::integer: {
        std::int64_t x = 0;
        // Never through double: Druid LONGs may exceed 2^53.
        if (jt == od::json_type::number && !v.get_int64().get(x)) return b.put_int64(x);
        if (jt == od::json_type::boolean) {  // a BOOLEAN expression typed as a number
            bool f = false;
            if (!v.get_bool().get(f)) return b.put_int64(f ? 1 : 0);
        }
        bad_value(b, column, row, "not a 64-bit integer", raw, context);
    }
    case wire_kind::floating: {
        double x = 0;
        if (jt == od::json_type::number && !v.get_double().get(x)) return b.put_float64(x);
        if (jt == od::json_type::string && is_non_finite_text(trim_raw(raw))) return b.put_null();
        bad_value(b, column, row, "not a number", raw, context);
    }
    case wire_kind::boolean: {
        bool x = false;
        if (jt == od::json_type::boolean && !v.get_bool().get(x)) return b.put_bool(x);
        std::int64_t i = 0;  // BOOLEAN is a LONG 1/0 inside Druid; some paths render it so
        if (jt == od::json_type::number && !v.get_int64().get(i) && (i == 0 || i == 1)) return b.put_bool(i == 1);
        bad_value(b, column, row, "not a boolean", raw, context);
    }
    case wire_kind::timestamp:
    case wire_kind::date: {
        std::optional<std::int64_t> micros;
        std::string_view s;
        std::int64_t ms = 0;
        if (jt == od::json_type::string && !v.get_string().get(s))
            micros = parse_timestamp_micros(s);
        else if (jt == od::json_type::number && !v.get_int64().get(ms))  // epoch millis (native-style rendering)
            micros = millis_to_micros(ms);  // nullopt beyond ±292,000 years: not a timestamp
        if (!micros) bad_value(b, column, row, "not a timestamp", raw, context);
        if (type.wire == wire_kind::timestamp) return b.put_timestamp(*micros);
        std::int64_t days = *micros / 86'400'000'000;
        if (*micros % 86'400'000'000 < 0) --days;
        return b.put_date(days);
    }
    case wire_kind::text: {
        std::string_view s;
        if (jt == od::json_type::string && !v.get_string().get(s)) return b.put_text(value_type::string, s);
        // A multi-value string column comes as an array; numbers/booleans where
        // text is declared keep their JSON text.
        if (jt == od::json_type::array) {
            const auto text = composite_json(v, jt);
            if (!text) bad_value(b, column, row, "invalid array", raw, context);
            return b.put_text(value_type::string, trim_raw(*text));
        }
        if (jt == od::json_type::number || jt == od::json_type::boolean) {
            if (!valid_scalar(v, jt)) bad_value(b, column, row, "invalid JSON value", raw, context);
            return b.put_text(value_type::string, trim_raw(raw));
        }
        bad_value(b, column, row, "not a string", raw, context);
    }
    case wire_kind::json: {
        if (jt == od::json_type::array || jt == od::json_type::object) {
            const auto text = composite_json(v, jt);
            if (!text) bad_value(b, column, row, jt == od::json_type::array ? "invalid array" : "invalid object", raw, context);
            return b.put_text(value_type::json, trim_raw(*text));
        }
        if (!valid_scalar(v, jt)) bad_value(b, column, row, "invalid JSON value", raw, context);
        return b.put_text(value_type::json, trim_raw(raw));
    }
    }
    bad_value(b, column, row, "unhandled type", raw, context);
}

}  // namespace sluice::druid
