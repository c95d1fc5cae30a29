#pragma once
// The HBase source's cursor: where the table stands between passes (high-water
// cursor value or cell-timestamp watermark) and, while a pass is running, how
// far each of its key ranges has been delivered. Every batch carries the whole
// checkpoint, so a crash or a lost scanner resumes each range after its last
// delivered row instead of restarting the table.
//
// JSON: {"v":1,"mode":"cursor_column","hw":"<b64>","wm":<ms>,
//        "pass":{"t":<ms>,"lower":"<b64>","max":"<b64>","n":<rows>,
//                "r":[{"s":"<b64>","e":"<b64>","l":"<b64>","d":true},...]}}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/hbase/key_range.hpp"

namespace sluice::hbase {

struct range_progress {
    key_range range;
    std::optional<std::string> last;  // last row key delivered (committed with this checkpoint)
    bool done = false;
};

struct pass_progress {
    std::int64_t started_ms = 0;       // snapshot bound (TScan.timestamp) and soft-delete instant
    std::optional<std::string> lower;  // cursor_column: the filter's inclusive lower bound
    std::optional<std::string> max;    // cursor_column: largest cursor value delivered so far
    std::uint64_t rows = 0;            // rows delivered in this pass (for `limit`)
    std::vector<range_progress> ranges;
};

struct scan_checkpoint {
    std::string mode;                    // cursor_column | cell_timestamp | full
    std::optional<std::string> hw;       // cursor_column: max cursor value of completed passes
    std::optional<std::int64_t> wm;      // cell_timestamp: every cell older than this is synced
    std::optional<pass_progress> pass;   // a pass in progress

    std::string encode() const;
    // nullopt when `json` is not an HBase checkpoint (e.g. written by another source type).
    static std::optional<scan_checkpoint> decode(std::string_view json);
};

}  // namespace sluice::hbase
