#include "sources/hbase/gateway_connection.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "sources/hbase/message_size.hpp"

namespace sluice::hbase {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;

std::string gateway_address::describe() const {
    return fmt::format("{}:{} ({} {} {})", host, port, framed ? "framed" : "buffered",
                       compact ? "compact" : "binary", http ? "http" : "socket");
}

struct gateway_connection::impl {
    impl(asio::any_io_executor ex, bool compact) : stream(ex), resolver(ex), scanner(compact) {}
    beast::tcp_stream stream;
    asio::ip::tcp::resolver resolver;
    // Raw transports: received bytes live in rbuf[begin, end); the reply handed
    // out last occupies the first `handed_out` of them until the next receive().
    std::string rbuf;
    std::size_t begin = 0, end = 0, handed_out = 0;
    message_scanner scanner;   // buffered transport: where the reply ends
    beast::flat_buffer hbuf;   // http: must persist across pipelined responses
    std::string http_body;

    void clear() noexcept {
        begin = end = handed_out = 0;
        scanner.reset();
        hbuf.clear();
    }
};

gateway_connection::gateway_connection(asio::any_io_executor ex, gateway_address addr)
    : addr_(std::move(addr)), impl_(std::make_unique<impl>(std::move(ex), addr_.compact)) {}

gateway_connection::~gateway_connection() { close(); }

bool gateway_connection::is_open() const noexcept { return impl_->stream.socket().is_open(); }

void gateway_connection::close() noexcept {
    boost::system::error_code ignored;
    impl_->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    impl_->stream.socket().close(ignored);
    impl_->clear();
}

asio::awaitable<void> gateway_connection::connect() {
    close();
    impl_->stream.expires_after(addr_.timeout);
    // The resolver runs getaddrinfo on Asio's internal thread, not on a pool thread.
    const std::string port = std::to_string(addr_.port);  // named: sluice/coro.hpp
    auto endpoints = co_await impl_->resolver.async_resolve(addr_.host, port, use_awaitable);
    co_await impl_->stream.async_connect(endpoints, use_awaitable);
    impl_->stream.socket().set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<void> gateway_connection::send(std::string_view message) {
    auto& s = impl_->stream;
    s.expires_after(addr_.timeout);
    try {
        if (addr_.http) {
            http::request<http::string_body> req{http::verb::post, "/", 11};
            req.set(http::field::host, addr_.host);
            req.set(http::field::content_type, "application/x-thrift");
            req.set(http::field::accept, "application/x-thrift");
            req.keep_alive(true);
            req.body().assign(message);
            req.prepare_payload();
            co_await http::async_write(s, req, use_awaitable);
        } else if (addr_.framed) {
            const auto n = static_cast<std::uint32_t>(message.size());
            const unsigned char prefix[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                                             static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
            const std::array<asio::const_buffer, 2> bufs{asio::buffer(prefix), asio::buffer(message)};
            co_await asio::async_write(s, bufs, use_awaitable);
        } else {
            co_await asio::async_write(s, asio::buffer(message), use_awaitable);
        }
    } catch (...) {
        close();
        throw;
    }
}

namespace {

constexpr std::size_t max_reply = 256u << 20;  // far above HBase's 2 MB default frame limit

}  // namespace

asio::awaitable<std::string_view> gateway_connection::receive() {
    auto& s = impl_->stream;
    auto& in = *impl_;
    try {
        if (addr_.http) {
            s.expires_after(addr_.timeout);
            http::response_parser<http::string_body> parser;
            parser.body_limit(max_reply);
            co_await http::async_read(s, in.hbuf, parser, use_awaitable);
            auto res = parser.release();
            if (res.result() != http::status::ok)
                throw malformed_message(fmt::format("HTTP {} from the Thrift HTTP gateway: {}", res.result_int(),
                                                    res.body().substr(0, 200)));
            if (!res.keep_alive()) close();
            in.http_body = std::move(res.body());
            co_return std::string_view(in.http_body);
        }
        in.begin += in.handed_out;
        in.handed_out = 0;
        if (in.begin == in.end) in.begin = in.end = 0;
        in.scanner.reset();
        for (;;) {
            const std::string_view have(in.rbuf.data() + in.begin, in.end - in.begin);
            if (addr_.framed) {
                if (have.size() >= 4) {
                    const auto* p = reinterpret_cast<const unsigned char*>(have.data());
                    const std::size_t n = (std::size_t(p[0]) << 24) | (std::size_t(p[1]) << 16) |
                                          (std::size_t(p[2]) << 8) | std::size_t(p[3]);
                    if (n > max_reply) throw malformed_message(fmt::format("frame of {} bytes is too large", n));
                    if (have.size() >= n + 4) {
                        in.handed_out = n + 4;
                        co_return have.substr(4, n);
                    }
                }
            } else if (!have.empty()) {
                if (const auto n = in.scanner.feed(have)) {
                    in.handed_out = *n;
                    co_return have.substr(0, *n);
                }
                if (have.size() > max_reply) throw malformed_message("reply larger than 256 MiB");
            }
            // Room for the next read: move the partial reply to the front, grow if still short.
            constexpr std::size_t min_read = 64u << 10;
            if (in.rbuf.size() - in.end < min_read && in.begin > 0) {
                std::memmove(in.rbuf.data(), in.rbuf.data() + in.begin, in.end - in.begin);
                in.end -= in.begin;
                in.begin = 0;
            }
            if (in.rbuf.size() - in.end < min_read) in.rbuf.resize(std::max<std::size_t>(in.rbuf.size() * 2, 256u << 10));
            s.expires_after(addr_.timeout);
            const auto space = asio::buffer(in.rbuf.data() + in.end, in.rbuf.size() - in.end);
            in.end += co_await s.async_read_some(space, use_awaitable);
        }
    } catch (...) {
        close();
        throw;
    }
}

}  // namespace sluice::hbase
