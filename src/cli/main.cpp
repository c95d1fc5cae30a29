#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "cli/cli.hpp"

namespace sluice::cli {

namespace {

constexpr const char* usage_text = R"(usage: sluice COMMAND -c FILE [options]

Keeps destination tables continuously in sync with PostgreSQL/Redshift,
HBase, QuestDB and Druid sources.

commands:
  check                 validate the config and reach every source and the destination
  discover              print the discovered tables, columns, types, keys and cursors (JSON)
  once                  one incremental pass over every table, then exit
  reconcile [TABLE]     a pass, then delete/drift detection: compare source and destination per
                        time bucket, re-read differing buckets, soft-delete vanished rows
  run                   the daemon: sync every table every poll_interval until SIGTERM/SIGINT;
                        SIGHUP reloads the config; HTTP /healthz /readyz /status /metrics
  reload [--pid PID]    validate the config, then send SIGHUP to the running daemon
                        (PID from --pid, else from the config's daemon.pid_file)
  state show [TABLE]    print committed cursors as JSON (TABLE is source.table)
  state reset TABLE     forget a table's cursor so the next pass starts over

options:
  -c, --config FILE     configuration file (default /etc/sluice/sluice.yaml)
  --log-format FORMAT   text | json (overrides log.format)
  --log-level LEVEL     trace | debug | info | warn | error (overrides log.level)
  -h, --help            this help
  --version             print the version

exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error
)";

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "sluice: %s\n(run 'sluice --help' for usage)\n", msg.c_str());
    return exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
    options opts;
    opts.config_path = "/etc/sluice/sluice.yaml";
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&](std::string_view name) -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            (void)name;
            return std::string(argv[++i]);
        };
        if (a == "-h" || a == "--help") {
            opts.help = true;
        } else if (a == "--version" || a == "-V") {
            std::printf("sluice %s\n", SLUICE_VERSION);
            return exit_ok;
        } else if (a == "-c" || a == "--config") {
            auto v = value(a);
            if (!v) return usage_error(std::string(a) + " needs a file name");
            opts.config_path = *v;
        } else if (a.rfind("--config=", 0) == 0) {
            opts.config_path = std::string(a.substr(9));
        } else if (a == "--log-format") {
            auto v = value(a);
            if (!v || (*v != "text" && *v != "json")) return usage_error("--log-format takes text or json");
            opts.log_format = *v;
        } else if (a == "--pid") {
            auto v = value(a);
            int pid = 0;
            if (v) pid = std::atoi(v->c_str());
            if (pid <= 0) return usage_error("--pid needs a process id");
            opts.pid = pid;
        } else if (a == "--log-level") {
            auto v = value(a);
            if (!v) return usage_error("--log-level needs a level");
            opts.log_level = *v;
        } else if (!a.empty() && a[0] == '-') {
            return usage_error("unknown option " + std::string(a));
        } else if (opts.command.empty()) {
            opts.command = std::string(a);
        } else {
            opts.args.emplace_back(a);
        }
    }
    if (opts.help || opts.command.empty()) {
        std::fputs(usage_text, opts.help ? stdout : stderr);
        return opts.help ? exit_ok : exit_usage;
    }
    if (opts.command == "check") return run_check(opts);
    if (opts.command == "discover") return run_discover(opts);
    if (opts.command == "once") return run_once(opts);
    if (opts.command == "reconcile") return run_reconcile(opts);
    if (opts.command == "state") return run_state(opts);
    if (opts.command == "run") return run_daemon(opts);
    if (opts.command == "reload") return run_reload(opts);
    return usage_error("unknown command '" + opts.command + "'");
}

}  // namespace sluice::cli
