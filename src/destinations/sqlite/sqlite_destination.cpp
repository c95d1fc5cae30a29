#include "destinations/sqlite/sqlite_destination.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "destinations/sqlite/run_on.hpp"
#include "destinations/sqlite/sqlite_ddl.hpp"
#include "destinations/value_text.hpp"
#include "sluice/error.hpp"

namespace sluice {

std::string sqlite_table_name(const table_schema& schema) {
    return schema.source + "__" + schema.destination_table();
}

namespace sqlite {
namespace {

// SQLite compares identifiers case-insensitively, but only for ASCII letters.
std::string fold(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace

sqlite_destination::sqlite_destination(std::string path) : path_(std::move(path)) {}

sqlite_destination::~sqlite_destination() {
    thread_.join();  // runs what was already posted (a close), then stops
    close_db();
}

void sqlite_destination::open_db() {
    if (db_.is_open()) return;
    db_.open(path_);
    const std::string ctx = "sqlite destination " + path_ + ": configuring";
    try {
        // First: the WAL switch and the recovery after a crash need locks that a
        // reader (a monitoring query, the previous process's last moments) may hold.
        db_.exec("PRAGMA busy_timeout=10000", ctx);
        statement mode = db_.prepare("PRAGMA journal_mode=WAL", ctx);
        if (mode.step(ctx) && fold(mode.column_text(0)) != "wal")
            spdlog::warn("sqlite destination {}: WAL mode unavailable (journal_mode={}); commits stay atomic "
                         "but are slower",
                         path_, mode.column_text(0));
        // An 8 MiB page cache: upserts touch the table's rightmost pages and the
        // key index, so a larger cache buys little and the whole process must
        // stay under 64 MiB whatever the table size.
        db_.exec("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-8192; "
                 "PRAGMA foreign_keys=OFF",
                 ctx);
        db_.exec(create_state_sql(), "sqlite destination " + path_ + ": creating " + state_table);
        upsert_state_ = db_.prepare(upsert_state_sql(), ctx);
        bump_state_ = db_.prepare(bump_state_sql(), ctx);
    } catch (...) {
        close_db();
        throw;
    }
    open_.store(true);
}

void sqlite_destination::close_db() noexcept {
    open_.store(false);
    tables_.clear();
    upsert_state_ = statement();
    bump_state_ = statement();
    db_.close();
}

void sqlite_destination::require_open(const char* what) const {
    if (!db_.is_open())
        throw error(error_kind::fatal, fmt::format("sqlite destination {}: {} after close()", path_, what));
}

boost::asio::awaitable<void> sqlite_destination::connect() {
    co_await on_thread([this] { open_db(); });
}

void sqlite_destination::close() {
    boost::asio::post(thread_, [this] { close_db(); });
}

boost::asio::awaitable<void> sqlite_destination::ping() {
    co_await on_thread([this] {
        require_open("ping");
        db_.exec("SELECT 1", "sqlite destination " + path_ + ": ping");
    });
}

boost::asio::awaitable<void> sqlite_destination::prepare_table(const table_schema& schema) {
    co_await on_thread([this, &schema] { prepare_on_thread(schema); });
}

void sqlite_destination::prepare_on_thread(const table_schema& schema) {
    require_open("prepare_table");
    const std::string name = sqlite_table_name(schema);
    const std::string ctx = fmt::format("sqlite destination: table {}: preparing", quote_ident(name));
    if (schema.key.empty()) throw error(error_kind::fatal, ctx + ": the schema has no key");
    for (const column& c : schema.columns)
        if (c.name == synced_at_column || c.name == deleted_column)
            throw error(error_kind::fatal, fmt::format("{}: source column \"{}\" collides with sluice's own "
                                                       "column; exclude or rename it",
                                                       ctx, c.name));

    db_.exec("BEGIN IMMEDIATE", ctx);
    try {
        std::set<std::string> existing;
        statement info = db_.prepare("SELECT name FROM pragma_table_info(?1)", ctx);
        info.bind_text(1, name);
        while (info.step(ctx)) existing.insert(fold(info.column_text(0)));
        if (existing.empty()) {
            db_.exec(create_table_sql(name, schema), ctx);
        } else {
            for (std::size_t i = 0; i < schema.columns.size(); ++i) {
                const column& c = schema.columns[i];
                if (existing.count(fold(c.name))) continue;
                if (std::find(schema.key.begin(), schema.key.end(), i) != schema.key.end())
                    throw error(error_kind::fatal,
                                fmt::format("{}: key column \"{}\" is missing from the existing table; a "
                                            "primary key cannot be changed in place",
                                            ctx, c.name));
                db_.exec(add_column_sql(name, c), ctx + ": adding column " + quote_ident(c.name));
                spdlog::info("sqlite destination: table {}: added column {} {}", quote_ident(name),
                             quote_ident(c.name), declared_type(c.type));
            }
        }
        db_.exec("COMMIT", ctx);
    } catch (...) {
        db_.rollback_quietly();
        throw;
    }

    table_entry t;
    for (const column& c : schema.columns) t.columns.emplace_back(c.name, c.type);
    t.is_key.assign(schema.columns.size(), false);
    for (std::size_t k : schema.key) t.is_key.at(k) = true;
    t.upsert = db_.prepare(upsert_sql(name, schema), ctx);
    t.sweep = db_.prepare(sweep_sql(name), ctx);
    t.scratch.resize(schema.columns.size() * max_timestamp_text);
    tables_.insert_or_assign(name, std::move(t));
}

sqlite_destination::table_entry& sqlite_destination::entry_for(const table_schema& schema) {
    auto it = tables_.find(sqlite_table_name(schema));
    if (it != tables_.end()) {
        const auto& cols = it->second.columns;
        bool same = cols.size() == schema.columns.size() &&
                    std::equal(cols.begin(), cols.end(), schema.columns.begin(), [](const auto& a, const column& c) {
                        return a.first == c.name && a.second == c.type;
                    });
        if (same) return it->second;
    }
    // A schema this destination has not prepared (first write, or it evolved).
    prepare_on_thread(schema);
    return tables_.at(sqlite_table_name(schema));
}

boost::asio::awaitable<std::optional<std::string>> sqlite_destination::read_cursor(const std::string& source,
                                                                                  const std::string& table) {
    co_return co_await on_thread([&, this]() -> std::optional<std::string> {
        require_open("read_cursor");
        const std::string ctx = fmt::format("sqlite destination: reading the cursor of {}.{}", source, table);
        statement q = db_.prepare("SELECT cursor FROM _sluice_state WHERE source = ?1 AND table_name = ?2", ctx);
        q.bind_text(1, source);
        q.bind_text(2, table);
        if (!q.step(ctx)) return std::nullopt;
        return std::string(q.column_text(0));
    });
}

boost::asio::awaitable<std::vector<state_row>> sqlite_destination::list_state() {
    co_return co_await on_thread([this] {
        require_open("list_state");
        const std::string ctx = "sqlite destination: listing _sluice_state";
        statement q = db_.prepare(
            "SELECT source, table_name, cursor, rows_synced, updated_at FROM _sluice_state "
            "ORDER BY source, table_name",
            ctx);
        std::vector<state_row> rows;
        while (q.step(ctx))
            rows.push_back(state_row{std::string(q.column_text(0)), std::string(q.column_text(1)),
                                     std::string(q.column_text(2)), q.column_int64(3),
                                     std::string(q.column_text(4))});
        return rows;
    });
}

boost::asio::awaitable<bool> sqlite_destination::reset_state(const std::string& source, const std::string& table) {
    co_return co_await on_thread([&, this] {
        require_open("reset_state");
        const std::string ctx = fmt::format("sqlite destination: resetting the cursor of {}.{}", source, table);
        statement q = db_.prepare("DELETE FROM _sluice_state WHERE source = ?1 AND table_name = ?2", ctx);
        q.bind_text(1, source);
        q.bind_text(2, table);
        q.step(ctx);
        return db_.changes() > 0;
    });
}

boost::asio::awaitable<std::vector<bucket_stats>> sqlite_destination::summarize(const table_schema& schema,
                                                                                 const bucket_query& q) {
    co_return co_await on_thread([this, &schema, &q] { return summarize_on_thread(schema, q); });
}

std::vector<bucket_stats> sqlite_destination::summarize_on_thread(const table_schema& schema, const bucket_query& q) {
    require_open("summarize");
    const std::string name = sqlite_table_name(schema);
    const std::string ctx = fmt::format("sqlite destination: table {}: summarizing", quote_ident(name));
    dest::check_bucket_query(schema, q, ctx);

    std::set<std::string> existing;
    statement info = db_.prepare("SELECT name FROM pragma_table_info(?1)", ctx);
    info.bind_text(1, name);
    while (info.step(ctx)) existing.insert(fold(info.column_text(0)));
    const column& time = schema.columns[q.time_column];
    // Nothing written yet (or never a time): no buckets, and no table created here.
    if (existing.empty() || !existing.count(fold(time.name))) return {};
    std::vector<std::string> ints;
    for (std::size_t c : q.int_columns) {
        const std::string& n = schema.columns[c].name;
        // A column the table gains only on its next write is NULL in every row so far.
        ints.push_back(existing.count(fold(n)) ? quote_ident(n) : "NULL");
    }

    // Reconcile's finer summaries and range sweeps touch one bucket each: without
    // an index on the time column every one of them scans the whole table. Created
    // on first use, so tables that are never reconciled pay nothing on writes.
    db_.exec(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote_ident(name + "__sluice_time"),
                         quote_ident(name), quote_ident(time.name)),
             ctx + ": indexing the time column");

    const std::optional<std::int64_t> lo_us =
        q.lo_ms ? std::optional<std::int64_t>(dest::ms_to_us_saturated(*q.lo_ms)) : std::nullopt;
    const auto range = time_range_sql(quote_ident(time.name), lo_us, dest::ms_to_us_saturated(q.hi_ms), 1);
    if (!range) return {};
    statement s = db_.prepare(summarize_sql(name, quote_ident(time.name), ints, q.width_ms, *range), ctx);
    for (std::size_t i = 0; i < range->params.size(); ++i) s.bind_text(static_cast<int>(i) + 1, range->params[i]);
    std::vector<bucket_stats> out;
    while (s.step(ctx)) out.push_back(bucket_stats{s.column_int64(0), s.column_int64(1), s.column_int64(2)});
    return out;
}

}  // namespace sqlite
}  // namespace sluice
