#include <fmt/format.h>

#include "destinations/postgres/pg_destination.hpp"
#include "destinations/sqlite/sqlite_destination.hpp"
#include "sluice/config.hpp"
#include "sluice/destination.hpp"
#include "sluice/error.hpp"

namespace sluice {

std::unique_ptr<destination> make_destination(const config::destination_config& cfg,
                                              boost::asio::any_io_executor ex) {
    if (cfg.type == "sqlite") return std::make_unique<sqlite::sqlite_destination>(cfg.path);
    if (cfg.type == "postgres") return std::make_unique<pgdest::pg_destination>(cfg, std::move(ex));
    throw error(error_kind::fatal,
                fmt::format("destination: unknown type \"{}\" (expected sqlite or postgres)", cfg.type));
}

}  // namespace sluice
