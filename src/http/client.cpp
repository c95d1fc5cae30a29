#include "sluice/http/client.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <optional>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "http/connection.hpp"
#include "http/pool.hpp"
#include "http/retry.hpp"
#include "http/url.hpp"
#include "sluice/base64.hpp"
#include "sluice/error.hpp"
#include "sluice/secret_mask.hpp"

namespace sluice {

static_assert(http_body_padding >= simdjson::SIMDJSON_PADDING, "response bodies must be iterable by simdjson in place");

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::use_awaitable;
using namespace http_detail;

namespace {

// "http://user:secret@host" → "http://***@host": the URL may carry the password.
std::string redact_url(std::string_view url) {
    const auto scheme = url.find("://");
    const auto start = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto end = url.find_first_of("/?#", start);
    const auto at = url.substr(0, end).rfind('@');
    if (at == std::string_view::npos || at < start) return std::string(url);
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

std::string shorten(std::string_view s, std::size_t max = 160) {
    if (s.size() <= max) return std::string(s);
    return std::string(s.substr(0, max)) + "...";
}

// One line of the body for messages, with the password masked wherever it stands as
// itself (a misbehaving proxy could echo the request).
std::string body_snippet(std::string_view body, const std::string& password) {
    std::string s = shorten(body, 200);
    std::replace_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    mask_secret(s, password);
    return s;
}

// Errors of a reused connection that mean "the server closed it while idle".
bool is_stale_connection(const boost::system::error_code& ec) {
    return ec == asio::error::eof || ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
           ec == asio::ssl::error::stream_truncated;
}

}  // namespace

std::string_view http_response::header(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers)
        if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
            }))
            return v;
    return {};
}

struct http_client::impl {
    impl(asio::any_io_executor executor, http_client_options o)
        : ex(std::move(executor)), opt(std::move(o)), pool(ex, opt.pool_size) {
        std::string why;
        auto parsed = parse_base_url(opt.base_url, why);
        if (!parsed) throw error(error_kind::fatal, fmt::format("HTTP base URL '{}' {}", redact_url(opt.base_url), why));
        url = std::move(*parsed);
        if (opt.username.empty() && !url.user.empty()) {
            opt.username = url.user;
            opt.password = url.password;
        }
        origin = url.origin();
        if (!opt.username.empty())
            auth = "Basic " + base64_encode(opt.username + ":" + opt.password);
        if (opt.retry.max_attempts == 0) opt.retry.max_attempts = 1;
        if (url.tls) make_tls_context();
    }

    void make_tls_context() {
        tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
        boost::system::error_code ec;
        tls->set_default_verify_paths(ec);  // a missing system store is only fatal if nothing else is trusted
        if (!opt.ca_file.empty()) {
            tls->load_verify_file(opt.ca_file, ec);
            if (ec)
                throw error(error_kind::fatal,
                            fmt::format("{}: cannot load CA file '{}': {}", origin, opt.ca_file, ec.message()));
        }
        tls->set_verify_mode(opt.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
    }

    std::string describe(const boost::system::error_code& ec) const {
        if (ec == boost::beast::error::timeout)
            return fmt::format("timed out (connect timeout {}ms, request timeout {}ms)", opt.timeouts.connect.count(),
                               opt.timeouts.request.count());
        return ec.message();
    }

    // One attempt: a kept-alive connection if there is one, else a new one. A
    // reused connection the server closed while idle is replaced at once; that
    // is not a failed attempt, since the request never reached the server.
    // `on_body` set: a streaming exchange.
    asio::awaitable<http_response> send_once(const request_t& req, const http_body_handler* on_body) {
        auto slot = co_await pool.acquire();
        if (auto conn = pool.take_idle()) {
            try {
                ++sent;
                auto res = co_await exchange(*conn, req, on_body);
                pool.give_back(std::move(conn));
                co_return res;
            } catch (const boost::system::system_error& e) {
                if (conn->response_started() || !is_stale_connection(e.code())) throw;
            }
        }
        auto conn = std::make_unique<connection>(ex, tls.get(), opt.verify_tls);
        ++opened;
        co_await conn->connect(url, opt.timeouts.connect);
        ++sent;
        auto res = co_await exchange(*conn, req, on_body);
        pool.give_back(std::move(conn));
        co_return res;
    }

    asio::awaitable<http_response> exchange(connection& conn, const request_t& req, const http_body_handler* on_body) {
        if (on_body) co_return co_await conn.exchange_streaming(req, opt.timeouts.request, opt.body_limit, *on_body);
        co_return co_await conn.exchange(req, opt.timeouts.request, opt.body_limit);
    }

    // The retry loop of request() and request_streaming(). `streamed`: body
    // bytes handed on so far (a failure after that cannot be retried here).
    asio::awaitable<http_response> perform(bhttp::verb verb, std::string target, std::string body,
                                           http_headers headers, const http_body_handler* on_body,
                                           const std::size_t* streamed);

    asio::awaitable<void> pause(unsigned attempt, const std::string& why,
                                std::optional<std::chrono::milliseconds> retry_after) {
        const auto delay = retry_delay(opt.retry, attempt + 1, random_unit(), retry_after);
        if (opt.on_retry)
            opt.on_retry(fmt::format("{}; retry {}/{} in {}ms", why, attempt + 1, opt.retry.max_attempts,
                                     delay.count()));
        asio::steady_timer timer(ex, delay);
        co_await timer.async_wait(use_awaitable);
    }

    asio::any_io_executor ex;
    http_client_options opt;
    base_url url;
    std::string origin;
    std::string auth;  // "Basic ..." or empty
    std::unique_ptr<asio::ssl::context> tls;
    connection_pool pool;
    std::atomic<std::size_t> opened = 0, sent = 0;
};

http_client::http_client(asio::any_io_executor ex, http_client_options options)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(options))) {}

http_client::~http_client() = default;

const std::string& http_client::origin() const noexcept { return impl_->origin; }

http_client_stats http_client::stats() const { return {impl_->opened.load(), impl_->sent.load()}; }

asio::awaitable<http_response> http_client::request(bhttp::verb verb, std::string target, std::string body,
                                                    http_headers headers) {
    co_return co_await impl_->perform(verb, std::move(target), std::move(body), std::move(headers), nullptr, nullptr);
}

asio::awaitable<http_response> http_client::request_streaming(bhttp::verb verb, std::string target, std::string body,
                                                              http_headers headers, http_body_handler on_body) {
    std::size_t streamed = 0;
    const http_body_handler counting = [&](const http_response& head, std::string_view piece) {
        streamed += piece.size();
        return on_body(head, piece);
    };
    co_return co_await impl_->perform(verb, std::move(target), std::move(body), std::move(headers), &counting,
                                      &streamed);
}

asio::awaitable<http_response> http_client::impl::perform(bhttp::verb verb, std::string target, std::string body,
                                                          http_headers headers, const http_body_handler* on_body,
                                                          const std::size_t* streamed) {
    auto& d = *this;
    if (target.empty() || target.front() != '/') target.insert(target.begin(), '/');
    const std::string what = fmt::format("{} {}{}", std::string_view(bhttp::to_string(verb)), d.origin,
                                         shorten(d.url.path_prefix + target));

    request_t req{verb, d.url.path_prefix + target, 11};
    req.set(bhttp::field::host, d.url.host_header());
    req.set(bhttp::field::user_agent, d.opt.user_agent);
    // QuestDB answers 401 without a WWW-Authenticate challenge, so credentials go on every request.
    if (!d.auth.empty()) req.set(bhttp::field::authorization, d.auth);
    for (auto& [name, value] : headers) req.set(name, value);
    req.keep_alive(true);
    if (!body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put) {
        req.body() = std::move(body);
        req.prepare_payload();
    }

    const auto& policy = d.opt.retry;
    for (unsigned attempt = 1;; ++attempt) {
        std::string failure;
        std::optional<std::chrono::milliseconds> retry_after;
        try {
            auto res = co_await d.send_once(req, on_body);
            if (is_auth_failure(res.status)) {
                const std::string who = d.opt.username.empty()
                                            ? std::string("no credentials are configured")
                                            : fmt::format("user '{}' was rejected; check the username and password",
                                                          d.opt.username);
                throw error(error_kind::fatal, fmt::format("{}: HTTP {} ({}): {}", what, res.status, who,
                                                           body_snippet(res.body, d.opt.password)));
            }
            if (!is_retryable_status(res.status)) co_return res;
            failure = fmt::format("HTTP {}: {}", res.status, body_snippet(res.body, d.opt.password));
            retry_after = parse_retry_after(res.header("Retry-After"));
        } catch (const boost::system::system_error& e) {
            // Cancellation by the caller (shutdown) is not a failure to retry.
            if (e.code() == asio::error::operation_aborted) throw;
            if (e.code() == bhttp::error::body_limit)
                throw error(error_kind::fatal,
                            fmt::format("{}: response larger than the {} byte limit", what, d.opt.body_limit));
            if (streamed && *streamed > 0)
                throw error(error_kind::transient, fmt::format("{}: answer cut off after {} bytes: {}", what,
                                                               *streamed, d.describe(e.code())));
            failure = d.describe(e.code());
        }
        if (attempt >= policy.max_attempts)
            throw error(error_kind::transient,
                        fmt::format("{}: {} (gave up after {} attempt{})", what, failure, attempt,
                                    attempt == 1 ? "" : "s"));
        const std::string why = what + ": " + failure;  // named: g++ 12 mishandles temporaries in co_await
        co_await d.pause(attempt, why, retry_after);
    }
}

asio::awaitable<bool> http_client::pause_before_retry(unsigned attempt, const std::string& why) {
    if (attempt >= impl_->opt.retry.max_attempts) co_return false;
    const std::optional<std::chrono::milliseconds> no_retry_after;
    co_await impl_->pause(attempt, why, no_retry_after);
    co_return true;
}

}  // namespace sluice
