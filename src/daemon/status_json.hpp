#pragma once
// JSON views of a status_snapshot for /status and /readyz. Pure functions of the
// snapshot and "now", so tests can pin the clock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/daemon/status.hpp"

namespace sluice::daemon {

// Seconds between `now_us` and the newest committed cursor value; nullopt when the
// cursor is not a time (or nothing has been committed yet).
std::optional<double> freshness_seconds(const table_status& t, std::int64_t now_us);

struct readiness {
    bool ready = false;
    std::vector<std::string> reasons;  // why not ready, one sentence each
};

// Ready when the config is loaded, the destination is reachable and no table with a
// freshness threshold is stale. Staleness is measured from the newest cursor value,
// else from the last successful pass, else from the daemon start (a grace period for
// the first pass).
readiness check_readiness(const status_snapshot& s, std::int64_t now_us);

std::string render_status_json(const status_snapshot& s, std::int64_t now_us);
std::string render_readiness_json(const readiness& r);

}  // namespace sluice::daemon
