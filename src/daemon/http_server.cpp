#include "daemon/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/metrics.hpp"
#include "daemon/status_json.hpp"
#include "sluice/clock.hpp"
#include "sluice/error.hpp"

namespace sluice::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

struct reply {
    http::status status = http::status::ok;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

reply route(std::string_view path, const status_registry& reg) {
    if (path == "/healthz") return {http::status::ok, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/readyz") {
        const readiness r = check_readiness(reg.snapshot(), now_us());
        return {r.ready ? http::status::ok : http::status::service_unavailable, "application/json",
                render_readiness_json(r)};
    }
    if (path == "/status")
        return {http::status::ok, "application/json", render_status_json(reg.snapshot(), now_us()) + "\n"};
    if (path == "/metrics")
        return {http::status::ok, std::string(metrics_content_type), render_metrics(reg.snapshot(), now_us())};
    return {http::status::not_found, "text/plain; charset=utf-8", "not found\n"};
}

response make_response(unsigned version, bool keep_alive, bool head, reply r) {
    response res{r.status, version};
    res.set(http::field::server, "sluice");
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    if (head) {
        res.content_length(r.body.size());  // what GET would send, without the body
    } else {
        res.body() = std::move(r.body);
        res.prepare_payload();
    }
    return res;
}

response handle(const request& req, const status_registry& reg) {
    const bool head = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head) {
        response res = make_response(req.version(), req.keep_alive(), false,
                                     {http::status::method_not_allowed, "text/plain; charset=utf-8",
                                      "only GET and HEAD\n"});
        res.set(http::field::allow, "GET, HEAD");
        return res;
    }
    std::string_view path = req.target();
    path = path.substr(0, path.find('?'));
    return make_response(req.version(), req.keep_alive(), head, route(path, reg));
}

// A request the parser rejected: answer why, then the caller closes the connection.
response parse_error_response(const boost::system::error_code& ec) {
    http::status status = http::status::bad_request;
    if (ec == http::error::body_limit) status = http::status::payload_too_large;
    if (ec == http::error::header_limit) status = http::status::request_header_fields_too_large;
    response res = make_response(11, false, false, {status, "text/plain; charset=utf-8", ec.message() + "\n"});
    return res;
}

bool is_parse_error(const boost::system::error_code& ec) {
    static const auto& category = make_error_code(http::error::bad_target).category();
    // end_of_stream / partial_message: the client went away, there is nobody to answer.
    return ec.category() == category && ec != http::error::end_of_stream && ec != http::error::partial_message;
}

std::pair<std::string, std::string> split_listen(const std::string& listen) {
    if (!listen.empty() && listen.front() == '[') {
        const auto close = listen.find("]:");
        if (close == std::string::npos) return {};
        return {listen.substr(1, close - 1), listen.substr(close + 2)};
    }
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return {};
    return {listen.substr(0, colon), listen.substr(colon + 1)};
}

}  // namespace

http_server::http_server(asio::any_io_executor ex, const std::string& listen, const status_registry& reg,
                         http_limits limits)
    : strand_(asio::make_strand(ex)),
      listen_(listen),
      registry_(reg),
      limits_(limits),
      acceptor_(strand_),
      drained_(strand_) {}

void http_server::start() {
    auto [host, port] = split_listen(listen_);
    if (port.empty()) throw error(error_kind::fatal, fmt::format("http.listen '{}': expected host:port", listen_));
    if (host.empty()) host = "0.0.0.0";
    boost::system::error_code ec;
    tcp::resolver resolver(strand_);
    auto results = resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty())
        throw error(error_kind::fatal, fmt::format("http.listen '{}': cannot resolve: {}", listen_, ec.message()));
    const tcp::endpoint endpoint = results.begin()->endpoint();
    auto check = [&](const char* what) {
        if (ec) throw error(error_kind::fatal, fmt::format("http.listen '{}': {}: {}", listen_, what, ec.message()));
    };
    acceptor_.open(endpoint.protocol(), ec);
    check("cannot open socket");
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    check("cannot set SO_REUSEADDR");
    acceptor_.bind(endpoint, ec);
    check("cannot bind");
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    check("cannot listen");
    port_ = acceptor_.local_endpoint(ec).port();
    spdlog::info("http: listening on {}:{}", endpoint.address().to_string(), port_);
}

unsigned short http_server::port() const { return port_; }

asio::awaitable<void> http_server::run() {
    // Every socket of the server lives on strand_, so stop() can close them safely.
    auto accepting = accept_loop();  // named: sluice/coro.hpp
    co_await asio::co_spawn(strand_, std::move(accepting), asio::use_awaitable);
}

void http_server::stop() {
    asio::dispatch(strand_, [this] {
        stopping_ = true;
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        for (auto& entry : sessions_) entry.second->socket().close(ignored);
        if (sessions_.empty()) drained_.cancel();
    });
}

asio::awaitable<void> http_server::accept_loop() {
    while (!stopping_ && acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(tuple_awaitable);
        if (stopping_) break;
        if (ec) {
            // EMFILE and friends: wait instead of spinning; the next accept may succeed.
            spdlog::warn("http: accept failed: {}", ec.message());
            asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
            co_await pause.async_wait(tuple_awaitable);
            continue;
        }
        if (sessions_.size() >= limits_.max_sessions) {
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        const std::uint64_t id = next_session_++;
        auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
        sessions_.emplace(id, stream);
        asio::co_spawn(strand_, session(stream),
                       asio::bind_executor(strand_, [this, id](std::exception_ptr) { session_ended(id); }));
    }
    while (!sessions_.empty()) {
        drained_.expires_at(asio::steady_timer::time_point::max());
        co_await drained_.async_wait(tuple_awaitable);
    }
}

void http_server::session_ended(std::uint64_t id) {
    sessions_.erase(id);
    if (stopping_ && sessions_.empty()) drained_.cancel();
}

asio::awaitable<void> http_server::session(std::shared_ptr<beast::tcp_stream> stream) {
    try {
        beast::flat_buffer buffer;  // one per connection: pipelined requests stay in it
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(limits_.header_limit));
            parser.body_limit(limits_.body_limit);
            stream->expires_after(limits_.request_timeout);
            auto [ec, n] = co_await http::async_read(*stream, buffer, parser, tuple_awaitable);
            if (ec) {
                if (is_parse_error(ec)) {
                    response res = parse_error_response(ec);
                    co_await http::async_write(*stream, res, tuple_awaitable);
                }
                break;
            }
            response res = handle(parser.get(), registry_);
            const bool keep_alive = res.keep_alive() && !stopping_;
            res.keep_alive(keep_alive);
            stream->expires_after(limits_.request_timeout);
            auto [wec, wn] = co_await http::async_write(*stream, res, tuple_awaitable);
            if (wec || !keep_alive) break;
        }
        boost::system::error_code ignored;
        stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream->socket().close(ignored);
    } catch (const std::exception& e) {
        spdlog::debug("http: session ended: {}", e.what());
    }
}

}  // namespace sluice::daemon
