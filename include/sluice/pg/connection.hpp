#pragma once
// An asynchronous libpq connection driven by Asio: libpq runs in non-blocking
// mode and its socket is watched with posix::stream_descriptor, so no pool
// thread ever blocks on PostgreSQL/Redshift. Shared by the postgres source and
// the postgres destination.
//
// Thread safety: one coroutine at a time per connection.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "sluice/error.hpp"

struct pg_conn;
struct pg_result;

namespace sluice::pg {

// A failed statement or connection; `sqlstate` is empty for client-side errors.
class pg_error : public sluice::error {
public:
    pg_error(error_kind kind, const std::string& what, std::string sqlstate)
        : sluice::error(kind, what), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    std::string sqlstate_;
};

// Owns a PGresult.
class result {
public:
    result() = default;
    explicit result(pg_result* r) noexcept : r_(r) {}
    result(result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    result& operator=(result&& o) noexcept;
    ~result();

    int rows() const noexcept;
    int columns() const noexcept;
    bool is_null(int row, int col) const noexcept;
    std::string_view get(int row, int col) const noexcept;  // text format
    std::string_view column_name(int col) const noexcept;
    unsigned column_type(int col) const noexcept;  // type OID
    std::string_view command_tuples() const noexcept;  // "INSERT 0 5" count part
    pg_result* native() const noexcept { return r_; }

private:
    pg_result* r_ = nullptr;
};

using param = std::optional<std::string>;  // nullopt is SQL NULL; text format

// One row of COPY ... TO STDOUT, in the buffer libpq allocated for it.
class copy_row {
public:
    copy_row() = default;
    copy_row(copy_row&& o) noexcept : buf_(o.buf_), len_(o.len_) { o.buf_ = nullptr; }
    copy_row& operator=(copy_row&& o) noexcept;
    ~copy_row();
    std::string_view data() const noexcept { return {buf_, len_}; }

private:
    friend class connection;
    void reset(char* buf, std::size_t len) noexcept;

    char* buf_ = nullptr;
    std::size_t len_ = 0;
};

class connection {
public:
    explicit connection(boost::asio::any_io_executor ex);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // conninfo is a libpq keyword string or URI; `password`, when given,
    // overrides any password in it. Errors never contain the password.
    boost::asio::awaitable<void> connect(const std::string& conninfo, const std::optional<std::string>& password,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Runs one statement (or a multi-statement script when params is empty) and
    // returns the last result. Throws pg_error on failure.
    boost::asio::awaitable<result> exec(std::string_view sql, std::span<const param> params = {});
    // g++ 12 rejects a braced list inside a co_await expression ("array used as
    // initializer"): from coroutines, build a std::vector<param> first and pass that.
    boost::asio::awaitable<result> exec(std::string_view sql, std::initializer_list<param> params) {
        std::vector<param> p(params);
        co_return co_await exec(sql, std::span<const param>(p));
    }

    // COPY ... FROM STDIN. put() applies backpressure through PQflush.
    boost::asio::awaitable<void> copy_start(std::string_view copy_sql);
    boost::asio::awaitable<void> copy_put(std::string_view data);
    boost::asio::awaitable<void> copy_end();
    // Ends the COPY as failed (CopyFail with `why`): the server rejects it and the
    // transaction is aborted; the caller rolls it back. The connection stays usable.
    boost::asio::awaitable<void> copy_abort(std::string_view why);

    // COPY ... TO STDOUT: copy_out_start() runs the statement, then
    // copy_out_next() hands out its rows one at a time as they arrive (one
    // CopyData message each, newline included) and returns false once the COPY
    // has ended and its final status was checked (leaving `row` as it was).
    // Memory: the row, plus what
    // libpq buffered; a slow caller stalls the server through TCP, nothing queues.
    boost::asio::awaitable<void> copy_out_start(std::string_view copy_sql);
    boost::asio::awaitable<bool> copy_out_next(copy_row& row);

    bool connected() const noexcept;
    // Safe to hand to the next user: connected, outside any transaction or COPY,
    // and the server has sent nothing unasked (a termination notice or EOF, e.g.
    // idle_session_timeout or a restart, makes the socket readable).
    bool reusable() const noexcept;
    bool is_redshift() const noexcept { return redshift_; }
    int server_version() const noexcept;  // PQserverVersion
    void close() noexcept;
    pg_conn* native() const noexcept { return conn_; }

    // Quotes an identifier ("we""ird") / a literal, without libpq round trips.
    static std::string quote_ident(std::string_view name);
    static std::string quote_literal(std::string_view value);

private:
    boost::asio::awaitable<void> wait(bool for_write);
    // Sends a COPY statement and checks that the server entered that direction.
    boost::asio::awaitable<void> start_copy(std::string_view copy_sql, bool from_stdin);
    // PQputCopyEnd (error_message: nullptr = success, else CopyFail), then the COPY's result.
    boost::asio::awaitable<void> finish_copy(const char* error_message);
    boost::asio::awaitable<void> flush();
    boost::asio::awaitable<result> collect();
    boost::asio::awaitable<void> poll_connect(std::chrono::milliseconds timeout);
    void ensure_connected(const char* what);
    [[noreturn]] void fail(const std::string& what, pg_result* r = nullptr);

    boost::asio::any_io_executor ex_;
    pg_conn* conn_ = nullptr;
    bool redshift_ = false;
    std::string endpoint_;  // "host:port/db" for messages
    std::size_t copy_unflushed_ = 0;  // COPY bytes queued since the last PQflush
};

}  // namespace sluice::pg
