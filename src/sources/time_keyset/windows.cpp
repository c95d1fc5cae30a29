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

}  // namespace sluice::time_keyset
