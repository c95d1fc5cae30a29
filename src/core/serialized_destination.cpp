// One destination connection, many callers: a one-token channel acts as an
// async mutex, so waiting for the lock suspends the coroutine instead of
// blocking a pool thread.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sluice/pipeline.hpp"

namespace sluice {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

class serialized_destination final : public destination {
public:
    serialized_destination(std::unique_ptr<destination> inner, asio::any_io_executor ex)
        : inner_(std::move(inner)), token_(ex, 1) {
        token_.try_send(error_code{});
    }

    asio::awaitable<void> connect() override {
        auto g = co_await lock();
        co_await inner_->connect();
    }
    asio::awaitable<void> prepare_table(const table_schema& s) override {
        auto g = co_await lock();
        co_await inner_->prepare_table(s);
    }
    asio::awaitable<std::optional<std::string>> read_cursor(const std::string& src,
                                                            const std::string& table) override {
        auto g = co_await lock();
        co_return co_await inner_->read_cursor(src, table);
    }
    asio::awaitable<void> write(const batch& b) override {
        auto g = co_await lock();
        co_await inner_->write(b);
    }
    asio::awaitable<std::vector<state_row>> list_state() override {
        auto g = co_await lock();
        co_return co_await inner_->list_state();
    }
    asio::awaitable<bool> reset_state(const std::string& src, const std::string& table) override {
        auto g = co_await lock();
        co_return co_await inner_->reset_state(src, table);
    }
    asio::awaitable<void> ping() override {
        auto g = co_await lock();
        co_await inner_->ping();
    }
    void close() override { inner_->close(); }
    std::string describe() const override { return inner_->describe(); }

private:
    using token_chan = asio::experimental::concurrent_channel<void(error_code)>;
    struct guard {
        token_chan* chan;
        guard(token_chan* c) : chan(c) {}
        guard(guard&& o) noexcept : chan(o.chan) { o.chan = nullptr; }
        ~guard() {
            if (chan) chan->try_send(error_code{});
        }
    };
    asio::awaitable<guard> lock() {
        co_await token_.async_receive(asio::use_awaitable);
        co_return guard(&token_);
    }

    std::unique_ptr<destination> inner_;
    token_chan token_;
};

}  // namespace

std::unique_ptr<destination> make_serialized(std::unique_ptr<destination> inner, asio::any_io_executor ex) {
    return std::make_unique<serialized_destination>(std::move(inner), ex);
}

}  // namespace sluice
