#pragma once
// Thin RAII over the sqlite3 C API: a database and its prepared statements.
// Errors become sluice::error with SQLite's message and the caller's context.
//
// Thread safety: none; the sqlite destination uses these on its own thread only.

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::sqlite {

class statement {
public:
    statement() = default;
    statement(sqlite3* db, std::string_view sql, const std::string& context);
    statement(statement&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
    statement& operator=(statement&& o) noexcept;
    ~statement();

    explicit operator bool() const noexcept { return s_ != nullptr; }
    sqlite3_stmt* get() const noexcept { return s_; }

    void bind_text(int idx, std::string_view v);  // SQLITE_STATIC: v must outlive the step
    void bind_int64(int idx, std::int64_t v);
    void bind_null(int idx);
    // True while a row is available; throws with `context` on failure.
    bool step(const std::string& context);
    void reset() noexcept;
    std::string_view column_text(int col) const noexcept;
    std::int64_t column_int64(int col) const noexcept;
    bool column_is_null(int col) const noexcept;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* s_ = nullptr;
};

class database {
public:
    database() = default;
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database() { close(); }

    // Opens (creating) the file; throws naming the path.
    void open(const std::string& path);
    void close() noexcept;
    bool is_open() const noexcept { return db_ != nullptr; }
    sqlite3* get() const noexcept { return db_; }

    // Runs SQL without results (may hold several statements).
    void exec(const std::string& sql, const std::string& context);
    statement prepare(std::string_view sql, const std::string& context) { return statement(db_, sql, context); }
    // Ends a failed transaction; harmless when SQLite already rolled it back.
    void rollback_quietly() noexcept;
    // The last error on this connection, for messages.
    std::string last_error() const;
    int changes() const noexcept;

private:
    sqlite3* db_ = nullptr;
};

// "context: sqlite message (code name)" as a sluice::error; SQLITE_BUSY and
// SQLITE_LOCKED are transient (another process holds the file), the rest fatal.
[[noreturn]] void fail(sqlite3* db, int rc, const std::string& context);

// Double-quotes an identifier, doubling embedded quotes; stored verbatim.
std::string quote_ident(std::string_view name);

}  // namespace sluice::sqlite
