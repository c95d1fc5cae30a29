#pragma once
// The embedded default destination: one SQLite file in WAL mode.
//
// sqlite3 calls block, so they all run on a thread this object owns; every
// awaitable member hops there and back (run_on.hpp) and the shared pool never
// waits on the disk. Only that thread touches `db_` and the statements, which
// is also why the connection is opened without SQLite's own mutexes.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. A commit is appended to
// the WAL before COMMIT returns, so it survives a crash of the process (the
// OS holds the pages); only a power loss or kernel crash can lose the last
// transactions before the next checkpoint's fsync. Because rows and cursor sit
// in the same transaction, even that loses them together and the next sync
// re-reads from the older cursor: nothing is lost or duplicated either way.

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "destinations/sqlite/run_on.hpp"
#include "destinations/sqlite/sqlite_handle.hpp"
#include "sluice/destination.hpp"

namespace sluice::sqlite {

class sqlite_destination final : public destination {
public:
    explicit sqlite_destination(std::string path);
    ~sqlite_destination() override;

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
    std::string describe() const override { return "sqlite " + path_; }

private:
    // What is cached per destination table: the upsert matching one column
    // list, reused across batches, and scratch space for formatted cells.
    struct table_entry {
        std::vector<std::pair<std::string, value_type>> columns;
        std::vector<bool> is_key;
        statement upsert;
        statement sweep;
        std::vector<char> scratch;  // max_timestamp_text bytes per column
    };

    // run_on(thread_) as a plain function, so its executor argument is a temporary of this
    // call and not of the caller's co_await expression (sluice/coro.hpp).
    template <class F>
    boost::asio::awaitable<std::invoke_result_t<F&>> on_thread(F fn) {
        return run_on(thread_.get_executor(), std::move(fn));
    }

    // These run on thread_ only.
    void open_db();
    void close_db() noexcept;
    void require_open(const char* what) const;
    void prepare_on_thread(const table_schema& schema);
    table_entry& entry_for(const table_schema& schema);
    // Returns the number of rows the batch's sweep marked deleted.
    std::uint64_t write_on_thread(const batch& b);
    std::uint64_t sweep_on_thread(table_entry& t, const batch& b, const std::string& where);
    std::vector<bucket_stats> summarize_on_thread(const table_schema& schema, const bucket_query& q);
    void bind_row(table_entry& t, const batch& b, std::size_t row, const std::string& where);

    std::string path_;
    database db_;
    statement upsert_state_;
    statement bump_state_;
    std::unordered_map<std::string, table_entry> tables_;
    std::atomic<bool> open_{false};
    boost::asio::thread_pool thread_{1};  // last: joined before the members above go away
};

}  // namespace sluice::sqlite
