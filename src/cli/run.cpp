// `sluice run`: the daemon (src/daemon/). This file only turns options into it.
#include "cli/runtime.hpp"
#include "daemon/daemon.hpp"

namespace sluice::cli {

int run_daemon(const options& opts) {
    int exit = exit_ok;
    auto cfg = load(opts, exit);
    if (!cfg) return exit;
    daemon::run_options run;
    run.config_path = opts.config_path;
    run.log_level = opts.log_level;
    run.log_format = opts.log_format;
    run.threads = pool_threads();
    return daemon::run_daemon(std::move(*cfg), run);
}

}  // namespace sluice::cli
