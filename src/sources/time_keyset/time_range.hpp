#pragma once
// Bounds on a timestamp cursor column, as the dialects render them in SQL.

#include <cstdint>
#include <optional>

namespace sluice::time_keyset {

// µs since the epoch: lower inclusive, upper exclusive; either may be absent.
struct time_range {
    std::optional<std::int64_t> lower;
    std::optional<std::int64_t> upper;
};

}  // namespace sluice::time_keyset
