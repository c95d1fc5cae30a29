#include "config/dsn_secrets.hpp"

#include <cctype>

#include "sluice/percent_encoding.hpp"

namespace sluice::config::detail {

namespace {

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

void add(std::vector<std::string>& out, std::string value) {
    if (value.empty()) return;
    for (const auto& v : out)
        if (v == value) return;
    out.push_back(std::move(value));
}

// libpq keyword/value syntax: key = value, value bare or single-quoted with backslash escapes.
void conninfo_passwords(std::string_view s, std::vector<std::string>& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i])) ++i;
        const auto key_begin = i;
        while (i < s.size() && !is_space(s[i]) && s[i] != '=') ++i;
        const auto key = s.substr(key_begin, i - key_begin);
        while (i < s.size() && is_space(s[i])) ++i;
        if (i >= s.size() || s[i] != '=') {
            ++i;
            continue;
        }
        ++i;
        while (i < s.size() && is_space(s[i])) ++i;
        std::string value;
        if (i < s.size() && s[i] == '\'') {
            for (++i; i < s.size() && s[i] != '\''; ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                value += s[i];
            }
            ++i;
        } else {
            for (; i < s.size() && !is_space(s[i]); ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                value += s[i];
            }
        }
        if (key == "password") add(out, std::move(value));
    }
}

void uri_passwords(std::string_view s, std::vector<std::string>& out) {
    const auto scheme_end = s.find("://");
    if (scheme_end == std::string_view::npos) return;
    const auto start = scheme_end + 3;
    auto stop = s.find_first_of("/?#", start);
    if (stop == std::string_view::npos) stop = s.size();
    const auto authority = s.substr(start, stop - start);
    const auto at = authority.rfind('@');
    const auto colon = authority.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
        const auto raw = authority.substr(colon + 1, at - colon - 1);
        add(out, std::string(raw));
        add(out, percent_decode(raw));
    }
    // libpq also takes ?password=... in a URI.
    if (stop < s.size() && s[stop] == '?') {
        auto query = s.substr(stop + 1);
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto pair = query.substr(0, amp);
            if (pair.starts_with("password=")) {
                const auto raw = pair.substr(9);
                add(out, std::string(raw));
                add(out, percent_decode(raw));
            }
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
    }
}

}  // namespace

std::vector<std::string> embedded_passwords(std::string_view text) {
    std::vector<std::string> out;
    if (text.find("://") != std::string_view::npos)
        uri_passwords(text, out);
    else
        conninfo_passwords(text, out);
    return out;
}

}  // namespace sluice::config::detail
