#pragma once
// The columns the Druid fuzz targets ask for: one of every wire kind, named as in the
// seed corpora (tests/fuzz/corpus/druid_*), so mutated rows reach the value decoders.
#include "fuzz_common.hpp"
#include "sources/druid/result_parser.hpp"

namespace sluice::fuzz {

inline druid::row_layout druid_layout() {
    using druid::wire_kind;
    druid::row_layout l;
    l.names = {"__time", "page", "added", "delta", "flag", "attrs", "tags", "day"};
    l.types = {{value_type::timestamp, wire_kind::timestamp}, {value_type::string, wire_kind::text},
               {value_type::int64, wire_kind::integer},       {value_type::float64, wire_kind::floating},
               {value_type::boolean, wire_kind::boolean},     {value_type::json, wire_kind::json},
               {value_type::json, wire_kind::json},           {value_type::date, wire_kind::date}};
    return l;
}

inline table_schema_ptr druid_schema() {
    const auto l = druid_layout();
    std::vector<column> cols;
    for (std::size_t i = 0; i < l.names.size(); ++i) cols.push_back({l.names[i], l.types[i].model, "", true});
    return schema_of(cols);
}

// A 200 answer's head: with or without X-Druid-SQL-Header-Included.
inline http_response druid_head(bool header_included) {
    http_response r;
    r.status = 200;
    r.content_type = "application/json";
    if (header_included) r.headers.emplace_back("X-Druid-SQL-Header-Included", "yes");
    return r;
}

}  // namespace sluice::fuzz
