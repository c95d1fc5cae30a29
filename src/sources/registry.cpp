// Source factory: `type:` in the config → implementation.
#include "sluice/config.hpp"
#include "sluice/error.hpp"
#include "sluice/source.hpp"
#include "sources/druid/druid_source.hpp"
#include "sources/hbase/hbase_source.hpp"
#include "sources/postgres/postgres_source.hpp"
#include "sources/questdb/questdb_source.hpp"

namespace sluice {

std::unique_ptr<source> make_source(const config::source_config& cfg, boost::asio::any_io_executor ex) {
    if (cfg.type == "postgres" || cfg.type == "redshift") return make_postgres_source(cfg, ex);
    if (cfg.type == "hbase") return make_hbase_source(cfg, ex);
    if (cfg.type == "questdb") return make_questdb_source(cfg, ex);
    if (cfg.type == "druid") return make_druid_source(cfg, ex);
    throw error(error_kind::fatal, "source " + cfg.name + ": type '" + cfg.type + "' is not supported yet");
}

}  // namespace sluice
