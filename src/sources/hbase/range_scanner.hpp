#pragma once
// Scans one key range through a gateway scanner, happybase-style
// (scannerOpenWithScan, scannerGetList until an empty list, scannerClose), but:
//  - pipelined: the next scannerGetList is on the wire while the rows of the
//    previous one are converted and handed on;
//  - resumable: an expired/invalid scanner, an IOError or a dropped connection
//    reopens the scan right after the last row delivered (bounded retries,
//    backoff for IOErrors and I/O failures);
//  - whole rows only: with scan_batching a wide row arrives as several
//    TRowResults, possibly across replies; they are delivered together;
//  - the scanner is closed on every exit, also on errors and cancellation.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "Hbase.h"
#include "sources/hbase/client_pool.hpp"
#include "sources/hbase/key_range.hpp"

namespace sluice::hbase {

struct range_scan {
    std::string table;  // as the gateway names it (prefix applied)
    wire::TScan base;   // everything but startRow/stopRow
    std::int32_t batch_size = 1000;
    bool pipelined = true;
    bool reverse = false;
    std::string required_prefix;  // row_prefix: rows outside it are dropped (happybase's reverse quirk)
    std::uint64_t limit = 0;      // rows to deliver at most, 0 = all
};

// Receives complete rows (consecutive TRowResults with the same key form one
// row) in scan order; `done` is set on the last call for the range. Rows that
// were delivered are never delivered again by this scan. The vector is the
// scanner's reply buffer: read it, do not keep it.
using deliver_rows = std::function<boost::asio::awaitable<void>(const std::vector<wire::TRowResult>&, bool done)>;

// `resume_after`: the last row key already delivered (from a checkpoint).
boost::asio::awaitable<void> scan_range(client_pool& pool, const range_scan& scan, const key_range& range,
                                        const std::optional<std::string>& resume_from, const deliver_rows& deliver);

}  // namespace sluice::hbase
