#pragma once
// Deterministic keys for rows of tables without a primary key (DESIGN.md §4):
// a 128-bit hash of the row's content (which includes its cursor value) plus the
// occurrence number among identical rows of the same group. A group is every
// row sharing one cursor value (or the whole table in full mode); sources must
// deliver a group completely within one sync so occurrence numbers are stable
// across re-syncs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "sluice/batch.hpp"

namespace sluice {

struct hash128 {
    std::uint64_t hi = 0, lo = 0;
    bool operator==(const hash128&) const = default;
};

// Hashes cells [0, ncols) of the row being appended (put_* called ncols times
// since the last end_row()); type-tagged and length-prefixed, so stable.
hash128 hash_pending_row(const batch& b, std::size_t ncols);
// The same over the listed cells of the pending row (which were all put).
hash128 hash_pending_columns(const batch& b, const std::vector<std::size_t>& columns);

class synthetic_keyer {
public:
    // Key for a row whose content hash is `h`: "<32 hex>" for the first
    // occurrence in the group, "<32 hex>#<n>" for the n-th repeat.
    std::string next_key(const hash128& h);
    // The same, prefixed with `order` as 16 hex digits that sort like the signed
    // value ("<16 hex>-<32 hex>[#n]"): readers whose rows arrive in time order
    // pass the row's time, so keys grow with it and a destination's key index is
    // appended to instead of written at random places (5.8x faster into SQLite
    // at 1M rows, bench/questdb_pull).
    std::string next_key(const hash128& h, std::int64_t order);
    void new_group() { seen_.clear(); }

private:
    void append_key(std::string& key, const hash128& h);

    struct hasher {
        std::size_t operator()(const hash128& h) const noexcept { return static_cast<std::size_t>(h.lo ^ h.hi); }
    };
    std::unordered_map<hash128, std::uint32_t, hasher> seen_;
};

}  // namespace sluice
