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

}  // namespace sluice
