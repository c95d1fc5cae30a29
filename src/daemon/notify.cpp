#include "daemon/notify.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

namespace sluice::daemon {

namespace {

void send(const std::string& message) { sd_notify(0, message.c_str()); }

std::uint64_t monotonic_usec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

void notify_ready() { send("READY=1"); }
void notify_reloading() { send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec())); }
void notify_stopping() { send("STOPPING=1"); }
void notify_status(const std::string& text) { send("STATUS=" + text); }
void notify_watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::milliseconds> watchdog_period() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000u, 1));
}

}  // namespace sluice::daemon
