#pragma once
// One connection to an HBase Thrift1 gateway, all I/O on Asio: raw TCP with
// buffered or framed transport, or Thrift over HTTP POST (one message per POST,
// keep-alive). Moves opaque Thrift messages; encoding is wire_codec's job.
//
// Requests may be pipelined: send() several, then receive() the replies in
// order. Every operation is bounded by the configured timeout. Any failure
// leaves the connection closed (a half-read reply cannot be resynchronised).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace sluice::hbase {

struct gateway_address {
    std::string host;
    int port = 9090;
    bool framed = false;   // transport: framed | buffered
    bool compact = false;  // protocol: compact | binary
    bool http = false;     // client: http | socket
    std::chrono::milliseconds timeout{30000};

    std::string describe() const;  // "127.0.0.1:9090 (buffered binary socket)"
};

class gateway_connection {
public:
    gateway_connection(boost::asio::any_io_executor ex, gateway_address addr);
    ~gateway_connection();
    gateway_connection(const gateway_connection&) = delete;
    gateway_connection& operator=(const gateway_connection&) = delete;

    boost::asio::awaitable<void> connect();
    boost::asio::awaitable<void> send(std::string_view message);
    // The next reply, whole, as a view into the connection's receive buffer: valid
    // until the next receive() (the buffer is reused, so a scan allocates no
    // per-reply memory). Throws boost::system::system_error on I/O errors and
    // timeouts, malformed_message when the bytes cannot be a Thrift message.
    boost::asio::awaitable<std::string_view> receive();
    void close() noexcept;
    bool is_open() const noexcept;
    const gateway_address& address() const noexcept { return addr_; }

private:
    struct impl;
    gateway_address addr_;
    std::unique_ptr<impl> impl_;
};

}  // namespace sluice::hbase
