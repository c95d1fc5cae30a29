#pragma once
// The postgres source's cursor JSON (stored by the destination with each batch).
// Values stay in their PostgreSQL text form, so they round-trip exactly into the
// next query's parameters:
//
//   {"v":1,"mode":"incremental","col":"updated_at","c":"2024-05-01 12:00:00+00","k":["42"]}
//       keyset position: the last row delivered; "c":null = still inside the
//       NULL-cursor section of the initial pass; no "k" for synthetic keys
//       (then every row with c <= "c" has been delivered, whole groups only)
//   {"v":1,"mode":"full","pass":1714564800000000,"k":["42"]}
//       a full pass in progress (started at "pass", µs since the epoch), resumed
//       after key "k"; without "k" (synthetic key) a resumed pass restarts
//   {"v":1,"mode":"full","pass":1714564800000000,"done":true}
//       the pass completed; the next sync starts a new one
//   {"v":1,"mode":"incremental","col":"updated_at","c":null,
//    "load":{"end":{"c":"2024-05-01 12:00:00+00","k":["9999"]},
//            "r":[{"lo":"1","hi":"250001","l":"1234"},{"lo":"250001","d":true},...]}}
//       an initial load split into key ranges read in parallel (parallel_load.hpp):
//       per range its bounds on the single key column (lo inclusive, hi
//       exclusive, absent = unbounded), the last key delivered ("l") or done
//       ("d"); "end" is the (cursor, key) position of the newest row in the
//       load's snapshot, where incremental reading continues once every range
//       is done (absent: the table was empty).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::postgres {

// One key range of a parallel initial load (texts of the key column).
struct load_range {
    std::optional<std::string> lo;    // inclusive; nullopt = from the first key
    std::optional<std::string> hi;    // exclusive; nullopt = to the last key
    std::optional<std::string> last;  // last key delivered
    bool done = false;

    bool operator==(const load_range&) const = default;
};

struct parallel_load {
    bool has_end = false;                           // false: the snapshot had no rows
    std::optional<std::string> end_c;               // cursor of the newest row (nullopt = NULL)
    std::vector<std::optional<std::string>> end_k;  // its key
    std::vector<load_range> ranges;

    bool operator==(const parallel_load&) const = default;
};

struct cursor_state {
    bool full = false;
    std::string column;                         // incremental: cursor column name
    std::optional<std::string> c;               // incremental: cursor text; nullopt = NULL
    std::vector<std::optional<std::string>> k;  // key texts; empty for synthetic keys
    std::int64_t pass = 0;                      // full: pass start (µs)
    bool done = false;                          // full: pass completed
    std::optional<parallel_load> load;          // incremental: an initial load by key ranges in progress

    bool operator==(const cursor_state&) const = default;
};

std::string encode_cursor(const cursor_state& s);
// nullopt when the text is not a cursor this source wrote (then sync starts over).
std::optional<cursor_state> decode_cursor(std::string_view json);

}  // namespace sluice::postgres
