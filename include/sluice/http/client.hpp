#pragma once
// The shared HTTP client of the HTTP/JSON sources (QuestDB, Druid): Boost.Beast
// over a keep-alive connection pool, http:// and https://, basic auth sent up
// front, a timeout on every step, and retries with backoff for the failures a
// retry can fix (429, 5xx, timeouts, dropped connections).
//
// Outcomes of request():
//  - 2xx/3xx and every 4xx except 401/403/429: returned; the caller judges the body.
//  - 401/403: throws sluice::error(fatal) naming the URL and user, never the password.
//  - 429/5xx/timeouts/network errors: retried up to retry.max_attempts, then
//    sluice::error(transient) with the last status or error.
//
// Thread safety: one http_client may be shared by coroutines on any threads of
// its executor's context; the pool is internally synchronised. It must outlive
// every request() it started.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

namespace sluice {

// Spare bytes allocated after every response body, so simdjson On-Demand can
// iterate it in place (equal to SIMDJSON_PADDING; checked in client.cpp).
inline constexpr std::size_t http_body_padding = 64;

struct http_timeouts {
    std::chrono::milliseconds connect{10'000};   // resolve + TCP connect + TLS handshake
    std::chrono::milliseconds request{120'000};  // write the request + read the whole response
};

struct http_retry_policy {
    unsigned max_attempts = 5;                  // total attempts, including the first
    std::chrono::milliseconds initial{250};     // delay before the 2nd attempt
    std::chrono::milliseconds max_delay{15'000};  // cap on any single delay (also on Retry-After)
    double multiplier = 2.0;
    double jitter = 0.2;  // each delay is scaled by a random factor in [1-jitter, 1+jitter]
};

struct http_client_options {
    std::string base_url;  // "https://host:9000" or "http://host:9000/prefix"
    std::string username;  // empty: no Authorization header
    std::string password;
    std::string ca_file;   // https: extra trust anchors (PEM); empty: system store only
    bool verify_tls = true;  // https: verify the chain and the host name
    http_timeouts timeouts;
    http_retry_policy retry;
    std::size_t pool_size = 4;  // max concurrent (and idle kept-alive) connections
    std::size_t body_limit = std::size_t(1) << 30;  // larger responses fail (fatal)
    std::string user_agent = "sluice";
    // Called before each retry with a one-line reason ("HTTP 503 from ...; retry 2/5 in 500ms").
    std::function<void(const std::string&)> on_retry;
};

using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_response {
    unsigned status = 0;
    std::string content_type;
    http_headers headers;
    // The body, with at least http_body_padding bytes of capacity after size():
    // pass simdjson::padded_string_view(body.data(), body.size(), body.capacity()).
    std::string body;

    bool ok() const noexcept { return status >= 200 && status < 300; }
    bool is_json() const noexcept { return content_type.find("json") != std::string::npos; }
    std::string_view header(std::string_view name) const noexcept;  // case-insensitive; "" if absent
};

// Receives a streamed 2xx answer piece by piece: `head` carries the status and
// headers (its body is empty), `piece` the next bytes of the body, in order.
using http_body_handler =
    std::function<boost::asio::awaitable<void>(const http_response& head, std::string_view piece)>;

struct http_client_stats {
    std::size_t connections_opened = 0;
    std::size_t requests_sent = 0;  // attempts on the wire, including retries
};

class http_client {
public:
    // Throws sluice::error(fatal) for a malformed base URL or an unreadable CA file.
    http_client(boost::asio::any_io_executor ex, http_client_options options);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    // `target` is appended to the base URL's path ("/exec?query=..."; already URL-encoded).
    boost::asio::awaitable<http_response> request(boost::beast::http::verb verb, std::string target,
                                                  std::string body = {}, http_headers headers = {});

    // Like request(), for answers too large to hold: a 2xx body goes to `on_body`
    // as it arrives (bounded memory whatever its size; the returned response has
    // an empty body), and the request timeout bounds each wait for the next bytes
    // rather than the whole answer. Statuses are judged and retried as request()
    // does, until the first body bytes were handed on; a failure after that
    // (connection lost, timeout) throws error(transient): the caller starts its
    // read again. Exceptions thrown by `on_body` propagate and close the connection.
    boost::asio::awaitable<http_response> request_streaming(boost::beast::http::verb verb, std::string target,
                                                            std::string body, http_headers headers,
                                                            http_body_handler on_body);

    // For failures only the caller can see (an error inside a 200 body, a malformed
    // body): false once `attempt` (1 = the first) used up the retry policy; else
    // reports `why` through on_retry and waits the policy's jittered delay.
    boost::asio::awaitable<bool> pause_before_retry(unsigned attempt, const std::string& why);

    // "http://host:port" (no credentials), for messages.
    const std::string& origin() const noexcept;
    http_client_stats stats() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Percent-encodes a query-string component (RFC 3986 unreserved kept as is).
std::string url_encode(std::string_view text);

}  // namespace sluice
