// QuestDB source: SQL text; the shared time_keyset module: cursor JSON,
// page arithmetic (whole tie groups only), windows.

#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
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

TEST_CASE("questdb query: pages use an inclusive bound and LIMIT n; tie groups a total order") {
    CHECK(page_query("sensor", "*", "ts", {}, 1000) == "SELECT * FROM \"sensor\" ORDER BY \"ts\" LIMIT 1000");
    time_range r;
    r.lower = us("2024-01-01T00:00:00.000001Z");
    CHECK(page_query("t\"x", "*", "t s", r, 1003) ==
          "SELECT * FROM \"t\"\"x\" WHERE \"t s\" >= '2024-01-01T00:00:00.000001Z' ORDER BY \"t s\" LIMIT 1003");
    r.upper = us("2024-01-02T00:00:00Z");
    CHECK(page_query("t", "\"a\", \"ts\"", "ts", r, 10) ==
          "SELECT \"a\", \"ts\" FROM \"t\" WHERE \"ts\" >= '2024-01-01T00:00:00.000001Z' AND \"ts\" < "
          "'2024-01-02T00:00:00.000000Z' ORDER BY \"ts\" LIMIT 10");
    CHECK(count_query("t", "ts", r) ==
          "SELECT count() FROM \"t\" WHERE \"ts\" >= '2024-01-01T00:00:00.000001Z' AND \"ts\" < "
          "'2024-01-02T00:00:00.000000Z'");
    CHECK(max_query("t", "ts", {}) == "SELECT max(\"ts\") FROM \"t\"");
    CHECK(full_page_query("t", "*", 10, 20) == "SELECT * FROM \"t\" LIMIT 10,20");
    CHECK(exec_target("SELECT 1") == "/exec?query=SELECT%201");
    const tie_group at{tie_group::kind::at, us("2024-01-01T00:00:00.5Z")};
    CHECK(group_page_query("t", "*", "ts", at, {"a\"b", "c"}, 20, 30) ==
          "SELECT * FROM \"t\" WHERE \"ts\" = '2024-01-01T00:00:00.500000Z' ORDER BY \"a\"\"b\", \"c\" LIMIT 20,30");
    const tie_group null{tie_group::kind::null, 0};
    CHECK(group_page_query("t", "*", "ts", null, {"v"}, 0, 5) ==
          "SELECT * FROM \"t\" WHERE \"ts\" IS NULL ORDER BY \"v\" LIMIT 0,5");
}

TEST_CASE("questdb cursor: JSON round trip; older cursors with k still decode") {
    cursor_state s;
    s.column = "ts\"q";
    CHECK(decode_cursor(encode_cursor(s)) == s);
    s.t = us("2024-05-01T12:00:00.123456Z");
    CHECK(encode_cursor(s) == "{\"v\":1,\"mode\":\"incremental\",\"col\":\"ts\\\"q\",\"t\":1714564800123456}");
    CHECK(decode_cursor(encode_cursor(s)) == s);
    // Written before tie groups were read whole: "k" (rows at t delivered) is
    // ignored, the group at t is read again.
    const auto old = decode_cursor("{\"v\":1,\"mode\":\"incremental\",\"col\":\"ts\",\"t\":5,\"k\":7}");
    REQUIRE(old);
    CHECK(old->t == 5);
    CHECK(resume_point(old, 0) == 5);
    cursor_state f;
    f.full = true;
    f.done = true;
    CHECK(decode_cursor(encode_cursor(f)) == f);
    // Fields of the other mode are dropped on reading, so the cursor resumed from is the one
    // written back (found by fuzz_cursor_json: this did not round-trip).
    const auto mixed = decode_cursor("{\"v\":1,\"mode\":\"full\",\"col\":\"x\",\"t\":5}");
    REQUIRE(mixed);
    CHECK(mixed->column.empty());
    CHECK_FALSE(mixed->t);
    CHECK(decode_cursor(encode_cursor(*mixed)) == *mixed);
    CHECK_FALSE(decode_cursor("{\"v\":2,\"mode\":\"incremental\",\"col\":\"ts\"}"));
    CHECK_FALSE(decode_cursor("{\"v\":1,\"mode\":\"incremental\"}"));
    CHECK_FALSE(decode_cursor("not json"));
    CHECK_FALSE(decode_cursor("{\"v\":1,\"mode\":\"incremental\",\"col\":\"ts\",\"t\":1,\"k\":-1}"));
}

TEST_CASE("time_keyset pages: only whole tie groups are delivered") {
    // A short page: the range is exhausted, everything is delivered.
    CHECK(end_of_page({1, 2, 2}, 5) == page_end{3, true, std::nullopt, std::nullopt});
    CHECK(end_of_page({}, 5) == page_end{0, true, std::nullopt, std::nullopt});
    // A full page: the last value's group may go on; the next page starts there.
    CHECK(end_of_page({1, 2, 2, 3, 3}, 5) == page_end{3, false, 3, std::nullopt});
    CHECK(end_of_page({1, 2, 2, 2, 2}, 5) == page_end{1, false, 2, std::nullopt});
    // A full page of one value: a tie group at least a page long.
    CHECK(end_of_page({4, 4, 4}, 3) == page_end{0, false, std::nullopt, 4});
    // NULLs sort first and form a group of their own.
    CHECK(end_of_page({null_cursor, null_cursor, 7}, 3) == page_end{2, false, 7, std::nullopt});
    CHECK(end_of_page({null_cursor, null_cursor}, 2) == page_end{0, false, std::nullopt, null_cursor});

    // Simulate paging over a table whose server returns ties in a different
    // order on every query (rows are (t, id)): every row is delivered exactly
    // once, whatever the page size.
    std::vector<std::pair<std::int64_t, int>> table;
    for (std::int64_t t : {1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 4, 5, 5, 5}) table.emplace_back(t, static_cast<int>(table.size()));
    std::uint64_t seed = 12345;
    const auto shuffle_ties = [&](std::vector<std::pair<std::int64_t, int>>& rows) {
        for (std::size_t i = rows.size(); i > 1; --i) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            std::swap(rows[i - 1], rows[(seed >> 33) % i]);
        }
        std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    };
    for (std::int64_t page = 1; page <= 6; ++page) {
        CAPTURE(page);
        std::optional<std::int64_t> pos;
        std::vector<int> got;
        for (int guard = 0; guard < 100; ++guard) {
            std::vector<std::pair<std::int64_t, int>> matching;
            for (const auto& r : table)
                if (!pos || r.first >= *pos) matching.push_back(r);
            shuffle_ties(matching);
            if (static_cast<std::int64_t>(matching.size()) > page) matching.resize(static_cast<std::size_t>(page));
            std::vector<std::int64_t> ts;
            for (const auto& r : matching) ts.push_back(r.first);
            const auto e = end_of_page(ts, page);
            if (e.tie) {  // the reader reads the group whole, then goes past it
                for (const auto& r : table)
                    if (r.first == *e.tie) got.push_back(r.second);
                pos = *e.tie + 1;
                continue;
            }
            for (std::size_t i = 0; i < e.keep; ++i) got.push_back(matching[i].second);
            if (e.exhausted) break;
            pos = e.next;
        }
        std::sort(got.begin(), got.end());
        std::vector<int> want(table.size());
        for (std::size_t i = 0; i < want.size(); ++i) want[i] = static_cast<int>(i);
        CHECK(got == want);
    }
}

TEST_CASE("questdb cursor: resume point and lookback bound") {
    cursor_state s;
    s.column = "ts";
    CHECK(resume_point(std::nullopt, 0) == std::nullopt);
    CHECK(resume_point(s, 0) == std::nullopt);
    s.t = 1'000'000'000;
    CHECK(resume_point(s, 0) == 1'000'000'000);
    // Lookback: from t - lookback.
    CHECK(resume_point(s, 60'000'000) == 940'000'000);
    // A NULL position (rows with a NULL cursor still pending) starts over.
    s.t = null_cursor;
    CHECK(resume_point(s, 0) == std::nullopt);
    // A lookback reaching before the representable range starts over, not wraps around.
    s.t = null_cursor + 5;
    CHECK(resume_point(s, 60'000'000) == std::nullopt);
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

TEST_CASE("in-flight controller: grows while waiting dominates and pays, takes back a step that does not") {
    using clock = in_flight_controller::clock;
    const auto t0 = clock::now();
    int t = 0;
    // Round trips 10x the parse time; every window 1,000 rows, one every `gap_ms`.
    const std::int64_t parse = 1'000'000, wait = 10'000'000;
    const auto deliver = [&](in_flight_controller& c, int windows, int gap_ms) {
        long change = 0;
        for (int i = 0; i < windows && change == 0; ++i) {
            t += gap_ms;
            change = c.after_window(1000, t0 + std::chrono::milliseconds(t), wait * 100, parse * 100, 100);
        }
        return change;
    };
    in_flight_controller c(4, 16);
    CHECK(deliver(c, 1, 10) == 0);   // the first delivery starts the clock
    CHECK(deliver(c, 4, 10) == 1);   // judged over 4 windows at 4 in flight: 4 -> 5
    CHECK(c.in_flight() == 5);
    CHECK(deliver(c, 5, 10) == 0);   // 5 windows requested before the step: skipped
    CHECK(deliver(c, 5, 8) == 1);    // 25% more rows per second: the step paid, 5 -> 6
    CHECK(c.in_flight() == 6);
    CHECK(deliver(c, 6, 8) == 0);
    CHECK(deliver(c, 6, 8) == -1);   // no better at 6: taken back, and no more steps
    CHECK(c.in_flight() == 5);
    CHECK(deliver(c, 50, 1) == 0);
    CHECK(c.in_flight() == 5);

    // Parsing dominates: no growth at all.
    in_flight_controller busy(4, 16);
    for (int i = 1; i <= 30; ++i)
        CHECK(busy.after_window(1000, t0 + std::chrono::milliseconds(10 * i), parse * 2 * i, parse * 10 * i, i) == 0);
    CHECK(busy.in_flight() == 4);
    // Growth that keeps paying stops at the cap.
    in_flight_controller capped(4, 6);
    int gap = 100;
    for (int i = 0; i < 200; ++i) deliver(capped, 1, gap = std::max(1, gap * 9 / 10));
    CHECK(capped.in_flight() == 6);
}
