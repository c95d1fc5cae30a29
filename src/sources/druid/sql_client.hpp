#pragma once
// Druid SQL over the shared http_client: POST /druid/v2/sql with a fresh
// sqlQueryId per query, error bodies turned into messages, and cancellation.
//
// Cancellation: when the coroutine running a query is cancelled (SIGTERM after
// the grace period, the watchdog, a failed sibling window), the query may go on
// running inside Druid. post() then sends DELETE /druid/v2/sql/{sqlQueryId}
// (best effort, at most cancel_timeout) before passing the cancellation on;
// the caller's coroutine waits for it, so it is on the wire before the process
// exits and before the http_client (owned by the source) goes away.

#include <chrono>
#include <map>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "sluice/http/client.hpp"
#include "sources/druid/result_parser.hpp"

namespace sluice::druid {

class sql_client {
public:
    // `query_context`: configured context entries (JSON texts); `source` prefixes log lines.
    sql_client(http_client& http, std::map<std::string, std::string> query_context, std::string source)
        : http_(http), query_context_(std::move(query_context)), source_(std::move(source)) {}

    // A 2xx answer, else throws: error(fatal) with Druid's message for a rejected
    // query (400: the SQL, unknown table/column) and any other status the HTTP
    // client returns; 401/403/429/5xx are the client's (fatal / retried).
    // `context` and `doing` prefix messages.
    boost::asio::awaitable<http_response> post(const std::string& sql, const std::string& context,
                                               const std::string& doing);
    // post() for answers of any size: sent with resultFormat arrayLines, and a
    // 2xx body goes to `on_body` piece by piece as it arrives (see
    // http_client::request_streaming: a failure after the first piece throws
    // error(transient)). Other statuses and cancellation as post().
    boost::asio::awaitable<void> post_streaming(const std::string& sql, const std::string& context,
                                                const std::string& doing, http_body_handler on_body);
    // post() + the whole answer as text (catalog, counts, bounds).
    boost::asio::awaitable<text_result> query_text(const std::string& sql, const std::string& context,
                                                   const std::string& doing);

    http_client& http() { return http_; }
    std::chrono::milliseconds cancel_timeout{5000};

private:
    boost::asio::awaitable<http_response> send(const std::string& sql, const std::string& context,
                                               const std::string& doing, const http_body_handler* on_body);
    // Needs a cancellation state that is not cancelled (see post()).
    boost::asio::awaitable<void> cancel(const std::string& query_id, const std::string& context);

    http_client& http_;
    std::map<std::string, std::string> query_context_;
    std::string source_;
};

}  // namespace sluice::druid
