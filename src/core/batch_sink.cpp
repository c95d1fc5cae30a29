#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sluice/channel.hpp"
#include "sluice/progress.hpp"
#include "sluice/source.hpp"

namespace sluice {

boost::asio::awaitable<void> batch_sink::send(batch_ptr b) {
    // The writer failed this table: stop reading instead of queueing more.
    if (progress_->failed.load()) std::rethrow_exception(progress_->failure());
    b->progress = progress_;
    co_await channel_.send(std::move(b));
}

boost::asio::awaitable<void> batch_sink::flush(table_schema_ptr schema) {
    namespace asio = boost::asio;
    using signal = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    auto ex = co_await asio::this_coro::executor;
    // Capacity 1: the writer's signal is kept even if it comes before we wait.
    auto done = std::make_shared<signal>(ex, 1);
    auto barrier = std::make_unique<batch>(std::move(schema), 0);
    barrier->after_write = [done] { done->try_send(boost::system::error_code{}); };
    barrier->progress = progress_;
    co_await channel_.send(std::move(barrier));
    auto wait = done->async_receive(asio::as_tuple(asio::use_awaitable));
    co_await std::move(wait);
}

}  // namespace sluice
