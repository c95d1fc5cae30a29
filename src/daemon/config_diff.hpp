#pragma once
// What a reload changes (DESIGN.md §6): the configured tables keyed by
// "source.table", diffed old against new, plus the restart-only keys that
// changed. Pure: no I/O, unit-tested.

#include <map>
#include <string>
#include <vector>

#include "sluice/config.hpp"

namespace sluice::daemon {

// Everything one table task depends on. A source with `tables: all` is one spec
// with table name "*": its task discovers the tables and runs them.
struct table_spec {
    config::source_config source;  // with `tables` emptied: a sibling's change is not ours
    config::table_config table;

    bool all_tables() const { return source.all_tables; }
    std::string key() const { return source.name + "." + table.name; }
    bool operator==(const table_spec&) const = default;
};

std::map<std::string, table_spec> table_specs(const config::config& cfg);

struct config_diff {
    std::vector<std::string> added, removed, changed, unchanged;  // spec keys, sorted
    std::vector<std::string> restart_only;  // changed keys a reload cannot apply ("http.listen")
};

config_diff diff_configs(const config::config& old_cfg, const config::config& new_cfg);

// A copy of `new_cfg` with the restart-only sections of `running` kept.
config::config keep_restart_only(const config::config& running, config::config new_cfg);

}  // namespace sluice::daemon
