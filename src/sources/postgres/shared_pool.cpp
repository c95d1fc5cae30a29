#include "sources/postgres/shared_pool.hpp"

#include <map>
#include <mutex>
#include <string>

#include <fmt/format.h>

namespace sluice::postgres {

std::shared_ptr<pg::pool> shared_pool(const config::source_config& cfg, boost::asio::any_io_executor ex) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<pg::pool>> pools;
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.timeout);
    // Everything a connection depends on, so two differently configured
    // instances never trade connections. The password stays in memory only.
    const std::string key = fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}", cfg.name, cfg.type, cfg.dsn,
                                        cfg.password.value_or(""), cfg.password.has_value(), timeout.count(),
                                        cfg.max_connections);
    std::lock_guard lock(mutex);
    for (auto it = pools.begin(); it != pools.end();) it = it->second.expired() ? pools.erase(it) : std::next(it);
    if (auto p = pools[key].lock()) return p;
    pg::pool_settings s;
    s.conninfo = cfg.dsn;
    s.password = cfg.password;
    s.connect_timeout = timeout;
    s.max_connections = static_cast<std::size_t>(std::max(1, cfg.max_connections));
    auto p = pg::pool::create(std::move(ex), std::move(s));
    pools[key] = p;
    return p;
}

}  // namespace sluice::postgres
