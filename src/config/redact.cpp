// redact(): the last line of defence that keeps credentials out of logs, /status and errors.
// Known secrets are masked where they stand as themselves (mask_secret); the value of every
// password assignment and URI userinfo password is masked whatever it is, glued or not.
#include "sluice/config.hpp"

#include <algorithm>
#include <cctype>

#include "config/dsn_secrets.hpp"
#include "sluice/secret_mask.hpp"

namespace sluice::config {

namespace {

constexpr std::string_view mask = "***";

void replace_secrets(std::string& text, std::vector<std::string_view> secrets) {
    // Longest first, so that a secret containing a shorter one is masked as a whole.
    std::sort(secrets.begin(), secrets.end(),
              [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
    for (auto secret : secrets) mask_secret(text, secret);
}

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::size_t find_keyword_ci(const std::string& text, std::string_view word, std::size_t from) {
    auto it =
        std::search(text.begin() + static_cast<std::ptrdiff_t>(from), text.end(), word.begin(), word.end(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    return it == text.end() ? std::string::npos : static_cast<std::size_t>(it - text.begin());
}

// libpq conninfo (`password=x`, `password = 'a b'`), URI queries (`?password=x&…`) and
// environment dumps (`PGPASSWORD=x`) all share this shape.
void scrub_password_assignments(std::string& text) {
    constexpr std::string_view word = "password";
    for (auto pos = find_keyword_ci(text, word, 0); pos != std::string::npos;
         pos = find_keyword_ci(text, word, pos)) {
        auto i = pos + word.size();
        while (i < text.size() && is_space(text[i]) && text[i] != '\n') ++i;
        if (i >= text.size() || text[i] != '=') {
            pos += word.size();
            continue;
        }
        ++i;
        // libpq skips any whitespace after '=' ("password=\r\nx" is x): found by fuzzing,
        // stopping at a \r kept such a password.
        while (i < text.size() && is_space(text[i])) ++i;
        std::size_t begin = i;
        std::size_t end = i;
        if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
            // libpq quotes with '; messages and shell lines write password="…". (libpq itself
            // reads a leading " as part of the value, which this masks as well: found by fuzzing,
            // `password="\x` kept its password because the scan stopped at the ".)
            const char quote = text[i];
            begin = end = i + 1;
            while (end < text.size() && text[end] != quote) end += text[end] == '\\' ? 2 : 1;
            end = std::min(end, text.size());
            // libpq reads `password=""x` as `""x`: when the value goes on after the closing
            // " (not a space, nor the `,` or `}` of JSON around a non-empty value), libpq's
            // value up to the next space is masked too (found by fuzzing: `password=""\x\xAS`
            // kept `""xxAS`, then `password=""&p%=\S` kept `""&p%=S`).
            const bool empty = end == begin;
            if (const auto after = end + 1; quote == '"' && after < text.size() && !is_space(text[after]) &&
                                            (empty || (text[after] != ',' && text[after] != '}'))) {
                end = after;
                while (end < text.size() && !is_space(text[end])) end += text[end] == '\\' ? 2 : 1;
                end = std::min(end, text.size());
            }
        } else {
            // A backslash escapes the next byte in libpq's unquoted values ("a\ b" is "a b").
            // The value ends where the message around it goes on (`&` of a URI query, `"`, `,`
            // or `}` of JSON); a value that starts with one of those (`password=}x`, libpq's
            // "}x") is left to mask_remaining_dsn_passwords, which masks it whole.
            while (end < text.size() && !is_space(text[end]) && text[end] != '&' && text[end] != '"' &&
                   text[end] != ',' && text[end] != '}')
                end += text[end] == '\\' ? 2 : 1;
            end = std::min(end, text.size());
        }
        if (end > begin && std::string_view(text).substr(begin, end - begin) != mask) {
            text.replace(begin, end - begin, mask);
            pos = begin + mask.size();
        } else {
            // Nothing masked (an empty value): the next assignment may start right after it
            // (found by fuzzing: skipping a mask's width past `password=""` missed the next).
            pos = std::max(begin, end);
        }
    }
}

// scheme://user:password@host — the password is everything between the first ':' of the userinfo
// and its last '@' (an unescaped '@' in a password is common enough to handle).
void scrub_uri_userinfo(std::string& text) {
    for (auto pos = text.find("://"); pos != std::string::npos; pos = text.find("://", pos)) {
        const auto start = pos + 3;
        auto stop = start;
        while (stop < text.size() && !is_space(text[stop]) && text[stop] != '/' && text[stop] != '?' &&
               text[stop] != '#' && text[stop] != '"' && text[stop] != '\'')
            ++stop;
        const auto authority = std::string_view(text).substr(start, stop - start);
        const auto at = authority.rfind('@');
        const auto colon = authority.find(':');
        pos = start;
        if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) continue;
        const auto begin = start + colon + 1;
        const auto length = at - colon - 1;
        if (length > 0 && std::string_view(text).substr(begin, length) != mask)
            text.replace(begin, length, mask);
    }
}

// The safety net under the heuristics above: read as libpq would read a DSN, the text must
// hold no password but masks. The scrubs keep the text around a value readable (a `"` or `}`
// of a message stays), but libpq's quoting and escapes have corners they miss (five fuzz
// findings of dsn_secrets); any value still unmasked is masked whole, as libpq delimits it.
void mask_remaining_dsn_passwords(std::string& text) {
    const auto spans = detail::password_spans(text);
    for (auto it = spans.rbegin(); it != spans.rend(); ++it)
        if (it->value.find('*') == std::string::npos && it->end > it->begin)
            text.replace(it->begin, it->end - it->begin, mask);
}

}  // namespace

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
    std::string out(text);
    replace_secrets(out, {secrets.begin(), secrets.end()});
    scrub_password_assignments(out);
    scrub_uri_userinfo(out);
    mask_remaining_dsn_passwords(out);
    return out;
}

}  // namespace sluice::config
