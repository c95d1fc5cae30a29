#pragma once
// Host names are resolved by Asio before libpq sees them. libpq calls
// getaddrinfo() inside PQconnectStartParams/PQconnectPoll, i.e. on the pool
// thread that runs the connecting coroutine: a slow or unreachable DNS server
// would stall every table on that thread for as long as the resolver waits.
// Asio's async_resolve runs getaddrinfo on its own internal thread instead.
//
// libpq is then given `hostaddr` (the addresses) next to `host` (the names, kept
// for TLS verify-full, Kerberos and .pgpass lookups), so it does no lookup of
// its own. A name with several addresses becomes several host entries, tried in
// order, as libpq itself would try them.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace sluice::pg {

// What libpq gets for "host", "hostaddr" and "port" (comma-separated lists).
struct host_targets {
    std::string host;
    std::string hostaddr;
    std::string port;  // empty: libpq's default for every host
};

// Whether a host entry is a name for DNS (not a socket directory, not an address literal).
bool needs_lookup(std::string_view host_entry);

// Splits a comma-separated libpq host/port list (no escapes: libpq has none there).
std::vector<std::string> split_list(std::string_view list);

// Builds libpq's lists from the DSN's entries and each entry's addresses
// (`addresses[i]` empty: entry i is used as it is, by libpq). `failed[i]`: entry
// i's lookup failed; it is left out, as libpq skips a host it cannot resolve.
// `ports` has zero, one or hosts.size() entries (else libpq rejects the DSN and
// the entries are passed through unchanged).
host_targets expand_hosts(const std::vector<std::string>& hosts, const std::vector<std::string>& ports,
                          const std::vector<std::vector<std::string>>& addresses, const std::vector<bool>& failed);

// The libpq lists for `host`/`port` with every name resolved; throws a transient
// pg_error naming the host when no entry could be resolved, or after `timeout`.
boost::asio::awaitable<host_targets> resolve_hosts(boost::asio::any_io_executor ex, std::string host,
                                                   std::string port, std::chrono::milliseconds timeout);

}  // namespace sluice::pg
