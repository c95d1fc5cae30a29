#include "sources/hbase/client_pool.hpp"

namespace sluice::hbase {

namespace asio = boost::asio;

asio::awaitable<std::unique_ptr<hbase_client>> client_pool::acquire() {
    {
        std::lock_guard lock(mutex_);
        const auto now = clock::now();
        while (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            if (c.client->is_open() && now - c.since < std::chrono::seconds(30)) co_return std::move(c.client);
        }
    }
    auto c = std::make_unique<hbase_client>(ex_, addr_);
    co_await c->connect();
    co_return c;
}

void client_pool::release(std::unique_ptr<hbase_client> c) {
    if (!c || !c->is_open()) return;
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back({std::move(c), clock::now()});
}

}  // namespace sluice::hbase
