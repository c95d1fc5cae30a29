#pragma once
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "sluice/config.hpp"
#include "sluice/source.hpp"

namespace sluice {

std::unique_ptr<source> make_hbase_source(const config::source_config& cfg, boost::asio::any_io_executor ex);

}  // namespace sluice
