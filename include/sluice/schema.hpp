#pragma once
// What a table looks like once a source has discovered it and the configuration
// has been applied: columns with model types, the key, the cursor and the
// destination name. Destinations create and evolve their tables from this.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/value.hpp"

namespace sluice {

// Name of the column sluice adds as primary key when a table has none.
inline constexpr const char* synthetic_key_column = "_sluice_key";
inline constexpr const char* synced_at_column = "_sluice_synced_at";
inline constexpr const char* deleted_column = "_sluice_deleted";

struct column {
    std::string name;         // source column name, also the destination column name
    value_type type = value_type::string;
    std::string source_type;  // as the source reports it ("timestamp with time zone")
    bool nullable = true;
};

enum class sync_mode {
    incremental,  // keyset on (cursor, key); only rows past the committed cursor
    full,         // every pass reads everything; rows not seen are soft-deleted
};

struct table_schema {
    std::string source;        // configured source name ("warehouse")
    std::string table;         // table name as configured / discovered ("orders")
    std::string source_table;  // how the source addresses it (e.g. schema-qualified)
    std::string dest_table;    // table part of the destination name
    std::vector<column> columns;
    std::vector<std::size_t> key;              // indices into columns; never empty
    std::optional<std::size_t> cursor_column;  // set in incremental mode
    sync_mode mode = sync_mode::incremental;
    bool synthetic_key = false;  // key is the computed `_sluice_key` column (last column)

    // "warehouse.orders": how logs, errors and state name the table.
    std::string qualified_name() const { return source + "." + table; }

    // The table part of the destination name: `destination:` if configured, else the table's.
    const std::string& destination_table() const { return dest_table.empty() ? table : dest_table; }

    std::optional<std::size_t> find_column(std::string_view name) const {
        for (std::size_t i = 0; i < columns.size(); ++i)
            if (columns[i].name == name) return i;
        return std::nullopt;
    }
};

using table_schema_ptr = std::shared_ptr<const table_schema>;

}  // namespace sluice
