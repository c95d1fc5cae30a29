#pragma once
// A batch: N typed rows of one table plus the cursor that becomes durable when
// the destination commits them. Cells are 16 bytes; variable-length payloads go
// into one arena string per batch, so filling a batch does not allocate per
// value (the arena and cell vector grow geometrically and are reused by clear()).
//
// Thread safety: a batch is owned by one coroutine at a time; it moves from the
// source through the channel to the writer.

#include <cstdint>
#include <functional>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/schema.hpp"
#include "sluice/value.hpp"

namespace sluice {

struct table_progress;  // per-table shared state between a source task and the writer

class batch {
public:
    explicit batch(table_schema_ptr schema, std::size_t expected_rows = 0);

    const table_schema& schema() const noexcept { return *schema_; }
    const table_schema_ptr& schema_ptr() const noexcept { return schema_; }

    // Appending: call put_* once per column, in schema order, then end_row().
    void put_null() { push(value_type::null, 0, 0); }
    void put_bool(bool v) { push(value_type::boolean, v ? 1 : 0, 0); }
    void put_int64(std::int64_t v) { push(value_type::int64, v, 0); }
    void put_float64(double v) {
        std::int64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        push(value_type::float64, bits, 0);
    }
    void put_timestamp(std::int64_t micros) { push(value_type::timestamp, micros, 0); }
    void put_date(std::int64_t days) { push(value_type::date, days, 0); }
    // decimal, string, bytes or json
    void put_text(value_type t, std::string_view v);
    void end_row();
    // Discards the cells put since the last end_row() (a row that failed to decode).
    void abandon_row();
    // Appends the complete rows of `other`, a batch of the same schema (the
    // rows only: cursor and sweep fields stay as they are).
    void append_rows(const batch& other);
    // Keeps only the first `rows` complete rows (and no pending cells).
    void truncate(std::size_t rows);

    std::size_t rows() const noexcept { return rows_; }
    std::size_t columns() const noexcept { return ncols_; }
    bool empty() const noexcept { return rows_ == 0; }
    value_view at(std::size_t row, std::size_t col) const noexcept;
    // A cell of the row being appended (col < cells put since the last end_row()).
    value_view pending(std::size_t col) const noexcept;
    // Approximate memory held, for the channel's byte budget.
    std::size_t byte_size() const noexcept {
        return cells_.capacity() * sizeof(cell) + arena_.capacity() + cursor.capacity();
    }
    void clear() noexcept;

    // Source position reached once these rows are durable (opaque JSON owned by
    // the source). Empty means "cursor unchanged".
    std::string cursor;
    // When set, after writing the rows the destination marks every row of this
    // table whose _sluice_synced_at is older than this instant (µs) as deleted:
    // how a completed full pass soft-deletes rows that vanished at the source.
    std::optional<std::int64_t> soft_delete_unseen_before;
    // Restricts that sweep to rows whose timestamp column `column` lies in
    // [lo_us, hi_us): how a reconcile re-read of one bucket soft-deletes the rows
    // the source no longer has, leaving the rest of the table alone.
    struct sweep_range {
        std::size_t column = 0;
        std::int64_t lo_us = 0;
        std::int64_t hi_us = 0;
    };
    std::optional<sweep_range> soft_delete_range;
    // The cursor as an instant (µs), when the cursor column is a timestamp: what
    // the daemon's freshness (now - newest committed cursor) is computed from.
    std::optional<std::int64_t> cursor_time;
    // Shared with the table's sync task: the writer reports progress and errors here.
    std::shared_ptr<table_progress> progress;
    // Called by the writer once this batch is committed, failed or dropped:
    // how batch_sink::flush() learns that everything sent before is durable.
    std::function<void()> after_write;

private:
    struct cell {
        std::int64_t i;     // payload, double bits, or arena offset
        std::uint32_t len;  // arena length
        value_type type;
    };
    static_assert(sizeof(cell) == 16);

    void push(value_type t, std::int64_t i, std::uint32_t len) { cells_.push_back(cell{i, len, t}); }
    void drop_cells_from(std::size_t cell_index);

    table_schema_ptr schema_;
    std::size_t ncols_;
    std::size_t rows_ = 0;
    std::vector<cell> cells_;
    std::string arena_;
};

using batch_ptr = std::unique_ptr<batch>;

}  // namespace sluice
