#pragma once
// A source discovers tables and streams their rows as batches. One instance per
// configured source; sync() may run concurrently for different tables.
//
// Cursor contract: a source writes its position into batch::cursor as JSON; the
// destination stores it with the rows; on the next sync the source gets the same
// text back and must resume strictly after it (keyset, never OFFSET), re-reading
// at most its `lookback` window. Cancellation (the coroutine's cancellation slot)
// must stop the read at a batch boundary and release server-side resources.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "sluice/batch.hpp"
#include "sluice/reconcile.hpp"
#include "sluice/schema.hpp"

namespace sluice {

namespace config { struct source_config; }

class batch_channel;
struct table_progress;

// What a source hands its batches to. Throws if the table has failed downstream
// (the writer's error is rethrown), so the source stops reading.
class batch_sink {
public:
    batch_sink(batch_channel& channel, std::shared_ptr<table_progress> progress)
        : channel_(channel), progress_(std::move(progress)) {}
    boost::asio::awaitable<void> send(batch_ptr b);
    // Returns once every batch sent before has been handled by the writer
    // (committed, or failed: then the table's progress says so).
    boost::asio::awaitable<void> flush(table_schema_ptr schema);
    const std::shared_ptr<table_progress>& progress() const { return progress_; }

private:
    batch_channel& channel_;
    std::shared_ptr<table_progress> progress_;
};

class source {
public:
    virtual ~source() = default;

    // Connects and authenticates; throws with a clear, secret-free message.
    virtual boost::asio::awaitable<void> check() = 0;
    // The configured tables (or all, when so configured) with their schemas,
    // overrides applied (cursor, key, include/exclude, declared types).
    virtual boost::asio::awaitable<std::vector<table_schema_ptr>> discover() = 0;
    // One incremental pass over a table, from `cursor` (nullopt: from scratch).
    virtual boost::asio::awaitable<void> sync(table_schema_ptr schema, std::optional<std::string> cursor,
                                              batch_sink& sink) = 0;
    virtual void close() {}

    // Delete and drift detection (reconcile.hpp). A source that can summarize a
    // table per bucket of its timestamp cursor says so; others are never asked
    // (the defaults throw).
    virtual bool can_reconcile(const table_schema& schema) const;
    // Per bucket: count and fingerprint of the source rows, exactly as the
    // destination computes them; buckets without rows omitted.
    virtual boost::asio::awaitable<std::vector<bucket_stats>> summarize(table_schema_ptr schema,
                                                                       bucket_query q);
    // Every row with lo_ms <= cursor < hi_ms, as batches without a cursor (the
    // table's committed position is not moved); same keys as a normal sync.
    virtual boost::asio::awaitable<void> reread(table_schema_ptr schema, std::int64_t lo_ms, std::int64_t hi_ms,
                                                batch_sink& sink);
};

std::unique_ptr<source> make_source(const config::source_config& cfg, boost::asio::any_io_executor ex);

}  // namespace sluice
