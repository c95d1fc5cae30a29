#include "http/url.hpp"

#include <charconv>

#include "sluice/http/client.hpp"
#include "sluice/percent_encoding.hpp"

namespace sluice::http_detail {

std::string base_url::host_header() const {
    const bool is_default = (tls && port == "443") || (!tls && port == "80");
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return is_default ? h : h + ":" + port;
}

std::string base_url::origin() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return (tls ? "https://" : "http://") + h + ":" + port;
}

std::optional<base_url> parse_base_url(std::string_view url, std::string& why) {
    base_url out;
    if (url.substr(0, 7) == "http://") {
        url.remove_prefix(7);
    } else if (url.substr(0, 8) == "https://") {
        out.tls = true;
        url.remove_prefix(8);
    } else {
        why = "must start with http:// or https://";
        return std::nullopt;
    }
    const auto path_at = url.find_first_of("/?#");
    std::string_view authority = url.substr(0, path_at);
    std::string_view path = path_at == std::string_view::npos ? std::string_view{} : url.substr(path_at);
    if (!path.empty() && path.front() != '/') {
        why = "must not contain a query or fragment";
        return std::nullopt;
    }
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.path_prefix = std::string(path);

    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const auto colon = userinfo.find(':');
        out.user = percent_decode(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) out.password = percent_decode(userinfo.substr(colon + 1));
    }
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "has an unterminated IPv6 address";
            return std::nullopt;
        }
        out.host = std::string(authority.substr(1, close - 1));
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                why = "has junk after the IPv6 address";
                return std::nullopt;
            }
            port = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (out.host.empty()) {
        why = "has no host";
        return std::nullopt;
    }
    if (port.empty()) {
        out.port = out.tls ? "443" : "80";
    } else {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
            why = "has an invalid port";
            return std::nullopt;
        }
        out.port = std::string(port);
    }
    return out;
}

}  // namespace sluice::http_detail

namespace sluice {

std::string url_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3 / 2);
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

}  // namespace sluice
