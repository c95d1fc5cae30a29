#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

#include "daemon/http_server.hpp"
#include "sluice/error.hpp"

using namespace sluice::daemon;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

std::int64_t now_us() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

void populate(status_registry& reg) {
    reg.set_global([](status_snapshot& s) {
        s.config_generation = 1;
        s.config_file = "sluice.yaml";
        s.config_loaded = true;
        s.destination_reachable = true;
        s.started_us = now_us();
    });
    reg.update("pg", "orders", [](table_status& t) {
        t.state = table_state::idle;
        t.rows_synced = 42;
        t.cursor = R"({"id":[42]})";
    });
}

// A server on 127.0.0.1:0 run by a background thread, stopped by the destructor.
struct running_server {
    explicit running_server(status_registry& reg, http_limits limits = {})
        : server(ioc.get_executor(), "127.0.0.1:0", reg, limits) {
        server.start();
        asio::co_spawn(ioc, server.run(), [this](std::exception_ptr) { finished = true; });
        thread = std::thread([this] { ioc.run(); });
    }
    ~running_server() {
        server.stop();
        thread.join();
    }
    asio::io_context ioc;
    http_server server;
    std::atomic<bool> finished = false;
    std::thread thread;
};

struct client {
    explicit client(unsigned short port) : socket(ioc) { socket.connect({asio::ip::make_address("127.0.0.1"), port}); }

    http::response<http::string_body> request(http::verb verb, const std::string& target, std::string body = {}) {
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "localhost");
        req.body() = std::move(body);
        req.prepare_payload();
        http::write(socket, req);
        return read_response(verb == http::verb::head);
    }
    http::response<http::string_body> read_response(bool head = false) {
        http::response_parser<http::string_body> parser;
        parser.skip(head);
        http::read(socket, buffer, parser);
        return parser.release();
    }
    void send_raw(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
    bool closed_by_peer() {  // true once the server closed the connection
        char c;
        boost::system::error_code ec;
        socket.read_some(asio::buffer(&c, 1), ec);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }

    asio::io_context ioc;
    tcp::socket socket;
    beast::flat_buffer buffer;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("http server: routes, methods, keep-alive") {
    status_registry reg;
    populate(reg);
    running_server srv(reg);
    REQUIRE(srv.server.port() != 0);
    client c(srv.server.port());

    auto res = c.request(http::verb::get, "/healthz");
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == "ok\n");

    res = c.request(http::verb::get, "/readyz");  // same connection: keep-alive
    CHECK(res.result() == http::status::ok);

    res = c.request(http::verb::get, "/status?pretty=0");
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "application/json");
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(res.body());
    CHECK(uint64_t(doc["tables"].at(0)["rows_synced"]) == 42);
    CHECK(uint64_t(doc["tables"].at(0)["cursor"]["id"].at(0)) == 42);

    res = c.request(http::verb::get, "/metrics");
    CHECK(res.result() == http::status::ok);
    CHECK(res.body().find("sluice_rows_synced_total{source=\"pg\",table=\"orders\"} 42\n") != std::string::npos);

    res = c.request(http::verb::head, "/status");
    CHECK(res.result() == http::status::ok);
    CHECK(res.body().empty());
    CHECK(res[http::field::content_length] != "0");

    CHECK(c.request(http::verb::get, "/nope").result() == http::status::not_found);
    res = c.request(http::verb::post, "/status", "x=1");
    CHECK(res.result() == http::status::method_not_allowed);
    CHECK(res[http::field::allow] == "GET, HEAD");
    CHECK(c.request(http::verb::get, "/healthz").result() == http::status::ok);  // still open
}

TEST_CASE("http server: pipelined requests are answered in order") {
    status_registry reg;
    populate(reg);
    running_server srv(reg);
    client c(srv.server.port());
    c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(c.read_response().result() == http::status::ok);
    CHECK(c.read_response().result() == http::status::not_found);
    CHECK(c.read_response().result() == http::status::ok);
}

TEST_CASE("http server: /readyz explains why it is not ready") {
    status_registry reg;
    populate(reg);
    reg.set_global([](status_snapshot& s) { s.destination_reachable = false; });
    running_server srv(reg);
    client c(srv.server.port());
    auto res = c.request(http::verb::get, "/readyz");
    CHECK(res.result() == http::status::service_unavailable);
    CHECK(res.body().find("destination unreachable") != std::string::npos);
}

TEST_CASE("http server: malformed requests get 400 and the connection is closed") {
    status_registry reg;
    populate(reg);
    running_server srv(reg);
    client c(srv.server.port());
    c.send_raw("GARBAGE\x01 / HTTP/1.1\r\n\r\n");
    auto res = c.read_response();
    CHECK(res.result() == http::status::bad_request);
    CHECK(c.closed_by_peer());

    client big(srv.server.port());
    big.send_raw("POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    CHECK(big.read_response().result() == http::status::payload_too_large);

    client ok(srv.server.port());
    CHECK(ok.request(http::verb::get, "/healthz").result() == http::status::ok);
}

TEST_CASE("http server: a slow client holds only its own session, then times out") {
    status_registry reg;
    populate(reg);
    http_limits limits;
    limits.request_timeout = std::chrono::milliseconds(700);
    running_server srv(reg, limits);

    client slow(srv.server.port());
    slow.send_raw("GET /status HTTP/1.1\r\nHost: x\r\n");  // the blank line never comes
    const auto start = std::chrono::steady_clock::now();
    client fast(srv.server.port());
    CHECK(fast.request(http::verb::get, "/status").result() == http::status::ok);
    CHECK(seconds_since(start) < 0.5);
    CHECK(slow.closed_by_peer());
    CHECK(seconds_since(start) < 3.0);

    client idle(srv.server.port());  // an idle keep-alive connection is dropped too
    CHECK(idle.closed_by_peer());
}

TEST_CASE("http server: sessions beyond the cap are refused, others still served") {
    status_registry reg;
    populate(reg);
    http_limits limits;
    limits.max_sessions = 2;
    running_server srv(reg, limits);
    client a(srv.server.port()), b(srv.server.port());
    CHECK(a.request(http::verb::get, "/healthz").result() == http::status::ok);
    CHECK(b.request(http::verb::get, "/healthz").result() == http::status::ok);
    client extra(srv.server.port());
    CHECK(extra.closed_by_peer());
    CHECK(a.request(http::verb::get, "/healthz").result() == http::status::ok);
}

TEST_CASE("http server: stop() ends run() with sessions open; a busy port is an error naming it") {
    status_registry reg;
    populate(reg);
    auto srv = std::make_unique<running_server>(reg);
    client open(srv->server.port());
    CHECK(open.request(http::verb::get, "/healthz").result() == http::status::ok);

    asio::io_context other;
    const std::string taken = "127.0.0.1:" + std::to_string(srv->server.port());
    http_server clash(other.get_executor(), taken, reg);
    try {
        clash.start();
        FAIL("start() on a busy port should throw");
    } catch (const sluice::error& e) {
        CHECK(std::string(e.what()).find(taken) != std::string::npos);
    }
    http_server nonsense(other.get_executor(), "no-port-here", reg);
    CHECK_THROWS_AS(nonsense.start(), sluice::error);

    const auto start = std::chrono::steady_clock::now();
    srv->server.stop();
    srv->thread.join();
    CHECK(srv->finished);
    CHECK(seconds_since(start) < 2.0);
    CHECK(open.closed_by_peer());
    srv->thread = std::thread([] {});  // the destructor stops and joins again
}
