#pragma once
// Delays between attempts: exponential backoff after failures and the jittered
// poll interval. Pure functions of their inputs (the random draw is a
// parameter) so they are unit-tested without clocks.

#include <chrono>
#include <random>

namespace sluice::daemon {

using millis = std::chrono::milliseconds;

// `base` scaled by a factor in [1 - spread, 1 + spread]; `unit` is a draw in [0, 1).
millis jittered(millis base, double spread, double unit);

// Delay after the `failures`-th consecutive failure (1-based): 1s, 2s, 4s, ...
// capped at `max`, then ±20% jitter (never above `max`, never below 100ms) so
// tables that failed together do not retry in lockstep.
millis backoff_delay(unsigned failures, millis max, double unit);

// A uniform draw in [0, 1) from a per-thread generator.
double random_unit();

}  // namespace sluice::daemon
