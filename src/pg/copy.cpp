// COPY on pg::connection.
// FROM STDIN: non-blocking PQputCopyData never says "full" in practice (libpq
// grows its buffer instead, TOOLCHAIN.md), so the backpressure comes from
// PQflush(): every copy_flush_threshold bytes we flush and wait for the socket
// to drain.
// TO STDOUT: PQgetCopyData in async mode returns 0 until a whole row is
// buffered; then we wait for the socket and consume input.

#include <libpq-fe.h>

#include <fmt/format.h>
#include <boost/asio/use_awaitable.hpp>

#include "sluice/pg/connection.hpp"

namespace sluice::pg {

namespace asio = boost::asio;

namespace {
constexpr std::size_t copy_flush_threshold = 256 * 1024;
constexpr std::size_t max_put = 64 * 1024 * 1024;  // PQputCopyData takes an int length
}  // namespace

asio::awaitable<void> connection::copy_start(std::string_view copy_sql) {
    co_await start_copy(copy_sql, true);
    copy_unflushed_ = 0;
}

asio::awaitable<void> connection::start_copy(std::string_view copy_sql, bool from_stdin) {
    ensure_connected("starting COPY");
    const std::string text(copy_sql);
    try {
        if (!PQsendQuery(conn_, text.c_str())) fail("starting COPY");
        co_await flush();
        result r = co_await collect();
        const auto status = PQresultStatus(r.native());
        if (status == (from_stdin ? PGRES_COPY_IN : PGRES_COPY_OUT)) co_return;
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) fail("starting COPY", r.native());
        close();  // some other state (the other direction, a plain command): not what the caller can drive
        throw pg_error(error_kind::fatal,
                       fmt::format("postgres {}: starting COPY: statement is not COPY ... {}", endpoint_,
                                   from_stdin ? "FROM STDIN" : "TO STDOUT"),
                       "");
    } catch (const pg_error&) {
        if (!connected()) close();
        throw;
    } catch (...) {
        close();
        throw;
    }
}

asio::awaitable<void> connection::copy_put(std::string_view data) {
    ensure_connected("sending COPY data");
    try {
        while (!data.empty()) {
            const auto chunk = data.substr(0, max_put);
            const int r = PQputCopyData(conn_, chunk.data(), static_cast<int>(chunk.size()));
            if (r < 0) fail("sending COPY data");
            if (r == 0) {  // documented "would block": wait and retry the same chunk
                co_await wait(true);
                continue;
            }
            data.remove_prefix(chunk.size());
            copy_unflushed_ += chunk.size();
            if (copy_unflushed_ >= copy_flush_threshold) {
                copy_unflushed_ = 0;
                co_await flush();
            }
        }
    } catch (...) {
        // Mid-COPY the protocol state is unknown to the caller: never reuse it.
        close();
        throw;
    }
}

asio::awaitable<void> connection::copy_end() { co_await finish_copy(nullptr); }

asio::awaitable<void> connection::copy_abort(std::string_view why) {
    const std::string message(why);
    const char* const fail_message = message.c_str();  // named: sluice/coro.hpp
    bool rejected = false;
    try {
        co_await finish_copy(fail_message);
    } catch (const pg_error&) {
        if (!connected()) throw;
        rejected = true;  // the expected answer: "COPY from stdin failed: <why>"
    }
    if (!rejected) {
        close();  // the server took a COPY we meant to fail: its state is not what the caller expects
        throw pg_error(error_kind::fatal, fmt::format("postgres {}: aborting COPY: the server accepted it", endpoint_),
                       "");
    }
}

asio::awaitable<void> connection::finish_copy(const char* error_message) {
    ensure_connected("finishing COPY");
    try {
        for (;;) {
            const int r = PQputCopyEnd(conn_, error_message);
            if (r < 0) fail("finishing COPY");
            if (r == 1) break;
            co_await wait(true);
        }
        copy_unflushed_ = 0;
        co_await flush();
        result r = co_await collect();
        const auto status = PQresultStatus(r.native());
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) fail("finishing COPY", r.native());
    } catch (const pg_error&) {
        if (!connected()) close();
        throw;
    } catch (...) {
        close();
        throw;
    }
}

copy_row& copy_row::operator=(copy_row&& o) noexcept {
    if (this != &o) {
        reset(o.buf_, o.len_);
        o.buf_ = nullptr;
    }
    return *this;
}

copy_row::~copy_row() {
    if (buf_) PQfreemem(buf_);
}

void copy_row::reset(char* buf, std::size_t len) noexcept {
    if (buf_) PQfreemem(buf_);
    buf_ = buf;
    len_ = len;
}

asio::awaitable<void> connection::copy_out_start(std::string_view copy_sql) { co_await start_copy(copy_sql, false); }

asio::awaitable<bool> connection::copy_out_next(copy_row& row) {
    ensure_connected("reading COPY data");
    try {
        for (;;) {
            char* buf = nullptr;
            const int n = PQgetCopyData(conn_, &buf, 1);
            if (n > 0) {
                row.reset(buf, static_cast<std::size_t>(n));
                co_return true;
            }
            if (n == 0) {  // no whole row buffered yet
                co_await wait(false);
                if (!PQconsumeInput(conn_)) fail("reading COPY data");
                continue;
            }
            if (n == -1) {  // the COPY is over: its final result says how it ended
                result r = co_await collect();
                const auto status = PQresultStatus(r.native());
                if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) fail("reading COPY data", r.native());
                co_return false;
            }
            fail("reading COPY data");
        }
    } catch (const pg_error&) {
        if (!connected()) close();
        throw;
    } catch (...) {
        // Mid-COPY (cancelled, say) the protocol state is unknown: never reuse it.
        close();
        throw;
    }
}

}  // namespace sluice::pg
