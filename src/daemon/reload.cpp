#include "daemon/reload.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace sluice::daemon {

std::string summarize(const config_diff& d) {
    auto out = fmt::format("{} added, {} removed, {} changed, {} unchanged", d.added.size(), d.removed.size(),
                           d.changed.size(), d.unchanged.size());
    if (!d.restart_only.empty())
        out += fmt::format("; not applied until a restart (running values kept): {}",
                           fmt::join(d.restart_only, ", "));
    return out;
}

reload_outcome reload_config(const config::config& running, const std::string& path) {
    reload_outcome out;
    spdlog::info("reloading {}", path);
    config::config next;
    try {
        next = config::load_config(path);
    } catch (const config::config_error& e) {
        std::string lines;
        for (const auto& p : e.problems()) {
            spdlog::error("{}", p.to_string());
            lines += (lines.empty() ? "" : "\n") + p.to_string();
        }
        spdlog::error("reload rejected: {} problem{} in {}; the running configuration is unchanged",
                      e.problems().size(), e.problems().size() == 1 ? "" : "s", path);
        out.message = lines;
        return out;
    }
    out.diff = diff_configs(running, next);
    out.message = summarize(out.diff);
    if (!out.diff.restart_only.empty())
        spdlog::warn("reload: {} changed, but only a restart applies {}; keeping the running values",
                     fmt::join(out.diff.restart_only, ", "), out.diff.restart_only.size() == 1 ? "it" : "them");
    spdlog::info("reload applied: {}", out.message);
    out.next = keep_restart_only(running, std::move(next));
    return out;
}

}  // namespace sluice::daemon
