#pragma once
// A mutex for coroutines: a semaphore of one token, so waiting for the lock
// suspends the coroutine instead of blocking a pool thread. Used where several
// coroutines share one resource (a destination connection, a table's
// checkpoint + channel).

#include "sluice/async_semaphore.hpp"

namespace sluice {

class async_mutex {
public:
    using guard = async_semaphore::guard;
    explicit async_mutex(boost::asio::any_io_executor ex) : tokens_(std::move(ex), 1) {}
    boost::asio::awaitable<guard> lock() { return tokens_.acquire(); }

private:
    async_semaphore tokens_;
};

}  // namespace sluice
