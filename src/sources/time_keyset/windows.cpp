#include "sources/time_keyset/windows.hpp"

#include <algorithm>

namespace sluice::time_keyset {

std::vector<time_window> split_windows(std::int64_t lower, std::int64_t upper, std::size_t windows,
                                       std::int64_t quantum) {
    std::vector<time_window> out;
    if (quantum < 1) quantum = 1;
    if (windows <= 1 || upper <= lower) {
        out.push_back({lower, std::nullopt});
        return out;
    }
    const std::int64_t span = upper - lower + 1;
    windows = std::min<std::size_t>(windows, static_cast<std::size_t>(span));
    std::int64_t step = span / static_cast<std::int64_t>(windows);
    step = std::max(quantum, step - step % quantum);
    std::int64_t a = lower;
    for (std::size_t i = 0; i + 1 < windows && a + step <= upper; ++i) {
        out.push_back({a, a + step});
        a += step;
    }
    out.push_back({a, std::nullopt});
    return out;
}

std::size_t window_count(std::int64_t rows, std::size_t batch_size, int max_in_flight) {
    if (max_in_flight <= 1 || batch_size == 0) return 1;
    // A little under two pages: with evenly spread rows a window's second page is
    // short and ends it; at exactly two pages a third, empty request was needed.
    const auto per_window = static_cast<std::int64_t>(batch_size) * 2 - static_cast<std::int64_t>(batch_size) / 8;
    if (rows <= per_window * 2) return 1;
    const auto w = static_cast<std::size_t>((rows + per_window - 1) / per_window);
    return std::min<std::size_t>(w, 4096);
}

in_flight_controller::in_flight_controller(std::size_t start, std::size_t cap)
    : in_flight_(std::max<std::size_t>(start, 1)), cap_(std::max(cap, std::max<std::size_t>(start, 1))) {}

void in_flight_controller::start_level(clock::time_point now) {
    level_start_ = now;
    level_windows_ = 0;
    level_rows_ = 0;
}

long in_flight_controller::after_window(std::uint64_t rows, clock::time_point now, std::int64_t wait_ns,
                                        std::int64_t parse_ns, std::uint64_t pages) {
    if (frozen_) return 0;
    // The first delivery starts the clock; the windows delivered right after a change were
    // requested before it, so a level is measured only once they have gone by.
    if (!level_start_ || settle_ > 0) {
        if (settle_ > 0) --settle_;
        start_level(now);
        return 0;
    }
    ++level_windows_;
    level_rows_ += rows;
    // A level is judged over as many windows as it has in flight (at least three).
    if (level_windows_ < std::max<std::size_t>(3, in_flight_)) return 0;
    const double seconds = std::chrono::duration<double>(now - *level_start_).count();
    const double rate = seconds > 0 ? static_cast<double>(level_rows_) / seconds : 0;
    if (last_step_ > 0) {
        const auto step = last_step_;
        last_step_ = 0;
        if (rate < rate_before_step_ * 1.10) {
            in_flight_ -= step;
            frozen_ = true;
            return -static_cast<long>(step);
        }
    }
    start_level(now);
    if (in_flight_ >= cap_ || pages < 2 * in_flight_) return 0;
    if (wait_ns <= static_cast<std::int64_t>(in_flight_ - 1) * std::max<std::int64_t>(parse_ns, 1)) return 0;
    const auto step = std::min(cap_ - in_flight_, std::max<std::size_t>(1, in_flight_ / 4));
    rate_before_step_ = rate;
    last_step_ = step;
    in_flight_ += step;
    settle_ = in_flight_;
    return static_cast<long>(step);
}

}  // namespace sluice::time_keyset
