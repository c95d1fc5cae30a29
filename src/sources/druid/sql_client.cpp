#include "sources/druid/sql_client.hpp"

#include <variant>

#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sources/druid/errors.hpp"
#include "sources/druid/request.hpp"

namespace sluice::druid {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

[[noreturn]] void throw_status(const http_response& resp, const std::string& where) {
    if (const auto e = parse_error_body(resp.body))
        throw error(error_kind::fatal, fmt::format("{}: Druid rejected the query: {}", where, e->describe()));
    std::string snippet = resp.body.substr(0, 200);
    for (auto& c : snippet)
        if (c == '\n' || c == '\r') c = ' ';
    throw error(error_kind::fatal, where + (snippet.empty() ? "" : ": " + snippet));
}

}  // namespace

asio::awaitable<http_response> sql_client::post(const std::string& sql, const std::string& context,
                                                const std::string& doing) {
    co_return co_await send(sql, context, doing, nullptr);
}

asio::awaitable<void> sql_client::post_streaming(const std::string& sql, const std::string& context,
                                                 const std::string& doing, http_body_handler on_body) {
    co_await send(sql, context, doing, &on_body);
}

asio::awaitable<http_response> sql_client::send(const std::string& sql, const std::string& context,
                                                const std::string& doing, const http_body_handler* on_body) {
    const std::string query_id = new_query_id();
    std::string body = build_request_body(sql, query_id, query_context_,
                                          on_body ? result_format::array_lines : result_format::array);
    const http_headers headers{{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    const std::string target = "/druid/v2/sql";
    http_response resp;
    bool cancelled = false;
    std::exception_ptr failure;
    try {
        // Built outside the co_await: g++ 12 may destroy temporaries in it twice.
        auto sent = on_body ? http_.request_streaming(bhttp::verb::post, target, std::move(body), headers, *on_body)
                            : http_.request(bhttp::verb::post, target, std::move(body), headers);
        resp = co_await std::move(sent);
    } catch (const boost::system::system_error& e) {
        cancelled = e.code() == asio::error::operation_aborted;
        failure = std::current_exception();
    }
    // Outside the catch: g++ 12 cannot co_await inside a handler.
    if (cancelled) {
        // A cancelled state makes every co_await throw at once, this one included: start afresh.
        co_await asio::this_coro::reset_cancellation_state();
        co_await cancel(query_id, context);
    }
    if (failure) std::rethrow_exception(failure);
    if (resp.ok()) co_return resp;
    const std::string where =
        fmt::format("{}: {}: HTTP {} from {}", context, doing, resp.status, http_.origin());
    throw_status(resp, where);
}

asio::awaitable<text_result> sql_client::query_text(const std::string& sql, const std::string& context,
                                                    const std::string& doing) {
    const auto resp = co_await post(sql, context, doing);
    result_parser parser;
    co_return parser.parse_text(resp, result_format::array, context + ": " + doing);
}

asio::awaitable<void> sql_client::cancel(const std::string& query_id, const std::string& context) {
    using namespace asio::experimental::awaitable_operators;
    const auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex, cancel_timeout);
    const std::string target = "/druid/v2/sql/" + url_encode(query_id);
    std::string outcome;
    try {
        auto del = http_.request(bhttp::verb::delete_, target);
        auto deadline = timer.async_wait(asio::use_awaitable);
        auto race = std::move(del) || std::move(deadline);
        auto result = co_await std::move(race);
        if (result.index() == 0) {
            const auto& r = std::get<0>(result);
            // 202: cancelled; 404: the query had already finished (or never started).
            outcome = r.status == 202 ? "accepted" : r.status == 404 ? "already finished" : fmt::format("HTTP {}", r.status);
        } else {
            outcome = fmt::format("no answer within {} ms", cancel_timeout.count());
        }
    } catch (const std::exception& e) {
        outcome = std::string("failed: ") + e.what();
    }
    spdlog::info("{}: query {} interrupted; DELETE /druid/v2/sql/{}: {}", context, query_id, query_id, outcome);
}

}  // namespace sluice::druid
