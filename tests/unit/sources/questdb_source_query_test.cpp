// QuestDB source: SQL text; the shared time_keyset module: cursor JSON,
// boundary de-dup arithmetic, windows.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sluice/value.hpp"
#include "sources/questdb/query_builder.hpp"
#include "sources/time_keyset/cursor_state.hpp"
#include "sources/time_keyset/windows.hpp"

using namespace sluice;
using namespace sluice::questdb;
using namespace sluice::time_keyset;

namespace {
std::int64_t us(const char* iso) { return *parse_timestamp_micros(iso); }
}  // namespace

TEST_CASE("questdb query: identifiers and literals are quoted") {
    CHECK(quote_identifier("sensor") == "\"sensor\"");
    CHECK(quote_identifier("we\"ird; DROP TABLE x") == "\"we\"\"ird; DROP TABLE x\"");
    CHECK(quote_string_literal("it's") == "'it''s'");
    CHECK(table_columns_query("o'brien") == "table_columns('o''brien')");
    CHECK(timestamp_literal(us("2024-01-01T00:00:00Z")) == "'2024-01-01T00:00:00.000000Z'");
}

TEST_CASE("questdb query: pages use an inclusive bound and LIMIT lo,hi") {
    CHECK(page_query("sensor", "*", "ts", {}, 0, 1000) == "SELECT * FROM \"sensor\" ORDER BY \"ts\" LIMIT 0,1000");
    time_range r;
    r.lower = us("2024-01-01T00:00:00.000001Z");
    CHECK(page_query("t\"x", "*", "t s", r, 3, 1003) ==
          "SELECT * FROM \"t\"\"x\" WHERE \"t s\" >= '2024-01-01T00:00:00.000001Z' ORDER BY \"t s\" LIMIT 3,1003");
    r.upper = us("2024-01-02T00:00:00Z");
    CHECK(page_query("t", "\"a\", \"ts\"", "ts", r, 0, 10) ==
          "SELECT \"a\", \"ts\" FROM \"t\" WHERE \"ts\" >= '2024-01-01T00:00:00.000001Z' AND \"ts\" < "
          "'2024-01-02T00:00:00.000000Z' ORDER BY \"ts\" LIMIT 0,10");
    CHECK(count_query("t", "ts", r) ==
          "SELECT count() FROM \"t\" WHERE \"ts\" >= '2024-01-01T00:00:00.000001Z' AND \"ts\" < "
          "'2024-01-02T00:00:00.000000Z'");
    CHECK(max_query("t", "ts", {}) == "SELECT max(\"ts\") FROM \"t\"");
    CHECK(full_page_query("t", "*", 10, 20) == "SELECT * FROM \"t\" LIMIT 10,20");
    CHECK(exec_target("SELECT 1") == "/exec?query=SELECT%201");
}

TEST_CASE("questdb cursor: JSON round trip") {
    cursor_state s;
    s.column = "ts\"q";
    CHECK(decode_cursor(encode_cursor(s)) == s);
    s.t = us("2024-05-01T12:00:00.123456Z");
    s.k = 7;
    CHECK(encode_cursor(s) == "{\"v\":1,\"mode\":\"incremental\",\"col\":\"ts\\\"q\",\"t\":1714564800123456,\"k\":7}");
    CHECK(decode_cursor(encode_cursor(s)) == s);
    cursor_state f;
    f.full = true;
    f.done = true;
    CHECK(decode_cursor(encode_cursor(f)) == f);
    CHECK_FALSE(decode_cursor("{\"v\":2,\"mode\":\"incremental\",\"col\":\"ts\"}"));
    CHECK_FALSE(decode_cursor("{\"v\":1,\"mode\":\"incremental\"}"));
    CHECK_FALSE(decode_cursor("not json"));
    CHECK_FALSE(decode_cursor("{\"v\":1,\"mode\":\"incremental\",\"col\":\"ts\",\"t\":1,\"k\":-1}"));
}

TEST_CASE("questdb cursor: boundary rows are skipped exactly") {
    // Fresh start: page [1,2,2] → last 2, two rows of it delivered.
    boundary b = advance_past({}, {1, 2, 2});
    CHECK(b == boundary{2, 2});
    // The next page (ts >= 2 LIMIT 2, 2+n) is still inside the run of 2s: k grows.
    b = advance_past(b, {2, 2, 2});
    CHECK(b == boundary{2, 5});
    // The run ends inside the page: k restarts at the trailing run.
    b = advance_past(b, {2, 3, 4, 4});
    CHECK(b == boundary{4, 2});
    // Empty page: unchanged.
    CHECK(advance_past(b, {}) == b);
    // A resume at (t,k) whose first page starts past t.
    CHECK(advance_past(boundary{4, 2}, {5}) == boundary{5, 1});

    // Simulate paging over a table with a run longer than a page: every row
    // is delivered exactly once.
    const std::vector<std::int64_t> table{1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 4};
    for (std::size_t page = 1; page <= 5; ++page) {
        boundary pos;
        std::vector<std::int64_t> got;
        for (int guard = 0; guard < 100; ++guard) {
            std::vector<std::int64_t> matching;
            for (auto v : table)
                if (!pos.start || v >= *pos.start) matching.push_back(v);
            std::vector<std::int64_t> rows;
            for (std::size_t i = pos.skip; i < matching.size() && i < pos.skip + page; ++i)
                rows.push_back(matching[i]);
            got.insert(got.end(), rows.begin(), rows.end());
            pos = advance_past(pos, rows);
            if (rows.size() < page) break;
        }
        CHECK(got == table);
    }
}

TEST_CASE("questdb cursor: resume point and lookback bound") {
    cursor_state s;
    s.column = "ts";
    CHECK(resume_point(std::nullopt, false, 0) == boundary{});
    CHECK(resume_point(s, false, 0) == boundary{});
    s.t = 1'000'000'000;
    s.k = 3;
    CHECK(resume_point(s, false, 0) == boundary{1'000'000'000, 3});
    // Synthetic keys re-read the whole boundary group.
    CHECK(resume_point(s, true, 0) == boundary{1'000'000'000, 0});
    // Lookback: from t - lookback, nothing skipped.
    CHECK(resume_point(s, false, 60'000'000) == boundary{940'000'000, 0});
    time_range r;
    r.lower = resume_point(s, false, 60'000'000).start;
    CHECK(page_query("t", "*", "ts", r, 0, 5) ==
          "SELECT * FROM \"t\" WHERE \"ts\" >= '" + format_timestamp_micros(940'000'000) +
              "' ORDER BY \"ts\" LIMIT 0,5");
    // The cursor never moves backwards during a re-read.
    CHECK_FALSE(beyond(boundary{940'000'000, 1}, s));
    CHECK_FALSE(beyond(boundary{1'000'000'000, 3}, s));
    CHECK(beyond(boundary{1'000'000'000, 4}, s));
    CHECK(beyond(boundary{1'000'000'001, 1}, s));
}

TEST_CASE("questdb windows: contiguous, ordered, last open-ended") {
    auto w = split_windows(0, 99, 4);
    REQUIRE(w.size() == 4);
    CHECK(w[0] == time_window{0, 25});
    CHECK(w[1] == time_window{25, 50});
    CHECK(w[2] == time_window{50, 75});
    CHECK(w[3] == time_window{75, std::nullopt});
    for (std::size_t i = 1; i < w.size(); ++i) CHECK(w[i].lower == *w[i - 1].upper);
    CHECK(split_windows(5, 5, 4) == std::vector<time_window>{{5, std::nullopt}});
    CHECK(split_windows(0, 2, 10).size() == 3);
    CHECK(window_count(100, 1000, 4) == 1);
    CHECK(window_count(1'000'000, 1000, 1) == 1);
    CHECK(window_count(10'000, 1000, 4) == 6);  // 1,875 rows each: a window's second page is short
}

TEST_CASE("time_keyset windows: a quantum keeps bounds on whole milliseconds") {
    const auto w = split_windows(1'000'000, 1'099'999, 4, 1000);
    REQUIRE(w.size() == 4);
    for (const auto& x : w) {
        CHECK(x.lower % 1000 == 0);
        if (x.upper) CHECK(*x.upper % 1000 == 0);
    }
    CHECK(w[1].lower == 1'025'000);
    // Fewer whole quanta than windows: fewer windows, never an empty bound.
    const auto few = split_windows(0, 2'999, 10, 1000);
    CHECK(few == std::vector<time_window>{{0, 1000}, {1000, 2000}, {2000, std::nullopt}});
}
