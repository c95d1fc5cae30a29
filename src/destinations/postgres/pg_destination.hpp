#pragma once
// The PostgreSQL destination: COPY into a per-connection staging table, then one
// INSERT ... ON CONFLICT merge, the cursor upsert and the soft-delete sweep in
// the same transaction.
//
// Initial loads take a shortcut: while a table was empty when this process
// prepared it and has only received direct COPYs since, batches are COPYed
// straight into it. A unique violation there means the rows already exist (a
// re-delivered batch after a restart, say): the batch is rolled back, redone
// through the merge, and the table never takes the shortcut again.
//
// Thread safety: one operation at a time (the writer serializes them).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "destinations/postgres/binary_copy_encoder.hpp"
#include "destinations/postgres/copy_encoder.hpp"
#include "destinations/postgres/key_dedupe.hpp"
#include "sluice/config.hpp"
#include "sluice/destination.hpp"
#include "sluice/pg/connection.hpp"

namespace sluice::pgdest {

class pg_destination final : public destination {
public:
    pg_destination(const config::destination_config& cfg, boost::asio::any_io_executor ex);
    ~pg_destination() override;

    boost::asio::awaitable<void> connect() override;
    boost::asio::awaitable<void> prepare_table(const table_schema& schema) override;
    boost::asio::awaitable<std::optional<std::string>> read_cursor(const std::string& source,
                                                                 const std::string& table) override;
    boost::asio::awaitable<void> write(const batch& b) override;
    boost::asio::awaitable<std::vector<state_row>> list_state() override;
    boost::asio::awaitable<bool> reset_state(const std::string& source, const std::string& table) override;
    boost::asio::awaitable<std::vector<bucket_stats>> summarize(const table_schema& schema,
                                                               const bucket_query& q) override;
    boost::asio::awaitable<void> ping() override;
    void close() override;
    std::string describe() const override { return description_; }

    // "<schema_prefix><source>"."<dest_table>", quoted.
    std::string target_name(const table_schema& schema) const;

private:
    struct table_entry {
        std::vector<std::pair<std::string, value_type>> columns;
        std::string target;  // quoted, schema-qualified
        std::string copy_target;
        std::string sweep;
        bool direct = false;  // the initial-load shortcut is still allowed
        bool binary = true;   // every column has the type sluice creates: COPY in binary format
        int stage = -1;       // number of this connection's staging table; -1: none yet
        std::string copy_stage;
        std::string merge;
    };

    boost::asio::awaitable<void> ensure_connected();
    // Runs a CREATE … IF NOT EXISTS, again if another session created the object meanwhile.
    boost::asio::awaitable<void> exec_ddl(const std::string& sql);
    boost::asio::awaitable<table_entry*> entry_for(const table_schema& schema);
    boost::asio::awaitable<void> ensure_stage(table_entry& t, const table_schema& schema);
    // One transaction: COPY (direct or into the stage + merge), state, sweep.
    // Returns the number of rows the sweep marked deleted, or nullopt when a
    // value had no binary form (the transaction was rolled back: send as text).
    boost::asio::awaitable<std::optional<std::uint64_t>> write_transaction(table_entry& t, const batch& b,
                                                                           bool direct, bool binary, std::size_t rows,
                                                                           std::int64_t synced_at_us);
    // The batch's kept rows into the open COPY, in binary or text form, encoded
    // and sent piece by piece; false (nothing more sent) when a value has no
    // binary form. A cell that does not fit its column throws data_error.
    boost::asio::awaitable<bool> stream_rows(const batch& b, bool binary, std::int64_t synced_at_us,
                                             const std::string& where);
    boost::asio::awaitable<void> rollback_quietly();

    std::string dsn_;
    std::optional<std::string> password_;
    std::string schema_prefix_;
    std::string description_;
    boost::asio::any_io_executor ex_;
    std::unique_ptr<pg::connection> conn_;
    std::unordered_map<std::string, table_entry> tables_;  // by target
    int stages_created_ = 0;
    copy_buffer copy_;
    binary_copy_buffer binary_;
    key_dedupe dedupe_;
};

}  // namespace sluice::pgdest
