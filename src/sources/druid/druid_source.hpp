#pragma once
// The Apache Druid source (SQL over POST /druid/v2/sql through the shared
// http_client): discovery from INFORMATION_SCHEMA, keyset pages on __time (or
// the configured `cursor:`) with the shared time_keyset reader, full passes
// with soft-delete for `mode: full`. See README.md in this folder.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "sluice/config.hpp"
#include "sluice/source.hpp"

namespace sluice {

std::unique_ptr<source> make_druid_source(const config::source_config& cfg, boost::asio::any_io_executor ex);

}  // namespace sluice
