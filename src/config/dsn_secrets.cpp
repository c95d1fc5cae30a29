#include "config/dsn_secrets.hpp"

#include <algorithm>
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
void conninfo_passwords(std::string_view s, std::vector<password_span>& out) {
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
        password_span span;
        if (i < s.size() && s[i] == '\'') {
            span.begin = ++i;
            for (; i < s.size() && s[i] != '\''; ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                span.value += s[i];
            }
            span.end = std::min(i, s.size());
            ++i;
        } else {
            span.begin = i;
            for (; i < s.size() && !is_space(s[i]); ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                span.value += s[i];
            }
            span.end = std::min(i, s.size());
        }
        if (key == "password" && !span.value.empty()) out.push_back(std::move(span));
    }
}

void uri_passwords(std::string_view s, std::vector<password_span>& out) {
    const auto scheme_end = s.find("://");
    if (scheme_end == std::string_view::npos) return;
    const auto start = scheme_end + 3;
    auto stop = s.find_first_of("/?#", start);
    if (stop == std::string_view::npos) stop = s.size();
    const auto authority = s.substr(start, stop - start);
    const auto at = authority.rfind('@');
    const auto colon = authority.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at && at > colon + 1)
        out.push_back({start + colon + 1, start + at, std::string(authority.substr(colon + 1, at - colon - 1))});
    // libpq also takes ?password=... in a URI, usually after the path (/dbname?...).
    if (const auto q = s.find_first_of("?#", stop); q != std::string_view::npos && s[q] == '?') {
        auto query_end = std::min(s.find('#', q), s.size());
        for (auto i = q; i < query_end; ++i)
            if (is_space(s[i])) query_end = i;  // a URI in a message ends at a space
        std::size_t pos = q + 1;
        while (pos < query_end) {
            auto amp = s.find('&', pos);
            if (amp == std::string_view::npos || amp > query_end) amp = query_end;
            const auto pair = s.substr(pos, amp - pos);
            if (pair.starts_with("password=") && pair.size() > 9)
                out.push_back({pos + 9, amp, std::string(pair.substr(9))});
            pos = amp + 1;
        }
    }
}

}  // namespace

std::vector<password_span> password_spans(std::string_view text) {
    std::vector<password_span> out;
    if (text.find("://") != std::string_view::npos)
        uri_passwords(text, out);
    else
        conninfo_passwords(text, out);
    return out;
}

std::vector<std::string> embedded_passwords(std::string_view text) {
    const bool uri = text.find("://") != std::string_view::npos;
    std::vector<std::string> out;
    for (auto& span : password_spans(text)) {
        // A URI's password is percent-encoded: both spellings are secrets.
        std::string decoded = uri ? percent_decode(span.value) : std::string();
        add(out, std::move(span.value));
        add(out, std::move(decoded));
    }
    return out;
}

}  // namespace sluice::config::detail
