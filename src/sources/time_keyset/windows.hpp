#pragma once
// Cutting a pending time range into windows that can be read concurrently.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sluice::time_keyset {

struct time_window {
    std::int64_t lower;                 // inclusive (µs)
    std::optional<std::int64_t> upper;  // exclusive; nullopt = open-ended
    bool operator==(const time_window&) const = default;
};

// Splits [lower, upper] (upper inclusive: the newest timestamp) into at most
// `windows` contiguous half-open ranges [a, b) of equal duration, in order, the
// last one open-ended (rows arriving meanwhile are read too). Bounds step in
// multiples of `quantum` (µs): a server that only compares milliseconds (Druid)
// must see the same instant on both sides of a bound.
std::vector<time_window> split_windows(std::int64_t lower, std::int64_t upper, std::size_t windows,
                                       std::int64_t quantum = 1);

// How many windows for `rows` pending rows: about two batches each, none when
// the range is small (then plain sequential paging).
std::size_t window_count(std::int64_t rows, std::size_t batch_size, int max_in_flight);

}  // namespace sluice::time_keyset
