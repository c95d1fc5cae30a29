#pragma once
// Prometheus text exposition format 0.0.4 for /metrics.

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/daemon/status.hpp"

namespace sluice::daemon {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// Escapes a label value: backslash, double quote and newline, as the format requires.
std::string escape_label_value(std::string_view v);

std::string render_metrics(const status_snapshot& s, std::int64_t now_us);

}  // namespace sluice::daemon
