#pragma once
// spdlog on stderr: human-readable text on a terminal, or one JSON object per
// line (for journald). Every line passes through config::redact, so secrets
// never reach the log even when a library message echoes them.

#include <string>
#include <vector>

namespace sluice {

void setup_logging(const std::string& level, const std::string& format, std::vector<std::string> secrets);

}  // namespace sluice
