#pragma once
// How one configured HBase table maps to a destination table: the schema
// (row_key, the declared cells with their `<name>_ts` companions when cell
// timestamps are kept, `_cells` for everything else) and the facts the scanner
// and row mapper need (which cell is which column, the cursor cell, the mode).

#include <optional>
#include <string>
#include <vector>

#include "sluice/config.hpp"
#include "sluice/schema.hpp"

namespace sluice::hbase {

inline constexpr const char* row_key_column = "row_key";
inline constexpr const char* other_cells_column = "_cells";

enum class scan_mode { cursor_column, cell_timestamp, full };

struct mapped_cell {
    std::string cell;  // "family:qualifier"
    value_type type;
    std::size_t column;                   // index in the schema
    std::optional<std::size_t> ts_column;  // `<name>_ts`, with include_timestamp
};

struct table_layout {
    std::string hbase_table;  // the name on the gateway, table_prefix applied
    scan_mode mode = scan_mode::full;
    std::vector<mapped_cell> cells;  // sorted by `cell` for lookup
    std::optional<std::size_t> other_cells;  // `_cells` column index
    bool row_key_bytes = false;
    std::optional<std::string> cursor_cell;  // cursor_column mode: "family:qualifier"
    std::optional<value_type> cursor_type;   // its declared type when it is also mapped
    config::hbase_scan scan;
    config::hbase_mapping mapping;
    config::table_settings settings;

    const mapped_cell* find(std::string_view cell) const;
};

struct table_plan {
    table_schema_ptr schema;
    table_layout layout;
};

// Throws a fatal error naming the table for contradictory settings (a cursor
// cell that is not family:qualifier, duplicate destination names, ...).
table_plan plan_table(const config::source_config& src, const config::table_config& table);

std::string_view mode_name(scan_mode m);

}  // namespace sluice::hbase
