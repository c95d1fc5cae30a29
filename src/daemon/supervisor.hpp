#pragma once
// Owns every table task (DESIGN.md §6): starts them from the config, applies a
// reload's diff (unchanged tasks are left alone; removed ones stop at a batch
// boundary; added and changed ones (re)start), restarts tasks the watchdog finds
// stuck, and stops everything at shutdown.
//
// Thread safety: every member runs on the executor given to the constructor,
// which must be a strand; tasks report back to it by posting.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "daemon/config_diff.hpp"
#include "daemon/table_task.hpp"

namespace sluice::daemon {

class supervisor {
public:
    supervisor(boost::asio::any_io_executor strand, boost::asio::any_io_executor pool, task_env& env);

    // Starts a task for every spec (the first configuration).
    void start_all(const std::map<std::string, table_spec>& specs);
    // Applies a reload: `specs` is the whole new set, `diff` says what changed.
    void apply(const std::map<std::string, table_spec>& specs, const config_diff& diff);
    // Asks every task to stop at its next batch boundary.
    void stop_all();
    // Cancels what the tasks that did not stop yet are awaiting (a query blocked
    // on a lock never reaches a batch boundary).
    void abandon_stopping();
    // Every task has finished (after stop_all).
    bool drained() const { return tasks_.empty() && stopping_.empty(); }

    // The destination answers again after an outage: tasks backing off retry now
    // rather than after their backoff (up to daemon.backoff_max) runs out.
    void wake_failing();

    // Periodic: refresh the registry from live counters, restart stalled tasks.
    void tick();
    std::size_t table_count() const;
    std::size_t failing_count() const;

private:
    void start(const table_spec& spec, const std::string& table, const std::string& group,
               table_schema_ptr discovered = nullptr);
    void stop_spec(const std::string& spec_key, bool remove_status);
    void retire(const std::shared_ptr<table_task>& t, bool remove_status);
    void on_discovered(const std::string& spec_key, std::vector<table_schema_ptr> found);
    void on_exit(const std::shared_ptr<table_task>& t);

    boost::asio::any_io_executor strand_;
    boost::asio::any_io_executor pool_;
    task_env& env_;
    bool stopping_all_ = false;
    std::map<std::string, table_spec> specs_;                    // by spec key
    std::map<std::string, std::shared_ptr<table_task>> tasks_;   // live, by "source.table"
    std::vector<std::shared_ptr<table_task>> stopping_;          // asked to stop, not yet finished
};

}  // namespace sluice::daemon
