#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "dest_test_util.hpp"
#include "sluice/batch.hpp"
#include "sluice/config.hpp"
#include "sluice/destination.hpp"
#include "sluice/error.hpp"
#include "sluice/progress.hpp"

using namespace sluice;
using dest_test::reader;
using dest_test::run;

namespace {

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
    void prepare(const table_schema_ptr& s) { run(io, dest->prepare_table(*s)); }
    void write(const batch& b) { run(io, dest->write(b)); }
    std::optional<std::string> cursor(const std::string& src, const std::string& t) {
        return run(io, dest->read_cursor(src, t));
    }
};

std::int64_t now_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

table_schema_ptr all_types_schema() {
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = "things";
    s->dest_table = "things";
    s->columns = {{"id", value_type::int64, "bigint", false},   {"flag", value_type::boolean, "bool", true},
                  {"d", value_type::float64, "float8", true},   {"amount", value_type::decimal, "numeric", true},
                  {"name", value_type::string, "text", true},   {"raw", value_type::bytes, "bytea", true},
                  {"at", value_type::timestamp, "timestamptz", true}, {"day", value_type::date, "date", true},
                  {"doc", value_type::json, "jsonb", true}};
    s->key = {0};
    return s;
}

table_schema_ptr kv_schema(const std::string& table = "kv") {
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = table;
    s->dest_table = table;
    s->columns = {{"id", value_type::int64, "bigint", false}, {"v", value_type::string, "text", true}};
    s->key = {0};
    return s;
}

void kv_row(batch& b, std::optional<std::int64_t> id, std::string_view v) {
    if (id)
        b.put_int64(*id);
    else
        b.put_null();
    b.put_text(value_type::string, v);
    b.end_row();
}

}  // namespace

TEST_CASE("sqlite: every type is stored exactly and reads back through the sqlite3 API") {
    fixture f;
    auto schema = all_types_schema();
    f.prepare(schema);

    const std::int64_t ts = 1714566896000001;  // 2024-05-01T12:34:56.000001Z
    const std::string bytes("\x00\x01\xff\"'", 5);
    batch b(schema);
    b.put_int64(1);
    b.put_bool(true);
    b.put_float64(0.1);
    b.put_text(value_type::decimal, "12345678901234567890.123456789000");
    b.put_text(value_type::string, "héllo\t\"world\"\n");
    b.put_text(value_type::bytes, bytes);
    b.put_timestamp(ts);
    b.put_date(19844);  // 2024-05-01
    b.put_text(value_type::json, R"({"a":[1,2.50,"x"]})");
    b.end_row();
    b.put_int64(2);
    b.put_bool(false);
    b.put_float64(std::numeric_limits<double>::quiet_NaN());
    b.put_text(value_type::decimal, "-0.000");
    b.put_text(value_type::string, "");
    b.put_text(value_type::bytes, "");
    b.put_timestamp(-1);  // 1969-12-31T23:59:59.999999Z
    b.put_date(-1);
    b.put_text(value_type::json, "null");
    b.end_row();
    b.put_int64(3);
    b.put_null();
    b.put_float64(std::numeric_limits<double>::infinity());
    for (int i = 0; i < 6; ++i) b.put_null();
    b.end_row();
    b.put_int64(4);
    b.put_null();
    b.put_float64(-std::numeric_limits<double>::infinity());
    for (int i = 0; i < 6; ++i) b.put_null();
    b.end_row();
    b.cursor = R"({"id":4})";
    f.write(b);

    reader r(f.file);
    std::vector<std::vector<std::string>> rows;
    int n = r.query(
        "SELECT id, flag, typeof(flag), d, typeof(d), amount, typeof(amount), name, raw, typeof(raw), at, day, doc, "
        "_sluice_deleted, _sluice_synced_at FROM src__things ORDER BY id",
        [&](const reader::row_reader& row) {
            std::vector<std::string> v;
            for (int c = 0; c < 15; ++c) v.push_back(c == 8 ? row.blob(c) : row.text(c));
            if (row.type(3) == SQLITE_FLOAT) {
                double d = row.dbl(3);
                v[3] = std::isinf(d) ? (d > 0 ? "+inf" : "-inf") : (d == 0.1 ? "0.1 exact" : "other");
            }
            rows.push_back(v);
        });
    REQUIRE(n == 4);
    CHECK(rows[0][1] == "1");
    CHECK(rows[0][2] == "integer");
    CHECK(rows[0][3] == "0.1 exact");
    CHECK(rows[0][4] == "real");
    CHECK(rows[0][5] == "12345678901234567890.123456789000");
    CHECK(rows[0][6] == "text");
    CHECK(rows[0][7] == "héllo\t\"world\"\n");
    CHECK(rows[0][8] == bytes);
    CHECK(rows[0][9] == "blob");
    CHECK(rows[0][10] == "2024-05-01T12:34:56.000001Z");
    CHECK(rows[0][10] == format_timestamp_micros(ts));
    CHECK(rows[0][11] == "2024-05-01");
    CHECK(rows[0][12] == R"({"a":[1,2.50,"x"]})");
    CHECK(rows[0][13] == "0");
    CHECK(rows[0][14].size() == 27);
    CHECK(rows[0][14].back() == 'Z');

    CHECK(rows[1][1] == "0");
    CHECK(rows[1][3] == "NaN");
    CHECK(rows[1][4] == "text");
    CHECK(rows[1][5] == "-0.000");
    CHECK(rows[1][7] == "");
    CHECK(rows[1][8] == "");
    CHECK(rows[1][9] == "blob");  // an empty blob, not NULL
    CHECK(rows[1][10] == "1969-12-31T23:59:59.999999Z");
    CHECK(rows[1][11] == "1969-12-31");
    CHECK(rows[1][12] == "null");

    CHECK(rows[2][2] == "null");
    CHECK(rows[2][3] == "+inf");
    CHECK(rows[2][9] == "null");
    CHECK(rows[3][3] == "-inf");

    CHECK(r.scalar("SELECT cursor FROM _sluice_state WHERE source='src' AND table_name='things'") ==
          R"({"id":4})");
    CHECK(r.scalar("SELECT rows_synced FROM _sluice_state") == "4");
    // Declared types as documented (affinity keeps values exact).
    CHECK(r.scalar("SELECT group_concat(type, ',') FROM pragma_table_info('src__things')") ==
          "INTEGER,BOOLEAN,REAL,DECIMAL_TEXT,TEXT,BLOB,TIMESTAMP_TEXT,DATE_TEXT,JSON_TEXT,TIMESTAMP_TEXT,BOOLEAN");
    CHECK(r.scalar("PRAGMA journal_mode") == "wal");
}

TEST_CASE("sqlite: replaying a batch is idempotent and progress is reported after commit") {
    fixture f;
    auto schema = kv_schema();
    f.prepare(schema);
    batch b(schema);
    for (int i = 0; i < 100; ++i) kv_row(b, i, "v" + std::to_string(i));
    b.cursor = R"({"id":99})";
    b.progress = std::make_shared<table_progress>("src.kv");
    f.write(b);
    f.write(b);
    reader r(f.file);
    CHECK(r.scalar("SELECT count(*) FROM src__kv") == "100");
    CHECK(r.scalar("SELECT v FROM src__kv WHERE id = 42") == "v42");
    CHECK(b.progress->rows_written.load() == 200);
    CHECK(b.progress->batches_written.load() == 2);
    CHECK(b.progress->cursor() == R"({"id":99})");
    CHECK(f.cursor("src", "kv") == std::optional<std::string>(R"({"id":99})"));
}

TEST_CASE("sqlite: a failing batch leaves neither its rows nor its cursor") {
    fixture f;
    auto schema = kv_schema();
    f.prepare(schema);
    batch ok(schema);
    kv_row(ok, 1, "one");
    ok.cursor = "c1";
    f.write(ok);

    SUBCASE("a NULL key (SQLite would invent a rowid for it)") {
        batch bad(schema);
        kv_row(bad, 2, "two");
        kv_row(bad, 3, "three");
        kv_row(bad, std::nullopt, "no key");
        bad.cursor = "c2";
        bad.progress = std::make_shared<table_progress>("src.kv");
        std::string message;
        try {
            f.write(bad);
        } catch (const data_error& e) {
            message = e.what();
        }
        CHECK(message.find("src__kv") != std::string::npos);
        CHECK(message.find("key column \"id\" is NULL in row 3 of 3") != std::string::npos);
        CHECK(bad.progress->batches_written.load() == 0);
        CHECK(bad.progress->cursor().empty());
    }
    SUBCASE("SQLite aborts the statement in the middle of the batch") {
        {
            sqlite3* db = nullptr;
            REQUIRE(sqlite3_open(f.file.c_str(), &db) == SQLITE_OK);
            REQUIRE(sqlite3_exec(db,
                                 "CREATE TRIGGER boom BEFORE INSERT ON src__kv WHEN NEW.v = 'boom' "
                                 "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END",
                                 nullptr, nullptr, nullptr) == SQLITE_OK);
            sqlite3_close(db);
        }
        batch bad(schema);
        kv_row(bad, 2, "two");
        kv_row(bad, 3, "boom");
        bad.cursor = "c2";
        std::string message;
        try {
            f.write(bad);
        } catch (const sluice::error& e) {
            message = e.what();
            CHECK(e.kind() == error_kind::fatal);
        }
        CHECK(message.find("src__kv") != std::string::npos);
        CHECK(message.find("refused by trigger") != std::string::npos);
        CHECK(message.find("row 2 of 2 (key id=3)") != std::string::npos);
    }

    reader r(f.file);
    CHECK(r.scalar("SELECT group_concat(id) FROM src__kv") == "1");
    CHECK(f.cursor("src", "kv") == std::optional<std::string>("c1"));
    // The destination is still usable afterwards.
    batch next(schema);
    kv_row(next, 2, "two");
    next.cursor = "c3";
    f.write(next);
    CHECK(r.scalar("SELECT count(*) FROM src__kv") == "2");
    CHECK(f.cursor("src", "kv") == std::optional<std::string>("c3"));
}

TEST_CASE("sqlite: a cell of the wrong type is a data error naming table, column and key") {
    fixture f;
    auto schema = kv_schema();
    f.prepare(schema);
    batch b(schema);
    b.put_int64(7);
    b.put_int64(8);  // column v is a string
    b.end_row();
    try {
        f.write(b);
        FAIL("expected a data_error");
    } catch (const data_error& e) {
        std::string m = e.what();
        CHECK(m.find("src__kv") != std::string::npos);
        CHECK(m.find("\"v\"") != std::string::npos);
        CHECK(m.find("id=7") != std::string::npos);
    }
    reader r(f.file);
    CHECK(r.scalar("SELECT count(*) FROM src__kv") == "0");
}

TEST_CASE("sqlite: schema evolution adds columns and keeps old rows") {
    fixture f;
    auto v1 = kv_schema();
    f.prepare(v1);
    batch b1(v1);
    kv_row(b1, 1, "old");
    f.write(b1);

    auto v2 = std::make_shared<table_schema>(*v1);
    v2->columns.push_back({"added", value_type::timestamp, "timestamptz", true});
    f.prepare(v2);
    f.prepare(v2);  // idempotent
    batch b2(v2);
    b2.put_int64(2);
    b2.put_text(value_type::string, "new");
    b2.put_timestamp(0);
    b2.end_row();
    f.write(b2);

    reader r(f.file);
    CHECK(r.scalar("SELECT group_concat(name, ',') FROM pragma_table_info('src__kv')") ==
          "id,v,_sluice_synced_at,_sluice_deleted,added");
    CHECK(r.scalar("SELECT coalesce(added, 'NULL') FROM src__kv WHERE id = 1") == "NULL");
    CHECK(r.scalar("SELECT added FROM src__kv WHERE id = 2") == "1970-01-01T00:00:00.000000Z");

    // An old schema (the source dropped the column) still writes; the column stays.
    batch b3(v1);
    kv_row(b3, 3, "again");
    f.write(b3);
    CHECK(r.scalar("SELECT count(*) FROM src__kv") == "3");
}

TEST_CASE("sqlite: hostile table and column names are stored verbatim") {
    fixture f;
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = "we\"ird; drop table x;--";
    s->dest_table = s->table;
    s->columns = {{"key \"k\"; --", value_type::string, "text", false},
                  {"größe ☃", value_type::int64, "bigint", true},
                  {"with space", value_type::string, "text", true}};
    s->key = {0};
    CHECK(sqlite_table_name(*s) == "src__we\"ird; drop table x;--");
    f.prepare(s);
    batch b(s);
    b.put_text(value_type::string, "'); DROP TABLE _sluice_state; --");
    b.put_int64(5);
    b.put_text(value_type::string, "x");
    b.end_row();
    b.cursor = "c";
    f.write(b);

    reader r(f.file);
    CHECK(r.scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'src__%'") ==
          "src__we\"ird; drop table x;--");
    CHECK(r.scalar("SELECT group_concat(name, '|') FROM pragma_table_info('src__we\"ird; drop table x;--')") ==
          "key \"k\"; --|größe ☃|with space|_sluice_synced_at|_sluice_deleted");
    CHECK(r.scalar("SELECT \"key \"\"k\"\"; --\" || '/' || \"größe ☃\" FROM \"src__we\"\"ird; drop table x;--\"") ==
          "'); DROP TABLE _sluice_state; --/5");
    CHECK(f.cursor("src", "we\"ird; drop table x;--") == std::optional<std::string>("c"));
}

TEST_CASE("sqlite: the sweep soft-deletes unseen rows and an upsert un-deletes them") {
    fixture f;
    auto schema = kv_schema();
    f.prepare(schema);
    batch first(schema);
    for (int i = 1; i <= 3; ++i) kv_row(first, i, "x");
    f.write(first);

    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::int64_t pass_start = now_micros();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    batch second(schema);
    kv_row(second, 1, "y");
    kv_row(second, 2, "y");
    f.write(second);
    batch sweep(schema);  // zero rows: only the end-of-pass sweep
    sweep.soft_delete_unseen_before = pass_start;
    sweep.cursor = R"({"pass":1})";
    f.write(sweep);

    reader r(f.file);
    CHECK(r.scalar("SELECT group_concat(id || ':' || _sluice_deleted, ',') FROM (SELECT * FROM src__kv ORDER BY id)") ==
          "1:0,2:0,3:1");
    CHECK(f.cursor("src", "kv") == std::optional<std::string>(R"({"pass":1})"));

    batch back(schema);
    kv_row(back, 3, "back");
    f.write(back);
    CHECK(r.scalar("SELECT _sluice_deleted || v FROM src__kv WHERE id = 3") == "0back");
}

TEST_CASE("sqlite: the last occurrence of a key within one batch wins") {
    fixture f;
    auto schema = kv_schema();
    f.prepare(schema);
    batch b(schema);
    kv_row(b, 1, "first");
    kv_row(b, 2, "other");
    kv_row(b, 1, "last");
    f.write(b);
    reader r(f.file);
    CHECK(r.scalar("SELECT count(*) FROM src__kv") == "2");
    CHECK(r.scalar("SELECT v FROM src__kv WHERE id = 1") == "last");
}

TEST_CASE("sqlite: composite keys and text keys") {
    fixture f;
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = s->dest_table = "ck";
    s->columns = {{"region", value_type::string, "text", false},
                  {"n", value_type::int64, "bigint", false},
                  {"v", value_type::int64, "bigint", true}};
    s->key = {0, 1};
    f.prepare(s);
    batch b(s);
    for (auto [region, n, v] : {std::tuple{"eu", 1, 10}, {"us", 1, 20}, {"eu", 1, 30}, {"eu", 2, 40}}) {
        b.put_text(value_type::string, region);
        b.put_int64(n);
        b.put_int64(v);
        b.end_row();
    }
    f.write(b);
    reader r(f.file);
    CHECK(r.scalar("SELECT group_concat(region || n || '=' || v, ',') FROM (SELECT * FROM src__ck ORDER BY region, n)") ==
          "eu1=30,eu2=40,us1=20");
}

TEST_CASE("sqlite: list_state and reset_state") {
    fixture f;
    auto a = kv_schema("a"), b = kv_schema("b");
    f.prepare(a);
    f.prepare(b);
    batch wb(b);
    kv_row(wb, 1, "x");
    kv_row(wb, 2, "x");
    wb.cursor = "cb";
    f.write(wb);
    batch wa(a);
    kv_row(wa, 1, "x");
    wa.cursor = "ca";
    f.write(wa);
    batch more(a);  // rows without a cursor still count
    kv_row(more, 2, "x");
    f.write(more);

    auto state = run(f.io, f.dest->list_state());
    REQUIRE(state.size() == 2);
    CHECK(state[0].source == "src");
    CHECK(state[0].table == "a");
    CHECK(state[0].cursor == "ca");
    CHECK(state[0].rows == 2);
    CHECK(state[0].updated_at.size() == 27);
    CHECK(state[1].table == "b");
    CHECK(state[1].cursor == "cb");
    CHECK(state[1].rows == 2);

    CHECK(run(f.io, f.dest->reset_state("src", "a")));
    CHECK_FALSE(run(f.io, f.dest->reset_state("src", "a")));
    CHECK_FALSE(f.cursor("src", "a").has_value());
    CHECK(run(f.io, f.dest->list_state()).size() == 1);
    // Data stays: only the cursor is forgotten.
    reader r(f.file);
    CHECK(r.scalar("SELECT count(*) FROM src__a") == "2");
}

TEST_CASE("sqlite: state survives reopening; ping; describe; close") {
    dest_test::temp_dir dir;
    const std::string file = (dir.path / "x.db").string();
    config::destination_config cfg;
    cfg.path = file;
    boost::asio::io_context io;
    {
        auto d = make_destination(cfg, io.get_executor());
        CHECK(d->describe() == "sqlite " + file);
        run(io, d->connect());
        run(io, d->ping());
        auto s = kv_schema();
        run(io, d->prepare_table(*s));
        batch b(s);
        kv_row(b, 1, "x");
        b.cursor = "c";
        run(io, d->write(b));
        d->close();
        CHECK_THROWS_AS(run(io, d->ping()), sluice::error);
    }
    auto d = make_destination(cfg, io.get_executor());
    run(io, d->connect());
    CHECK(run(io, d->read_cursor("src", "kv")) == std::optional<std::string>("c"));
    CHECK_FALSE(run(io, d->read_cursor("src", "nope")).has_value());
}

TEST_CASE("make_destination rejects unknown types") {
    config::destination_config cfg;
    cfg.type = "mysql";
    boost::asio::io_context io;
    CHECK_THROWS_AS(make_destination(cfg, io.get_executor()), sluice::error);
}
