#pragma once
// A small pool of gateway connections per source: tables and region workers
// borrow one each. Idle connections are dropped after 30 s because the
// gateway's threadpool server closes connections idle for 60 s.

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "sources/hbase/hbase_client.hpp"

namespace sluice::hbase {

class client_pool {
public:
    client_pool(boost::asio::any_io_executor ex, gateway_address addr, std::size_t max_idle = 8)
        : ex_(std::move(ex)), addr_(std::move(addr)), max_idle_(max_idle) {}

    // An idle connection, or a new connected one (throws a transient error when unreachable).
    boost::asio::awaitable<std::unique_ptr<hbase_client>> acquire();
    // Keeps `c` for reuse if it is still open (call only when no reply is outstanding).
    void release(std::unique_ptr<hbase_client> c);
    const gateway_address& address() const noexcept { return addr_; }

private:
    using clock = std::chrono::steady_clock;
    struct idle_client {
        std::unique_ptr<hbase_client> client;
        clock::time_point since;
    };
    boost::asio::any_io_executor ex_;
    gateway_address addr_;
    std::size_t max_idle_;
    std::mutex mutex_;
    std::vector<idle_client> idle_;
};

}  // namespace sluice::hbase
