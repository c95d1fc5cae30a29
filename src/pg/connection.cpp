// pg::connection: libpq in non-blocking mode, its socket watched by Asio
// (TOOLCHAIN.md "libpq 15 async"). Every failure that leaves the protocol state
// unknown (cancellation, lost socket, Asio errors) closes the connection, so a
// cancelled coroutine never leaves a half-read result behind for the next user.

#include "sluice/pg/connection.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <libpq-fe.h>
#include <poll.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "pg/errors.hpp"
#include "pg/resolve.hpp"

namespace sluice::pg {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using asio::posix::stream_descriptor;

namespace {

// An Asio view of libpq's socket for one wait. libpq owns the fd and may replace
// it between PQconnectPoll rounds, so the descriptor is released, never closed.
class borrowed_socket {
public:
    borrowed_socket(const asio::any_io_executor& ex, int fd) : sd_(ex) { sd_.assign(fd); }
    ~borrowed_socket() { sd_.release(); }
    borrowed_socket(const borrowed_socket&) = delete;
    borrowed_socket& operator=(const borrowed_socket&) = delete;
    stream_descriptor& get() noexcept { return sd_; }

private:
    stream_descriptor sd_;
};

void route_notice(void* arg, const char* message) {
    // Notices (e.g. "table does not exist, skipping") are diagnostics, never stderr noise.
    spdlog::debug("postgres {}: {}", *static_cast<const std::string*>(arg), one_line(message ? message : ""));
}

// "host:port/db" for messages, with libpq's defaults for what is not set.
std::string format_endpoint(std::string_view host, std::string_view port, std::string_view db) {
    return fmt::format("{}:{}/{}", host.empty() ? "localhost" : host, port.empty() ? "5432" : port, db);
}

std::string describe_endpoint(PGconn* c) {
    return format_endpoint(PQhost(c) ? PQhost(c) : "", PQport(c) ? PQport(c) : "", PQdb(c) ? PQdb(c) : "");
}

// Session settings both the source and the destination rely on: ISO dates and
// UTC, so timestamps round-trip as text; shortest-exact floats; hex bytea.
std::string session_setup(bool redshift) {
    std::string sql = "SET DateStyle TO 'ISO, YMD'; SET TimeZone TO 'UTC'";
    if (!redshift) sql += "; SET extra_float_digits TO 3; SET bytea_output TO 'hex'";
    return sql;
}

std::string statement_label(std::string_view sql) {
    constexpr std::size_t max_len = 80;
    std::string s = one_line(sql);
    if (s.size() > max_len) s = s.substr(0, max_len) + "...";
    return "executing \"" + s + "\"";
}

}  // namespace

connection::connection(asio::any_io_executor ex) : ex_(std::move(ex)) {}

connection::~connection() { close(); }

bool connection::connected() const noexcept { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

bool connection::reusable() const noexcept {
    if (!connected() || PQtransactionStatus(conn_) != PQTRANS_IDLE || PQisBusy(conn_)) return false;
    pollfd p{PQsocket(conn_), POLLIN, 0};
    return p.fd >= 0 && ::poll(&p, 1, 0) == 0;
}

int connection::server_version() const noexcept { return conn_ ? PQserverVersion(conn_) : 0; }

void connection::close() noexcept {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    redshift_ = false;
    copy_unflushed_ = 0;
}

void connection::ensure_connected(const char* what) {
    if (!connected())
        throw pg_error(
            error_kind::transient,
            fmt::format("postgres {}: {}: not connected", endpoint_.empty() ? "?" : endpoint_, what), "");
}

void connection::fail(const std::string& what, pg_result* r) {
    std::string sqlstate;
    std::string message;
    if (r) {
        if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) sqlstate = s;
        const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        message = primary ? primary : PQresultErrorMessage(r);
        if (const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL))
            message += fmt::format(" ({})", detail);
        // For COPY this says which line and column was rejected.
        if (const char* context = PQresultErrorField(r, PG_DIAG_CONTEXT))
            message += fmt::format(" [{}]", context);
    } else if (conn_) {
        message = PQerrorMessage(conn_);
    }
    message = one_line(message);
    if (message.empty()) message = "unknown error";
    const bool lost = !conn_ || PQstatus(conn_) == CONNECTION_BAD;
    const error_kind kind = !sqlstate.empty() ? classify_sqlstate(sqlstate)
                            : lost            ? error_kind::transient
                                              : error_kind::fatal;
    throw pg_error(kind, fmt::format("postgres {}: {}: {}", endpoint_, what, message), std::move(sqlstate));
}

asio::awaitable<void> connection::connect(const std::string& conninfo,
                                          const std::optional<std::string>& password,
                                          std::chrono::milliseconds timeout) {
    close();
    endpoint_.clear();
    // Parsing first turns a malformed DSN into a fatal config error and tells us
    // the password it may carry, so no message can echo it.
    char* parse_error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
    if (!options) {
        std::string m = parse_error ? one_line(parse_error) : "out of memory";
        if (parse_error) PQfreemem(parse_error);
        throw pg_error(error_kind::fatal, "postgres: invalid connection string: " + m, "");
    }
    std::string dsn_password, host, hostaddr, port, dbname;
    for (auto* o = options; o->keyword; ++o) {
        if (!o->val) continue;
        const std::string_view k = o->keyword;
        if (k == "password") dsn_password = o->val;
        else if (k == "host") host = o->val;
        else if (k == "hostaddr") hostaddr = o->val;
        else if (k == "port") port = o->val;
        else if (k == "dbname") dbname = o->val;
    }
    PQconninfoFree(options);
    // libpq falls back to these when the DSN has no host; so do the lookups.
    if (host.empty())
        if (const char* env = std::getenv("PGHOST")) host = env;
    if (hostaddr.empty())
        if (const char* env = std::getenv("PGHOSTADDR")) hostaddr = env;

    auto connect_error = [&](const std::string& what, std::string detail, error_kind kind) {
        detail = redact_secret(redact_secret(one_line(detail), dsn_password), password.value_or(""));
        close();
        return pg_error(kind, fmt::format("postgres {}: {}: {}", endpoint_, what, detail), "");
    };

    // Names are looked up here, off the pool threads (pg/resolve.hpp); libpq then
    // connects to the addresses and keeps the names for TLS and .pgpass.
    std::optional<host_targets> targets;
    const auto host_entries = split_list(host);
    if (hostaddr.empty() && std::any_of(host_entries.begin(), host_entries.end(), needs_lookup)) {
        endpoint_ = format_endpoint(host_entries.front(), port, dbname);
        try {
            targets = co_await resolve_hosts(ex_, host, port, timeout);
        } catch (const pg_error& e) {
            throw connect_error("connecting", e.what(), e.kind());
        }
    }

    // With expand_dbname=1 the first "dbname" is expanded as a conninfo/URI and
    // later keywords override it: the explicit password and the looked-up hosts win.
    std::vector<const char*> keys{"dbname"};
    std::vector<const char*> values{conninfo.c_str()};
    if (password) {
        keys.push_back("password");
        values.push_back(password->c_str());
    }
    if (targets) {
        keys.insert(keys.end(), {"host", "hostaddr"});
        values.insert(values.end(), {targets->host.c_str(), targets->hostaddr.c_str()});
        if (!targets->port.empty()) {
            keys.push_back("port");
            values.push_back(targets->port.c_str());
        }
    }
    keys.insert(keys.end(), {"client_encoding", "fallback_application_name", nullptr});
    values.insert(values.end(), {"UTF8", "sluice", nullptr});

    conn_ = PQconnectStartParams(keys.data(), values.data(), 1);
    if (!conn_) throw pg_error(error_kind::transient, "postgres: out of memory starting a connection", "");
    PQsetNoticeProcessor(conn_, &route_notice, &endpoint_);
    endpoint_ = describe_endpoint(conn_);
    if (PQstatus(conn_) == CONNECTION_BAD) {
        std::string m = PQerrorMessage(conn_);
        throw connect_error("connecting", m, classify_connect_failure(m));
    }

    try {
        co_await poll_connect(timeout);
        endpoint_ = describe_endpoint(conn_);  // the host that answered, with several in the DSN
        if (PQsetnonblocking(conn_, 1) != 0) fail("switching to non-blocking mode");
        // version() is a leader-only function on Redshift: it must run alone.
        const std::string_view version_sql = "SELECT version()";  // named: sluice/coro.hpp
        auto v = co_await exec(version_sql);
        redshift_ = v.rows() > 0 && v.get(0, 0).find("Redshift") != std::string_view::npos;
        if (std::string_view(pg_encoding_to_char(PQclientEncoding(conn_))) != "UTF8") {
            const std::string_view utf8_sql = "SET client_encoding TO 'UTF8'";
            co_await exec(utf8_sql);
        }
        const std::string setup_sql = session_setup(redshift_);
        co_await exec(setup_sql);
    } catch (const pg_error& e) {
        // Server messages do not echo passwords, but a DSN typo might put one where they quote.
        std::string m = redact_secret(redact_secret(e.what(), dsn_password), password.value_or(""));
        close();
        throw pg_error(e.kind(), m, e.sqlstate());
    } catch (...) {
        close();
        throw;
    }
    spdlog::debug("postgres {}: connected (server {}, {})", endpoint_, server_version(),
                  redshift_ ? "redshift" : "postgresql");
}

asio::awaitable<void> connection::poll_connect(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer timer(ex_);
    // As the libpq docs say: start as if PQconnectPoll had returned WRITING.
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    for (;;) {
        if (status == PGRES_POLLING_OK) co_return;
        if (status == PGRES_POLLING_FAILED) {
            std::string m = one_line(PQerrorMessage(conn_));
            const error_kind kind = classify_connect_failure(m);
            // connect() redacts secrets from this before rethrowing.
            throw pg_error(kind, fmt::format("postgres {}: connecting: {}", endpoint_, m), "");
        }
        {
            // The socket may change between rounds: borrow it afresh each time.
            borrowed_socket s(ex_, PQsocket(conn_));
            timer.expires_at(deadline);
            const auto kind = status == PGRES_POLLING_READING ? stream_descriptor::wait_read
                                                              : stream_descriptor::wait_write;
            auto r = co_await (s.get().async_wait(kind, asio::use_awaitable) ||
                               timer.async_wait(asio::use_awaitable));
            if (r.index() == 1)
                throw pg_error(
                    error_kind::transient,
                    fmt::format("postgres {}: connecting: timed out after {} ms", endpoint_, timeout.count()),
                    "");
        }
        status = PQconnectPoll(conn_);
    }
}

asio::awaitable<void> connection::wait(bool for_write) {
    const int fd = PQsocket(conn_);
    if (fd < 0) fail("waiting for the server");
    borrowed_socket s(ex_, fd);
    co_await s.get().async_wait(for_write ? stream_descriptor::wait_write : stream_descriptor::wait_read,
                                asio::use_awaitable);
}

asio::awaitable<void> connection::flush() {
    // libpq docs: while PQflush() returns 1, wait for write-ready or read-ready,
    // consuming input when readable so the server cannot deadlock us.
    for (;;) {
        const int r = PQflush(conn_);
        if (r == 0) co_return;
        if (r < 0) fail("sending to the server");
        const int fd = PQsocket(conn_);
        if (fd < 0) fail("sending to the server");
        borrowed_socket s(ex_, fd);
        auto which = co_await (s.get().async_wait(stream_descriptor::wait_write, asio::use_awaitable) ||
                               s.get().async_wait(stream_descriptor::wait_read, asio::use_awaitable));
        if (which.index() == 1 && !PQconsumeInput(conn_)) fail("reading from the server");
    }
}

asio::awaitable<result> connection::collect() {
    // Reads every result of the command; returns the first error result if any
    // (the caller turns it into a pg_error with its context), else the last one.
    result last;
    result error;
    for (;;) {
        while (PQisBusy(conn_)) {
            co_await wait(false);
            if (!PQconsumeInput(conn_)) fail("reading from the server");
        }
        PGresult* r = PQgetResult(conn_);
        if (!r) break;
        switch (PQresultStatus(r)) {
            case PGRES_FATAL_ERROR:
            case PGRES_BAD_RESPONSE:
                if (!error.native())
                    error = result(r);
                else
                    PQclear(r);
                break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH:
                // The command is now in COPY state: no further results until it ends.
                co_return result(r);
            default:
                last = result(r);
        }
    }
    co_return error.native() ? std::move(error) : std::move(last);
}

asio::awaitable<result> connection::exec(std::string_view sql, std::span<const param> params) {
    ensure_connected("running a statement");
    const std::string text(sql);
    try {
        int sent;
        if (params.empty()) {
            sent = PQsendQuery(conn_, text.c_str());
        } else {
            std::vector<const char*> values;
            values.reserve(params.size());
            for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
            sent = PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                     values.data(), nullptr, nullptr, 0);
        }
        if (!sent) fail(statement_label(sql));
        co_await flush();
        result r = co_await collect();
        const auto status = PQresultStatus(r.native());
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE)
            fail(statement_label(sql), r.native());
        if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
            close();  // a COPY started through exec(): the protocol state is unusable now
            throw pg_error(
                error_kind::fatal,
                fmt::format("postgres {}: {}: COPY must use copy_start()", endpoint_, statement_label(sql)),
                "");
        }
        co_return r;
    } catch (const pg_error&) {
        if (!connected()) close();
        throw;
    } catch (...) {
        close();
        throw;
    }
}

}  // namespace sluice::pg
