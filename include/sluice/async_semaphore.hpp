#pragma once
// A counting semaphore for coroutines: `count` tokens in a channel, so waiting
// for one suspends the coroutine instead of blocking a pool thread. Bounds how
// many coroutines use a resource at once (a source's connections); with one
// token it is a mutex (async_mutex.hpp).

#include <cstddef>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice {

class async_semaphore {
    using token_chan = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

public:
    async_semaphore(boost::asio::any_io_executor ex, std::size_t count) : tokens_(std::move(ex), count) {
        for (std::size_t i = 0; i < count; ++i) tokens_.try_send(boost::system::error_code{});
    }

    // Holds one token until destroyed.
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

    boost::asio::awaitable<guard> acquire() {
        co_await tokens_.async_receive(boost::asio::use_awaitable);
        co_return guard(&tokens_);
    }
    // A token if one is free right now.
    std::optional<guard> try_acquire() {
        bool got = false;
        tokens_.try_receive([&](boost::system::error_code) { got = true; });
        if (!got) return std::nullopt;
        return guard(&tokens_);
    }

private:
    token_chan tokens_;
};

}  // namespace sluice
