#pragma once
// The parts of a base URL the HTTP client needs. Kept apart from the client so
// it is unit-tested without sockets.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::http_detail {

struct base_url {
    bool tls = false;
    std::string host;         // without brackets for IPv6 literals
    std::string port;         // explicit or the scheme's default
    std::string path_prefix;  // "" or "/prefix" (no trailing slash)
    std::string user, password;  // from "user:pass@" in the URL, if present (percent-decoded)

    std::string host_header() const;  // "host" or "host:port" when the port is not the default
    std::string origin() const;       // "http://host:port", never with credentials
};

// nullopt with `why` set when the URL is not http(s)://host[:port][/path].
std::optional<base_url> parse_base_url(std::string_view url, std::string& why);

}  // namespace sluice::http_detail
