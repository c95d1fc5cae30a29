#pragma once
// Row-key ranges: what a table's scan options select, and how that range is cut
// along region boundaries for parallel scans. Keys are raw bytes compared as
// unsigned bytes (std::string's ordering); "" as a bound means open.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config.hpp"

namespace sluice::hbase {

// As TScan carries it: forward scans [start, stop); reverse scans start at the
// higher key (inclusive) and stop before the lower one (exclusive).
struct key_range {
    std::string start;
    std::string stop;

    bool operator==(const key_range&) const = default;
};

// happybase's bytes_increment: the shortest key greater than every key with
// this prefix (last byte != 0xff incremented, rest truncated); nullopt when
// there is none (empty or all 0xff).
std::optional<std::string> bytes_increment(std::string_view prefix);

// The range a table's row_start/row_stop/row_prefix select, oriented for `reverse`.
key_range configured_range(const config::hbase_scan& scan);

struct region_bounds {
    std::string start;  // inclusive, "" = table start
    std::string end;    // exclusive, "" = table end
};

// Forward `range` cut at region boundaries, empty pieces dropped, in key order.
std::vector<key_range> split_by_regions(const key_range& range, const std::vector<region_bounds>& regions);

// The first key strictly after `key` in forward order.
inline std::string key_after(std::string_view key) { return std::string(key) + '\0'; }

}  // namespace sluice::hbase
