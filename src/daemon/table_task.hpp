#pragma once
// One table's life in the daemon: discover its schema, then sync pass, sleep
// poll_interval (±10% jitter), repeat; failures back off exponentially. A spec
// for `tables: all` runs a discovery task instead, which reports the table names
// it finds every minute (the supervisor starts a table task for each new name).
//
// Each task owns its own source instance, so stopping or cancelling it never
// touches another table's connections. Stopping is cooperative: stop() fails the
// pass's progress, so the source stops at its next batch boundary (batch_sink
// throws) and batches still queued for the table are dropped by the writer, never
// half-committed. abandon() also cancels whatever the task awaits (watchdog).
//
// Thread safety: stop(), abandon() and the atomics may be used from any thread;
// refresh() and stalled() belong to the supervisor's strand.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "daemon/config_diff.hpp"
#include "sluice/channel.hpp"
#include "sluice/daemon/status.hpp"
#include "sluice/destination.hpp"
#include "sluice/progress.hpp"
#include "sluice/source.hpp"
#include "sluice/writer_lanes.hpp"

namespace sluice::daemon {

// What every task shares; owned by the daemon, outlives every task.
struct task_env {
    writer_lanes& lanes;  // a table's rows, cursor and catalog work go through its lane
    status_registry& registry;
    config::daemon_config settings;
    std::vector<std::string> secrets;  // redacted from recorded errors
};

class table_task : public std::enable_shared_from_this<table_task> {
public:
    using clock = std::chrono::steady_clock;
    // Called (on the task's strand) by a discovery task with the tables it found.
    using discovered_fn = std::function<void(std::vector<table_schema_ptr>)>;

    // `table` is the real table name (for a child of a `tables: all` spec) or "*".
    // `discovered`: the schema a discovery task just read for this table, so the task
    // does not query the source's catalog again (100 tables: 100 catalog queries less);
    // without it the task discovers its table itself.
    table_task(table_spec spec, std::string table, std::string group, boost::asio::any_io_executor ex,
               table_schema_ptr discovered = nullptr);

    const table_spec& spec() const { return spec_; }
    const std::string& source_name() const { return spec_.source.name; }
    const std::string& table_name() const { return table_; }
    std::string key() const { return spec_.source.name + "." + table_; }
    const std::string& group() const { return group_; }  // the spec key it belongs to
    bool is_discovery() const { return table_ == "*"; }

    // Spawns run() on the task's strand; `on_exit` runs once it has finished.
    void spawn(task_env& env, discovered_fn on_discovered, std::function<void()> on_exit);

    void stop(bool remove_status);  // at the next batch boundary
    void abandon();                 // stop and cancel what it awaits
    // Ends the backoff sleep of a failing task (its next attempt starts at once);
    // does nothing to a healthy one or one in the middle of a pass.
    void wake_if_failing();
    bool stop_requested() const { return stop_.load(); }
    bool remove_status() const { return remove_status_.load(); }

    // Copies live counters into the registry; returns false when the task has stopped.
    void refresh(status_registry& registry);
    // True when a pass has made no progress (no batch committed) for `timeout`.
    bool stalled(clock::duration timeout) const;
    bool failing() const { return failures_.load() > 0; }

private:
    boost::asio::awaitable<void> run(task_env& env, discovered_fn on_discovered);
    boost::asio::awaitable<void> sleep(clock::duration d);
    std::unique_ptr<source> make_own_source(boost::asio::any_io_executor ex) const;
    void set_status(task_env& env, const std::function<void(table_status&)>& change);
    std::shared_ptr<table_progress> current_progress();
    void begin_pass(std::shared_ptr<table_progress> p);

    table_spec spec_;
    std::string table_;
    table_schema_ptr discovered_;
    std::string group_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer sleeper_;  // used on strand_ only
    boost::asio::cancellation_signal cancel_;  // emitted on strand_ only

    std::atomic<bool> stop_{false};
    std::atomic<bool> remove_status_{false};
    std::atomic<bool> in_pass_{false};
    std::atomic<unsigned> failures_{0};
    std::atomic<clock::rep> pass_started_{0};

    std::mutex mutex_;  // guards progress_ and the counters of finished passes
    std::shared_ptr<table_progress> progress_;
    std::uint64_t done_rows_ = 0, done_batches_ = 0;  // from the task's earlier passes
    std::uint64_t base_rows_ = 0, base_batches_ = 0;  // from earlier tasks of the same table
    std::optional<clock::time_point> last_reconcile_;  // task strand only; none yet: a reconcile is due

    // Supervisor strand only.
    std::uint64_t seen_batches_ = 0;
    clock::time_point last_progress_{};
};

}  // namespace sluice::daemon
