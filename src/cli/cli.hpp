#pragma once
// The command line: argv → subcommand. Each command returns the process exit
// code: 0 ok, 1 runtime failure, 2 usage or configuration error.

#include <optional>
#include <string>
#include <vector>

namespace sluice::cli {

enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

struct options {
    std::string command;            // check | discover | once | run | state | reload
    std::vector<std::string> args;  // positional arguments after the command
    std::string config_path;
    std::optional<std::string> log_format;  // overrides log.format
    std::optional<std::string> log_level;   // overrides log.level
    std::optional<int> pid;                 // reload: the daemon to signal
    bool help = false;
};

int main(int argc, char** argv);

int run_check(const options& opts);
int run_discover(const options& opts);
int run_once(const options& opts);
int run_reconcile(const options& opts);
int run_state(const options& opts);
int run_daemon(const options& opts);  // `run`
int run_reload(const options& opts);

}  // namespace sluice::cli
