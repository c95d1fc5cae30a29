#include "sluice/writer_lanes.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>

#include "sluice/config.hpp"

namespace sluice {

namespace asio = boost::asio;

namespace {

// A few batches in flight keep a writer busy; the byte bound is what caps memory.
constexpr std::size_t channel_batches = 8;

std::vector<std::unique_ptr<destination>> open_destinations(const config::destination_config& cfg,
                                                            asio::any_io_executor ex) {
    // SQLite takes one writer at a time: a second connection would only wait on its lock.
    const std::size_t n = cfg.type == "postgres" ? std::max<std::size_t>(cfg.writers, 1) : 1;
    std::vector<std::unique_ptr<destination>> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(make_destination(cfg, ex));
    return out;
}

}  // namespace

writer_lanes::writer_lanes(const config::destination_config& cfg, asio::any_io_executor ex)
    : writer_lanes(open_destinations(cfg, ex), ex, channel_batches, cfg.batch_bytes * 2,
                   writer_limits{cfg.batch_rows, cfg.batch_bytes}) {}

writer_lanes::writer_lanes(std::vector<std::unique_ptr<destination>> dests, asio::any_io_executor ex,
                           std::size_t batches, std::size_t bytes, writer_limits limits)
    : ex_(ex), limits_(limits), tables_per_lane_(dests.size(), 0) {
    for (auto& d : dests)
        lanes_.push_back(std::make_unique<writer_lane>(make_serialized(std::move(d), ex), ex, batches, bytes));
}

std::size_t writer_lanes::route(const table_schema& schema) {
    // '\x1f' cannot appear in a source name, so the keys cannot collide.
    const std::string table = schema.source + '\x1f' + schema.table;
    const std::string target = schema.source + '\x1f' + schema.destination_table();
    std::lock_guard lock(mutex_);
    std::size_t lane;
    if (auto it = by_table_.find(table); it != by_table_.end()) {
        lane = it->second;
    } else if (auto t = by_target_.find(target); t != by_target_.end()) {
        lane = t->second;
    } else {
        lane = static_cast<std::size_t>(std::min_element(tables_per_lane_.begin(), tables_per_lane_.end()) -
                                        tables_per_lane_.begin());
    }
    if (by_table_.emplace(table, lane).second) ++tables_per_lane_[lane];
    by_target_.emplace(target, lane);
    return lane;
}

asio::awaitable<void> writer_lanes::connect() {
    for (auto& l : lanes_) co_await l->dest->connect();
}

void writer_lanes::close() {
    for (auto& l : lanes_) l->dest->close();
}

void writer_lanes::start_writers(write_listener on_write, stopped_fn on_stopped) {
    for (std::size_t i = 0; i < lanes_.size(); ++i) {
        writer_lane& l = *lanes_[i];
        asio::co_spawn(asio::make_strand(ex_), run_writer(l.channel, *l.dest, on_write, limits_),
                       [this, i, on_stopped](std::exception_ptr e) {
                           ++writers_done_;
                           if (on_stopped) on_stopped(i, e);
                       });
    }
}

asio::awaitable<void> writer_lanes::close_channels() {
    for (auto& l : lanes_) co_await l->channel.close();
}

void writer_lanes::shutdown_channels() {
    for (auto& l : lanes_) l->channel.shutdown();
}

std::size_t writer_lanes::depth() const noexcept {
    std::size_t n = 0;
    for (const auto& l : lanes_) n += l->channel.depth();
    return n;
}

std::size_t writer_lanes::bytes_in_flight() const noexcept {
    std::size_t n = 0;
    for (const auto& l : lanes_) n += l->channel.bytes_in_flight();
    return n;
}

std::size_t writer_lanes::max_bytes() const noexcept {
    std::size_t n = 0;
    for (const auto& l : lanes_) n += l->channel.max_bytes();
    return n;
}

}  // namespace sluice
