#pragma once
// Keep-alive connections of one http_client and the bound on how many are in
// use at once. A caller first takes a slot (waiting, without blocking a thread,
// while all are busy), then an idle connection if one is kept, else makes one,
// and gives it back afterwards if the server allowed keep-alive.
//
// Thread-safe: slots are a concurrent channel, the idle list is under a mutex.

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include "http/connection.hpp"

namespace sluice::http_detail {

class connection_pool {
    using slot_channel = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

public:
    connection_pool(boost::asio::any_io_executor ex, std::size_t size);

    // Holds one of the `size` slots until destroyed.
    class slot {
    public:
        explicit slot(slot_channel* c) : chan_(c) {}
        slot(slot&& o) noexcept : chan_(o.chan_) { o.chan_ = nullptr; }
        slot(const slot&) = delete;
        slot& operator=(const slot&) = delete;
        slot& operator=(slot&&) = delete;
        ~slot() {
            if (chan_) chan_->try_send(boost::system::error_code{});
        }

    private:
        slot_channel* chan_;
    };

    boost::asio::awaitable<slot> acquire();
    // An idle kept-alive connection, or nullptr.
    std::unique_ptr<connection> take_idle();
    // Keeps `c` for reuse if it is still reusable; otherwise it is closed.
    void give_back(std::unique_ptr<connection> c);
    std::size_t idle() const;

private:
    std::size_t size_;
    slot_channel slots_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<connection>> idle_;
};

}  // namespace sluice::http_detail
