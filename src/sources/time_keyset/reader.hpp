#pragma once
// Reading one table into batches with keyset pages on a timestamp cursor: the
// body of sync() for QuestDB and Druid, which differ only in their dialect.
//
// Pages never split a run of rows sharing one cursor value (a tie group):
//     WHERE c >= t [AND c < upper] ORDER BY c LIMIT batch_size
// A full page delivers every row before its last value and the next page
// starts at that value, so the last group (maybe cut by the LIMIT) is read
// again whole. Nothing ever depends on the order a server returns ties in
// (Druid merges them from segments, replicas and broker threads in a different
// order on every query); no offset is ever used over the table or inside a
// page's groups.
//
// A page that is one group (at least batch_size rows share a value) is read as
// a tie group on its own (dialect::ties()): ordered by every column with
// positional pages inside the group where the server can order them
// (QuestDB), else one query for the whole group whose answer is parsed as it
// streams in (Druid: scans only order by __time). Either way memory stays
// bounded by batches; the cursor stays at the group's value until the group is
// complete, then moves one time quantum past it.
//
// Synthetic keys: content hash + occurrence number among identical rows of one
// group (order independent: identical rows are indistinguishable), so a group
// read again, in any order, gets the same keys and the upserts are idempotent.
// Streamed groups count occurrences in a map of at most group_key_budget
// entries: a larger group is read in several passes, each keeping the rows of
// one content-hash partition.
//
// Lookback: each sync re-reads from t - lookback (upserts make it harmless).
// Rows that arrive later with a timestamp older than t - lookback are not seen
// until `sluice state reset` of the table. Rows whose cursor is NULL (only a
// nullable non-default cursor column) sort first and are read once.
//
// Pipelining (settings.max_in_flight > 1): when the pending range holds more than
// a few batches (a count query), it is split into time windows [a, b) of about
// equal duration (~2 batches each if rows are evenly spread); max_in_flight
// workers fetch windows concurrently over the HTTP pool (a credit per window
// bounds the windows being read or waiting to max_in_flight, and each window's
// batches wait in a queue of window_queue_batches), and their batches are
// handed on strictly in window order, the cursor advancing only through
// completed windows. Window bounds lie on the dialect's time quantum, so they
// never split a group. A nullable cursor column disables windows (NULL rows
// are in none).
// Adaptive (max_in_flight not configured): pages' round trips (request to
// whole body) and parse times are summed, and after each delivered window an
// in_flight_controller (windows.hpp) may add credits, up to
// table_settings::adaptive_in_flight_cap, while round trips outlast parsing and
// each step raises the delivered rows per second; a step that does not is
// taken back (credits withheld) and growth stops.
//
// Full: every pass reads everything, then the soft-delete sweep of rows not
// seen. With a time column: the same pages from the start. Without: the whole
// table as one streamed group (Druid), or offset pages in the server's natural
// order (QuestDB: append order).
//
// A page or stream whose body fails (truncated, malformed, error inside a 200)
// is discarded, its synthetic keys undone, and asked again under the HTTP
// client's retry policy.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "sluice/config.hpp"
#include "sluice/http/client.hpp"
#include "sluice/source.hpp"
#include "sources/time_keyset/cursor_state.hpp"
#include "sources/time_keyset/dialect.hpp"

namespace sluice::time_keyset {

// Batches a window may queue before its reader waits for the deliverer.
inline constexpr std::size_t window_queue_batches = 2;
// Distinct rows a streamed tie group's synthetic keyer may count at once
// (~60 bytes each): larger groups are read in several passes.
inline constexpr std::size_t default_group_key_budget = std::size_t(1) << 18;

// Page round trips and parse times of one read (adaptive in-flight requests).
struct page_timing {
    std::atomic<std::int64_t> wait_ns{0};
    std::atomic<std::int64_t> parse_ns{0};
    std::atomic<std::uint64_t> pages{0};
};

struct read_context {
    dialect& sql;
    http_client& http;  // its retry policy paces page retries
    table_schema_ptr schema;
    batch_sink& sink;
    config::table_settings settings;
    std::string context;  // "questdb source 'q' table 'sensor'", prefixes messages
    std::size_t group_key_budget = default_group_key_budget;
    page_timing* timing = nullptr;  // set while windows adapt their in-flight count

    std::size_t batch_size() const { return settings.batch_size ? settings.batch_size : 1; }
};

boost::asio::awaitable<void> read_incremental(read_context& ctx, const std::optional<cursor_state>& saved);
// `time_column`: index of a timestamp column to page on (keyset from the start);
// nullopt: the table as one streamed group, or offset pages (dialect::ties()).
boost::asio::awaitable<void> read_full(read_context& ctx, std::optional<std::size_t> time_column);

// Reconcile's re-read (source::reread): every row with lo_us <= cursor < hi_us,
// in cursor order, with the pages and tie groups of read_incremental (bounded
// memory), but batches carry no cursor (the table's position does not move).
// Synthetic keys are a normal sync's, since keys only depend on a group's rows
// (bounds on whole units of the dialect's time_quantum() never split a group).
// Rows count in sink.progress()->rows_read.
boost::asio::awaitable<void> read_between(read_context& ctx, std::int64_t lo_us, std::int64_t hi_us);

}  // namespace sluice::time_keyset
