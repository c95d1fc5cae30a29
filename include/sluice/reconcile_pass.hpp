#pragma once
// One reconcile of one table (see reconcile.hpp for what is compared): summaries
// of source and destination per day, drilled down to hours, minutes and seconds
// where they differ, then a re-read of only the differing buckets followed by a
// sweep that soft-deletes the bucket's destination rows the re-read did not
// deliver. Re-read rows and sweeps go through the table's sink, so they are
// committed by the normal writer, in order, like any other batch.

#include <cstdint>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "sluice/reconcile.hpp"
#include "sluice/schema.hpp"

namespace sluice {

class source;
class destination;
class batch_sink;

struct reconcile_report {
    std::uint64_t buckets_compared = 0;    // bucket pairs compared, every level
    std::uint64_t buckets_mismatched = 0;  // finest differing buckets, re-read
    std::uint64_t ranges_reread = 0;       // re-read queries (adjacent buckets merged)
    std::uint64_t rows_reread = 0;
    double seconds = 0;
};

// A differing bucket with at most this many rows (on either side) is re-read
// whole rather than split further: one page-sized query beats more summaries.
inline constexpr std::size_t reread_bucket_rows = 5000;

// Drill-down widths, coarse to fine (ms): day, hour, minute, second.
std::vector<std::int64_t> default_bucket_widths_ms();

// Compares rows with cursor < hi_ms. A differing bucket is split further while
// it holds more than `reread_rows` rows on either side and a finer width is left.
boost::asio::awaitable<reconcile_report> reconcile_table(source& src, destination& dest, table_schema_ptr schema,
                                                         batch_sink& sink, std::int64_t hi_ms,
                                                         std::size_t reread_rows,
                                                         std::vector<std::int64_t> widths_ms);

}  // namespace sluice
