// The status registry: a mutex-guarded map, copied out whole for readers so the
// HTTP server never holds the lock while it formats a response.
#include "sluice/daemon/status.hpp"

namespace sluice::daemon {

const char* to_string(table_state s) noexcept {
    switch (s) {
        case table_state::starting: return "starting";
        case table_state::syncing: return "syncing";
        case table_state::idle: return "idle";
        case table_state::backoff: return "backoff";
        case table_state::failed: return "failed";
        case table_state::stopping: return "stopping";
        case table_state::stopped: return "stopped";
    }
    return "unknown";
}

void status_registry::update(const std::string& source, const std::string& table,
                             const std::function<void(table_status&)>& change) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = tables_.try_emplace(source + "." + table);
    if (inserted) {
        it->second.source = source;
        it->second.table = table;
    }
    change(it->second);
}

void status_registry::remove(const std::string& source, const std::string& table) {
    std::lock_guard lock(mutex_);
    tables_.erase(source + "." + table);
}

void status_registry::set_global(const std::function<void(status_snapshot&)>& change) {
    std::lock_guard lock(mutex_);
    change(global_);
    global_.tables.clear();  // tables live in tables_ only
}

status_snapshot status_registry::snapshot() const {
    std::lock_guard lock(mutex_);
    status_snapshot out = global_;
    out.tables.reserve(tables_.size());
    for (const auto& [key, t] : tables_) out.tables.push_back(t);  // std::map: sorted by source.table
    return out;
}

}  // namespace sluice::daemon
