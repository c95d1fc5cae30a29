#include "sources/druid/type_map.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace sluice::druid {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    // Some versions write "COMPLEX<JSON>" with spaces or precision; compare the bare form.
    std::erase(out, ' ');
    return out;
}

type_mapping mapped(value_type model, wire_kind wire) { return {type_verdict::mapped, {model, wire}}; }

}  // namespace

type_mapping map_druid_type(std::string_view sql_type) {
    const std::string t = upper(sql_type);
    if (t == "VARCHAR" || t == "CHAR" || t.starts_with("VARCHAR(") || t.starts_with("CHAR("))
        return mapped(value_type::string, wire_kind::text);
    if (t == "BIGINT" || t == "INTEGER" || t == "SMALLINT" || t == "TINYINT")
        return mapped(value_type::int64, wire_kind::integer);
    if (t == "DOUBLE" || t == "FLOAT" || t == "REAL" || t == "DECIMAL" || t.starts_with("DECIMAL("))
        return mapped(value_type::float64, wire_kind::floating);
    if (t == "TIMESTAMP" || t.starts_with("TIMESTAMP(")) return mapped(value_type::timestamp, wire_kind::timestamp);
    if (t == "DATE") return mapped(value_type::date, wire_kind::date);
    if (t == "BOOLEAN") return mapped(value_type::boolean, wire_kind::boolean);
    if (t == "OTHER" || t == "COMPLEX<JSON>") return mapped(value_type::json, wire_kind::json);
    // "ARRAY", "VARCHAR ARRAY" (spaces removed: "VARCHARARRAY"), "ARRAY<STRING>".
    if (t == "ARRAY" || t.ends_with("ARRAY") || t.starts_with("ARRAY<"))
        return mapped(value_type::json, wire_kind::json);
    if (t == "COMPLEX" || t.starts_with("COMPLEX<")) return {type_verdict::skipped, {}};
    return {};
}

}  // namespace sluice::druid
