#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "pg/resolve.hpp"
#include "sluice/pg/connection.hpp"

using namespace sluice::pg;
namespace asio = boost::asio;

TEST_CASE("which host entries are names to look up") {
    CHECK(needs_lookup("db.example.com"));
    CHECK(needs_lookup("localhost"));
    CHECK_FALSE(needs_lookup(""));                  // libpq's default
    CHECK_FALSE(needs_lookup("/var/run/postgresql"));  // socket directory
    CHECK_FALSE(needs_lookup("@abstract"));
    CHECK_FALSE(needs_lookup("10.0.0.5"));
    CHECK_FALSE(needs_lookup("::1"));
}

TEST_CASE("libpq's comma lists") {
    CHECK(split_list("").empty());
    CHECK(split_list("a") == std::vector<std::string>{"a"});
    CHECK(split_list("a,,b") == std::vector<std::string>{"a", "", "b"});
}

TEST_CASE("each address of a name becomes a host entry, names kept for TLS and .pgpass") {
    const std::vector<std::string> hosts{"db1", "/tmp", "10.0.0.5", "db2"};
    const std::vector<std::vector<std::string>> addrs{{"10.1.1.1", "10.1.1.2"}, {}, {}, {"10.2.2.2"}};
    const std::vector<bool> ok(4, false);

    auto one_port = expand_hosts(hosts, {"6432"}, addrs, ok);
    CHECK(one_port.host == "db1,db1,/tmp,10.0.0.5,db2");
    CHECK(one_port.hostaddr == "10.1.1.1,10.1.1.2,,,10.2.2.2");  // empty: libpq uses the entry itself
    CHECK(one_port.port == "6432");                               // one port applies to every host

    auto no_port = expand_hosts(hosts, {}, addrs, ok);
    CHECK(no_port.port.empty());

    auto per_host = expand_hosts({"a", "b"}, {"1", "2"}, {{"x1", "x2"}, {"y"}}, {false, false});
    CHECK(per_host.host == "a,a,b");
    CHECK(per_host.hostaddr == "x1,x2,y");
    CHECK(per_host.port == "1,1,2");  // each address keeps its host's port

    // A host whose lookup failed is skipped, as libpq skips it.
    auto skipped = expand_hosts({"gone", "b"}, {"1", "2"}, {{}, {"y"}}, {true, false});
    CHECK(skipped.host == "b");
    CHECK(skipped.hostaddr == "y");
    CHECK(skipped.port == "2");

    // A port list that does not match is libpq's error to report: passed through.
    auto mismatch = expand_hosts({"a", "b", "c"}, {"1", "2"}, {{"x"}, {"y"}, {"z"}}, {false, false, false});
    CHECK(mismatch.host == "a,b,c");
    CHECK(mismatch.hostaddr.empty());
    CHECK(mismatch.port == "1,2");
}

namespace {

template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
    std::optional<T> out;
    std::exception_ptr err;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        err = e;
        if (!e) out = std::move(v);
    });
    io.run();
    io.restart();
    if (err) std::rethrow_exception(err);
    return std::move(*out);
}

}  // namespace

TEST_CASE("resolve_hosts looks names up asynchronously") {
    asio::io_context io;
    // localhost comes from /etc/hosts: no network needed.
    auto t = run(io, resolve_hosts(io.get_executor(), "localhost,/tmp", "5432", std::chrono::seconds(5)));
    CHECK(t.host.starts_with("localhost"));
    CHECK(t.host.ends_with(",/tmp"));
    const bool loopback = t.hostaddr.find("127.0.0.1") != std::string::npos || t.hostaddr.find("::1") != std::string::npos;
    CHECK(loopback);
    CHECK(t.port == "5432");

    try {
        run(io, resolve_hosts(io.get_executor(), "no-such-host.invalid", "", std::chrono::seconds(5)));
        FAIL("expected a lookup failure");
    } catch (const pg_error& e) {
        CHECK(e.kind() == sluice::error_kind::transient);  // DNS may come back: retried with backoff
        CHECK(std::string(e.what()).find("\"no-such-host.invalid\"") != std::string::npos);
    }
}
