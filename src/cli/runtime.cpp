#include "cli/runtime.hpp"

#include <cstdio>

#include "sluice/logging.hpp"

namespace sluice::cli {

std::optional<config::config> load(const options& opts, int& exit) {
    try {
        auto cfg = config::load_config(opts.config_path);
        setup_logging(opts.log_level.value_or(cfg.log.level), opts.log_format.value_or(cfg.log.format),
                      cfg.secrets);
        return cfg;
    } catch (const config::config_error& e) {
        for (const auto& p : e.problems()) std::fprintf(stderr, "%s\n", p.to_string().c_str());
        std::fprintf(stderr, "sluice: %zu problem%s in %s\n", e.problems().size(),
                     e.problems().size() == 1 ? "" : "s", opts.config_path.c_str());
        exit = exit_usage;
        return std::nullopt;
    }
}

unsigned pool_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n < 2 ? 2 : n;
}

}  // namespace sluice::cli
