#include "pg/errors.hpp"

#include <array>

#include "sluice/secret_mask.hpp"

namespace sluice::pg {

error_kind classify_sqlstate(std::string_view s) noexcept {
    if (s.size() != 5) return error_kind::fatal;
    const auto cls = s.substr(0, 2);
    if (cls == "08" || cls == "53") return error_kind::transient;
    if (s == "57P01" || s == "57P02" || s == "57P03") return error_kind::transient;
    if (s == "40001" || s == "40P01") return error_kind::transient;
    return error_kind::fatal;
}

error_kind classify_connect_failure(std::string_view m) noexcept {
    // Messages the server sends back at startup (libpq passes them through verbatim).
    static constexpr std::array fatal_markers{
        std::string_view("password authentication failed"),
        std::string_view("authentication failed"),
        std::string_view("no pg_hba.conf entry"),
        std::string_view("does not exist"),  // role or database
        std::string_view("password is required"),
        std::string_view("no password supplied"),
        std::string_view("authentication method"),  // e.g. Redshift's SHA-256 digest (code 13)
        std::string_view("invalid connection option"),
        std::string_view("invalid URI"),
        std::string_view("invalid value for parameter"),
        std::string_view("certificate"),
        std::string_view("permission denied"),
    };
    for (auto marker : fatal_markers)
        if (m.find(marker) != std::string_view::npos) return error_kind::fatal;
    return error_kind::transient;
}

std::string one_line(std::string_view message) {
    std::string out;
    out.reserve(message.size());
    bool space = false;
    for (char c : message) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string redact_secret(std::string_view text, std::string_view secret) {
    std::string out(text);
    mask_secret(out, secret);
    return out;
}

}  // namespace sluice::pg
