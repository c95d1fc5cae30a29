#pragma once
// Which HTTP outcomes are worth retrying and how long to wait between attempts.
// Pure functions (the random draw is a parameter) so they are tested without clocks.

#include <chrono>
#include <optional>
#include <string_view>

#include "sluice/http/client.hpp"

namespace sluice::http_detail {

// 429 and 5xx: the server may answer differently later.
bool is_retryable_status(unsigned status) noexcept;
// 401/403: credentials or permissions; retrying cannot help.
bool is_auth_failure(unsigned status) noexcept;

// Delay before attempt `next_attempt` (2 = the first retry): initial * multiplier^(n-2),
// jittered by `unit` (a draw in [0, 1)), at least `retry_after` when the server
// asked for it, never above max_delay.
std::chrono::milliseconds retry_delay(const http_retry_policy& p, unsigned next_attempt, double unit,
                                      std::optional<std::chrono::milliseconds> retry_after = std::nullopt);

// Retry-After in delta-seconds form; HTTP-dates are ignored (nullopt).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept;

// A uniform draw in [0, 1) from a per-thread generator.
double random_unit();

}  // namespace sluice::http_detail
