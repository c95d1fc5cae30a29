#pragma once
// A large initial load of a keyed PostgreSQL table, split into ranges of its
// single key that up to max_parallel_workers connections read at once.
//
// - One snapshot: the table's connection opens a REPEATABLE READ transaction
//   and exports its snapshot (pg_export_snapshot); every other worker
//   connection imports it (SET TRANSACTION SNAPSHOT), so the ranges together
//   are exactly the table at one instant. In it the first connection also finds
//   the key's bounds and the newest row's (cursor, key) position (where
//   incremental reading continues once the load is done), then reads ranges
//   like the others.
// - Ranges: max_parallel_workers x 4 slices (a slow range does not leave the
//   other workers idle) cut at the key's pg_stats histogram bounds, so each
//   holds about as many rows as the next whatever the key's type or skew; an
//   integer key without statistics is cut into equal slices of [min, max], any
//   other key without statistics is read as one range. Each range is one
//   COPY (SELECT … WHERE lo <= k < hi ORDER BY k) TO STDOUT decoded into
//   batches as it streams. The ranges partition the key space whatever the
//   cut points, so stale statistics cost balance, never rows.
// - Checkpoints: every batch carries the whole load state (each range's last
//   key delivered, or done). Stamping and sending happen under one lock, so the
//   channel — and the writer, which commits in channel order — sees the states
//   in the order they were made: a committed cursor never claims rows of
//   another range that are not committed yet. A crash resumes every unfinished
//   range after its last committed key (in a fresh snapshot; rows changed since
//   are read as they are now, later ones by incremental passes after the load).
// - The end: once every range is read, one more (empty) batch sets the
//   incremental cursor to the snapshot's newest position.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "sluice/pg/pool.hpp"
#include "sources/postgres/cursor_state.hpp"
#include "sources/postgres/reader.hpp"

namespace sluice::postgres {

// A table must hold at least this many batches per worker before an initial
// load is split: smaller loads finish before the extra connections pay off.
inline constexpr std::int64_t parallel_load_batches_per_worker = 4;

// Whether this sync is (or continues) a parallel initial load: PostgreSQL, an
// incremental table with a single key of an ordered built-in type (integer,
// numeric, text, uuid, date, timestamp), more than one worker, and either a
// load in progress or no cursor yet and an estimate of enough rows.
bool parallel_load_applies(const read_context& ctx, const std::optional<cursor_state>& saved,
                           std::optional<std::int64_t> estimated_rows);

// [min, max] cut into at most `n` contiguous ranges, the first open below and
// the last open above (keys that sort outside the snapshot's bounds still land
// in one).
std::vector<load_range> split_key_range(std::int64_t min, std::int64_t max, std::size_t n);

// At most `n` contiguous ranges cut at evenly spaced entries of `bounds` (a
// histogram, sorted in the key's order), the first open below and the last open
// above; a cut point equal to the one before is dropped.
std::vector<load_range> split_by_histogram(const std::vector<std::string>& bounds, std::size_t n);

// `extra`: slots of the source's pool for connections besides ctx.conn
// (max_parallel_workers - 1 at most, fewer when the source's budget is short).
boost::asio::awaitable<void> read_parallel_load(read_context& ctx, const std::optional<cursor_state>& saved,
                                                pg::pool& pool, std::vector<pg::pool::slot> extra);

}  // namespace sluice::postgres
