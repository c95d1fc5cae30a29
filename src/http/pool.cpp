#include "http/pool.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace sluice::http_detail {

connection_pool::connection_pool(boost::asio::any_io_executor ex, std::size_t size)
    : size_(size == 0 ? 1 : size), slots_(std::move(ex), size_) {
    for (std::size_t i = 0; i < size_; ++i) slots_.try_send(boost::system::error_code{});
}

boost::asio::awaitable<connection_pool::slot> connection_pool::acquire() {
    co_await slots_.async_receive(boost::asio::use_awaitable);
    co_return slot(&slots_);
}

std::unique_ptr<connection> connection_pool::take_idle() {
    const std::lock_guard lock(mutex_);
    while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        // Most recently used first: the one least likely to have hit the server's idle timeout.
        if (c->reusable()) return c;
    }
    return nullptr;
}

void connection_pool::give_back(std::unique_ptr<connection> c) {
    if (!c || !c->reusable()) return;
    const std::lock_guard lock(mutex_);
    if (idle_.size() < size_) idle_.push_back(std::move(c));
}

std::size_t connection_pool::idle() const {
    const std::lock_guard lock(mutex_);
    return idle_.size();
}

}  // namespace sluice::http_detail
