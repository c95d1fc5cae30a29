#pragma once
// A bounded pool of libpq connections to one server: at most `max_connections`
// open at once (in use + idle), idle ones handed to the next user instead of
// closed. A PostgreSQL backend costs ~25 ms of server CPU to start and its catalog
// caches start cold, so a daemon polling 100 tables, or one `sluice once` over
// them, would otherwise spend more server CPU forking than reading.
//
// A connection goes back to the pool only when its user says so (lease::keep())
// and connection::reusable() agrees; every failure path closes it. Idle
// connections are closed after `idle_timeout` by a timer, so a quiet source does
// not keep backends open for hours; the rest close with the pool, when the last
// source instance using it is gone.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sluice/async_semaphore.hpp"
#include "sluice/pg/connection.hpp"

namespace sluice::pg {

struct pool_settings {
    std::string conninfo;
    std::optional<std::string> password;
    std::chrono::milliseconds connect_timeout{30000};
    std::size_t max_connections = 8;
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(60);
};

class pool : public std::enable_shared_from_this<pool> {
public:
    static std::shared_ptr<pool> create(boost::asio::any_io_executor ex, pool_settings settings);
    ~pool();
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    // The right to open (or reuse) one connection.
    using slot = async_semaphore::guard;

    // One connection, exclusively, until destroyed. Destroyed without keep(), or
    // not reusable by then, the connection is closed and its slot freed.
    class lease {
    public:
        lease(lease&&) noexcept = default;
        lease& operator=(lease&&) = delete;
        ~lease();
        connection& operator*() const noexcept { return *conn_; }
        connection* operator->() const noexcept { return conn_.get(); }
        // The user is done and left the session as it found it.
        void keep() noexcept { keep_ = true; }

    private:
        friend class pool;
        lease(std::shared_ptr<pool> owner, std::unique_ptr<connection> conn, slot s)
            : owner_(std::move(owner)), conn_(std::move(conn)), slot_(std::move(s)) {}
        std::shared_ptr<pool> owner_;
        std::unique_ptr<connection> conn_;
        slot slot_;
        bool keep_ = false;
    };

    // Waits for a slot, then reuses an idle connection or opens one.
    boost::asio::awaitable<lease> acquire();
    // Waits for a slot and opens a new connection, never an idle one (`sluice check`
    // must prove that the server accepts new connections). Closed when the lease ends.
    boost::asio::awaitable<lease> acquire_new();
    // A slot only if one is free now (extra workers of a parallel load).
    std::optional<slot> try_reserve() { return slots_.try_acquire(); }
    boost::asio::awaitable<lease> open(slot s);

private:
    pool(boost::asio::any_io_executor ex, pool_settings settings);
    void give_back(std::unique_ptr<connection> conn) noexcept;
    void schedule_reaper();
    void reap(std::chrono::steady_clock::time_point now);
    std::unique_ptr<connection> take_idle();
    boost::asio::awaitable<std::unique_ptr<connection>> connect_new();

    struct idle_connection {
        std::unique_ptr<connection> conn;
        std::chrono::steady_clock::time_point since;
    };

    boost::asio::any_io_executor ex_;
    pool_settings settings_;
    async_semaphore slots_;
    mutable std::mutex mutex_;
    std::vector<idle_connection> idle_;  // most recently used last
    boost::asio::steady_timer reaper_;
    bool reaper_armed_ = false;
};

}  // namespace sluice::pg
