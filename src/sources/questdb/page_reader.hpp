#pragma once
// Reading one QuestDB table into batches (the body of questdb_source::sync()).
//
// Incremental (a timestamp cursor, normally the designated timestamp): keyset
// pages on the cursor with an inclusive bound and an exact skip of the boundary
// rows already delivered (cursor_state.hpp):
//     SELECT * FROM "t" WHERE "ts" >= '<t>' ORDER BY "ts" LIMIT k, k+batch
// never an offset over the whole table. Synthetic keys: one keyer per sync,
// restarted whenever the cursor value changes; a resume re-reads the boundary
// group from its first row, so occurrence numbers are stable across syncs.
//
// Lookback: each sync re-reads from t - lookback (upserts make it harmless).
// Rows that arrive later with a timestamp older than t - lookback are not seen
// (they sort before the cursor) until `sluice state reset` of the table.
// Rows whose cursor column is NULL (only possible with a non-designated
// `cursor:` column) sort first and are read once, on the initial pass.
//
// Pipelining (settings.max_in_flight > 1): when the pending range holds more than
// a few batches (SELECT count()), it is split into time windows [a, b) of about
// equal duration (~2 batches each if rows are evenly spread); max_in_flight
// workers fetch windows concurrently over the http_client pool (a credit per
// window bounds reading + buffered windows to max_in_flight), and their batches
// are handed on strictly in window order, the cursor advancing only through
// completed windows. Windows never split a timestamp group. A nullable
// (non-designated) cursor column disables windows (NULL rows are in none).
//
// Full (no timestamp cursor): pages of `SELECT * FROM "t" LIMIT lo,hi` in the
// table's natural (append) order, then the soft-delete sweep of rows not seen.

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "sluice/config.hpp"
#include "sluice/http/client.hpp"
#include "sluice/source.hpp"
#include "sources/questdb/cursor_state.hpp"

namespace sluice::questdb {

struct read_context {
    http_client& http;
    table_schema_ptr schema;
    batch_sink& sink;
    config::table_settings settings;
    std::string context;      // "questdb source 'q' table 'sensor'"
    std::string select_list;  // "*" or quoted column names

    std::size_t batch_size() const { return settings.batch_size ? settings.batch_size : 1; }
};

boost::asio::awaitable<void> read_incremental(read_context& ctx, const std::optional<cursor_state>& saved);
boost::asio::awaitable<void> read_full(read_context& ctx);

// GET /exec?query=<sql>. A non-2xx answer (400: QuestDB's message and position)
// is a fatal error carrying `context` and `doing`.
boost::asio::awaitable<http_response> exec(http_client& http, const std::string& sql, const std::string& context,
                                           const std::string& doing);

struct time_window {
    std::int64_t lower;                 // inclusive
    std::optional<std::int64_t> upper;  // exclusive; nullopt = open-ended
    bool operator==(const time_window&) const = default;
};

// Splits [lower, upper] (upper inclusive: the newest timestamp) into at most
// `windows` contiguous half-open ranges [a, b) of equal duration, in order, the
// last one open-ended (rows arriving meanwhile are read too).
std::vector<time_window> split_windows(std::int64_t lower, std::int64_t upper, std::size_t windows);

// How many windows for `rows` pending rows: about two batches each, none when
// the range is small (then plain sequential paging).
std::size_t window_count(std::int64_t rows, std::size_t batch_size, int max_in_flight);

}  // namespace sluice::questdb
