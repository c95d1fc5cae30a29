#pragma once
// A mutex for coroutines: a one-token channel, so waiting for the lock suspends
// the coroutine instead of blocking a pool thread. Used where several coroutines
// share one resource (a destination connection, a table's checkpoint + channel).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice {

class async_mutex {
    using token_chan = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

public:
    explicit async_mutex(boost::asio::any_io_executor ex) : token_(std::move(ex), 1) {
        token_.try_send(boost::system::error_code{});
    }

    class guard {
    public:
        explicit guard(token_chan* c) : chan_(c) {}
        guard(guard&& o) noexcept : chan_(o.chan_) { o.chan_ = nullptr; }
        guard(const guard&) = delete;
        guard& operator=(const guard&) = delete;
        guard& operator=(guard&&) = delete;
        ~guard() {
            if (chan_) chan_->try_send(boost::system::error_code{});
        }

    private:
        token_chan* chan_;
    };

    boost::asio::awaitable<guard> lock() {
        co_await token_.async_receive(boost::asio::use_awaitable);
        co_return guard(&token_);
    }

private:
    token_chan token_;
};

}  // namespace sluice
