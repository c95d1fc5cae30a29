#pragma once
// Shared by the destination tests: running one awaitable to completion, a
// temporary directory, and a tiny sqlite3 reader for checking stored content.

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace dest_test {

template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
    auto f = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
    io.restart();
    io.run();
    return f.get();
}

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-dest-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// Opens a second, independent connection: what a user of the file would see.
class reader {
public:
    explicit reader(const std::string& file) { sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr); }
    ~reader() { sqlite3_close_v2(db_); }

    struct row_reader {
        sqlite3_stmt* s;
        int type(int c) const { return sqlite3_column_type(s, c); }
        std::string text(int c) const {
            auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
            return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, c))) : std::string("<null>");
        }
        std::string blob(int c) const {
            auto p = static_cast<const char*>(sqlite3_column_blob(s, c));
            return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, c)));
        }
        std::int64_t i64(int c) const { return sqlite3_column_int64(s, c); }
        double dbl(int c) const { return sqlite3_column_double(s, c); }
    };

    // Calls f(row_reader) for each row; returns the row count (-1 on a SQL error).
    template <class F>
    int query(const std::string& sql, F f) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) return -1;
        int n = 0;
        while (sqlite3_step(s) == SQLITE_ROW) {
            f(row_reader{s});
            ++n;
        }
        sqlite3_finalize(s);
        return n;
    }
    std::string scalar(const std::string& sql) {
        std::string out = "<none>";
        query(sql, [&](const row_reader& r) { out = r.text(0); });
        return out;
    }
    std::string error() const { return sqlite3_errmsg(db_); }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace dest_test
