#pragma once
// One pg::pool per configured source, shared by every instance of that source:
// the daemon builds a source instance per table task, and `max_connections` is
// the budget of the whole source, not of each table. Instances configured
// identically share a pool; a reload that changes the connection settings gets
// a new one (the old one closes with the last task still using it).

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "sluice/config.hpp"
#include "sluice/pg/pool.hpp"

namespace sluice::postgres {

std::shared_ptr<pg::pool> shared_pool(const config::source_config& cfg, boost::asio::any_io_executor ex);

}  // namespace sluice::postgres
