#pragma once
// The password embedded in a libpq conninfo string or a URI, so that it can join
// config.secrets even though the rest of the DSN (host, dbname) is not secret.

#include <string>
#include <string_view>
#include <vector>

namespace sluice::config::detail {

// Every password found in `text`: `password=...` / `password='...'` keywords and the
// `scheme://user:password@` userinfo (both as written and percent-decoded).
std::vector<std::string> embedded_passwords(std::string_view text);

}  // namespace sluice::config::detail
