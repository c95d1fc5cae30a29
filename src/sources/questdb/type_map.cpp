#include "sources/questdb/type_map.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "sluice/error.hpp"

namespace sluice::questdb {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

bool starts_with_call(std::string_view t, std::string_view name) {
    return t.size() > name.size() + 1 && t.substr(0, name.size()) == name && t[name.size()] == '(' && t.back() == ')';
}

}  // namespace

std::optional<questdb_type> map_questdb_type(std::string_view type) noexcept {
    try {
        const std::string t = upper(type);
        const questdb_type text{value_type::string, wire_kind::text};
        if (t == "SYMBOL" || t == "STRING" || t == "VARCHAR" || t == "CHAR" || t == "UUID" || t == "IPV4" ||
            t == "LONG256" || t == "INTERVAL" || t == "GEOHASH" || starts_with_call(t, "GEOHASH"))
            return text;
        if (t == "LONG" || t == "INT" || t == "SHORT" || t == "BYTE") return questdb_type{value_type::int64, wire_kind::integer};
        if (t == "DOUBLE" || t == "FLOAT") return questdb_type{value_type::float64, wire_kind::floating};
        if (t == "BOOLEAN") return questdb_type{value_type::boolean, wire_kind::boolean};
        if (t == "TIMESTAMP" || t == "TIMESTAMP_NS" || t == "DATE")
            return questdb_type{value_type::timestamp, wire_kind::timestamp};
        if (t == "DECIMAL" || starts_with_call(t, "DECIMAL")) return questdb_type{value_type::decimal, wire_kind::decimal};
        // 9.x arrays: "ARRAY" in metadata (with dim/elemType), "DOUBLE[]" in type names.
        if (t == "ARRAY" || (t.size() > 2 && t.substr(t.size() - 2) == "[]"))
            return questdb_type{value_type::json, wire_kind::json};
        if (t == "BINARY") return questdb_type{value_type::bytes, wire_kind::binary};
    } catch (...) {  // allocation failure: treat as unknown
    }
    return std::nullopt;
}

questdb_type map_column_type(std::string_view column, std::string_view type) {
    if (auto t = map_questdb_type(type)) return *t;
    throw error(error_kind::fatal,
                fmt::format("QuestDB column '{}' has type '{}', which sluice does not support; "
                            "exclude the column or cast it in SQL (e.g. to STRING)",
                            column, type));
}

}  // namespace sluice::questdb
