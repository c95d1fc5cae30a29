#include "sluice/http/source_options.hpp"

#include <algorithm>
#include <string>

#include <spdlog/spdlog.h>

namespace sluice {

http_client_options source_http_options(const config::source_config& cfg, std::string_view kind,
                                        std::size_t spare_connections) {
    http_client_options o;
    o.base_url = cfg.url;
    o.username = cfg.username;
    if (cfg.password) o.password = *cfg.password;
    o.ca_file = cfg.ca_file;
    o.verify_tls = cfg.verify_tls;
    o.timeouts.connect = std::min<std::chrono::milliseconds>(cfg.request_timeout, std::chrono::seconds(10));
    o.timeouts.request = cfg.request_timeout;
    o.pool_size = static_cast<std::size_t>(std::max(4, cfg.settings.in_flight_limit())) + spare_connections;
    for (const auto& t : cfg.tables)
        o.pool_size = std::max(o.pool_size,
                               static_cast<std::size_t>(std::max(1, t.settings.in_flight_limit())) + spare_connections);
    o.on_retry = [kind = std::string(kind), name = cfg.name](const std::string& why) {
        spdlog::warn("{} '{}': {}", kind, name, why);
    };
    return o;
}

}  // namespace sluice
