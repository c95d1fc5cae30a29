#pragma once
// Turns what the catalog says about a table into its sluice schema, applying the
// table's configuration (columns, declared types, key, cursor, mode, destination).
// Pure: no I/O, so every rule is unit-tested.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sluice/config.hpp"
#include "sluice/schema.hpp"

namespace sluice::postgres {

struct raw_column {
    std::string name;
    std::string data_type;  // information_schema.columns.data_type
    std::string udt_name;
    bool nullable = true;
};

struct raw_table {
    std::string name;
    std::vector<raw_column> columns;       // ordinal order
    std::vector<std::string> primary_key;  // key_column_usage order
};

// Replication-key inference (no cursor configured): a timestamp column with a
// conventional name (updated_at, modified_at, ... in that preference), then any
// timestamp column whose name contains "updated" or "modified", then a
// single-column integer primary key. Never a date column.
std::optional<std::size_t> infer_cursor(const std::vector<column>& columns,
                                        const std::vector<std::size_t>& key, bool synthetic_key);

// Throws sluice::error (fatal) naming source and table when the configuration
// does not fit the table (unknown columns, excluded key, unusable cursor, ...).
table_schema build_schema(const config::source_config& source, const raw_table& table,
                          const config::table_config* table_cfg);

}  // namespace sluice::postgres
