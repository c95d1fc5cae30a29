// The hot path of the SQLite destination: one transaction per batch with the
// cached upsert, values bound in place (SQLITE_STATIC, no copies).

#include <sqlite3.h>

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "destinations/sqlite/run_on.hpp"
#include "destinations/sqlite/sqlite_ddl.hpp"
#include "destinations/sqlite/sqlite_destination.hpp"
#include "destinations/value_text.hpp"
#include "sluice/clock.hpp"
#include "sluice/error.hpp"
#include "sluice/progress.hpp"

namespace sluice::sqlite {
namespace {

// Resets the table statements even when a step threw, so none holds the
// transaction open or keeps pointers into a batch that is going away.
struct reset_guard {
    statement* a;
    statement* b;
    statement* c;
    ~reset_guard() {
        for (statement* s : {a, b, c})
            if (s && *s) {
                s->reset();
                sqlite3_clear_bindings(s->get());
            }
    }
};

}  // namespace

void sqlite_destination::bind_row(table_entry& t, const batch& b, std::size_t row, const std::string& where) {
    sqlite3_stmt* s = t.upsert.get();
    const auto& cols = t.columns;
    for (std::size_t c = 0; c < cols.size(); ++c) {
        const value_view v = b.at(row, c);
        const int idx = static_cast<int>(c) + 1;
        if (v.type != cols[c].second) {
            if (!dest::cell_fits(cols[c].second, v.type)) dest::throw_type_mismatch(where, b, row, c);
            // An INTEGER PRIMARY KEY would silently turn NULL into a new rowid.
            if (v.is_null() && t.is_key[c])
                throw data_error(fmt::format("{}: key column {} is NULL in row {} of {}", where,
                                             quote_ident(cols[c].first), row + 1, b.rows()));
        }
        switch (v.type) {
        case value_type::null: sqlite3_bind_null(s, idx); break;
        case value_type::boolean:
        case value_type::int64: sqlite3_bind_int64(s, idx, v.i); break;
        case value_type::float64:
            // SQLite stores NaN as NULL; TEXT survives REAL affinity unchanged.
            if (std::isnan(v.d))
                sqlite3_bind_text(s, idx, "NaN", 3, SQLITE_STATIC);
            else
                sqlite3_bind_double(s, idx, v.d);
            break;
        case value_type::bytes:
            // A null pointer would bind NULL instead of an empty blob.
            sqlite3_bind_blob(s, idx, v.s.data() ? v.s.data() : "", static_cast<int>(v.s.size()), SQLITE_STATIC);
            break;
        case value_type::timestamp: {
            char* buf = t.scratch.data() + c * max_timestamp_text;
            sqlite3_bind_text(s, idx, buf, static_cast<int>(write_timestamp_micros(buf, v.i)), SQLITE_STATIC);
            break;
        }
        case value_type::date: {
            char* buf = t.scratch.data() + c * max_timestamp_text;
            sqlite3_bind_text(s, idx, buf, static_cast<int>(write_date_days(buf, v.i)), SQLITE_STATIC);
            break;
        }
        default:  // decimal, string, json
            sqlite3_bind_text(s, idx, v.s.data() ? v.s.data() : "", static_cast<int>(v.s.size()), SQLITE_STATIC);
        }
    }
}

std::uint64_t sqlite_destination::write_on_thread(const batch& b) {
    require_open("write");
    const table_schema& schema = b.schema();
    table_entry& t = entry_for(schema);
    const std::string name = sqlite_table_name(schema);
    const std::string where = "sqlite destination: table " + quote_ident(name);

    char now[max_timestamp_text];
    const std::string_view now_text(now, write_timestamp_micros(now, now_us()));
    std::uint64_t swept = 0;

    db_.exec("BEGIN IMMEDIATE", where + ": beginning a transaction");
    try {
        reset_guard guard{&t.upsert, &upsert_state_, &bump_state_};
        // Bindings persist across sqlite3_reset: the synced-at value is bound once.
        t.upsert.bind_text(static_cast<int>(t.columns.size()) + 1, now_text);
        for (std::size_t r = 0; r < b.rows(); ++r) {
            bind_row(t, b, r, where);
            int rc = sqlite3_step(t.upsert.get());
            sqlite3_reset(t.upsert.get());
            if (rc != SQLITE_DONE)
                fail(db_.get(), rc,
                     fmt::format("{}: upserting row {} of {} (key {})", where, r + 1, b.rows(),
                                 dest::describe_key(b, r)));
        }
        if (!b.cursor.empty()) {
            upsert_state_.bind_text(1, schema.source);
            upsert_state_.bind_text(2, schema.table);
            upsert_state_.bind_text(3, b.cursor);
            upsert_state_.bind_int64(4, static_cast<std::int64_t>(b.rows()));
            upsert_state_.bind_text(5, now_text);
            upsert_state_.step(where + ": storing the cursor");
        } else if (b.rows() > 0) {
            // Rows without a new cursor still count towards the table's total.
            bump_state_.bind_int64(1, static_cast<std::int64_t>(b.rows()));
            bump_state_.bind_text(2, now_text);
            bump_state_.bind_text(3, schema.source);
            bump_state_.bind_text(4, schema.table);
            bump_state_.step(where + ": counting rows");
        }
        if (b.soft_delete_unseen_before) swept = sweep_on_thread(t, b, where);
        db_.exec("COMMIT", where + ": committing");
    } catch (...) {
        db_.rollback_quietly();
        throw;
    }
    return swept;
}

std::uint64_t sqlite_destination::sweep_on_thread(table_entry& t, const batch& b, const std::string& where) {
    char buf[max_timestamp_text];
    const std::string_view before(buf, write_timestamp_micros(buf, *b.soft_delete_unseen_before));
    const std::string ctx = fmt::format("{}: soft-deleting rows not seen since {}", where, before);
    if (!b.soft_delete_range) {
        t.sweep.bind_text(1, before);
        t.sweep.step(ctx);
        t.sweep.reset();
        return static_cast<std::uint64_t>(db_.changes());
    }
    const batch::sweep_range& r = *b.soft_delete_range;
    const table_schema& schema = b.schema();
    if (r.column >= schema.columns.size() || schema.columns[r.column].type != value_type::timestamp)
        throw error(error_kind::fatal, ctx + ": the sweep range's column is not a timestamp column");
    const auto range = time_range_sql(quote_ident(schema.columns[r.column].name), r.lo_us, r.hi_us, 2);
    if (!range) return 0;
    // Rare (one per reconciled range), so prepared per use rather than cached.
    statement s = db_.prepare(range_sweep_sql(sqlite_table_name(schema), *range), ctx);
    s.bind_text(1, before);
    for (std::size_t i = 0; i < range->params.size(); ++i) s.bind_text(static_cast<int>(i) + 2, range->params[i]);
    s.step(ctx);
    return static_cast<std::uint64_t>(db_.changes());
}

boost::asio::awaitable<void> sqlite_destination::write(const batch& b) {
    const std::uint64_t swept = co_await on_thread([this, &b] { return write_on_thread(b); });
    if (b.progress) {
        b.progress->rows_written += b.rows();
        b.progress->rows_soft_deleted += swept;
        b.progress->batches_written += 1;
        if (!b.cursor.empty()) b.progress->set_committed_cursor(b.cursor);
    }
}

}  // namespace sluice::sqlite
