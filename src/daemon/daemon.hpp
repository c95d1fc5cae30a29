#pragma once
// `sluice run`: the long-running daemon (DESIGN.md §6). Wires the destination,
// the writer, the supervisor, the HTTP server, signals and sd_notify together on
// one thread pool and returns the process exit code once it has stopped.

#include <optional>
#include <string>

#include "sluice/config.hpp"

namespace sluice::daemon {

struct run_options {
    std::string config_path;
    std::optional<std::string> log_level;   // command-line overrides, kept across reloads
    std::optional<std::string> log_format;
    unsigned threads = 2;
};

// Runs until SIGTERM/SIGINT and then ends the process: exit 0 after a stop within
// daemon.shutdown_grace, 1 when the writer died, 130 on a second signal. Returns
// (1) only when start-up fails, e.g. the HTTP address cannot be bound.
int run_daemon(config::config cfg, const run_options& opts);

}  // namespace sluice::daemon
