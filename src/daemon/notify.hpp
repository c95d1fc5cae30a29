#pragma once
// systemd's notify protocol (Type=notify). Every call is a no-op when the
// daemon was not started by systemd (no NOTIFY_SOCKET).

#include <chrono>
#include <optional>
#include <string>

namespace sluice::daemon {

void notify_ready();
void notify_reloading();  // RELOADING=1 with MONOTONIC_USEC, as systemd 253+ expects
void notify_stopping();
void notify_status(const std::string& text);
void notify_watchdog();
// Half of WatchdogSec (the ping period systemd recommends), or nullopt when disabled.
std::optional<std::chrono::milliseconds> watchdog_period();

}  // namespace sluice::daemon
