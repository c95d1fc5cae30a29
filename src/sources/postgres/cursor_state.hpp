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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::postgres {

struct cursor_state {
    bool full = false;
    std::string column;                         // incremental: cursor column name
    std::optional<std::string> c;               // incremental: cursor text; nullopt = NULL
    std::vector<std::optional<std::string>> k;  // key texts; empty for synthetic keys
    std::int64_t pass = 0;                      // full: pass start (µs)
    bool done = false;                          // full: pass completed

    bool operator==(const cursor_state&) const = default;
};

std::string encode_cursor(const cursor_state& s);
// nullopt when the text is not a cursor this source wrote (then sync starts over).
std::optional<cursor_state> decode_cursor(std::string_view json);

}  // namespace sluice::postgres
