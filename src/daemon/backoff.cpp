#include "daemon/backoff.hpp"

#include <algorithm>

namespace sluice::daemon {

millis jittered(millis base, double spread, double unit) {
    const double factor = 1.0 - spread + 2.0 * spread * unit;
    return millis(static_cast<millis::rep>(static_cast<double>(base.count()) * factor));
}

millis backoff_delay(unsigned failures, millis max, double unit) {
    // Shift at most 30 times: 2^30 s is far beyond any sensible cap and cannot overflow.
    const unsigned shift = std::min(failures == 0 ? 0u : failures - 1, 30u);
    const millis raw = std::min(millis(1000LL << shift), max);
    return std::clamp(jittered(raw, 0.2, unit), std::min(millis(100), max), max);
}

double random_unit() {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace sluice::daemon
