#include "destinations/postgres/pg_destination.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "destinations/postgres/pg_sql.hpp"
#include "destinations/value_text.hpp"
#include "sluice/clock.hpp"
#include "sluice/progress.hpp"

namespace sluice::pgdest {
namespace {

namespace asio = boost::asio;
using pg::connection;

// COPY rows go out in pieces of this size as they are encoded, so the server
// parses one piece while the next is encoded (and a batch is never held whole).
constexpr std::size_t copy_stream_chunk = 256u << 10;
constexpr std::size_t max_identifier = 63;  // NAMEDATALEN - 1: longer names are silently truncated

std::string timestamp_param(std::int64_t micros) {
    char buf[max_timestamp_text];
    return std::string(buf, dest::write_timestamp_pg(buf, micros));
}

// "postgres host=h port=p dbname=d user=u": the DSN without secrets.
std::string describe_dsn(const std::string& dsn) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
    if (!opts) {
        if (err) PQfreemem(err);
        return "postgres (unparsable dsn)";
    }
    std::string out = "postgres";
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        std::string_view k = o->keyword;
        if (o->val && *o->val && (k == "host" || k == "hostaddr" || k == "port" || k == "dbname" || k == "user"))
            out += fmt::format(" {}={}", k, o->val);
    }
    PQconninfoFree(opts);
    return out;
}

// Adds `context` in front of a pg_error's message, keeping kind and SQLSTATE.
[[noreturn]] void rethrow_with(std::exception_ptr ep, const std::string& context) {
    try {
        std::rethrow_exception(ep);
    } catch (const pg::pg_error& e) {
        throw pg::pg_error(e.kind(), context + ": " + e.what(), e.sqlstate());
    }
}

// String literals stay out of co_await expressions (sluice/coro.hpp); GCC 12 also
// rejects some of them there ("array used as initializer").
constexpr std::string_view sql_begin = "BEGIN";
constexpr std::string_view sql_commit = "COMMIT";
constexpr std::string_view sql_rollback = "ROLLBACK";
constexpr std::string_view sql_ping = "SELECT 1";
constexpr std::string_view sql_read_cursor =
    "SELECT cursor FROM sluice._sluice_state WHERE source = $1 AND table_name = $2";
constexpr std::string_view sql_reset_state =
    "DELETE FROM sluice._sluice_state WHERE source = $1 AND table_name = $2 RETURNING 1";
constexpr std::string_view sql_list_state =
    "SELECT source, table_name, cursor, rows_synced, "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    "FROM sluice._sluice_state ORDER BY source, table_name";

// Name and type OID of every column of a table.
constexpr std::string_view columns_sql =
    "SELECT a.attname, a.atttypid FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped";

std::int64_t parse_int64(std::string_view text, const std::string& what) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
        throw error(error_kind::fatal, fmt::format("{}: unexpected value '{}' from the server", what, text));
    return v;
}

// The type OIDs of what create_table_sql creates (fixed in pg_type.dat), so
// that binary COPY data meets the recv function it was encoded for.
std::string_view created_type_oid(value_type t) noexcept {
    switch (t) {
    case value_type::boolean: return "16";
    case value_type::bytes: return "17";
    case value_type::int64: return "20";
    case value_type::float64: return "701";
    case value_type::decimal: return "1700";
    case value_type::timestamp: return "1184";
    case value_type::date: return "1082";
    case value_type::json: return "3802";
    case value_type::string:
    case value_type::null: break;
    }
    return "25";  // text
}

constexpr std::string_view binary_option = " (FORMAT binary)";

bool same_columns(const std::vector<std::pair<std::string, value_type>>& cols, const table_schema& s) {
    return cols.size() == s.columns.size() &&
           std::equal(cols.begin(), cols.end(), s.columns.begin(),
                      [](const auto& a, const column& c) { return a.first == c.name && a.second == c.type; });
}

// CREATE … IF NOT EXISTS is not atomic: when two sessions (two writers of this
// process, two processes) create the same schema or table at once, the second
// fails on the catalog's unique index. Run again, it finds the object and passes.
bool lost_create_race(const pg::pg_error& e) {
    const std::string_view s = e.sqlstate();
    return s == "23505" || s == "42P06" || s == "42P07";
}

}  // namespace

asio::awaitable<void> pg_destination::exec_ddl(const std::string& sql) {
    try {
        co_await conn_->exec(sql);
        co_return;
    } catch (const pg::pg_error& e) {
        if (!lost_create_race(e)) throw;
    }
    co_await conn_->exec(sql);
}

pg_destination::pg_destination(const config::destination_config& cfg, asio::any_io_executor ex)
    : dsn_(cfg.dsn),
      password_(cfg.password),
      schema_prefix_(cfg.schema_prefix),
      description_(describe_dsn(cfg.dsn)),
      ex_(std::move(ex)) {}

pg_destination::~pg_destination() = default;

std::string pg_destination::target_name(const table_schema& schema) const {
    const std::string& table = schema.destination_table();
    return connection::quote_ident(schema_prefix_ + schema.source) + "." + connection::quote_ident(table);
}

asio::awaitable<void> pg_destination::ensure_connected() {
    if (conn_ && conn_->connected()) co_return;
    conn_ = std::make_unique<connection>(ex_);
    co_await conn_->connect(dsn_, password_);
    // Temp tables die with the old session.
    for (auto& [name, t] : tables_) t.stage = -1;
    const std::string state_sql = create_state_sql();  // named: sluice/coro.hpp
    co_await exec_ddl(state_sql);
}

asio::awaitable<void> pg_destination::connect() { co_await ensure_connected(); }

void pg_destination::close() {
    if (conn_) conn_->close();
}

asio::awaitable<void> pg_destination::ping() {
    co_await ensure_connected();
    co_await conn_->exec(sql_ping);
}

asio::awaitable<void> pg_destination::prepare_table(const table_schema& schema) {
    co_await ensure_connected();
    const std::string schema_name = schema_prefix_ + schema.source;
    const std::string table = schema.destination_table();
    const std::string target = target_name(schema);
    const std::string ctx = "postgres destination: table " + target + ": preparing";
    if (schema.key.empty()) throw error(error_kind::fatal, ctx + ": the schema has no key");
    if (schema_name.size() > max_identifier || table.size() > max_identifier)
        throw error(error_kind::fatal, fmt::format("{}: schema or table name is longer than PostgreSQL's {} bytes",
                                                   ctx, max_identifier));
    for (const column& c : schema.columns) {
        if (c.name == synced_at_column || c.name == deleted_column)
            throw error(error_kind::fatal,
                        fmt::format("{}: source column \"{}\" collides with sluice's own column", ctx, c.name));
        if (c.name.size() > max_identifier)
            throw error(error_kind::fatal, fmt::format("{}: column name \"{}\" is longer than PostgreSQL's {} bytes",
                                                       ctx, c.name, max_identifier));
    }

    bool empty = true;
    std::string text_only;  // why this table's COPY stays in text format
    std::exception_ptr ep;
    try {
        const std::string create_schema = "CREATE SCHEMA IF NOT EXISTS " + connection::quote_ident(schema_name);
        co_await exec_ddl(create_schema);
        const std::vector<pg::param> names{schema_name, table};
        pg::result r = co_await conn_->exec(columns_sql, names);
        if (r.rows() == 0) {
            const std::string create_sql = create_table_sql(target, schema);  // named: sluice/coro.hpp
            co_await exec_ddl(create_sql);
        } else {
            std::map<std::string, std::string, std::less<>> existing;  // name -> type OID
            for (int i = 0; i < r.rows(); ++i) existing.emplace(r.get(i, 0), r.get(i, 1));
            // A column of another type than sluice creates (changed by hand, say)
            // reads text input only: its binary form may differ.
            auto check_type = [&](std::string_view name, value_type type) {
                auto it = existing.find(name);
                if (it != existing.end() && it->second != created_type_oid(type) && text_only.empty())
                    text_only = fmt::format("column {} is not {}", connection::quote_ident(name), pg_type(type));
            };
            check_type(synced_at_column, value_type::timestamp);
            check_type(deleted_column, value_type::boolean);
            for (std::size_t i = 0; i < schema.columns.size(); ++i) {
                const column& c = schema.columns[i];
                check_type(c.name, c.type);
                if (existing.count(c.name)) continue;
                if (std::find(schema.key.begin(), schema.key.end(), i) != schema.key.end())
                    throw error(error_kind::fatal,
                                fmt::format("{}: key column \"{}\" is missing from the existing table; a primary "
                                            "key cannot be changed in place",
                                            ctx, c.name));
                const std::string add_sql = add_column_sql(target, c);
                co_await conn_->exec(add_sql);
                spdlog::info("postgres destination: table {}: added column {} {}", target,
                             connection::quote_ident(c.name), pg_type(c.type));
            }
            const std::string probe = "SELECT NOT EXISTS (SELECT 1 FROM " + target + ")";
            pg::result e = co_await conn_->exec(probe);
            empty = e.get(0, 0) == "t";
        }
    } catch (const pg::pg_error&) {
        ep = std::current_exception();
    }
    if (ep) rethrow_with(ep, ctx);

    table_entry t;
    for (const column& c : schema.columns) t.columns.emplace_back(c.name, c.type);
    t.target = target;
    t.copy_target = copy_sql(target, schema);
    t.sweep = sweep_sql(target);
    t.direct = empty;
    t.binary = text_only.empty();
    if (!t.binary) spdlog::info("postgres destination: table {}: COPY in text format: {}", target, text_only);
    auto it = tables_.find(target);
    if (it != tables_.end()) {
        // Only tables this process has filled by direct COPY alone keep the shortcut.
        t.direct = it->second.direct;
        if (it->second.stage >= 0) {  // the staging table has the old columns
            const std::string drop = fmt::format("DROP TABLE IF EXISTS pg_temp.sluice_stage_{}", it->second.stage);
            co_await conn_->exec(drop);
        }
    }
    tables_.insert_or_assign(target, std::move(t));
}

asio::awaitable<pg_destination::table_entry*> pg_destination::entry_for(const table_schema& schema) {
    const std::string target = target_name(schema);
    auto it = tables_.find(target);
    if (it == tables_.end() || !same_columns(it->second.columns, schema)) {
        co_await prepare_table(schema);
        it = tables_.find(target);
    }
    co_return &it->second;
}

asio::awaitable<void> pg_destination::ensure_stage(table_entry& t, const table_schema& schema) {
    if (t.stage >= 0) co_return;
    // Named by a counter, never after the table: any table name fits.
    const int n = ++stages_created_;
    const std::string name = fmt::format("sluice_stage_{}", n);
    const std::string stage_sql = create_stage_sql(name, t.target);  // named: sluice/coro.hpp
    co_await conn_->exec(stage_sql);
    t.copy_stage = copy_sql("pg_temp." + name, schema);
    t.merge = merge_sql(t.target, "pg_temp." + name, schema);
    t.stage = n;
}

asio::awaitable<void> pg_destination::rollback_quietly() {
    bool failed = false;
    try {
        if (conn_ && conn_->connected()) co_await conn_->exec(sql_rollback);
    } catch (...) {
        failed = true;
    }
    // A session whose state is unknown (e.g. stuck in COPY) is not reused.
    if (failed && conn_) conn_->close();
}

asio::awaitable<std::optional<std::uint64_t>> pg_destination::write_transaction(table_entry& t, const batch& b,
                                                                                bool direct, bool binary,
                                                                                std::size_t rows,
                                                                                std::int64_t synced_at_us) {
    const table_schema& schema = b.schema();
    const std::string now = timestamp_param(synced_at_us);
    const std::string where = fmt::format("postgres destination: table {}: writing {} rows{}", t.target, rows,
                                          direct ? " by direct COPY" : "");
    // The sweep, worked out before BEGIN so that a bad range fails without a transaction.
    std::string sweep;
    std::vector<pg::param> sweep_params;
    if (b.soft_delete_unseen_before) {
        sweep_params.emplace_back(timestamp_param(*b.soft_delete_unseen_before));
        if (!b.soft_delete_range) {
            sweep = t.sweep;
        } else {
            const batch::sweep_range& r = *b.soft_delete_range;
            if (r.column >= schema.columns.size() || schema.columns[r.column].type != value_type::timestamp)
                throw error(error_kind::fatal, where + ": the sweep range's column is not a timestamp column");
            const auto range =
                time_range_sql(connection::quote_ident(schema.columns[r.column].name), r.lo_us, r.hi_us, 2);
            if (range) {
                sweep = range_sweep_sql(t.target, *range);
                for (const std::string& p : range->params) sweep_params.emplace_back(p);
            }
        }
    }
    std::uint64_t swept = 0;
    std::exception_ptr ep;
    try {
        co_await conn_->exec(sql_begin);
        if (rows > 0) {
            std::string copy_statement = direct ? t.copy_target : t.copy_stage;
            if (binary) copy_statement += binary_option;
            co_await conn_->copy_start(copy_statement);
            std::exception_ptr bad_row;
            bool complete = false;
            try {
                complete = co_await stream_rows(b, binary, synced_at_us, where);
            } catch (const data_error&) {
                bad_row = std::current_exception();
            }
            if (!complete) {
                // A clean CopyFail keeps the session (and the other tables' writes) alive.
                const std::string_view why = "a row sluice could not encode";  // named: sluice/coro.hpp
                co_await conn_->copy_abort(why);
                co_await conn_->exec(sql_rollback);
                if (bad_row) std::rethrow_exception(bad_row);
                co_return std::nullopt;
            }
            co_await conn_->copy_end();
            if (!direct) co_await conn_->exec(t.merge);
        }
        if (!b.cursor.empty()) {
            const std::vector<pg::param> params{schema.source, schema.table, b.cursor, std::to_string(b.rows()),
                                                now};
            const std::string upsert_sql = upsert_state_sql();
            co_await conn_->exec(upsert_sql, params);
        } else if (b.rows() > 0) {
            // Rows without a new cursor still count towards the table's total.
            const std::vector<pg::param> params{std::to_string(b.rows()), now, schema.source, schema.table};
            const std::string bump_sql = bump_state_sql();
            co_await conn_->exec(bump_sql, params);
        }
        if (!sweep.empty()) {
            pg::result r = co_await conn_->exec(sweep, sweep_params);
            swept = static_cast<std::uint64_t>(parse_int64(r.command_tuples(), where + ": soft-deleting"));
        }
        co_await conn_->exec(sql_commit);
        co_return std::optional<std::uint64_t>(swept);
    } catch (...) {
        ep = std::current_exception();
    }
    co_await rollback_quietly();
    rethrow_with(ep, where);
}

asio::awaitable<bool> pg_destination::stream_rows(const batch& b, bool binary, std::int64_t synced_at_us,
                                                  const std::string& where) {
    copy_storage& out = binary ? static_cast<copy_storage&>(binary_) : copy_;
    std::string text_suffix;  // the text form's synced-at and deleted fields
    if (binary) {
        binary_.begin();
    } else {
        text_suffix = "\t" + timestamp_param(synced_at_us) + "\tf";
        copy_.clear();
    }
    for (std::size_t r = 0; r < b.rows(); ++r) {
        if (!dedupe_.keep(r)) continue;
        if (!binary) {
            copy_.append_row(b, r, text_suffix, where);
        } else if (!binary_.append_row(b, r, synced_at_us, where)) {
            spdlog::debug("{}: a value of row {} has no exact binary COPY form; this batch goes as text", where, r);
            co_return false;
        }
        if (out.size() >= copy_stream_chunk) {
            const std::string_view piece = out.view();  // named: sluice/coro.hpp
            co_await conn_->copy_put(piece);
            out.clear();
        }
    }
    if (binary) binary_.finish();
    const std::string_view rest = out.view();  // named: sluice/coro.hpp
    co_await conn_->copy_put(rest);
    co_return true;
}

asio::awaitable<void> pg_destination::write(const batch& b) {
    co_await ensure_connected();
    const table_schema& schema = b.schema();
    table_entry* t = co_await entry_for(schema);
    const std::string where = "postgres destination: table " + t->target;

    const std::size_t rows = dedupe_.run(b);
    const std::int64_t synced_at = now_us();
    bool binary = t->binary;
    // At most three tries: a direct COPY that meets existing rows goes on by merging,
    // and a batch with a value binary COPY cannot carry goes again as text.
    std::optional<std::uint64_t> swept;
    while (!swept) {
        const bool direct = t->direct;
        if (!direct) co_await ensure_stage(*t, schema);
        try {
            swept = co_await write_transaction(*t, b, direct, binary, rows, synced_at);
        } catch (const pg::pg_error& e) {
            if (!direct || e.sqlstate() != "23505") throw;
            spdlog::info("{}: rows already present, switching from direct COPY to merging", where);
            t->direct = false;
            continue;
        }
        if (!swept) binary = false;
    }

    if (b.progress) {
        b.progress->rows_written += b.rows();
        b.progress->rows_soft_deleted += *swept;
        b.progress->batches_written += 1;
        if (!b.cursor.empty()) b.progress->set_committed_cursor(b.cursor);
    }
}

asio::awaitable<std::optional<std::string>> pg_destination::read_cursor(const std::string& source,
                                                                       const std::string& table) {
    co_await ensure_connected();
    const std::vector<pg::param> params{source, table};
    pg::result r = co_await conn_->exec(sql_read_cursor, params);
    if (r.rows() == 0) co_return std::nullopt;
    co_return std::string(r.get(0, 0));
}

asio::awaitable<std::vector<state_row>> pg_destination::list_state() {
    co_await ensure_connected();
    pg::result r = co_await conn_->exec(sql_list_state);
    std::vector<state_row> rows;
    for (int i = 0; i < r.rows(); ++i)
        rows.push_back(state_row{std::string(r.get(i, 0)), std::string(r.get(i, 1)), std::string(r.get(i, 2)),
                                 std::stoll(std::string(r.get(i, 3))), std::string(r.get(i, 4))});
    co_return rows;
}

asio::awaitable<bool> pg_destination::reset_state(const std::string& source, const std::string& table) {
    co_await ensure_connected();
    const std::vector<pg::param> params{source, table};
    pg::result r = co_await conn_->exec(sql_reset_state, params);
    co_return r.rows() > 0;
}

asio::awaitable<std::vector<bucket_stats>> pg_destination::summarize(const table_schema& schema,
                                                                    const bucket_query& q) {
    co_await ensure_connected();
    const std::string target = target_name(schema);
    const std::string ctx = "postgres destination: table " + target + ": summarizing";
    dest::check_bucket_query(schema, q, ctx);
    const column& time = schema.columns[q.time_column];
    const std::optional<std::int64_t> lo_us =
        q.lo_ms ? std::optional<std::int64_t>(dest::ms_to_us_saturated(*q.lo_ms)) : std::nullopt;
    const auto range = time_range_sql(connection::quote_ident(time.name), lo_us, dest::ms_to_us_saturated(q.hi_ms), 1);

    std::vector<bucket_stats> out;
    if (!range) co_return out;
    std::exception_ptr ep;
    try {
        const std::vector<pg::param> names{schema_prefix_ + schema.source, schema.destination_table()};
        pg::result cols = co_await conn_->exec(columns_sql, names);
        std::set<std::string, std::less<>> existing;
        for (int i = 0; i < cols.rows(); ++i) existing.emplace(cols.get(i, 0));
        // Nothing written yet (or never a time): no buckets, and no table created here.
        if (existing.empty() || !existing.count(time.name)) co_return out;
        std::vector<std::string> ints;
        for (std::size_t c : q.int_columns) {
            const std::string& n = schema.columns[c].name;
            // A column the table gains only on its next write is NULL in every row so far.
            ints.push_back(existing.count(n) ? connection::quote_ident(n) : "NULL::bigint");
        }
        const std::string sql = summarize_sql(target, connection::quote_ident(time.name), ints, q.width_ms, *range,
                                              conn_->server_version() >= 140000);
        const std::vector<pg::param> params(range->params.begin(), range->params.end());
        pg::result r = co_await conn_->exec(sql, params);
        out.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i)
            out.push_back(bucket_stats{parse_int64(r.get(i, 0), ctx), parse_int64(r.get(i, 1), ctx),
                                       parse_int64(r.get(i, 2), ctx)});
    } catch (const pg::pg_error&) {
        ep = std::current_exception();
    }
    if (ep) rethrow_with(ep, ctx);
    co_return out;
}

}  // namespace sluice::pgdest
