#pragma once
// The cursor JSON of the timestamp-keyset sources (QuestDB, Druid) and the
// boundary arithmetic of their keyset paging on a timestamp cursor (µs).
//
//   {"v":1,"mode":"incremental","col":"ts","t":1714564800000000,"k":3}
//       every row with col < t has been delivered, plus the first k rows (in
//       ORDER BY col order) with col == t. The next page asks
//       WHERE col >= t ORDER BY col LIMIT k, k+batch: exactly the k boundary
//       rows already delivered are skipped, however long the run of equal
//       timestamps. No "t": nothing delivered yet.
//   {"v":1,"mode":"full","done":true}
//       a full pass completed (full passes always restart).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::time_keyset {

struct cursor_state {
    bool full = false;
    std::string column;               // incremental: cursor column name
    std::optional<std::int64_t> t;    // last delivered timestamp (µs)
    std::int64_t k = 0;               // rows with col == t delivered
    bool done = false;                // full: pass completed

    bool operator==(const cursor_state&) const = default;
};

std::string encode_cursor(const cursor_state& s);
// nullopt when the text is not a cursor this source wrote (then sync starts over).
std::optional<cursor_state> decode_cursor(std::string_view json);

// Where reading resumes: rows with col >= start (all rows when absent), skipping
// the first `skip` of them.
struct boundary {
    std::optional<std::int64_t> start;
    std::int64_t skip = 0;
    bool operator==(const boundary&) const = default;
};

// Resume position for a stored cursor. Lookback (µs, > 0) re-reads from t - lookback
// without skipping. Synthetic-key tables re-read the whole boundary group
// (skip 0) so occurrence numbers among identical rows are recomputed from the
// group's first row and stay stable; the upserts make the re-read harmless.
boundary resume_point(const std::optional<cursor_state>& saved, bool synthetic_key, std::int64_t lookback_us);

// After a page of rows (cursor values in order) read from `b`, the position just
// past the page: the last timestamp and how many rows with it have now been
// delivered (b.skip + n when the whole page continues b.start's run).
boundary advance_past(const boundary& b, const std::vector<std::int64_t>& page);

// (t, k) ordering: is `a` strictly beyond `b`? (a cursor never moves backwards
// because of a lookback re-read)
bool beyond(const boundary& a, const cursor_state& b);

}  // namespace sluice::time_keyset
