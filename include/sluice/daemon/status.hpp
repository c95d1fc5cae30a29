#pragma once
// What the daemon knows about itself, shared between the supervisor (which
// writes it) and the HTTP server and sd_notify STATUS lines (which read it).
//
// Thread safety: every member function may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::daemon {

enum class table_state { starting, syncing, idle, backoff, failed, stopping, stopped };
const char* to_string(table_state s) noexcept;

struct table_status {
    std::string source;
    std::string table;
    table_state state = table_state::starting;
    std::uint64_t task_starts = 0;       // how often a task was (re)started for this table
    std::uint64_t passes = 0;            // completed sync passes
    std::uint64_t rows_synced = 0;       // rows committed since the daemon started
    std::uint64_t batches = 0;           // batches committed since the daemon started
    std::uint64_t errors = 0;            // failed passes
    std::uint64_t retries = 0;           // backoff retries
    std::uint64_t watchdog_restarts = 0; // tasks restarted for making no progress
    // Delete and drift detection (reconcile_interval > 0)
    std::uint64_t reconciles = 0;              // completed reconcile runs
    std::uint64_t reconcile_mismatches = 0;    // differing buckets found (and repaired by a re-read)
    std::uint64_t reconcile_rows_reread = 0;
    std::uint64_t rows_soft_deleted = 0;       // rows marked _sluice_deleted (full passes and reconciles)
    std::optional<std::int64_t> last_reconcile_us;
    std::optional<std::int64_t> last_success_us;  // end of the last successful pass (UTC µs)
    std::optional<std::int64_t> last_attempt_us;
    double last_duration_s = 0;          // duration of the last pass
    std::string last_error;              // empty after a success
    std::string cursor;                  // committed cursor JSON
    std::optional<std::int64_t> newest_cursor_us;  // committed cursor as time, when it is one
    std::chrono::milliseconds freshness_threshold{0};  // 0: no threshold
};

struct reload_result {
    bool ok = true;
    std::int64_t at_us = 0;
    std::string message;  // every problem, one per line, when !ok
};

struct status_snapshot {
    std::uint64_t config_generation = 0;
    std::string config_file;
    std::optional<reload_result> last_reload;
    std::uint64_t reloads_ok = 0, reloads_failed = 0;
    bool destination_reachable = false;
    std::string destination;              // what it is, secret-free ("postgres host=… dbname=…")
    std::string destination_error;        // why its last check failed (empty while reachable)
    // The last write that failed for a destination-wide reason (transient: disk
    // full, connection lost, locked) after its retries; cleared by the next commit.
    // A table's own bad data is reported on that table only.
    std::string destination_write_error;
    bool config_loaded = false;
    std::size_t channel_depth = 0, channel_bytes = 0, channel_max_bytes = 0;
    std::int64_t started_us = 0;
    std::vector<table_status> tables;  // sorted by source.table
};

class status_registry {
public:
    // Creates or updates the entry of "source.table".
    void update(const std::string& source, const std::string& table,
                const std::function<void(table_status&)>& change);
    void remove(const std::string& source, const std::string& table);
    void set_global(const std::function<void(status_snapshot&)>& change);  // tables are ignored
    status_snapshot snapshot() const;

private:
    mutable std::mutex mutex_;
    status_snapshot global_;
    std::map<std::string, table_status> tables_;
};

}  // namespace sluice::daemon
