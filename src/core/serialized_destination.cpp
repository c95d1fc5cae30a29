// One destination connection, many callers: every call holds an async mutex.
#include "sluice/async_mutex.hpp"
#include "sluice/pipeline.hpp"

namespace sluice {

namespace asio = boost::asio;

namespace {

class serialized_destination final : public destination {
public:
    serialized_destination(std::unique_ptr<destination> inner, asio::any_io_executor ex)
        : inner_(std::move(inner)), mutex_(std::move(ex)) {}

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
    asio::awaitable<std::vector<bucket_stats>> summarize(const table_schema& s, const bucket_query& q) override {
        auto g = co_await lock();
        co_return co_await inner_->summarize(s, q);
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
    asio::awaitable<async_mutex::guard> lock() { return mutex_.lock(); }

    std::unique_ptr<destination> inner_;
    async_mutex mutex_;
};

}  // namespace

std::unique_ptr<destination> make_serialized(std::unique_ptr<destination> inner, asio::any_io_executor ex) {
    return std::make_unique<serialized_destination>(std::move(inner), ex);
}

}  // namespace sluice
