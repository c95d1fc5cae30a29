// `sluice reload`: validates the file, then sends SIGHUP to the running daemon,
// found by --pid or the config's daemon.pid_file. The daemon re-validates and
// applies it; the outcome is in its log and on /status (last_reload).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "cli/runtime.hpp"

namespace sluice::cli {

int run_reload(const options& opts) {
    int exit = exit_ok;
    auto cfg = load(opts, exit);  // an invalid file is reported here and not sent
    if (!cfg) return exit;
    int pid = opts.pid.value_or(0);
    if (pid == 0) {
        if (cfg->daemon.pid_file.empty()) {
            std::fprintf(stderr, "sluice: no daemon to reload: pass --pid PID or set daemon.pid_file\n");
            return exit_usage;
        }
        std::ifstream in(cfg->daemon.pid_file);
        if (!(in >> pid) || pid <= 0) {
            std::fprintf(stderr, "sluice: cannot read a pid from %s (is the daemon running?)\n",
                         cfg->daemon.pid_file.c_str());
            return exit_failure;
        }
    }
    if (::kill(pid, SIGHUP) != 0) {
        std::fprintf(stderr, "sluice: cannot signal pid %d: %s\n", pid, std::strerror(errno));
        return exit_failure;
    }
    std::printf("sent SIGHUP to %d; see its log or /status (last_reload) for the outcome\n", pid);
    return exit_ok;
}

}  // namespace sluice::cli
