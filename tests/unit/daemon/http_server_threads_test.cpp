// The daemon's HTTP server as the daemon runs it: on a multi-threaded pool, answering
// several clients at once while table tasks update the status registry from other
// threads, then stopped from yet another thread with sessions still open. The answers
// must stay well-formed; the ThreadSanitizer build (tests/tsan) watches the rest.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "daemon/http_server.hpp"

using namespace sluice::daemon;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

TEST_CASE("http server on a thread pool: concurrent clients while the registry changes") {
    status_registry reg;
    reg.set_global([](status_snapshot& s) {
        s.config_generation = 1;
        s.config_loaded = true;
        s.destination_reachable = true;
    });
    asio::thread_pool pool(3);
    http_server server(pool.get_executor(), "127.0.0.1:0", reg);
    server.start();
    auto running = asio::co_spawn(pool, server.run(), asio::use_future);

    std::atomic<bool> done{false};
    std::thread writer([&] {  // table tasks reporting progress
        for (std::uint64_t n = 0; !done; ++n) {
            reg.update("pg", "t" + std::to_string(n % 5), [n](table_status& t) {
                t.rows_synced = n;
                t.cursor = "{\"v\":1,\"n\":" + std::to_string(n) + "}";
                t.last_error = n % 2 ? "" : "transient";
            });
            if (n % 7 == 0) reg.remove("pg", "t" + std::to_string(n % 5));
        }
    });
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&, c] {
            asio::io_context ioc;
            tcp::socket s(ioc);
            s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
            boost::beast::flat_buffer buf;
            for (int i = 0; i < 40; ++i) {
                http::request<http::string_body> req{http::verb::get, (i + c) % 2 ? "/status" : "/metrics", 11};
                req.set(http::field::host, "localhost");
                http::write(s, req);
                http::response<http::string_body> res;
                http::read(s, buf, res);
                if (res.result() == http::status::ok && !res.body().empty()) ++ok;
            }
        });
    }
    for (auto& t : clients) t.join();
    done = true;
    writer.join();
    CHECK(ok == 160);

    // Stopped from a thread of its own while a client is still connected.
    asio::io_context ioc;
    tcp::socket idle(ioc);
    idle.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    std::thread stopper([&] { server.stop(); });
    stopper.join();
    running.get();
    pool.join();
}
