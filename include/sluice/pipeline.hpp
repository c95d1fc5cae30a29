#pragma once
// The data path of DESIGN.md §2, as reusable pieces: the writer loop that
// drains the channel into a destination, and one sync of one table (read the
// committed cursor, prepare the destination table, stream batches). `sluice
// once` runs them once per table; the daemon's supervisor runs them forever.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "sluice/channel.hpp"
#include "sluice/destination.hpp"
#include "sluice/progress.hpp"
#include "sluice/reconcile_pass.hpp"
#include "sluice/source.hpp"

namespace sluice {

// Wraps a destination so calls from many coroutines (table tasks preparing
// tables, the writer committing) never overlap on its single connection.
std::unique_ptr<destination> make_serialized(std::unique_ptr<destination> inner,
                                             boost::asio::any_io_executor ex);

// Told the outcome of every batch the writer tried to commit: nullptr once it
// committed, else the error it finally failed with (after the retries of
// transient errors). Runs on the writer's strand; must not block.
using write_listener = std::function<void(const std::exception_ptr&)>;

// How much one transaction of the writer may hold (destination.batch_rows and
// batch_bytes): batches of one table already queued are committed together up
// to these limits. A single larger batch still goes alone.
struct writer_limits {
    std::size_t rows = 10000;
    std::size_t bytes = 16u << 20;
};

// Receives batches until the channel is closed and commits them, each with
// the batches of the same table already queued after it (writer_limits; other
// tables' batches are skipped over, one table's never reordered), in one
// transaction. Grouping never waits for more: a writer that keeps up commits
// every batch on its own. A failed write marks that table failed (its source
// stops on its next send) and the loop goes on with the other tables. Throws
// only when the destination is unusable for everyone (connection lost), after
// shutting the channel down.
boost::asio::awaitable<void> run_writer(batch_channel& channel, destination& dest, write_listener on_write = {},
                                        writer_limits limits = {});

// True for a sluice::error of kind transient (lost connection, disk full, lock
// timeouts): the destination or source as a whole, not one table's data.
bool is_transient(const std::exception_ptr& e);

// One pass over one table: reads the committed cursor, prepares the destination
// table and streams the source into the channel. Errors are recorded in
// `progress` (never thrown), so one table cannot stop the others.
boost::asio::awaitable<void> sync_table(source& src, destination& dest, table_schema_ptr schema,
                                        batch_channel& channel, std::shared_ptr<table_progress> progress);

// Returns once every batch sent for this table before it has been handled by the
// writer (committed, or failed: then `progress` says so). The daemon waits for it
// before it counts a pass as done, so /status's last_success means committed.
// Errors are recorded in `progress`.
boost::asio::awaitable<void> wait_committed(batch_channel& channel, table_schema_ptr schema,
                                            std::shared_ptr<table_progress> progress);

// After a successful pass, delete and drift detection (reconcile_pass.hpp) of a
// table whose source supports it, up to now. Errors are recorded in `progress`.
// Returns nullopt when the source cannot reconcile the table.
boost::asio::awaitable<std::optional<reconcile_report>> reconcile_after_pass(
    source& src, destination& dest, table_schema_ptr schema, batch_channel& channel,
    std::shared_ptr<table_progress> progress);

struct table_outcome {
    std::string name;  // source.table
    std::uint64_t rows = 0;
    std::string cursor;
    std::string error;  // empty on success
    std::optional<reconcile_report> reconcile;  // `sluice reconcile`: what it found
    std::uint64_t rows_soft_deleted = 0;
};

struct once_options {
    bool reconcile = false;   // `sluice reconcile`: each pass is followed by a reconcile
    std::string only_table;   // "source.table": just this table (empty: all)
};

using progress_list = std::vector<std::shared_ptr<table_progress>>;

class writer_lanes;

// `sluice once`: discovers every source's tables and syncs each once,
// concurrently, each table through its lane's channel and writer
// (writer_lanes.hpp). Returns one outcome per table (and per source that failed
// discovery). `on_started`, when set, is told the tables' progress once
// discovery is done (live progress display).
boost::asio::awaitable<std::vector<table_outcome>> run_once(
    std::vector<std::unique_ptr<source>>& sources, const std::vector<std::string>& source_names,
    writer_lanes& lanes, std::function<void(progress_list)> on_started = {}, once_options opts = {});

// Message of an exception_ptr, for logs and outcomes.
std::string describe(const std::exception_ptr& e);

}  // namespace sluice
