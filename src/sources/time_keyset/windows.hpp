#pragma once
// Cutting a pending time range into windows that can be read concurrently.

#include <chrono>
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

// How many windows may be in flight when max_in_flight was left unset: starts at
// max_in_flight and hill-climbs. After enough delivered windows at one level it
// grows (by a quarter, at least one) while pages' round trips outlast
// (in_flight - 1) parses: k requests keep a parser busy when k >= 1 + round trip /
// parse. A step that did not raise the delivered rows per second by 10% is taken
// back and growth stops, because a round trip also holds the server's queueing
// (one busy server looks like a far one: more requests only queue longer there,
// and each holds memory).
class in_flight_controller {
public:
    using clock = std::chrono::steady_clock;
    in_flight_controller(std::size_t start, std::size_t cap);

    // After each delivered window: its rows, and the page timing totals so far.
    // Returns the change to make: +n more requests, -n fewer, 0 none.
    long after_window(std::uint64_t rows, clock::time_point now, std::int64_t wait_ns, std::int64_t parse_ns,
                      std::uint64_t pages);
    std::size_t in_flight() const { return in_flight_; }

private:
    void start_level(clock::time_point now);

    std::size_t in_flight_;
    std::size_t cap_;
    bool frozen_ = false;
    std::size_t last_step_ = 0;  // the growth being judged, 0 when none
    double rate_before_step_ = 0;
    std::optional<clock::time_point> level_start_;
    std::size_t settle_ = 0;  // deliveries still to skip: windows requested before the change
    std::size_t level_windows_ = 0;
    std::uint64_t level_rows_ = 0;
};

}  // namespace sluice::time_keyset
