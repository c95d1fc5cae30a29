#include "http/connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <tuple>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <fmt/format.h>

#include "sluice/error.hpp"

namespace sluice::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::use_awaitable;

struct connection::streams {
    streams(asio::any_io_executor ex, asio::ssl::context* tls) : resolver(ex) {
        if (tls)
            secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, *tls);
        else
            plain = std::make_unique<beast::tcp_stream>(ex);
    }
    beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

    asio::ip::tcp::resolver resolver;
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    // Kept across exchanges: bytes after one response belong to the next.
    beast::flat_buffer buffer;
};

connection::connection(asio::any_io_executor ex, asio::ssl::context* tls, bool verify_host)
    : s_(std::make_unique<streams>(std::move(ex), tls)), verify_host_(verify_host) {}

connection::~connection() { close(); }

void connection::close() noexcept {
    boost::system::error_code ignored;
    auto& sock = s_->tcp().socket();
    if (sock.is_open()) {
        sock.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
    }
    keep_alive_ = false;
}

bool connection::reusable() const noexcept { return keep_alive_ && s_->tcp().socket().is_open(); }

asio::awaitable<void> connection::connect(const base_url& url, std::chrono::milliseconds timeout) {
    auto& tcp = s_->tcp();
    tcp.expires_after(timeout);
    // The resolver runs getaddrinfo on Asio's internal thread, so the caller's thread never blocks.
    auto [rec, endpoints] =
        co_await s_->resolver.async_resolve(url.host, url.port, asio::as_tuple(use_awaitable));
    if (rec) throw boost::system::system_error(rec, "resolve " + url.host);
    co_await tcp.async_connect(endpoints, use_awaitable);
    tcp.socket().set_option(asio::ip::tcp::no_delay(true));
    if (s_->secure) {
        // SNI (host names only: RFC 6066 forbids IP literals there), and the name the
        // certificate must match (checked by the verify callback, IP SANs included).
        boost::system::error_code not_ip;
        asio::ip::make_address(url.host, not_ip);
        if (not_ip && !SSL_set_tlsext_host_name(s_->secure->native_handle(), url.host.c_str()))
            throw boost::system::system_error(
                boost::system::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
                "set TLS server name");
        if (verify_host_) s_->secure->set_verify_callback(asio::ssl::host_name_verification(url.host));
        auto [hec] = co_await s_->secure->async_handshake(asio::ssl::stream_base::client, asio::as_tuple(use_awaitable));
        if (hec && hec.category() == asio::error::get_ssl_category())
            // The TLS layer refused (untrusted chain, wrong host name, no common protocol):
            // configuration, not the network, so retrying cannot help.
            throw error(error_kind::fatal,
                        fmt::format("TLS handshake with {} failed: {}{}", url.origin(), hec.message(),
                                    verify_host_ ? fmt::format(" (the certificate must be trusted, via ca_file or the "
                                                               "system store, and name host '{}')",
                                                               url.host)
                                                 : std::string()));
        if (hec) throw boost::system::system_error(hec, "TLS handshake");
    }
    keep_alive_ = true;
}

namespace {

// Status and headers of an answer; the body is the caller's.
template <class Body>
http_response head_of(const bhttp::response<Body>& res) {
    http_response out;
    out.status = res.result_int();
    for (const auto& field : res) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        if (field.name() == bhttp::field::content_type) out.content_type = std::string(field.value());
    }
    return out;
}

// Pieces of a streamed body: large enough that a parser sees whole rows most of
// the time, small enough to stay out of the way of the batch memory budget.
constexpr std::size_t stream_piece_size = 64 * 1024;

}  // namespace

asio::awaitable<http_response> connection::exchange(const request_t& req, std::chrono::milliseconds timeout,
                                                    std::size_t body_limit) {
    response_started_ = false;
    body_streamed_ = 0;
    keep_alive_ = false;  // until a complete response says otherwise
    s_->tcp().expires_after(timeout);  // one deadline for the write and the whole read

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(body_limit);
    boost::system::error_code ec;
    if (s_->secure) {
        std::tie(ec, std::ignore) = co_await bhttp::async_write(*s_->secure, req, asio::as_tuple(use_awaitable));
        if (!ec)
            std::tie(ec, std::ignore) =
                co_await bhttp::async_read(*s_->secure, s_->buffer, parser, asio::as_tuple(use_awaitable));
    } else {
        std::tie(ec, std::ignore) = co_await bhttp::async_write(*s_->plain, req, asio::as_tuple(use_awaitable));
        if (!ec)
            std::tie(ec, std::ignore) =
                co_await bhttp::async_read(*s_->plain, s_->buffer, parser, asio::as_tuple(use_awaitable));
    }
    response_started_ = parser.got_some();
    if (ec) fail(ec);
    s_->tcp().expires_never();  // an idle pooled connection must not time out by itself

    auto res = parser.release();
    http_response out = head_of(res);
    keep_alive_ = res.keep_alive();
    if (!keep_alive_) close();
    ++completed_;
    out.body = std::move(res.body());
    // simdjson reads up to SIMDJSON_PADDING bytes past the end; usually the string's
    // geometric growth already left that much room and this does not reallocate.
    out.body.reserve(out.body.size() + http_body_padding);
    co_return out;
}

asio::awaitable<http_response> connection::exchange_streaming(const request_t& req, std::chrono::milliseconds timeout,
                                                              std::size_t body_limit, const http_body_handler& on_body) {
    if (s_->secure) co_return co_await exchange_streaming_on(*s_->secure, req, timeout, body_limit, on_body);
    co_return co_await exchange_streaming_on(*s_->plain, req, timeout, body_limit, on_body);
}

template <class Stream>
asio::awaitable<http_response> connection::exchange_streaming_on(Stream& stream, const request_t& req,
                                                                 std::chrono::milliseconds timeout,
                                                                 std::size_t body_limit,
                                                                 const http_body_handler& on_body) {
    response_started_ = false;
    body_streamed_ = 0;
    keep_alive_ = false;
    auto& tcp = s_->tcp();
    // Every wait for the server has its own deadline.
    const auto check = [&](boost::system::error_code ec) {
        if (ec == bhttp::error::need_buffer) return;  // the piece buffer is full: not an error
        if (ec) fail(ec);
    };
    tcp.expires_after(timeout);
    {
        auto [ec, n] = co_await bhttp::async_write(stream, req, asio::as_tuple(use_awaitable));
        check(ec);
    }
    // A buffer_body parser reads into our fixed buffer, so nothing grows with
    // the answer (string_body would also reserve a whole Content-Length up front).
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(boost::none);
    tcp.expires_after(timeout);
    {
        auto [ec, n] = co_await bhttp::async_read_header(stream, s_->buffer, parser, asio::as_tuple(use_awaitable));
        response_started_ = parser.got_some();
        check(ec);
    }
    http_response head = head_of(parser.get());
    const bool streamed = head.ok();
    std::string whole;  // the body of any other status, for its message
    std::vector<char> piece(stream_piece_size);
    while (!parser.is_done()) {
        auto& body = parser.get().body();
        body.data = piece.data();
        body.size = piece.size();
        tcp.expires_after(timeout);
        auto [ec, n] = co_await bhttp::async_read(stream, s_->buffer, parser, asio::as_tuple(use_awaitable));
        check(ec);
        const std::size_t got = piece.size() - parser.get().body().size;
        if (got == 0) continue;
        if (streamed) {
            body_streamed_ += got;
            co_await on_body(head, std::string_view(piece.data(), got));
        } else {
            if (whole.size() + got > body_limit) fail(bhttp::error::body_limit);
            whole.append(piece.data(), got);
        }
    }
    tcp.expires_never();
    keep_alive_ = parser.get().keep_alive();
    if (!keep_alive_) close();
    ++completed_;
    head.body = std::move(whole);
    head.body.reserve(head.body.size() + http_body_padding);
    co_return head;
}

void connection::fail(const boost::system::error_code& ec) {
    close();
    s_->buffer.clear();
    throw boost::system::system_error(ec);
}

}  // namespace sluice::http_detail
