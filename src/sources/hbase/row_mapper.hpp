#pragma once
// Turns scanned HBase rows into destination rows: row_key, the declared cells
// decoded to their types (plus cell timestamps when asked), every other cell
// into the `_cells` JSON object (base64 for bytes that are not UTF-8).
//
// A cell that does not decode as declared fails the table with an error naming
// table, row key and cell, unless on_decode_error: null, which stores NULL and
// counts the cell in decode_warnings().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "Hbase.h"
#include "sluice/batch.hpp"
#include "sources/hbase/table_layout.hpp"

namespace sluice::hbase {

// One cell of a row, viewing the TRowResult it came from.
struct cell_view {
    std::string_view column;  // "family:qualifier"
    std::string_view value;
    std::int64_t timestamp;   // ms
};

// Every cell of one row (a row may span several TRowResults with scan_batching).
void collect_cells(const wire::TRowResult& r, std::vector<cell_view>& out);

// Row keys in messages: text when printable, else hex.
std::string printable_key(std::string_view key);

class row_mapper {
public:
    row_mapper(table_schema_ptr schema, const table_layout& layout);

    // Appends one row; throws data_error on an undecodable cell (see above).
    void append(std::string_view row_key, const std::vector<cell_view>& cells, batch& out);
    std::uint64_t decode_warnings() const noexcept { return decode_warnings_; }

private:
    [[noreturn]] void fail(std::string_view row_key, std::string_view cell, std::string_view why) const;

    table_schema_ptr schema_;
    const table_layout& layout_;
    std::vector<const cell_view*> slots_;       // per mapped cell, in layout order
    std::vector<std::size_t> in_column_order_;  // layout indices by schema column
    std::string others_;                   // `_cells` JSON being built
    std::uint64_t decode_warnings_ = 0;
};

}  // namespace sluice::hbase
