#pragma once
// One destination written through several connections at once
// (destination.writers, DESIGN.md §2 "writer coroutine(s)"). Each lane is one
// connection (serialized: its table tasks and its writer take turns), its own
// bounded channel and its own writer coroutine. With one connection, 100 small
// tables queue behind each other's DDL, COPY and commit round trips on a single
// backend; with two, two backends work.
//
// A table is given a lane the first time it is routed and keeps it for the life
// of the process, so its batches and its cursor are committed in order by one
// writer, also across a reload that restarts its task while batches of the old
// one are still queued. Tables that write the same destination table share a
// lane. New tables go to the lane with the fewest tables.
//
// Memory: each lane's channel has the bound one channel had (batches and bytes),
// so the bound of queued data is writers × that; a single table uses one lane.

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "sluice/channel.hpp"
#include "sluice/destination.hpp"
#include "sluice/pipeline.hpp"

namespace sluice {

struct writer_lane {
    writer_lane(std::unique_ptr<destination> d, boost::asio::any_io_executor ex, std::size_t batches,
                std::size_t bytes)
        : dest(std::move(d)), channel(std::move(ex), batches, bytes) {}

    std::unique_ptr<destination> dest;  // serialized (make_serialized)
    batch_channel channel;
};

class writer_lanes {
public:
    // destination.writers lanes (one for SQLite), each channel sized from
    // batch_bytes, transactions limited by batch_rows / batch_bytes.
    writer_lanes(const config::destination_config& cfg, boost::asio::any_io_executor ex);
    // Lanes over the given (unserialized) destinations; for tests.
    writer_lanes(std::vector<std::unique_ptr<destination>> dests, boost::asio::any_io_executor ex,
                 std::size_t channel_batches, std::size_t channel_bytes, writer_limits limits = {});
    writer_lanes(const writer_lanes&) = delete;
    writer_lanes& operator=(const writer_lanes&) = delete;

    std::size_t size() const noexcept { return lanes_.size(); }
    writer_lane& operator[](std::size_t i) { return *lanes_[i]; }
    const writer_lane& operator[](std::size_t i) const { return *lanes_[i]; }

    // The index of the lane that writes this table (assigned on first use, then fixed).
    std::size_t route(const table_schema& schema);

    // Connects every lane, one after the other (the first creates sluice's state table).
    boost::asio::awaitable<void> connect();
    void close();

    // Starts each lane's writer (run_writer) on its own strand. `on_stopped(lane, error)`
    // runs once per writer when it ends; an error means that lane's destination
    // became unusable (run_writer has shut its channel down).
    using stopped_fn = std::function<void(std::size_t lane, std::exception_ptr error)>;
    void start_writers(write_listener on_write, stopped_fn on_stopped);
    // Whether every started writer has ended.
    bool writers_done() const noexcept { return writers_done_.load() == lanes_.size(); }
    // No more batches: each writer commits what is queued, then ends.
    boost::asio::awaitable<void> close_channels();
    // Abandons what is queued (shutdown grace exceeded).
    void shutdown_channels();

    std::size_t depth() const noexcept;
    std::size_t bytes_in_flight() const noexcept;
    std::size_t max_bytes() const noexcept;

private:
    boost::asio::any_io_executor ex_;
    std::vector<std::unique_ptr<writer_lane>> lanes_;
    writer_limits limits_;
    std::atomic<std::size_t> writers_done_{0};

    std::mutex mutex_;  // route() runs on the tasks' strands
    std::map<std::string, std::size_t> by_table_;   // source + table -> lane
    std::map<std::string, std::size_t> by_target_;  // source + destination table -> lane
    std::vector<std::size_t> tables_per_lane_;
};

}  // namespace sluice
