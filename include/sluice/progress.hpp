#pragma once
// Per-table state shared between a table's sync task (which reads) and the
// writer (which commits): counters for status/progress output and the error
// slot through which a destination failure stops the source.
//
// Thread safety: counters are atomics; `error` is guarded by `mutex`.

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>

namespace sluice {

struct table_progress {
    explicit table_progress(std::string qualified) : name(std::move(qualified)) {}

    const std::string name;  // "source.table"
    std::atomic<std::uint64_t> rows_read{0};
    std::atomic<std::uint64_t> rows_written{0};
    std::atomic<std::uint64_t> batches_written{0};
    std::atomic<std::int64_t> rows_estimate{-1};  // -1: the source cannot count
    std::atomic<std::uint64_t> rows_soft_deleted{0};  // marked _sluice_deleted by sweeps
    // Newest committed cursor as an instant (µs); INT64_MIN until one is known.
    std::atomic<std::int64_t> committed_cursor_time{INT64_MIN};

    void fail(std::exception_ptr e) {
        std::lock_guard lock(mutex);
        if (!error) error = std::move(e);
        failed.store(true);
    }
    std::exception_ptr failure() {
        std::lock_guard lock(mutex);
        return error;
    }
    void set_committed_cursor(std::string c) {
        std::lock_guard lock(mutex);
        committed_cursor = std::move(c);
    }
    std::string cursor() {
        std::lock_guard lock(mutex);
        return committed_cursor;
    }

    std::atomic<bool> failed{false};

private:
    std::mutex mutex;
    std::exception_ptr error;
    std::string committed_cursor;
};

}  // namespace sluice
