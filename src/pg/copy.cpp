// COPY ... FROM STDIN on pg::connection. Non-blocking PQputCopyData never says
// "full" in practice (libpq grows its buffer instead, TOOLCHAIN.md), so the
// backpressure comes from PQflush(): every copy_flush_threshold bytes we flush
// and wait for the socket to drain.

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
    ensure_connected("starting COPY");
    const std::string text(copy_sql);
    try {
        if (!PQsendQuery(conn_, text.c_str())) fail("starting COPY");
        co_await flush();
        result r = co_await collect();
        const auto status = PQresultStatus(r.native());
        if (status == PGRES_COPY_IN) {
            copy_unflushed_ = 0;
            co_return;
        }
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) fail("starting COPY", r.native());
        close();  // some other state (COPY TO, plain command): not what the caller can drive
        throw pg_error(
            error_kind::fatal,
            fmt::format("postgres {}: starting COPY: statement is not COPY ... FROM STDIN", endpoint_), "");
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

asio::awaitable<void> connection::copy_end() {
    ensure_connected("finishing COPY");
    try {
        for (;;) {
            const int r = PQputCopyEnd(conn_, nullptr);
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

}  // namespace sluice::pg
