// pg::pool: see sluice/pg/pool.hpp.

#include "sluice/pg/pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace sluice::pg {

namespace asio = boost::asio;

std::shared_ptr<pool> pool::create(asio::any_io_executor ex, pool_settings settings) {
    return std::shared_ptr<pool>(new pool(std::move(ex), std::move(settings)));
}

pool::pool(asio::any_io_executor ex, pool_settings settings)
    : ex_(std::move(ex)),
      settings_(std::move(settings)),
      slots_(ex_, std::max<std::size_t>(1, settings_.max_connections)),
      reaper_(ex_) {}

pool::~pool() { reaper_.cancel(); }

pool::lease::~lease() {
    if (!owner_) return;  // moved from
    if (conn_ && keep_ && conn_->reusable())
        owner_->give_back(std::move(conn_));
    else
        conn_.reset();
    // slot_ is released after this body: the connection is idle before anyone can take the slot.
}

asio::awaitable<pool::lease> pool::acquire_new() {
    auto s = co_await slots_.acquire();
    auto conn = co_await connect_new();
    co_return lease(shared_from_this(), std::move(conn), std::move(s));
}

asio::awaitable<pool::lease> pool::acquire() {
    auto s = co_await slots_.acquire();
    co_return co_await open(std::move(s));
}

asio::awaitable<pool::lease> pool::open(slot s) {
    auto conn = take_idle();
    if (!conn) conn = co_await connect_new();
    co_return lease(shared_from_this(), std::move(conn), std::move(s));
}

std::unique_ptr<connection> pool::take_idle() {
    std::lock_guard lock(mutex_);
    // Most recently used first: its caches are warmest, and the oldest ones are
    // left to age out when fewer connections are needed.
    while (!idle_.empty()) {
        auto c = std::move(idle_.back().conn);
        idle_.pop_back();
        if (c->reusable()) return c;
    }
    return nullptr;
}

asio::awaitable<std::unique_ptr<connection>> pool::connect_new() {
    auto conn = std::make_unique<connection>(ex_);
    co_await conn->connect(settings_.conninfo, settings_.password, settings_.connect_timeout);
    co_return conn;
}

void pool::give_back(std::unique_ptr<connection> conn) noexcept {
    try {
        std::lock_guard lock(mutex_);
        idle_.push_back({std::move(conn), std::chrono::steady_clock::now()});
        schedule_reaper();
    } catch (...) {
        // Out of memory while pooling: the connection is simply closed.
    }
}

void pool::schedule_reaper() {
    if (reaper_armed_ || idle_.empty()) return;
    reaper_armed_ = true;
    reaper_.expires_at(idle_.front().since + settings_.idle_timeout);
    std::weak_ptr<pool> self = weak_from_this();
    reaper_.async_wait([self](boost::system::error_code ec) {
        auto p = self.lock();
        if (!p) return;
        std::lock_guard lock(p->mutex_);
        p->reaper_armed_ = false;
        if (ec) return;  // cancelled: the pool is going away
        p->reap(std::chrono::steady_clock::now());
        p->schedule_reaper();
    });
}

void pool::reap(std::chrono::steady_clock::time_point now) {
    const auto stale = std::find_if(idle_.begin(), idle_.end(),
                                    [&](const idle_connection& c) { return now - c.since < settings_.idle_timeout; });
    const auto n = static_cast<std::size_t>(stale - idle_.begin());
    if (n > 0) spdlog::debug("postgres pool: closing {} connection{} idle for {} s", n, n == 1 ? "" : "s",
                             std::chrono::duration_cast<std::chrono::seconds>(settings_.idle_timeout).count());
    idle_.erase(idle_.begin(), stale);  // oldest first: `since` only grows along the vector
}

}  // namespace sluice::pg
