#pragma once
// The cursor JSON of the timestamp-keyset sources (QuestDB, Druid) and the
// arithmetic of their pages on a timestamp cursor (µs).
//
//   {"v":1,"mode":"incremental","col":"ts","t":1714564800000000}
//       reading resumes at col >= t: every row with col < t has been delivered.
//       Rows at t may have been delivered too; they are read again whole and
//       the upserts make that harmless. Cursors written before tie groups were
//       read whole also carry "k" (rows at t delivered): it is ignored, the
//       group at t is read again whole. No "t": nothing delivered yet.
//   {"v":1,"mode":"full","done":true}
//       a full pass completed (full passes always restart).
//
// Why no position inside a run of equal timestamps: servers return such ties
// in any order (Druid merges them from segments, replicas and broker threads
// differently on every query), so "the first k rows at t" names different rows
// on different queries. A page therefore only ever delivers whole tie groups.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::time_keyset {

// A NULL cursor value (nullable cursor column): sorts first.
inline constexpr std::int64_t null_cursor = std::numeric_limits<std::int64_t>::min();

struct cursor_state {
    bool full = false;
    std::string column;               // incremental: cursor column name
    std::optional<std::int64_t> t;    // where reading resumes (µs; null_cursor: from the NULLs on)
    bool done = false;                // full: pass completed

    bool operator==(const cursor_state&) const = default;
};

std::string encode_cursor(const cursor_state& s);
// nullopt when the text is not a cursor this source wrote (then sync starts over).
std::optional<cursor_state> decode_cursor(std::string_view json);

// Where reading resumes for a stored cursor: rows with col >= the result
// (nullopt: every row, NULLs first). Lookback (µs, > 0) starts that much earlier.
std::optional<std::int64_t> resume_point(const std::optional<cursor_state>& saved, std::int64_t lookback_us);

// What a page asked for with `limit` rows means, given its cursor values in
// order (null_cursor for NULL):
//  - fewer than `limit` rows: the range is exhausted; deliver them all;
//  - a full page over several values: deliver every row before the last value
//    (whole groups) and start the next page at the last value, whose group may
//    go on beyond the page;
//  - a full page of one value: a tie group at least a page long; deliver
//    nothing and read that group on its own (`tie`).
struct page_end {
    std::size_t keep = 0;
    bool exhausted = false;
    std::optional<std::int64_t> next;  // next page's start (not exhausted, no tie)
    std::optional<std::int64_t> tie;   // the value of a group longer than the page
    bool operator==(const page_end&) const = default;
};
page_end end_of_page(const std::vector<std::int64_t>& page, std::int64_t limit);

}  // namespace sluice::time_keyset
