#pragma once
// One HTTP/1.1 connection, plain or TLS: connect (with host-name verification
// for TLS), then any number of request/response exchanges while the server
// keeps it alive. Each step runs under a deadline; failures throw
// boost::system::system_error (beast::error::timeout on a deadline), except a
// TLS handshake the TLS layer refuses (untrusted certificate, host name
// mismatch): sluice::error(fatal).
//
// Not thread-safe: one request at a time; the pool hands it to one caller.

#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/url.hpp"
#include "sluice/http/client.hpp"

namespace sluice::http_detail {

using request_t = boost::beast::http::request<boost::beast::http::string_body>;

class connection {
public:
    // `tls` null: plain TCP. The context must outlive the connection. With
    // `verify_host`, the certificate must name the URL's host.
    connection(boost::asio::any_io_executor ex, boost::asio::ssl::context* tls, bool verify_host);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    boost::asio::awaitable<void> connect(const base_url& url, std::chrono::milliseconds timeout);
    // Writes `req` and reads the whole response (chunked or not) under one deadline.
    boost::asio::awaitable<http_response> exchange(const request_t& req, std::chrono::milliseconds timeout,
                                                   std::size_t body_limit);
    // Like exchange(), but a 2xx body is handed to `on_body` piece by piece as it
    // arrives (the returned body is empty) and `timeout` bounds each wait for the
    // server instead of the whole answer: a stream may run for as long as the
    // server keeps sending. Other statuses are read whole (up to `body_limit`).
    boost::asio::awaitable<http_response> exchange_streaming(const request_t& req, std::chrono::milliseconds timeout,
                                                             std::size_t body_limit,
                                                             const http_body_handler& on_body);

    // Open, and the last response allowed keeping the connection alive.
    bool reusable() const noexcept;
    // Requests completed on this connection (0 for a fresh one).
    std::size_t completed() const noexcept { return completed_; }
    // Whether any byte of the last response arrived: a reused connection that
    // fails before that was most likely closed by the server while idle.
    bool response_started() const noexcept { return response_started_; }
    // Body bytes handed to an exchange_streaming handler in the last exchange.
    std::size_t body_streamed() const noexcept { return body_streamed_; }
    void close() noexcept;

private:
    // Closes the connection (its buffered bytes are no use now) and throws `ec`.
    [[noreturn]] void fail(const boost::system::error_code& ec);
    template <class Stream>
    boost::asio::awaitable<http_response> exchange_streaming_on(Stream& stream, const request_t& req,
                                                                std::chrono::milliseconds timeout,
                                                                std::size_t body_limit,
                                                                const http_body_handler& on_body);

    struct streams;
    std::unique_ptr<streams> s_;
    bool verify_host_;
    std::size_t completed_ = 0;
    bool keep_alive_ = false;
    bool response_started_ = false;
    std::size_t body_streamed_ = 0;
};

}  // namespace sluice::http_detail
