#include "sources/hbase/gateway_connection.hpp"

#include <algorithm>
#include <array>

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
    explicit impl(asio::any_io_executor ex) : stream(ex), resolver(ex) {}
    beast::tcp_stream stream;
    asio::ip::tcp::resolver resolver;
    std::string rbuf;           // raw transports: bytes received, not yet returned
    beast::flat_buffer hbuf;    // http: must persist across pipelined responses
};

gateway_connection::gateway_connection(asio::any_io_executor ex, gateway_address addr)
    : addr_(std::move(addr)), impl_(std::make_unique<impl>(std::move(ex))) {}

gateway_connection::~gateway_connection() { close(); }

bool gateway_connection::is_open() const noexcept { return impl_->stream.socket().is_open(); }

void gateway_connection::close() noexcept {
    boost::system::error_code ignored;
    impl_->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    impl_->stream.socket().close(ignored);
    impl_->rbuf.clear();
    impl_->hbuf.clear();
}

asio::awaitable<void> gateway_connection::connect() {
    close();
    impl_->stream.expires_after(addr_.timeout);
    // The resolver runs getaddrinfo on Asio's internal thread, not on a pool thread.
    auto endpoints = co_await impl_->resolver.async_resolve(addr_.host, std::to_string(addr_.port), use_awaitable);
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

asio::awaitable<std::string> gateway_connection::receive() {
    auto& s = impl_->stream;
    auto& buf = impl_->rbuf;
    try {
        if (addr_.http) {
            s.expires_after(addr_.timeout);
            http::response_parser<http::string_body> parser;
            parser.body_limit(max_reply);
            co_await http::async_read(s, impl_->hbuf, parser, use_awaitable);
            auto res = parser.release();
            if (res.result() != http::status::ok)
                throw malformed_message(fmt::format("HTTP {} from the Thrift HTTP gateway: {}", res.result_int(),
                                                    res.body().substr(0, 200)));
            if (!res.keep_alive()) close();
            co_return std::move(res.body());
        }
        std::size_t need = 0;  // framed: bytes of the whole frame incl. prefix, once known
        for (;;) {
            if (addr_.framed) {
                if (need == 0 && buf.size() >= 4) {
                    const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
                    const std::size_t n = (std::size_t(p[0]) << 24) | (std::size_t(p[1]) << 16) |
                                          (std::size_t(p[2]) << 8) | std::size_t(p[3]);
                    if (n > max_reply) throw malformed_message(fmt::format("frame of {} bytes is too large", n));
                    need = n + 4;
                }
                if (need && buf.size() >= need) {
                    std::string reply = buf.substr(4, need - 4);
                    buf.erase(0, need);
                    co_return reply;
                }
            } else if (!buf.empty()) {
                const auto n = addr_.compact ? compact_message_size(buf) : binary_message_size(buf);
                if (n) {
                    std::string reply = buf.substr(0, *n);
                    buf.erase(0, *n);
                    co_return reply;
                }
                if (buf.size() > max_reply) throw malformed_message("reply larger than 256 MiB");
            }
            // Read in large steps: a complete-message check walks the whole buffer.
            const std::size_t old = buf.size();
            const std::size_t step = std::max<std::size_t>(256u << 10, old);
            buf.resize(old + step);
            s.expires_after(addr_.timeout);
            std::size_t got = 0;
            try {
                got = co_await s.async_read_some(asio::buffer(buf.data() + old, step), use_awaitable);
            } catch (...) {
                buf.resize(old);
                throw;
            }
            buf.resize(old + got);
        }
    } catch (...) {
        close();
        throw;
    }
}

}  // namespace sluice::hbase
