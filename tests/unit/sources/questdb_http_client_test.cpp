// The shared HTTP client (used by the QuestDB and Druid sources) against a tiny
// scripted server on 127.0.0.1:0 that writes raw HTTP bytes, so chunking,
// keep-alive and broken connections are exactly what the test says.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include "http/retry.hpp"
#include "http/url.hpp"
#include "sluice/base64.hpp"
#include "sluice/error.hpp"
#include "sluice/http/client.hpp"
#include "sources/questdb/response_parser.hpp"
#include "loopback_server.hpp"

using namespace sluice;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

// What the scripted server does with one request.
struct action {
    enum kind { respond, close_mid_body, stall } what = respond;
    unsigned status = 200;
    std::string body = R"({"ddl":"OK"})";
    bool keep_alive = true;       // advertised (no "Connection: close")
    bool close_after = false;     // close the socket after answering even if keep-alive was advertised
    std::string content_type = "application/json; charset=utf-8";
    std::string extra_headers;    // "Name: value\r\n"...
};

// QuestDB's framing: always chunked, no Content-Length. Small chunks so the
// client's decoder sees several.
std::string chunked_response(const action& a) {
    std::string out = fmt::format("HTTP/1.1 {} Status\r\nServer: questDB/1.0\r\nTransfer-Encoding: chunked\r\n"
                                  "Content-Type: {}\r\n{}{}\r\n",
                                  a.status, a.content_type, a.extra_headers,
                                  a.keep_alive ? "Keep-Alive: timeout=5, max=10000\r\n" : "Connection: close\r\n");
    for (std::size_t i = 0; i < a.body.size(); i += 7) {
        const auto piece = a.body.substr(i, 7);
        out += fmt::format("{:02x}\r\n{}\r\n", piece.size(), piece);
    }
    out += "00\r\n\r\n";
    return out;
}

class test_server {
public:
    using handler = std::function<action(const bhttp::request<bhttp::string_body>&, int index)>;

    explicit test_server(handler h) : handler_(std::move(h)) { port = server_.port(); }

    std::string url() const { return server_.url(); }
    std::vector<std::string> authorizations() {
        const std::lock_guard lock(mutex_);
        return auth_;
    }

    unsigned short port = 0;
    std::atomic<int> requests = 0;
    int connections() const { return server_.connections(); }

private:

    asio::awaitable<void> session(tcp::socket s) {
        boost::beast::flat_buffer buf;
        try {
            for (;;) {
                bhttp::request<bhttp::string_body> req;
                co_await bhttp::async_read(s, buf, req, use_awaitable);
                const int index = requests++;
                {
                    const std::lock_guard lock(mutex_);
                    auth_.emplace_back(req[bhttp::field::authorization]);
                }
                const action a = handler_(req, index);
                const std::string raw = chunked_response(a);
                if (a.what == action::close_mid_body) {
                    // Headers and part of the body, then the connection drops.
                    co_await asio::async_write(s, asio::buffer(raw.data(), raw.size() / 2), use_awaitable);
                    co_return;
                }
                if (a.what == action::stall) {
                    asio::steady_timer t(s.get_executor(), 30s);
                    co_await t.async_wait(use_awaitable);
                    co_return;
                }
                co_await asio::async_write(s, asio::buffer(raw), use_awaitable);
                if (!a.keep_alive || a.close_after) co_return;
            }
        } catch (const std::exception&) {
            // Client went away: end of session.
        }
    }

    handler handler_;
    std::mutex mutex_;
    std::vector<std::string> auth_;
    test::loopback_server server_{[this](tcp::socket s) { return session(std::move(s)); }};
};

http_client_options options_for(const test_server& s) {
    http_client_options o;
    o.base_url = s.url();
    o.timeouts.connect = 5s;
    o.timeouts.request = 5s;
    o.retry.max_attempts = 3;
    o.retry.initial = 1ms;
    o.retry.max_delay = 20ms;
    o.pool_size = 2;
    return o;
}

// Runs `fn(client)` to completion on a fresh io_context; rethrows its exception.
template <class T>
T run(http_client_options opt, std::function<asio::awaitable<T>(http_client&)> fn) {
    asio::io_context ioc;
    http_client client(ioc.get_executor(), std::move(opt));
    auto fut = asio::co_spawn(ioc, fn(client), asio::use_future);
    ioc.run();
    return fut.get();
}

http_response get_once(http_client_options opt, std::string target = "/exec?query=select+1") {
    return run<http_response>(std::move(opt), [target](http_client& c) -> asio::awaitable<http_response> {
        co_return co_await c.request(bhttp::verb::get, target);
    });
}

}  // namespace

TEST_CASE("http client: keep-alive reuses one connection for two requests") {
    test_server server([](const auto& req, int i) {
        action a;
        a.body = fmt::format(R"({{"n":{},"target":"{}"}})", i, std::string(req.target()));
        return a;
    });
    const auto bodies = run<std::vector<std::string>>(options_for(server), [](http_client& c) -> asio::awaitable<std::vector<std::string>> {
        std::vector<std::string> out;
        for (int i = 0; i < 2; ++i) {
            auto r = co_await c.request(bhttp::verb::get, "/exec?query=select+" + std::to_string(i));
            CHECK(r.status == 200);
            CHECK(r.is_json());
            CHECK(r.body.capacity() >= r.body.size() + http_body_padding);
            out.push_back(r.body);
        }
        CHECK(c.stats().connections_opened == 1);
        co_return out;
    });
    CHECK(bodies == std::vector<std::string>{R"({"n":0,"target":"/exec?query=select+0"})",
                                             R"({"n":1,"target":"/exec?query=select+1"})"});
    CHECK(server.connections() == 1);
    CHECK(server.requests == 2);
}

TEST_CASE("http client: a chunked QuestDB response is decoded and parses in place") {
    const std::string json = R"({"query":"select * from t","columns":[{"name":"ts","type":"TIMESTAMP"},)"
                             R"({"name":"n","type":"LONG"}],"timestamp":0,"dataset":[["2024-01-01T00:00:00.000000Z",)"
                             R"(9223372036854775807],["2024-01-02T00:00:00.000000Z",null]],"count":2})";
    test_server server([&](const auto&, int) {
        action a;
        a.body = json;
        return a;
    });
    const auto res = get_once(options_for(server));
    CHECK(res.body == json);
    CHECK(res.header("transfer-encoding") == "chunked");
    CHECK(res.header("Content-Length").empty());

    questdb::exec_response_parser parser;
    std::unique_ptr<batch> b;
    const auto r = parser.parse(res.body, "test", [&](const std::vector<questdb::exec_column>& cols) {
        auto s = std::make_shared<table_schema>();
        for (const auto& c : cols) s->columns.push_back(column{c.name, c.mapped.model, c.type, true});
        b = std::make_unique<batch>(s);
        return b.get();
    });
    REQUIRE(r.rows == 2);
    CHECK(b->at(0, 1).i == std::numeric_limits<std::int64_t>::max());
    CHECK(b->at(1, 1).is_null());
}

TEST_CASE("http client: basic auth is sent on the first request, without a challenge") {
    test_server server([](const auto&, int) { return action{}; });
    auto opt = options_for(server);
    opt.username = "admin";
    opt.password = "quest";
    get_once(opt);
    const auto auth = server.authorizations();
    REQUIRE(auth.size() == 1);
    CHECK(auth[0] == "Basic " + base64_encode("admin:quest"));
    CHECK(server.connections() == 1);
}

TEST_CASE("http client: 401 without WWW-Authenticate is fatal at once and never shows the password") {
    test_server server([](const auto&, int) {
        action a;
        a.status = 401;
        a.body = "Unauthorized";
        a.content_type = "text/plain; charset=utf-8";
        a.keep_alive = false;
        return a;
    });
    auto opt = options_for(server);
    opt.username = "admin";
    opt.password = "s3cr3t-pw";
    try {
        get_once(opt);
        FAIL("expected an error");
    } catch (const error& e) {
        const std::string msg = e.what();
        CHECK(e.kind() == error_kind::fatal);
        CHECK(msg.find("401") != std::string::npos);
        CHECK(msg.find("admin") != std::string::npos);
        CHECK(msg.find("s3cr3t-pw") == std::string::npos);
        CHECK(msg.find(base64_encode("admin:s3cr3t-pw")) == std::string::npos);
    }
    CHECK(server.requests == 1);  // no retry

    // Credentials in the URL are used the same way and never echoed.
    opt.username.clear();
    opt.password.clear();
    opt.base_url = fmt::format("http://admin:url-pw@127.0.0.1:{}", server.port);
    try {
        get_once(opt);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(std::string(e.what()).find("url-pw") == std::string::npos);
    }
    CHECK(server.authorizations().back() == "Basic " + base64_encode("admin:url-pw"));
}

TEST_CASE("http client: 429 then 200 succeeds after one retry") {
    test_server server([](const auto&, int i) {
        action a;
        if (i == 0) {
            a.status = 429;
            a.body = "slow down";
            a.extra_headers = "Retry-After: 0\r\n";
        }
        return a;
    });
    std::vector<std::string> retries;
    auto opt = options_for(server);
    opt.on_retry = [&](const std::string& m) { retries.push_back(m); };
    const auto res = get_once(opt);
    CHECK(res.status == 200);
    CHECK(server.requests == 2);
    REQUIRE(retries.size() == 1);
    CHECK(retries[0].find("HTTP 429") != std::string::npos);
}

TEST_CASE("http client: 500 beyond the attempt bound is a transient error") {
    test_server server([](const auto&, int) {
        action a;
        a.status = 500;
        a.body = R"({"error":"internal"})";
        return a;
    });
    try {
        get_once(options_for(server));
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::transient);
        CHECK(std::string(e.what()).find("HTTP 500") != std::string::npos);
        CHECK(std::string(e.what()).find("3 attempts") != std::string::npos);
    }
    CHECK(server.requests == 3);
}

TEST_CASE("http client: other 4xx are returned to the caller without retry") {
    test_server server([](const auto&, int) {
        action a;
        a.status = 400;
        a.body = R"({"query":"x","error":"Invalid column: x","position":7})";
        return a;
    });
    const auto res = get_once(options_for(server));
    CHECK(res.status == 400);
    CHECK(res.body.find("Invalid column") != std::string::npos);
    CHECK(server.requests == 1);
}

TEST_CASE("http client: a connection dropped mid-response is retried") {
    test_server server([](const auto&, int i) {
        action a;
        a.body = R"({"query":"q","columns":[{"name":"a","type":"INT"}],"timestamp":-1,"dataset":[[1],[2],[3]],"count":3})";
        if (i == 0) a.what = action::close_mid_body;
        return a;
    });
    const auto res = get_once(options_for(server));
    CHECK(res.status == 200);
    CHECK(res.body.find("\"count\":3}") != std::string::npos);
    CHECK(server.requests == 2);
    CHECK(server.connections() == 2);
}

TEST_CASE("http client: a kept-alive connection the server closed is replaced without using an attempt") {
    test_server server([](const auto&, int) {
        action a;
        a.close_after = true;  // advertises keep-alive, then closes (idle timeout)
        return a;
    });
    auto opt = options_for(server);
    opt.retry.max_attempts = 1;  // the replacement must not count as a retry
    run<int>(opt, [](http_client& c) -> asio::awaitable<int> {
        co_await c.request(bhttp::verb::get, "/exec?query=a");
        // Let the server's FIN arrive, as after an idle period.
        asio::steady_timer t(co_await asio::this_coro::executor, 50ms);
        co_await t.async_wait(use_awaitable);
        const auto r = co_await c.request(bhttp::verb::get, "/exec?query=b");
        CHECK(r.status == 200);
        co_return 0;
    });
    CHECK(server.requests == 2);
    CHECK(server.connections() == 2);
}

TEST_CASE("http client: a request that times out is a transient error") {
    test_server server([](const auto&, int) {
        action a;
        a.what = action::stall;
        return a;
    });
    auto opt = options_for(server);
    opt.timeouts.request = 200ms;
    opt.retry.max_attempts = 2;
    const auto start = std::chrono::steady_clock::now();
    try {
        get_once(opt);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::transient);
        CHECK(std::string(e.what()).find("timed out") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - start < 20s);  // generous: the server stalls for 30s
    CHECK(server.requests == 2);
}

TEST_CASE("http client: connection refused is retried and then transient; a bad URL is fatal") {
    tcp::endpoint free_port;
    {
        asio::io_context ioc;
        tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        free_port = a.local_endpoint();
    }
    http_client_options opt;
    opt.base_url = fmt::format("http://127.0.0.1:{}", free_port.port());
    opt.retry.max_attempts = 2;
    opt.retry.initial = 1ms;
    try {
        get_once(opt);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::transient);
        CHECK(std::string(e.what()).find("2 attempts") != std::string::npos);
    }

    asio::io_context ioc;
    opt.base_url = "ftp://user:pw@host";
    try {
        http_client c(ioc.get_executor(), opt);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::fatal);
        CHECK(std::string(e.what()).find("pw@") == std::string::npos);
    }
}

TEST_CASE("http retry: backoff grows, is jittered, capped, and honours Retry-After") {
    using http_detail::retry_delay;
    http_retry_policy p;
    p.initial = 100ms;
    p.multiplier = 2.0;
    p.max_delay = 1000ms;
    p.jitter = 0.2;
    CHECK(retry_delay(p, 2, 0.5) == 100ms);
    CHECK(retry_delay(p, 3, 0.5) == 200ms);
    CHECK(retry_delay(p, 4, 0.0) == 320ms);  // 400 * 0.8
    CHECK(retry_delay(p, 4, 0.999) <= 480ms);
    CHECK(retry_delay(p, 30, 0.999) == 1000ms);  // capped, no overflow
    CHECK(retry_delay(p, 2, 0.5, 700ms) == 700ms);
    CHECK(retry_delay(p, 2, 0.5, 60s) == 1000ms);
    CHECK(http_detail::is_retryable_status(429));
    CHECK(http_detail::is_retryable_status(503));
    CHECK_FALSE(http_detail::is_retryable_status(404));
    CHECK(http_detail::is_auth_failure(403));
    CHECK(http_detail::parse_retry_after(" 3 ") == 3000ms);
    CHECK_FALSE(http_detail::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
}

TEST_CASE("http url: base URLs, defaults and credentials") {
    std::string why;
    auto u = http_detail::parse_base_url("https://db.example.com/questdb/", why);
    REQUIRE(u);
    CHECK(u->tls);
    CHECK(u->port == "443");
    CHECK(u->path_prefix == "/questdb");
    CHECK(u->host_header() == "db.example.com");
    u = http_detail::parse_base_url("http://a%40b:p%3Aw@[::1]:9000", why);
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->port == "9000");
    CHECK(u->user == "a@b");
    CHECK(u->password == "p:w");
    CHECK(u->origin() == "http://[::1]:9000");
    CHECK_FALSE(http_detail::parse_base_url("localhost:9000", why));
    CHECK_FALSE(http_detail::parse_base_url("http://host:99999", why));
    CHECK_FALSE(http_detail::parse_base_url("http://:80", why));
    CHECK(url_encode("select * from t where s='a b'") == "select%20%2A%20from%20t%20where%20s%3D%27a%20b%27");
}
