// Parallel initial loads of the postgres source: how a key range is split, the
// load state in the cursor JSON and the range queries (when a load is split:
// tests/e2e/test_parallel_load.py).

#include <doctest/doctest.h>

#include <limits>

#include "sources/postgres/parallel_load.hpp"
#include "sources/postgres/query_builder.hpp"

using namespace sluice;
using namespace sluice::postgres;

namespace {
std::optional<std::string> t(const char* s) { return std::string(s); }
}  // namespace

TEST_CASE("parallel load: key ranges cover every key exactly once") {
    const auto r = split_key_range(1, 100, 4);
    REQUIRE(r.size() == 4);
    CHECK(r[0].lo == std::nullopt);
    CHECK(r[0].hi == t("26"));
    CHECK(r[1].lo == t("26"));
    CHECK(r[1].hi == t("51"));
    CHECK(r[3].lo == t("76"));
    CHECK(r[3].hi == std::nullopt);
    // Fewer keys than ranges: one range per key at most.
    CHECK(split_key_range(5, 6, 8).size() == 2);
    CHECK(split_key_range(5, 5, 8).size() == 1);
    // The whole int64 range does not overflow, and the bounds stay ordered.
    const auto wide = split_key_range(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 3);
    REQUIRE(wide.size() == 3);
    CHECK(std::stoll(*wide[0].hi) < std::stoll(*wide[1].hi));
    CHECK(*wide[0].hi == *wide[1].lo);
}

TEST_CASE("parallel load: the load state round-trips through the cursor JSON") {
    cursor_state s;
    s.column = "updated_at";
    parallel_load load;
    load.has_end = true;
    load.end_c = "2024-01-01 00:00:00+00";
    load.end_k = {std::string("42")};
    load.ranges = split_key_range(1, 100, 3);
    load.ranges[0].last = "17";
    load.ranges[1].done = true;
    s.load = load;
    const auto json = encode_cursor(s);
    CHECK(json.find("\"load\":{\"end\":{\"c\":\"2024-01-01 00:00:00+00\",\"k\":[\"42\"]},\"r\":[") != std::string::npos);
    const auto back = decode_cursor(json);
    REQUIRE(back);
    CHECK(*back == s);
    // An empty table's load has no end; an ordinary cursor has no load.
    s.load->has_end = false;
    s.load->end_c.reset();
    s.load->end_k.clear();
    CHECK(*decode_cursor(encode_cursor(s)) == s);
    s.load.reset();
    CHECK_FALSE(decode_cursor(encode_cursor(s))->load);
    // A load without ranges is not one sluice wrote.
    CHECK_FALSE(decode_cursor(R"({"v":1,"mode":"incremental","col":"c","c":null,"load":{"r":[]}})"));
}

TEST_CASE("parallel load: range queries bound the single key and resume after the last key") {
    table_schema s;
    s.source = "src";
    s.table = "ev";
    s.source_table = "\"public\".\"ev\"";
    s.columns = {{"id", value_type::int64, "bigint", false}, {"updated_at", value_type::timestamp,
                                                              "timestamp with time zone", false}};
    s.key = {0};
    s.cursor_column = 1;
    const auto q = range_rows_query(s, t("26"), t("51"), t("30"));
    CHECK(with_literals(q) == "SELECT \"id\", \"updated_at\" FROM \"public\".\"ev\" WHERE \"id\" >= '26'::bigint AND "
                              "\"id\" < '51'::bigint AND \"id\" > '30'::bigint ORDER BY \"id\"");
    CHECK(range_rows_query(s, std::nullopt, std::nullopt, std::nullopt).sql ==
          "SELECT \"id\", \"updated_at\" FROM \"public\".\"ev\" ORDER BY \"id\"");
    CHECK(end_position_query(s).sql ==
          "SELECT \"updated_at\", \"id\" FROM \"public\".\"ev\" ORDER BY \"updated_at\" DESC NULLS LAST, \"id\" DESC "
          "LIMIT 1");
    CHECK(key_bounds_query(s).sql == "SELECT min(\"id\")::text, max(\"id\")::text FROM \"public\".\"ev\"");
}

TEST_CASE("parallel load: histogram bounds cut ranges of about equal rows, repeated cuts collapse") {
    std::vector<std::string> bounds;
    for (int i = 0; i <= 100; ++i) bounds.push_back("k" + std::to_string(1000 + i * 10));
    const auto r = split_by_histogram(bounds, 4);
    REQUIRE(r.size() == 4);
    CHECK(r[0].lo == std::nullopt);
    CHECK(r[0].hi == t("k1250"));
    CHECK(r[1].lo == t("k1250"));
    CHECK(r[1].hi == t("k1500"));
    CHECK(r[2].hi == t("k1750"));
    CHECK(r[3].lo == t("k1750"));
    CHECK(r[3].hi == std::nullopt);
    // A skewed key repeats bounds: no empty [x, x) range.
    const auto few = split_by_histogram({"a", "a", "b", "c"}, 4);
    REQUIRE(few.size() == 3);
    CHECK(few[0].hi == t("a"));
    CHECK(few[1].lo == t("a"));
    CHECK(few[1].hi == t("b"));
    CHECK(few[2].lo == t("b"));
    // Too few bounds or one range wanted: the whole key space.
    CHECK(split_by_histogram({"x"}, 4).size() == 1);
    CHECK(split_by_histogram(bounds, 1).size() == 1);
    CHECK(split_by_histogram({}, 4).front() == load_range{});
}
