#pragma once
// A scripted server for the source tests: listens on 127.0.0.1 (ephemeral port)
// with its own io_context on its own thread, and runs `serve(socket)` as a
// coroutine for every accepted connection. Stopped and joined on destruction,
// so declare it last in the class that owns the state `serve` uses.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace sluice::test {

class loopback_server {
public:
    using serve_fn = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

    explicit loopback_server(serve_fn serve)
        : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}), serve_(std::move(serve)) {
        boost::asio::co_spawn(ioc_, accept_loop(), boost::asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~loopback_server() {
        ioc_.stop();
        thread_.join();
    }
    loopback_server(const loopback_server&) = delete;
    loopback_server& operator=(const loopback_server&) = delete;

    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    std::string url() const { return fmt::format("http://127.0.0.1:{}", port()); }
    int connections() const { return connections_; }

private:
    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto s = co_await acceptor_.async_accept(boost::asio::use_awaitable);
            ++connections_;
            boost::asio::co_spawn(ioc_, serve_(std::move(s)), boost::asio::detached);
        }
    }

    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    serve_fn serve_;
    std::atomic<int> connections_{0};
    std::thread thread_;
};

}  // namespace sluice::test
