#include "daemon/supervisor.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace sluice::daemon {

namespace asio = boost::asio;

supervisor::supervisor(asio::any_io_executor strand, asio::any_io_executor pool, task_env& env)
    : strand_(std::move(strand)), pool_(std::move(pool)), env_(env) {}

void supervisor::start_all(const std::map<std::string, table_spec>& specs) {
    specs_ = specs;
    for (const auto& [key, spec] : specs_) start(spec, spec.table.name, key);
}

void supervisor::apply(const std::map<std::string, table_spec>& specs, const config_diff& diff) {
    for (const auto& key : diff.removed) {
        spdlog::info("{}: removed from the configuration, stopping", key);
        stop_spec(key, true);
    }
    for (const auto& key : diff.changed) {
        spdlog::info("{}: configuration changed, restarting", key);
        // Statuses stay (task_starts goes on counting); for `tables: all`, the next
        // discovery drops those of tables that are gone.
        stop_spec(key, false);
    }
    specs_ = specs;
    for (const auto& key : diff.changed) start(specs_.at(key), specs_.at(key).table.name, key);
    for (const auto& key : diff.added) {
        spdlog::info("{}: added to the configuration, starting", key);
        start(specs_.at(key), specs_.at(key).table.name, key);
    }
}

void supervisor::stop_all() {
    stopping_all_ = true;
    for (auto& [key, t] : tasks_) {
        t->stop(false);
        stopping_.push_back(t);
    }
    tasks_.clear();
}

void supervisor::abandon_stopping() {
    for (auto& t : stopping_) t->abandon();
}

void supervisor::start(const table_spec& spec, const std::string& table, const std::string& group,
                       table_schema_ptr discovered) {
    if (stopping_all_) return;
    auto t = std::make_shared<table_task>(spec, table, group, pool_, std::move(discovered));
    const auto key = t->key();
    if (auto it = tasks_.find(key); it != tasks_.end()) retire(it->second, false);
    tasks_[key] = t;
    t->spawn(
        env_,
        [this, group](std::vector<table_schema_ptr> found) {
            asio::post(strand_, [this, group, found = std::move(found)]() mutable {
                on_discovered(group, std::move(found));
            });
        },
        [this, t] { asio::post(strand_, [this, t] { on_exit(t); }); });
}

void supervisor::retire(const std::shared_ptr<table_task>& t, bool remove_status) {
    t->stop(remove_status);
    stopping_.push_back(t);
    if (remove_status) env_.registry.remove(t->source_name(), t->table_name());
}

void supervisor::stop_spec(const std::string& spec_key, bool remove_status) {
    for (auto it = tasks_.begin(); it != tasks_.end();) {
        if (it->second->group() == spec_key) {
            retire(it->second, remove_status);
            it = tasks_.erase(it);
        } else {
            ++it;
        }
    }
}

void supervisor::on_discovered(const std::string& spec_key, std::vector<table_schema_ptr> found) {
    auto it = specs_.find(spec_key);
    if (it == specs_.end() || stopping_all_) return;  // removed while discovering
    const auto& source = it->second.source.name;
    for (auto& schema : found) {
        if (tasks_.contains(source + "." + schema->table)) continue;
        const auto name = schema->table;  // named: the schema moves into the task
        start(it->second, name, spec_key, std::move(schema));
    }
    for (const auto& t : env_.registry.snapshot().tables)
        if (t.source == source && !tasks_.contains(source + "." + t.table)) env_.registry.remove(source, t.table);
}

void supervisor::on_exit(const std::shared_ptr<table_task>& t) {
    std::erase(stopping_, t);
    auto it = tasks_.find(t->key());
    // A removed table's last status write may have raced with its removal.
    if (t->remove_status() && it == tasks_.end()) env_.registry.remove(t->source_name(), t->table_name());
    if (it == tasks_.end() || it->second != t) return;
    // Finished on its own: a discovery task that handed over its tables, or a
    // task that died of an unexpected error (logged by its completion handler).
    tasks_.erase(it);
    if (!t->is_discovery())
        env_.registry.update(t->source_name(), t->table_name(), [](table_status& s) {
            s.state = table_state::failed;
        });
}

void supervisor::wake_failing() {
    for (auto& [key, t] : tasks_) t->wake_if_failing();
}

void supervisor::tick() {
    const auto timeout = env_.settings.watchdog_timeout;
    std::vector<std::shared_ptr<table_task>> stuck;
    for (auto& [key, t] : tasks_) {
        t->refresh(env_.registry);
        if (t->stalled(timeout)) stuck.push_back(t);
    }
    for (auto& t : stuck) {
        spdlog::error("{}: no progress for {} s, restarting the task (watchdog)", t->key(),
                      std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
        env_.registry.update(t->source_name(), t->table_name(), [](table_status& s) { ++s.watchdog_restarts; });
        tasks_.erase(t->key());
        t->abandon();
        stopping_.push_back(t);
        start(t->spec(), t->table_name(), t->group());
    }
}

std::size_t supervisor::table_count() const {
    return static_cast<std::size_t>(
        std::count_if(tasks_.begin(), tasks_.end(), [](const auto& kv) { return !kv.second->is_discovery(); }));
}

std::size_t supervisor::failing_count() const {
    return static_cast<std::size_t>(std::count_if(tasks_.begin(), tasks_.end(), [](const auto& kv) {
        return !kv.second->is_discovery() && kv.second->failing();
    }));
}

}  // namespace sluice::daemon
