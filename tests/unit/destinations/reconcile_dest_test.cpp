// The destination side of reconcile: fingerprint columns, floor division, the
// SQLite summary against an independent computation, range sweeps and their
// counts, restoring deleted rows, and the PostgreSQL SQL text (the PostgreSQL
// destination itself needs a server: the e2e tests cover it).

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "dest_test_util.hpp"
#include "destinations/postgres/pg_sql.hpp"
#include "destinations/sqlite/sqlite_ddl.hpp"
#include "sluice/batch.hpp"
#include "sluice/config.hpp"
#include "sluice/destination.hpp"
#include "sluice/progress.hpp"
#include "sluice/reconcile.hpp"

using namespace sluice;
using dest_test::run;

namespace {

constexpr std::int64_t P = fingerprint_modulus;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

std::int64_t now_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// The columns' names are chosen to collide with the summary's own aliases.
table_schema_ptr events_schema(const std::string& table = "events") {
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = table;
    s->dest_table = table;
    s->columns = {{"id", value_type::int64, "bigint", false},
                  {"e", value_type::timestamp, "timestamptz", true},
                  {"v0", value_type::int64, "bigint", true},
                  {"we\"ird", value_type::int64, "bigint", true},
                  {"note", value_type::string, "text", true}};
    s->key = {0};
    s->cursor_column = 1;
    return s;
}

struct row {
    std::int64_t id;
    std::optional<std::int64_t> ts;  // µs
    std::optional<std::int64_t> a;
    std::optional<std::int64_t> b;
    bool deleted = false;
};

void put_opt_int(batch& bt, const std::optional<std::int64_t>& v) {
    if (v)
        bt.put_int64(*v);
    else
        bt.put_null();
}

batch_ptr make_batch(const table_schema_ptr& s, const std::vector<row>& rows) {
    auto b = std::make_unique<batch>(s, rows.size());
    for (const row& r : rows) {
        b->put_int64(r.id);
        if (r.ts)
            b->put_timestamp(*r.ts);
        else
            b->put_null();
        put_opt_int(*b, r.a);
        put_opt_int(*b, r.b);
        b->put_text(value_type::string, "n");
        b->end_row();
    }
    return b;
}

// What summarize must return, computed from the rows themselves.
std::vector<bucket_stats> expected(const std::vector<row>& rows, std::optional<std::int64_t> lo_ms,
                                   std::int64_t hi_ms, std::int64_t width) {
    std::map<std::int64_t, bucket_stats> m;
    for (const row& r : rows) {
        if (r.deleted || !r.ts) continue;
        const std::int64_t ms = floor_div(*r.ts, 1000);
        if ((lo_ms && ms < *lo_ms) || ms >= hi_ms) continue;
        const std::int64_t bucket = floor_div(ms, width);
        bucket_stats& st = m[bucket];
        st.bucket = bucket;
        st.rows += 1;
        // C++ % truncates toward zero, like the SQL engines.
        st.fingerprint += ms % P + r.id % P + r.a.value_or(0) % P + r.b.value_or(0) % P;
    }
    std::vector<bucket_stats> out;
    for (auto& [k, v] : m) out.push_back(v);
    return out;
}

struct fixture {
    dest_test::temp_dir dir;
    std::string file = (dir.path / "dest.db").string();
    boost::asio::io_context io;
    std::unique_ptr<destination> dest;

    fixture() {
        config::destination_config cfg;
        cfg.type = "sqlite";
        cfg.path = file;
        dest = make_destination(cfg, io.get_executor());
        run(io, dest->connect());
    }
    void write(const batch& b) { run(io, dest->write(b)); }
    std::vector<bucket_stats> summarize(const table_schema_ptr& s, std::optional<std::int64_t> lo_ms,
                                        std::int64_t hi_ms, std::int64_t width) {
        bucket_query q;
        q.time_column = *s->cursor_column;
        q.int_columns = fingerprint_columns(*s);
        q.lo_ms = lo_ms;
        q.hi_ms = hi_ms;
        q.width_ms = width;
        return run(io, dest->summarize(*s, q));
    }
    // A second connection that writes, as a user of the file could.
    void exec(const std::string& sql) {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        char* err = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
        INFO(sql << ": " << (err ? err : ""));
        sqlite3_free(err);
        sqlite3_close(db);
        REQUIRE(rc == SQLITE_OK);
    }
    std::string scalar(const std::string& sql) { return dest_test::reader(file).scalar(sql); }
};

std::string mark_deleted_sql(const std::vector<row>& rows) {
    std::string ids;
    for (const row& r : rows)
        if (r.deleted) ids += (ids.empty() ? "" : ", ") + std::to_string(r.id);
    return "UPDATE \"src__events\" SET \"_sluice_deleted\" = 1 WHERE id IN (" + ids + ")";
}

// Evaluates one integer SQL expression in an in-memory SQLite.
std::int64_t sqlite_eval(const std::string& expr) {
    sqlite3* db = nullptr;
    sqlite3_open(":memory:", &db);
    sqlite3_stmt* s = nullptr;
    const std::string sql = "SELECT " + expr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const std::int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

}  // namespace

TEST_CASE("reconcile: fingerprint columns are the int64 columns except a synthetic key") {
    table_schema s;
    s.columns = {{"a", value_type::int64, "", true},       {"t", value_type::timestamp, "", true},
                 {"b", value_type::int64, "", true},       {"f", value_type::float64, "", true},
                 {"flag", value_type::boolean, "", true}, {"k", value_type::int64, "", true}};
    CHECK(fingerprint_columns(s) == std::vector<std::size_t>{0, 2, 5});
    s.synthetic_key = true;  // the last column is `_sluice_key`, whatever its type
    CHECK(fingerprint_columns(s) == std::vector<std::size_t>{0, 2});
    s.columns.back() = {synthetic_key_column, value_type::string, "", false};
    CHECK(fingerprint_columns(s) == std::vector<std::size_t>{0, 2});
}

TEST_CASE("reconcile: floor_div_sql is the header's text and floors in a truncating engine") {
    CHECK(floor_div_sql("x", 3600000) == "((x) - ((((x) % 3600000) + 3600000) % 3600000)) / 3600000");
    for (std::int64_t x : {-7200001LL, -7200000LL, -3600001LL, -3600000LL, -1LL, 0LL, 1LL, 3599999LL, 3600000LL,
                           -62167219200000LL, 253402300799999LL})
        for (std::int64_t w : {1LL, 1000LL, 3600000LL, 86400000LL}) {
            INFO(x << " / " << w);
            CHECK(sqlite_eval(floor_div_sql(std::to_string(x), w)) == floor_div(x, w));
        }
}

TEST_CASE("sqlite summarize: buckets, ms floors, negative epochs, NULLs, deleted rows, bounds") {
    fixture f;
    auto s = events_schema();
    // An absent table has no buckets and is not created.
    CHECK(f.summarize(s, std::nullopt, 1'000'000, 1000).empty());
    CHECK(f.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'src__events'") == "0");

    const std::int64_t day = 86'400'000'000;
    std::vector<row> rows = {
        {1, -1, 5, std::nullopt},                  // 1969-12-31T23:59:59.999999: ms -1
        {2, -1000, -7, 3},                         // exactly -1 ms
        {3, -1001, 1'000'004, -1'000'004},         // -1.001 ms floors to -2; ints past P
        {4, 0, std::nullopt, std::nullopt},        // the epoch
        {5, 999, 0, 0},                            // still ms 0
        {6, 1000, -5'000'000, 9'000'000'000'000},  // ms 1; negative remainders stay negative
        {7, -day - 1, 1, 1},                       // the day before yesterday's last µs
        {8, -day, 2, 2},
        {9, 1'714'566'896'123'999, 42, std::nullopt},  // 2024-05-01T12:34:56.123999
        {10, 1'714'566'896'124'000, 43, 44},
        {11, std::nullopt, 1, 1},                  // no time: in no bucket
        {12, 1'714'566'896'124'500, 7, 7, true},   // deleted: left out
        {13, -2'208'988'800'000'000, 3, 3},        // 1900-01-01
        {14, -62'167'219'200'000'000, 1, 2},       // 0000-01-01, the first fixed-width instant
    };
    f.write(*make_batch(s, rows));
    f.exec(mark_deleted_sql(rows));

    for (std::int64_t w : {1LL, 1000LL, 3'600'000LL, 86'400'000LL, 7LL}) {
        // A pair, not a structured binding: clang 14 cannot capture one (INFO is a lambda).
        for (const auto& range : std::vector<std::pair<std::optional<std::int64_t>, std::int64_t>>{
                 {std::nullopt, 2'000'000'000'000},
                 {-1, 1},
                 {-2, 0},
                 {0, 2},
                 {-86'400'001, 1'714'566'896'124},
                 {1'714'566'896'123, 1'714'566'896'125},
                 {std::nullopt, -86'400'000},
                 {-62'167'219'200'000, -62'167'219'199'999},
                 {5, 5},
                 {6, 5}}) {
            const auto lo = range.first;
            const auto hi = range.second;
            INFO("width " << w << " lo " << (lo ? std::to_string(*lo) : "none") << " hi " << hi);
            CHECK(f.summarize(s, lo, hi, w) == expected(rows, lo, hi, w));
        }
    }
    // One check spelled out, so that the reference is not the only witness:
    // per row ms + id + a + b, each mod P.
    const auto one = f.summarize(s, -2, 2, 1000);
    REQUIRE(one.size() == 2);
    CHECK(one[0] == bucket_stats{-1, 3, (-1 + 1 + 5) + (-1 + 2 - 7 + 3) + (-2 + 3 + 1 + (-1))});
    CHECK(one[1] == bucket_stats{0, 3, (0 + 4) + (0 + 5) + (1 + 6 + (-5'000'000 % P) + (9'000'000'000'000 % P))});
}

TEST_CASE("sqlite summarize matches the reference on random rows and queries") {
    fixture f;
    auto s = events_schema();
    std::mt19937_64 rng(20261129);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    const std::int64_t centres[] = {0, 1'714'566'896'000'000, -1'000'000'000'000'000};
    std::vector<row> rows;
    for (std::int64_t id = 1; id <= 600; ++id) {
        row r;
        r.id = id;
        const std::int64_t c = centres[pick(0, 2)];
        // Spread over days, and sometimes clustered within a few ms.
        r.ts = pick(0, 3) == 0 ? c + pick(-5000, 5000) : c + pick(-3 * 86'400'000'000LL, 3 * 86'400'000'000LL);
        if (pick(0, 30) == 0) r.ts.reset();
        auto int_value = [&]() -> std::optional<std::int64_t> {
            switch (pick(0, 4)) {
            case 0: return std::nullopt;
            case 1: return pick(INT64_MIN, INT64_MAX);
            default: return pick(-3'000'000, 3'000'000);
            }
        };
        r.a = int_value();
        r.b = int_value();
        r.deleted = pick(0, 9) == 0;
        rows.push_back(r);
    }
    f.write(*make_batch(s, rows));
    f.exec(mark_deleted_sql(rows));
    for (int i = 0; i < 60; ++i) {
        const std::int64_t c = centres[pick(0, 2)] / 1000;
        std::optional<std::int64_t> lo;
        if (pick(0, 3) != 0) lo = c + pick(-4 * 86'400'000LL, 4 * 86'400'000LL);
        const std::int64_t hi = (lo ? *lo : c) + pick(-1000, 5 * 86'400'000LL);
        const std::int64_t widths[] = {1, 3, 1000, 60'000, 3'600'000, 86'400'000};
        const std::int64_t w = widths[pick(0, 5)];
        INFO("lo " << (lo ? std::to_string(*lo) : "none") << " hi " << hi << " width " << w);
        CHECK(f.summarize(s, lo, hi, w) == expected(rows, lo, hi, w));
    }
}

TEST_CASE("sqlite summarize: columns the table does not have yet count as NULL") {
    fixture f;
    auto s = events_schema();
    std::vector<row> rows = {{1, 1'000'000, 10, 20}, {2, 2'500'000, 11, std::nullopt}};
    f.write(*make_batch(s, rows));
    auto wider = std::make_shared<table_schema>(*s);
    wider->columns.push_back({"added", value_type::int64, "bigint", true});
    bucket_query q;
    q.time_column = 1;
    q.int_columns = fingerprint_columns(*wider);
    REQUIRE(q.int_columns.size() == 4);
    q.hi_ms = 10'000;
    q.width_ms = 1000;
    CHECK(run(f.io, f.dest->summarize(*wider, q)) == expected(rows, std::nullopt, 10'000, 1000));
    // A time column the table lacks: nothing to summarize.
    wider->columns.push_back({"later", value_type::timestamp, "timestamptz", true});
    q.time_column = wider->columns.size() - 1;
    CHECK(run(f.io, f.dest->summarize(*wider, q)).empty());
    // The table was not altered by asking.
    CHECK(f.scalar("SELECT count(*) FROM pragma_table_info('src__events') WHERE name = 'added'") == "0");
}

TEST_CASE("sqlite range sweep: marks only unseen rows of its range, and counts them") {
    fixture f;
    auto s = events_schema();
    auto progress = std::make_shared<table_progress>("src.events");
    // Rows at ms 0..9 (ids 1..10), then ids 11 and 12 with no time and before the range.
    std::vector<row> rows;
    for (std::int64_t i = 0; i < 10; ++i) rows.push_back({i + 1, i * 1000, i, i});
    rows.push_back({11, std::nullopt, 0, 0});
    rows.push_back({12, -1, 0, 0});
    f.write(*make_batch(s, rows));
    f.exec("UPDATE \"src__events\" SET \"_sluice_deleted\" = 1 WHERE id = 5");  // already deleted

    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const std::int64_t reread_start = now_micros();
    // A re-read of [2 ms, 8 ms) delivers ids 3 and 4 again (id 3 changed); 5..8 vanished.
    std::vector<row> again = {{3, 2000, 100, 2}, {4, 3000, 3, 3}};
    auto reread = make_batch(s, again);
    reread->progress = progress;
    f.write(*reread);
    auto sweep = std::make_unique<batch>(s, 0);
    sweep->soft_delete_unseen_before = reread_start;
    sweep->soft_delete_range = batch::sweep_range{1, 2000, 8000};
    sweep->progress = progress;
    f.write(*sweep);

    CHECK(progress->rows_soft_deleted.load() == 3);  // 6, 7, 8: 5 was already deleted
    CHECK(f.scalar("SELECT group_concat(id) FROM (SELECT id FROM \"src__events\" WHERE \"_sluice_deleted\" = 1 "
                   "ORDER BY id)") == "5,6,7,8");
    // The destination now agrees with the source over the whole table.
    std::vector<row> source;
    for (const row& r : rows)
        if (r.id < 5 || r.id > 8) source.push_back(r);
    source[2] = again[0];
    CHECK(f.summarize(s, std::nullopt, 100'000, 1000) == expected(source, std::nullopt, 100'000, 1000));

    // An empty range sweeps nothing; a range below every row neither.
    auto empty = std::make_unique<batch>(s, 0);
    empty->soft_delete_unseen_before = now_micros();
    empty->soft_delete_range = batch::sweep_range{1, 9000, 9000};
    empty->progress = progress;
    f.write(*empty);
    auto below = std::make_unique<batch>(s, 0);
    below->soft_delete_unseen_before = now_micros();
    below->soft_delete_range = batch::sweep_range{1, -1'000'000'000, -1'000'000};
    below->progress = progress;
    f.write(*below);
    CHECK(progress->rows_soft_deleted.load() == 3);

    // A range with its bounds outside the fixed-width years reaches every timed row.
    auto wide = std::make_unique<batch>(s, 0);
    wide->soft_delete_unseen_before = reread_start;
    wide->soft_delete_range = batch::sweep_range{1, INT64_MIN, INT64_MAX};
    wide->progress = progress;
    f.write(*wide);
    CHECK(progress->rows_soft_deleted.load() == 3 + 5);  // 1, 2, 9, 10, 12; 3 and 4 were seen since
    CHECK(f.scalar("SELECT group_concat(id) FROM (SELECT id FROM \"src__events\" WHERE \"_sluice_deleted\" = 0 "
                   "ORDER BY id)") == "3,4,11");

    // Without a range the sweep is the whole table's, and counted too.
    auto full = std::make_unique<batch>(s, 0);
    full->soft_delete_unseen_before = now_micros();
    full->progress = progress;
    f.write(*full);
    CHECK(progress->rows_soft_deleted.load() == 8 + 3);
    CHECK(f.scalar("SELECT count(*) FROM \"src__events\" WHERE \"_sluice_deleted\" = 0") == "0");
}

TEST_CASE("sqlite: a sweep range on a column that is not a timestamp fails without writing") {
    fixture f;
    auto s = events_schema();
    f.write(*make_batch(s, {{1, 0, 1, 1}}));
    auto sweep = std::make_unique<batch>(s, 0);
    sweep->soft_delete_unseen_before = now_micros() + 1'000'000;
    sweep->soft_delete_range = batch::sweep_range{0, 0, 10};
    CHECK_THROWS_WITH(f.write(*sweep), doctest::Contains("not a timestamp column"));
    CHECK(f.scalar("SELECT \"_sluice_deleted\" FROM \"src__events\"") == "0");
}

TEST_CASE("sqlite: upserting a soft-deleted row restores it") {
    fixture f;
    auto s = events_schema();
    std::vector<row> rows = {{1, 1000, 1, 1}, {2, 2000, 2, 2}};
    f.write(*make_batch(s, rows));
    auto sweep = std::make_unique<batch>(s, 0);
    sweep->soft_delete_unseen_before = now_micros() + 1'000'000;
    f.write(*sweep);
    CHECK(f.scalar("SELECT sum(\"_sluice_deleted\") FROM \"src__events\"") == "2");
    CHECK(f.summarize(s, std::nullopt, 10'000, 1000).empty());

    f.write(*make_batch(s, {{2, 2000, 5, 5}}));
    CHECK(f.scalar("SELECT group_concat(id || ':' || \"_sluice_deleted\") FROM \"src__events\"") == "1:1,2:0");
    rows[0].deleted = true;
    rows[1] = {2, 2000, 5, 5};
    CHECK(f.summarize(s, std::nullopt, 10'000, 1000) == expected(rows, std::nullopt, 10'000, 1000));
}

TEST_CASE("sqlite reconcile SQL text") {
    const auto r = sqlite::time_range_sql("\"t\"", 0, 1'000'000, 2);
    REQUIRE(r);
    CHECK(r->where == "length(\"t\") = 27 AND \"t\" >= ?2 AND \"t\" < ?3");
    CHECK(r->params == std::vector<std::string>{"1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:01.000000Z"});
    CHECK(sqlite::time_range_sql("\"t\"", std::nullopt, INT64_MAX, 1)->where == "length(\"t\") = 27");
    CHECK_FALSE(sqlite::time_range_sql("\"t\"", 5, 5, 1));
    CHECK_FALSE(sqlite::time_range_sql("\"t\"", 253'402'300'800'000'000, std::nullopt, 1));
    CHECK(sqlite::range_sweep_sql("s__t", *r) ==
          "UPDATE \"s__t\" SET \"_sluice_deleted\" = 1 WHERE \"_sluice_synced_at\" < ?1 AND \"_sluice_deleted\" = 0 "
          "AND length(\"t\") = 27 AND \"t\" >= ?2 AND \"t\" < ?3");
    const auto r1 = sqlite::time_range_sql("\"t\"", 0, 1'000'000, 1);
    CHECK(sqlite::summarize_sql("s__t", "\"t\"", {"\"a\"", "NULL"}, 1000, *r1) ==
          "WITH x AS MATERIALIZED (SELECT (CAST(strftime('%s', substr(\"t\", 1, 19)) AS INTEGER) * 1000 + "
          "CAST(substr(\"t\", 21, 3) AS INTEGER)) AS e, \"a\" AS v0, NULL AS v1 FROM \"s__t\" WHERE "
          "\"_sluice_deleted\" = 0 AND length(\"t\") = 27 AND \"t\" >= ?1 AND \"t\" < ?2) "
          "SELECT ((e) - ((((e) % 1000) + 1000) % 1000)) / 1000, count(*), "
          "sum((e % 1000003) + (coalesce(v0, 0) % 1000003) + (coalesce(v1, 0) % 1000003)) FROM x GROUP BY 1 ORDER BY 1");
}

TEST_CASE("postgres reconcile SQL text") {
    using namespace pgdest;
    CHECK(epoch_ms_sql("\"t\"") == "floor(extract(epoch from \"t\") * 1000)::bigint");
    CHECK(epoch_ms_sql("\"t\"", false) ==
          "round(extract(epoch from date_trunc('milliseconds', \"t\" AT TIME ZONE 'UTC')) * 1000)::bigint");

    const auto r = time_range_sql("\"we\"\"ird\"", -1000, 1'714'566'896'123'000, 1);
    REQUIRE(r);
    CHECK(r->where == "\"we\"\"ird\" >= $1::timestamptz AND \"we\"\"ird\" < $2::timestamptz");
    CHECK(r->params == std::vector<std::string>{"1969-12-31T23:59:59.999000Z", "2024-05-01T12:34:56.123000Z"});
    // Below PostgreSQL's earliest instant a bound is left out rather than rejected by the server.
    const auto open = time_range_sql("\"t\"", INT64_MIN / 1000 * 1000, 0, 2);
    REQUIRE(open);
    CHECK(open->where == "\"t\" < $2::timestamptz");
    CHECK(time_range_sql("\"t\"", std::nullopt, std::nullopt, 1)->where == "\"t\" IS NOT NULL");
    CHECK_FALSE(time_range_sql("\"t\"", 7, 7, 1));
    CHECK_FALSE(time_range_sql("\"t\"", std::nullopt, -210'866'803'200'000'000, 1));
    // Years before 1 use PostgreSQL's BC spelling.
    CHECK(time_range_sql("\"t\"", -62'167'219'200'000'000, 0, 1)->params[0] == "0001-01-01 00:00:00.000000+00 BC");

    const auto r2 = time_range_sql("\"t\"", 0, 1000, 2);
    CHECK(range_sweep_sql("\"s\".\"t\"", *r2) ==
          "UPDATE \"s\".\"t\" SET \"_sluice_deleted\" = true WHERE \"_sluice_synced_at\" < $1::timestamptz AND NOT "
          "\"_sluice_deleted\" AND \"t\" >= $2::timestamptz AND \"t\" < $3::timestamptz");
    const auto r1 = time_range_sql("\"t\"", std::nullopt, 1000, 1);
    CHECK(summarize_sql("\"s\".\"t\"", "\"t\"", {"\"a\"", "NULL::bigint"}, 3'600'000, *r1) ==
          "SELECT ((e) - ((((e) % 3600000) + 3600000) % 3600000)) / 3600000, count(*), "
          "sum((e % 1000003) + (coalesce(v0, 0) % 1000003) + (coalesce(v1, 0) % 1000003)) FROM "
          "(SELECT floor(extract(epoch from \"t\") * 1000)::bigint AS e, \"a\" AS v0, NULL::bigint AS v1 FROM "
          "\"s\".\"t\" WHERE NOT \"_sluice_deleted\" AND \"t\" < $1::timestamptz) s GROUP BY 1 ORDER BY 1");
}
