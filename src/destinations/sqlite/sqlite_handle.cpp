#include "destinations/sqlite/sqlite_handle.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sluice/sql_quote.hpp"

namespace sluice::sqlite {

void fail(sqlite3* db, int rc, const std::string& context) {
    int primary = rc & 0xff;
    bool transient = primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL ||
                     primary == SQLITE_IOERR;
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw error(transient ? error_kind::transient : error_kind::fatal,
                fmt::format("{}: {} ({})", context, msg, sqlite3_errstr(rc)));
}

std::string quote_ident(std::string_view name) {
    return quote_identifier(name);
}

statement::statement(sqlite3* db, std::string_view sql, const std::string& context) : db_(db) {
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s_,
                                nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s_);
        s_ = nullptr;
        fail(db, rc, context);
    }
}

statement& statement::operator=(statement&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(s_);
        db_ = o.db_;
        s_ = o.s_;
        o.s_ = nullptr;
    }
    return *this;
}

statement::~statement() { sqlite3_finalize(s_); }

void statement::bind_text(int idx, std::string_view v) {
    // A null data pointer would bind SQL NULL; an empty string must stay ''.
    sqlite3_bind_text(s_, idx, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
}

void statement::bind_int64(int idx, std::int64_t v) { sqlite3_bind_int64(s_, idx, v); }
void statement::bind_null(int idx) { sqlite3_bind_null(s_, idx); }

bool statement::step(const std::string& context) {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(s_);
    fail(db_, rc, context);
}

void statement::reset() noexcept { sqlite3_reset(s_); }

std::string_view statement::column_text(int col) const noexcept {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    if (!p) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
}

std::int64_t statement::column_int64(int col) const noexcept { return sqlite3_column_int64(s_, col); }
bool statement::column_is_null(int col) const noexcept { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

void database::open(const std::string& path) {
    close();
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        close();
        throw error(error_kind::fatal, fmt::format("sqlite destination: opening {}: {}", path, msg));
    }
    sqlite3_extended_result_codes(db_, 1);
}

void database::close() noexcept {
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
}

void database::exec(const std::string& sql, const std::string& context) {
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, context);
}

void database::rollback_quietly() noexcept {
    if (db_ && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

std::string database::last_error() const { return db_ ? sqlite3_errmsg(db_) : "database closed"; }
int database::changes() const noexcept { return sqlite3_changes(db_); }

}  // namespace sluice::sqlite
