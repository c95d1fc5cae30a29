#pragma once
// The PostgreSQL / Amazon Redshift source (DESIGN.md §5): discovery through
// information_schema, keyset reads on (cursor, key), full passes with
// soft-delete sweeps for tables without a cursor.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "sluice/config.hpp"
#include "sluice/source.hpp"

namespace sluice {

std::unique_ptr<source> make_postgres_source(const config::source_config& cfg,
                                             boost::asio::any_io_executor ex);

}  // namespace sluice
