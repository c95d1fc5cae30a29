#include "sluice/channel.hpp"

#include <deque>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sluice/error.hpp"

namespace sluice {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
using batch_chan = asio::experimental::concurrent_channel<void(error_code, batch_ptr)>;
// One per sender waiting for byte budget. A buffered channel of capacity 1, so a
// wake-up sent before the sender starts waiting is not lost.
using wake_chan = asio::experimental::concurrent_channel<void(error_code)>;
}  // namespace

struct batch_channel::impl {
    impl(asio::any_io_executor ex, std::size_t capacity) : ex(ex), ch(ex, capacity) {}
    asio::any_io_executor ex;
    batch_chan ch;
    std::mutex mutex;
    std::deque<std::shared_ptr<wake_chan>> waiters;
    bool shut = false;

    void wake_all() {
        for (auto& w : waiters) w->try_send(error_code{});
        waiters.clear();
    }
};

batch_channel::batch_channel(asio::any_io_executor ex, std::size_t max_batches, std::size_t max_bytes)
    : impl_(std::make_unique<impl>(ex, max_batches == 0 ? 1 : max_batches)),
      max_batches_(max_batches == 0 ? 1 : max_batches),
      max_bytes_(max_bytes) {}

batch_channel::~batch_channel() { shutdown(); }

asio::awaitable<void> batch_channel::send(batch_ptr b) {
    const std::size_t size = b->byte_size();
    for (;;) {
        std::shared_ptr<wake_chan> wake;
        {
            std::lock_guard lock(impl_->mutex);
            if (impl_->shut) throw error(error_kind::fatal, "sync is shutting down");
            // A batch larger than the whole budget still goes through alone,
            // otherwise it could never be sent.
            if ((bytes_ == 0 || bytes_ + size <= max_bytes_) && unreleased_ < max_batches_) {
                bytes_ += size;
                ++unreleased_;
                break;
            }
            wake = std::make_shared<wake_chan>(impl_->ex, 1);
            impl_->waiters.push_back(wake);
        }
        co_await wake->async_receive(asio::as_tuple(asio::use_awaitable));
    }
    const error_code no_error;  // named: sluice/coro.hpp
    auto [ec] = co_await impl_->ch.async_send(no_error, std::move(b), asio::as_tuple(asio::use_awaitable));
    if (ec) {
        release(size, 1);
        throw error(error_kind::fatal, "sync is shutting down");
    }
    ++depth_;
}

asio::awaitable<batch_ptr> batch_channel::receive() {
    auto [ec, b] = co_await impl_->ch.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec || !b) co_return nullptr;
    --depth_;
    co_return std::move(b);
}

std::optional<batch_ptr> batch_channel::try_receive() {
    std::optional<batch_ptr> out;
    impl_->ch.try_receive([&](error_code ec, batch_ptr b) {
        if (ec) {
            out.emplace(nullptr);
            return;
        }
        if (b) --depth_;
        out.emplace(std::move(b));
    });
    return out;
}

void batch_channel::release(std::size_t bytes, std::size_t batches) {
    std::lock_guard lock(impl_->mutex);
    bytes_ -= std::min(bytes, bytes_.load());
    unreleased_ -= std::min(batches, unreleased_);
    impl_->wake_all();
}

asio::awaitable<void> batch_channel::close() {
    // In-band end of stream: Boost 1.81's close() would drop buffered batches.
    const error_code no_error;  // named: sluice/coro.hpp
    batch_ptr end_of_stream;
    co_await impl_->ch.async_send(no_error, std::move(end_of_stream), asio::as_tuple(asio::use_awaitable));
}

void batch_channel::shutdown() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->shut) return;
    impl_->shut = true;
    impl_->wake_all();
    // cancel() first: close() alone leaves a sender blocked on a full channel hanging.
    impl_->ch.cancel();
    impl_->ch.close();
}

}  // namespace sluice
