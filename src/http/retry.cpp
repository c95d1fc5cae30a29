#include "http/retry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>

namespace sluice::http_detail {

bool is_retryable_status(unsigned status) noexcept { return status == 429 || (status >= 500 && status <= 599); }

bool is_auth_failure(unsigned status) noexcept { return status == 401 || status == 403; }

std::chrono::milliseconds retry_delay(const http_retry_policy& p, unsigned next_attempt, double unit,
                                      std::optional<std::chrono::milliseconds> retry_after) {
    const double cap = static_cast<double>(std::max<std::int64_t>(p.max_delay.count(), 0));
    const unsigned exponent = next_attempt >= 2 ? next_attempt - 2 : 0;
    // Computed in double and capped before converting, so large attempt numbers cannot overflow.
    double ms = static_cast<double>(p.initial.count()) * std::pow(std::max(p.multiplier, 1.0), exponent);
    ms = std::min(ms, cap);
    const double spread = std::clamp(p.jitter, 0.0, 1.0);
    ms *= 1.0 - spread + 2.0 * spread * std::clamp(unit, 0.0, 1.0);
    if (retry_after) ms = std::max(ms, static_cast<double>(retry_after->count()));
    ms = std::clamp(ms, 0.0, cap);
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || seconds < 0) return std::nullopt;
    return std::chrono::milliseconds(std::min<std::int64_t>(seconds, 86'400) * 1000);
}

double random_unit() {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace sluice::http_detail
