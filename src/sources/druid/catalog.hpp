#pragma once
// Discovery from INFORMATION_SCHEMA: the datasources of a schema and their
// columns, and the schema sluice syncs a datasource with (types, cursor, key).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config.hpp"
#include "sluice/reconcile.hpp"
#include "sluice/schema.hpp"
#include "sources/druid/result_parser.hpp"

namespace sluice::druid {

struct raw_column {
    std::string name;
    std::string type;  // DATA_TYPE
    std::int64_t position = 0;
    bool nullable = true;
};

// TABLE_NAME of every row.
std::vector<std::string> parse_tables(const text_result& r, std::string_view context);
// Sorted by ORDINAL_POSITION as a number: servers before Druid 26 return it as a
// string, and their ORDER BY sorts "10" before "2".
std::vector<raw_column> parse_columns(const text_result& r, std::string_view context);

// The answer of summary_query (sql_text.hpp): (bucket, rows, fingerprint) per
// row, integers as JSON numbers (parsed exactly, never through a double).
// Throws error(fatal) for a NULL, a non-integer or a missing column.
std::vector<bucket_stats> parse_buckets(const text_result& r, std::string_view context);

// The schema of datasource `name` with the table's configuration applied (`tc`
// may be null). COMPLEX columns other than json (sketches) are left out with a
// warning naming them. Throws error(fatal) for an unknown type, a bad cursor
// or key override. Cursor: `cursor:` or __time; mode full when `mode: full`.
table_schema build_schema(const config::source_config& cfg, const std::string& name,
                          const std::vector<raw_column>& cols, const config::table_config* tc);

}  // namespace sluice::druid
