#include "sources/postgres/type_map.hpp"

#include <array>
#include <utility>

namespace sluice::postgres {

namespace {

bool one_of(std::string_view v, std::initializer_list<std::string_view> names) {
    for (auto n : names)
        if (v == n) return true;
    return false;
}

}  // namespace

value_type map_pg_type(std::string_view dt, std::string_view udt) {
    if (dt == "ARRAY") return value_type::json;
    if (one_of(dt, {"smallint", "integer", "bigint"})) return value_type::int64;
    if (one_of(dt, {"numeric", "decimal"})) return value_type::decimal;
    if (one_of(dt, {"real", "double precision"})) return value_type::float64;
    if (dt == "boolean") return value_type::boolean;
    if (dt == "bytea") return value_type::bytes;
    if (dt == "date") return value_type::date;
    // timestamp without time zone is read as UTC (DESIGN.md §3 has one timestamp type).
    if (one_of(dt, {"timestamp without time zone", "timestamp with time zone", "timestamp", "timestamptz"}))
        return value_type::timestamp;
    if (one_of(dt, {"json", "jsonb"})) return value_type::json;
    // Redshift reports its own types by name (or as USER-DEFINED with the udt).
    if (dt == "super" || udt == "super") return value_type::json;
    if (one_of(dt, {"varbyte", "binary varying", "varbinary"}) || udt == "varbyte") return value_type::bytes;
    // char/varchar/text/name/uuid/inet/cidr/interval/time/timetz/money/xml, enums,
    // geometry/geography (hex EWKB) and anything unknown: their text form.
    return value_type::string;
}

std::string source_type_name(std::string_view dt, std::string_view udt) {
    if (dt == "ARRAY") {
        if (!udt.empty() && udt.front() == '_') udt.remove_prefix(1);
        return std::string(udt) + "[]";
    }
    if (dt == "USER-DEFINED" && !udt.empty()) return std::string(udt);
    return std::string(dt);
}

bool select_as_json(const column& c) { return c.source_type.size() > 2 && c.source_type.ends_with("[]"); }

std::string param_cast(const column& c) {
    // Only built-in names whose bare spelling is the full type: "character" alone
    // would mean char(1) and truncate the parameter, hence bpchar.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> casts{{
        {"smallint", "smallint"},
        {"integer", "integer"},
        {"bigint", "bigint"},
        {"numeric", "numeric"},
        {"decimal", "numeric"},
        {"real", "real"},
        {"double precision", "double precision"},
        {"boolean", "boolean"},
        {"date", "date"},
        {"timestamp without time zone", "timestamp"},
        {"timestamp with time zone", "timestamptz"},
        {"timestamp", "timestamp"},
        {"timestamptz", "timestamptz"},
        {"text", "text"},
        {"character varying", "varchar"},
        {"character", "bpchar"},
        {"uuid", "uuid"},
        {"name", "name"},
    }};
    for (const auto& [from, to] : casts)
        if (c.source_type == from) return "::" + std::string(to);
    return {};
}

bool is_timestamp_source(const column& c) {
    return one_of(c.source_type,
                  {"timestamp without time zone", "timestamp with time zone", "timestamp", "timestamptz"});
}

}  // namespace sluice::postgres
