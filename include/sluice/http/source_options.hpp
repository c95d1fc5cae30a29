#pragma once
// The http_client settings every HTTP/JSON source derives from its `sources:`
// entry, kept in one place so QuestDB and Druid read the config the same way.

#include <cstddef>
#include <string_view>

#include "sluice/config.hpp"
#include "sluice/http/client.hpp"

namespace sluice {

// URL, credentials, TLS and timeouts from `cfg`; a pool as large as the most
// requests any of its tables keeps in flight (at least 4), plus
// `spare_connections` for requests that must never wait behind a full pool.
// Retries are logged as "<kind> '<name>': <reason>".
http_client_options source_http_options(const config::source_config& cfg, std::string_view kind,
                                        std::size_t spare_connections = 0);

}  // namespace sluice
