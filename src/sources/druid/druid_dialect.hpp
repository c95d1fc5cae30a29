#pragma once
// Druid's side of the shared timestamp-keyset reader (time_keyset/): SQL with
// TIMESTAMP literals, POST /druid/v2/sql, the array result parser. Druid
// specifics:
//  - timestamps are milliseconds: window bounds are whole milliseconds;
//  - scans only ORDER BY __time, and rows sharing a __time come back in a
//    different order on every query (merged from segments, replicas and broker
//    threads): a run of equal __time longer than a page is read as one
//    unordered query (WHERE __time = TIMESTAMP '…') whose arrayLines answer is
//    parsed as it streams in;
//  - a time-ordered scan fails when LIMIT exceeds maxRowsQueuedForOrdering
//    (default 100000; may be raised through query_context): the source lowers
//    batch_size to it (druid_source.cpp).

#include <cstdint>
#include <memory>
#include <string>

#include "sluice/schema.hpp"
#include "sources/druid/sql_client.hpp"
#include "sources/druid/sql_text.hpp"
#include "sources/time_keyset/dialect.hpp"

namespace sluice::druid {

inline constexpr std::int64_t default_max_rows_ordered = 100'000;

std::unique_ptr<time_keyset::dialect> make_dialect(sql_client& client, table_schema_ptr schema, table_ref table,
                                                   std::string context);

// The layout every page of this schema must have (data columns, decoding types).
row_layout layout_of(const table_schema& s);

}  // namespace sluice::druid
