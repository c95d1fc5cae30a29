#pragma once
// SIGHUP: load and validate the whole new file before touching anything, then
// say what the reload will change. Invalid files and restart-only keys are
// logged (every problem with file:line) and described in `message`, which
// /status shows as the last reload result.

#include <optional>
#include <string>

#include "daemon/config_diff.hpp"
#include "sluice/config.hpp"

namespace sluice::daemon {

struct reload_outcome {
    std::optional<config::config> next;  // nullopt: invalid, keep running `running`
    config_diff diff;
    std::string message;
};

reload_outcome reload_config(const config::config& running, const std::string& path);

// The summary line of a successful reload ("1 added, 0 removed, ...") plus the
// restart-only keys that were not applied.
std::string summarize(const config_diff& d);

}  // namespace sluice::daemon
