#pragma once
// One sync() of an HBase table: resume or start a pass, scan its key ranges
// (one per region, up to max_parallel_workers at a time), hand rows on in
// batches whose cursor is the whole checkpoint, and close the pass (new
// high-water mark / watermark, soft-delete sweep in full mode).

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "sluice/source.hpp"
#include "sources/hbase/client_pool.hpp"
#include "sources/hbase/table_layout.hpp"

namespace sluice::hbase {

boost::asio::awaitable<void> run_table_pass(client_pool& pool, const table_plan& plan,
                                            std::optional<std::string> cursor, batch_sink& sink);

}  // namespace sluice::hbase
