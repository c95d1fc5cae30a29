#pragma once
// A destination stores synced rows and, in the same transaction, each table's
// cursor (`_sluice_state`). Implementations: SQLite (embedded default) and
// PostgreSQL. See DESIGN.md §2 and §8 for naming.
//
// Lifecycle: connect() once, then prepare_table() for every table before its
// first write(). write() is called by the one writer coroutine, one batch at a
// time; it must commit rows and cursor atomically or throw leaving nothing
// committed. Errors name the table (and, for bad values, column and key).

#include <cstdint>
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

namespace config { struct destination_config; }

struct state_row {
    std::string source;
    std::string table;
    std::string cursor;        // JSON as the source wrote it
    std::int64_t rows = 0;     // rows written over the table's lifetime
    std::string updated_at;    // ISO-8601 UTC of the last commit
};

class destination {
public:
    virtual ~destination() = default;

    virtual boost::asio::awaitable<void> connect() = 0;
    // Creates the table (with _sluice_synced_at, _sluice_deleted, the key as
    // primary key) or adds missing columns. Never drops or retypes anything.
    virtual boost::asio::awaitable<void> prepare_table(const table_schema& schema) = 0;
    // The committed cursor of a table, or nullopt when it was never synced.
    virtual boost::asio::awaitable<std::optional<std::string>> read_cursor(const std::string& source,
                                                                         const std::string& table) = 0;
    // Upserts the batch's rows and, if b.cursor is non-empty, the cursor: one transaction.
    virtual boost::asio::awaitable<void> write(const batch& b) = 0;
    virtual boost::asio::awaitable<std::vector<state_row>> list_state() = 0;
    // Forgets a table's cursor (the next sync starts from scratch); true if it existed.
    virtual boost::asio::awaitable<bool> reset_state(const std::string& source, const std::string& table) = 0;
    // Reconcile (reconcile.hpp): per bucket, the count and fingerprint of the
    // table's live rows (_sluice_deleted false), buckets without rows omitted,
    // ordered by bucket. An absent table has no buckets.
    virtual boost::asio::awaitable<std::vector<bucket_stats>> summarize(const table_schema& schema,
                                                                       const bucket_query& q) = 0;
    // Cheap round trip used by readiness checks.
    virtual boost::asio::awaitable<void> ping() = 0;
    virtual void close() = 0;

    // Human-readable, secret-free description ("sqlite ./sluice.db").
    virtual std::string describe() const = 0;
};

std::unique_ptr<destination> make_destination(const config::destination_config& cfg,
                                              boost::asio::any_io_executor ex);

// Destination table names (DESIGN.md §8).
std::string sqlite_table_name(const table_schema& schema);  // "<source>__<dest_table>"

}  // namespace sluice
