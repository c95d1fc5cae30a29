#include "daemon/config_diff.hpp"

namespace sluice::daemon {

std::map<std::string, table_spec> table_specs(const config::config& cfg) {
    std::map<std::string, table_spec> out;
    for (const auto& src : cfg.sources) {
        table_spec base;
        base.source = src;
        base.source.tables.clear();
        if (src.all_tables) {
            table_spec s = base;
            s.table.name = "*";
            s.table.settings = src.settings;
            out.emplace(s.key(), std::move(s));
            continue;
        }
        for (const auto& t : src.tables) {
            table_spec s = base;
            s.table = t;
            out.emplace(s.key(), std::move(s));
        }
    }
    return out;
}

namespace {

template <class T>
void compare(std::vector<std::string>& out, const char* name, const T& a, const T& b) {
    if (!(a == b)) out.emplace_back(name);
}

}  // namespace

config_diff diff_configs(const config::config& old_cfg, const config::config& new_cfg) {
    config_diff d;
    const auto before = table_specs(old_cfg);
    const auto after = table_specs(new_cfg);
    for (const auto& [key, spec] : after) {
        auto it = before.find(key);
        if (it == before.end())
            d.added.push_back(key);
        else if (it->second == spec)
            d.unchanged.push_back(key);
        else
            d.changed.push_back(key);
    }
    for (const auto& [key, spec] : before)
        if (!after.contains(key)) d.removed.push_back(key);

    const auto &a = old_cfg, &b = new_cfg;
    auto& r = d.restart_only;
    compare(r, "destination.type", a.destination.type, b.destination.type);
    compare(r, "destination.path", a.destination.path, b.destination.path);
    compare(r, "destination.dsn", a.destination.dsn, b.destination.dsn);
    compare(r, "destination.password", a.destination.password, b.destination.password);
    compare(r, "destination.schema_prefix", a.destination.schema_prefix, b.destination.schema_prefix);
    compare(r, "destination.batch_rows", a.destination.batch_rows, b.destination.batch_rows);
    compare(r, "destination.batch_bytes", a.destination.batch_bytes, b.destination.batch_bytes);
    compare(r, "destination.writers", a.destination.writers, b.destination.writers);
    compare(r, "http.listen", a.http.listen, b.http.listen);
    compare(r, "log.level", a.log.level, b.log.level);
    compare(r, "log.format", a.log.format, b.log.format);
    compare(r, "daemon.shutdown_grace", a.daemon.shutdown_grace, b.daemon.shutdown_grace);
    compare(r, "daemon.watchdog_timeout", a.daemon.watchdog_timeout, b.daemon.watchdog_timeout);
    compare(r, "daemon.backoff_max", a.daemon.backoff_max, b.daemon.backoff_max);
    compare(r, "daemon.pid_file", a.daemon.pid_file, b.daemon.pid_file);
    return d;
}

config::config keep_restart_only(const config::config& running, config::config new_cfg) {
    new_cfg.destination = running.destination;
    new_cfg.http = running.http;
    new_cfg.log = running.log;
    new_cfg.daemon = running.daemon;
    return new_cfg;
}

}  // namespace sluice::daemon
