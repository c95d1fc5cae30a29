// mask_secret(): masking a secret only where it is the secret, not a piece of a word.
// A short password such as QuestDB's default "quest" used to turn every "questdb" in
// a message into "***db", which hid the very names an operator needs.
#include "sluice/secret_mask.hpp"

namespace sluice {

namespace {

constexpr std::string_view mask = "***";
constexpr auto npos = std::string_view::npos;

bool is_identifier_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// How many characters of `text` from `pos` spell `secret`, each byte as itself or as %XX
// (URIs carry special characters encoded, in either hex case); npos when they do not.
std::size_t spelled_length(std::string_view text, std::size_t pos, std::string_view secret) {
    std::size_t i = pos;
    for (const char want : secret) {
        if (i < text.size() && text[i] == want) {
            ++i;
            continue;
        }
        if (i + 2 < text.size() && text[i] == '%') {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0 && static_cast<unsigned char>(hi * 16 + lo) == static_cast<unsigned char>(want)) {
                i += 3;
                continue;
            }
        }
        return npos;
    }
    return i - pos;
}

// A word runs on across the boundary before text[at]: the match is part of a longer word.
bool glued(std::string_view text, std::size_t at) {
    return at > 0 && at < text.size() && is_identifier_char(text[at - 1]) && is_identifier_char(text[at]);
}

}  // namespace

void mask_secret(std::string& text, std::string_view secret) {
    if (secret.empty()) return;
    const std::string_view in(text);
    std::string out;
    std::size_t copied = 0;  // in[0, copied) is already in `out`
    bool masked = false;
    for (std::size_t pos = 0; pos < in.size();) {
        const std::size_t length = spelled_length(in, pos, secret);
        if (length == npos) {
            ++pos;
            continue;
        }
        std::size_t end = pos + length;
        std::size_t repeats = 1;
        for (std::size_t more; end < in.size() && (more = spelled_length(in, end, secret)) != npos; end += more)
            ++repeats;
        if (glued(in, pos) || glued(in, end)) {
            ++pos;  // a later start may still be a standalone occurrence
            continue;
        }
        out.append(in.substr(copied, pos - copied));
        for (std::size_t i = 0; i < repeats; ++i) out.append(mask);
        copied = pos = end;
        masked = true;
    }
    if (!masked) return;
    out.append(in.substr(copied));
    text = std::move(out);
}

}  // namespace sluice
