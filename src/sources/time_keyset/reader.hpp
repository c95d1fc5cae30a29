#pragma once
// Reading one table into batches with keyset pages on a timestamp cursor: the
// body of sync() for QuestDB and Druid, which differ only in their dialect.
//
// Incremental: pages with an inclusive bound on the last delivered timestamp
// and an exact skip of the boundary rows already delivered (cursor_state.hpp):
//     WHERE c >= t ORDER BY c, skipping k, at most batch_size rows
// never an offset over the whole table. Synthetic keys: one keyer per read,
// restarted whenever the cursor value changes; a resume re-reads the boundary
// group from its first row, so occurrence numbers are stable across syncs.
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
// bounds reading + buffered windows to max_in_flight), and their batches are
// handed on strictly in window order, the cursor advancing only through
// completed windows. Windows never split a timestamp group. A nullable cursor
// column disables windows (NULL rows are in none).
//
// Full: every pass reads everything, then the soft-delete sweep of rows not
// seen. With a time column: keyset pages on it from the start (exact, stable);
// without: offset pages in the server's natural order.
//
// A page whose body fails (truncated, malformed, error inside a 200) is
// discarded, its synthetic keys undone, and asked again under the HTTP client's
// retry policy.

#include <cstddef>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "sluice/config.hpp"
#include "sluice/http/client.hpp"
#include "sluice/source.hpp"
#include "sources/time_keyset/cursor_state.hpp"
#include "sources/time_keyset/dialect.hpp"

namespace sluice::time_keyset {

struct read_context {
    dialect& sql;
    http_client& http;  // its retry policy paces page retries
    table_schema_ptr schema;
    batch_sink& sink;
    config::table_settings settings;
    std::string context;  // "questdb source 'q' table 'sensor'", prefixes messages

    std::size_t batch_size() const { return settings.batch_size ? settings.batch_size : 1; }
};

boost::asio::awaitable<void> read_incremental(read_context& ctx, const std::optional<cursor_state>& saved);
// `time_column`: index of a timestamp column to page on (keyset from the start);
// nullopt: offset pages.
boost::asio::awaitable<void> read_full(read_context& ctx, std::optional<std::size_t> time_column);

// Reconcile's re-read (source::reread): every row with lo_us <= cursor < hi_us,
// in cursor order, with the keyset pages and (t, k) skips of read_incremental
// (bounded memory, runs of equal timestamps longer than a page), but batches
// carry no cursor (the table's position does not move). Synthetic keys are a
// normal sync's: the keyer starts fresh at lo_us and restarts per timestamp,
// which equals a sync's keys when lo_us does not split a timestamp group
// (bounds on whole units of the dialect's time_quantum()). Rows count in
// sink.progress()->rows_read.
boost::asio::awaitable<void> read_between(read_context& ctx, std::int64_t lo_us, std::int64_t hi_us);

}  // namespace sluice::time_keyset
