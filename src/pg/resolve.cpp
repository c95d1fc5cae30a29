#include "pg/resolve.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sluice/pg/connection.hpp"

namespace sluice::pg {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

bool needs_lookup(std::string_view h) {
    // '/' starts a socket directory, '@' an abstract socket (libpq's own tests).
    if (h.empty() || h.front() == '/' || h.front() == '@') return false;
    boost::system::error_code ec;
    (void)asio::ip::make_address(h, ec);
    return static_cast<bool>(ec);
}

std::vector<std::string> split_list(std::string_view list) {
    std::vector<std::string> out;
    if (list.empty()) return out;
    for (;;) {
        const auto comma = list.find(',');
        out.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

host_targets expand_hosts(const std::vector<std::string>& hosts, const std::vector<std::string>& ports,
                          const std::vector<std::vector<std::string>>& addresses, const std::vector<bool>& failed) {
    host_targets t;
    if (ports.size() > 1 && ports.size() != hosts.size()) {
        // libpq reports the mismatch itself; do not hide it by rewriting the lists.
        t.host = fmt::format("{}", fmt::join(hosts, ","));
        t.port = fmt::format("{}", fmt::join(ports, ","));
        return t;
    }
    std::vector<std::string> host_list, addr_list, port_list;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        if (failed[i]) continue;
        const std::string port = ports.size() == hosts.size() ? ports[i] : "";
        if (addresses[i].empty()) {
            host_list.push_back(hosts[i]);
            addr_list.emplace_back();  // libpq uses the host entry itself
            port_list.push_back(port);
            continue;
        }
        for (const auto& a : addresses[i]) {
            host_list.push_back(hosts[i]);
            addr_list.push_back(a);
            port_list.push_back(port);
        }
    }
    t.host = fmt::format("{}", fmt::join(host_list, ","));
    t.hostaddr = fmt::format("{}", fmt::join(addr_list, ","));
    // One port (or none) stays one entry: libpq applies it to every host.
    if (ports.size() == 1) t.port = ports[0];
    else if (ports.size() == hosts.size() && !ports.empty()) t.port = fmt::format("{}", fmt::join(port_list, ","));
    return t;
}

asio::awaitable<host_targets> resolve_hosts(asio::any_io_executor ex, std::string host, std::string port,
                                            std::chrono::milliseconds timeout) {
    const auto hosts = split_list(host);
    const auto ports = split_list(port);
    std::vector<std::vector<std::string>> addresses(hosts.size());
    std::vector<bool> failed(hosts.size(), false);
    std::string first_error;
    asio::ip::tcp::resolver resolver(ex);
    asio::steady_timer deadline(ex);
    deadline.expires_after(timeout);
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        const std::string& name = hosts[i];
        if (!needs_lookup(name)) continue;
        const std::string_view any_service;
        // as_tuple: `||` waits for the first operation to *succeed*, so a failed lookup
        // must complete normally (with its error code), not by throwing.
        auto r = co_await (resolver.async_resolve(name, any_service, asio::as_tuple(asio::use_awaitable)) ||
                           deadline.async_wait(asio::use_awaitable));
        if (r.index() == 1)
            throw pg_error(error_kind::transient,
                           fmt::format("looking up host name \"{}\": timed out after {} ms", name, timeout.count()),
                           "");
        auto& [ec, results] = std::get<0>(r);
        if (ec) {
            failed[i] = true;
            if (first_error.empty())
                first_error = fmt::format("could not translate host name \"{}\" to address: {}", name, ec.message());
            continue;
        }
        for (const auto& entry : results) {
            std::string a = entry.endpoint().address().to_string();
            if (std::find(addresses[i].begin(), addresses[i].end(), a) == addresses[i].end())
                addresses[i].push_back(std::move(a));
        }
        if (addresses[i].empty()) {
            failed[i] = true;
            if (first_error.empty()) first_error = fmt::format("host name \"{}\" has no address", name);
        }
    }
    if (!hosts.empty() && std::all_of(failed.begin(), failed.end(), [](bool f) { return f; }))
        throw pg_error(error_kind::transient, first_error, "");
    co_return expand_hosts(hosts, ports, addresses, failed);
}

}  // namespace sluice::pg
