#pragma once
// Raw JSON value text as QuestDB and Druid (both JVM servers) write it, shared
// by their page decoders so both accept the same spellings.

#include <functional>
#include <optional>
#include <string_view>

#include <simdjson.h>

namespace sluice::time_keyset {

// simdjson's raw_json_token() of a value in a malformed document may run past the end of
// the buffer: its length comes from token positions On-Demand has already gone beyond
// (found by fuzzing: a read far out of bounds while quoting a bad value in an error).
// Only the part inside `json`, the buffer the document was parsed from, is kept.
inline std::string_view within(std::string_view raw, std::string_view json) {
    const std::less<const char*> before;
    const char* end = json.data() + json.size();
    if (before(raw.data(), json.data()) || before(end, raw.data())) return {};
    return raw.substr(0, static_cast<std::size_t>(end - raw.data()));
}

// simdjson's raw_json_token() keeps the whitespace after a value.
inline std::string_view trim_raw(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Java's text for non-finite doubles, bare (Jackson without the quoting
// option, older QuestDB servers) or quoted; both sources read it as NULL.
inline bool is_non_finite_text(std::string_view s) {
    return s == "NaN" || s == "Infinity" || s == "-Infinity" || s == "\"NaN\"" || s == "\"Infinity\"" ||
           s == "\"-Infinity\"";
}

// The raw text of an array or object value (`type` is what v.type() said), nullopt when it
// is not JSON. On-Demand's raw_json() of a composite only counts brackets up to the one that
// closes it and does not validate what lies between (found by fuzzing: `{` + binary garbage
// + `]` became a json cell), so the text is parsed once more; such a value is a broken body,
// never data. Only composite cells pay for the check.
inline std::optional<std::string_view> composite_json(simdjson::ondemand::value v,
                                                      simdjson::ondemand::json_type type) {
    std::string_view text;
    if (type == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array a;
        if (v.get_array().get(a) || a.raw_json().get(text)) return std::nullopt;
    } else if (type == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object o;
        if (v.get_object().get(o) || o.raw_json().get(text)) return std::nullopt;
    } else {
        return std::nullopt;
    }
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element e;
    if (parser.parse(text.data(), text.size(), true).get(e)) return std::nullopt;
    return text;
}

// Consumes a string, number or boolean value (`type` is what v.type() said); false when its
// token is not valid JSON. type() looks at the first byte only, and a cell kept as its raw
// token (a Druid json or text column) would otherwise carry `"\|"` or `1e` into the
// destination as JSON (found by fuzzing: the text reader refused the body, the typed one
// stored the string).
inline bool valid_scalar(simdjson::ondemand::value v, simdjson::ondemand::json_type type) {
    using simdjson::ondemand::json_type;
    if (type == json_type::string) {
        std::string_view s;
        return !v.get_string().get(s);
    }
    if (type == json_type::number) {
        simdjson::ondemand::number n;
        return !v.get_number().get(n);
    }
    if (type == json_type::boolean) {
        bool b = false;
        return !v.get_bool().get(b);
    }
    return false;
}

// Consumes a value whose type() said null; true only for the literal itself (type() looks
// at the first byte only: "nulx" is a broken body, not a NULL).
inline bool consume_null(simdjson::ondemand::value v) {
    bool is_null = false;
    return !v.is_null().get(is_null) && is_null;
}

}  // namespace sluice::time_keyset
