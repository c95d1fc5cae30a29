#pragma once
// The password embedded in a libpq conninfo string or a URI, so that it can join
// config.secrets even though the rest of the DSN (host, dbname) is not secret.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config::detail {

// Where libpq would find a password in `text`: the value's bytes as written
// [begin, end) (inside the quotes of a quoted value) and the value it means
// (escapes resolved). Conninfo `password=` keywords, or for a URI its userinfo
// password and `?password=` query values.
struct password_span {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::string value;
};
std::vector<password_span> password_spans(std::string_view text);

// Every password found in `text`: `password=...` / `password='...'` keywords and the
// `scheme://user:password@` userinfo (both as written and percent-decoded).
std::vector<std::string> embedded_passwords(std::string_view text);

}  // namespace sluice::config::detail
