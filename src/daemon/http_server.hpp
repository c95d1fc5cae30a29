#pragma once
// The daemon's HTTP endpoints: /healthz, /readyz, /status, /metrics.
//
// Hardened like the Boost.MySQL and Beast server examples: each session has a
// read/write deadline (a slow client only holds its own session), request
// headers and bodies are size-limited, the number of concurrent sessions is
// capped, and an exception ends only the session that raised it.
//
// Thread safety: stop() may be called from any thread; everything else runs on
// the server's own strand. The object must outlive the coroutine returned by
// run(), which completes after stop() once every session has ended.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "sluice/daemon/status.hpp"

namespace sluice::daemon {

struct http_limits {
    std::chrono::milliseconds request_timeout{10'000};  // to read one whole request, or to write a response
    std::size_t header_limit = 8 * 1024;
    std::size_t body_limit = 64 * 1024;
    std::size_t max_sessions = 64;  // connections beyond this are closed at once
};

class http_server {
public:
    // `listen` is "host:port" or "[v6-address]:port"; port 0 picks a free one.
    http_server(boost::asio::any_io_executor ex, const std::string& listen, const status_registry& reg,
                http_limits limits = {});
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    void start();  // binds and listens; throws sluice::error naming the address on failure
    boost::asio::awaitable<void> run();  // accepts until stop(), then waits for the sessions
    void stop();
    unsigned short port() const;  // the bound port, after start()

private:
    using strand_type = boost::asio::strand<boost::asio::any_io_executor>;
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(std::shared_ptr<boost::beast::tcp_stream> stream);
    void session_ended(std::uint64_t id);

    strand_type strand_;
    std::string listen_;
    const status_registry& registry_;
    http_limits limits_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer drained_;
    unsigned short port_ = 0;
    bool stopping_ = false;
    std::uint64_t next_session_ = 0;
    std::map<std::uint64_t, std::shared_ptr<boost::beast::tcp_stream>> sessions_;
};

}  // namespace sluice::daemon
