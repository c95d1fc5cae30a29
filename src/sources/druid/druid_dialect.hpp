#pragma once
// Druid's side of the shared timestamp-keyset reader (time_keyset/): SQL with
// TIMESTAMP literals and LIMIT n OFFSET k, POST /druid/v2/sql, the array
// result parser. Druid specifics:
//  - timestamps are milliseconds: window bounds are whole milliseconds;
//  - a time-ordered scan fails when OFFSET + LIMIT exceeds
//    maxRowsQueuedForOrdering (default 100000; may be raised through
//    query_context): pages shrink so skip + limit stays within it, and a run of
//    equal timestamps longer than that fails with a message saying so.

#include <cstdint>
#include <memory>
#include <string>

#include "sluice/schema.hpp"
#include "sources/druid/sql_client.hpp"
#include "sources/druid/sql_text.hpp"
#include "sources/time_keyset/dialect.hpp"

namespace sluice::druid {

inline constexpr std::int64_t default_max_rows_ordered = 100'000;

// `ordering_cap`: the server's maxRowsQueuedForOrdering.
std::unique_ptr<time_keyset::dialect> make_dialect(sql_client& client, table_schema_ptr schema, table_ref table,
                                                   std::string context, std::int64_t ordering_cap);

// The layout every page of this schema must have (data columns, decoding types).
row_layout layout_of(const table_schema& s);

}  // namespace sluice::druid
