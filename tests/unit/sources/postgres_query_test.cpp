#include <doctest/doctest.h>

#include "sources/postgres/cursor_state.hpp"
#include "sources/postgres/query_builder.hpp"
#include "sources/postgres/schema_builder.hpp"

using namespace sluice;
using namespace sluice::postgres;

namespace {

table_schema hostile() {
    config::source_config src;
    src.name = "w";
    src.schema = "we\"ird; drop table x;--";
    raw_table t{"tab le ünï",
                {{"i\"d", "integer", "int4", false},
                 {"up dated", "timestamp with time zone", "timestamptz", true},
                 {"v", "ARRAY", "_int4", true}},
                {"i\"d"}};
    config::table_config tc;
    tc.name = t.name;
    tc.cursor = "up dated";
    return build_schema(src, t, &tc);
}

}  // namespace

TEST_CASE("keyset queries quote hostile identifiers and never splice values") {
    const auto s = hostile();
    const std::string from =
        R"(SELECT "i""d", "up dated", to_json("v")::text AS "v" FROM "we""ird; drop table x;--"."tab le ünï")";
    keyset_request req;
    req.order = {1, 0};

    SUBCASE("initial pass: NULL cursors first") {
        auto q = keyset_query(s, req);
        CHECK(q.sql == from + R"( ORDER BY "up dated" NULLS FIRST, "i""d")");
        CHECK(q.params.empty());
    }
    SUBCASE("after a position: row comparison with typed parameters") {
        req.bound = bound_kind::after;
        req.from = {std::string("2024-01-01 00:00:00+00"), std::string("7'; drop")};
        auto q = keyset_query(s, req);
        CHECK(
            q.sql ==
            from +
                R"( WHERE ("up dated", "i""d") > ($1::timestamptz, $2::integer) ORDER BY "up dated", "i""d")");
        REQUIRE(q.params.size() == 2);
        CHECK(*q.params[1] == "7'; drop");
    }
    SUBCASE("after a position inside the NULL-cursor section") {
        req.bound = bound_kind::after;
        req.from = {std::nullopt, std::string("5")};
        auto q = keyset_query(s, req);
        CHECK(q.sql == from +
                           R"( WHERE ("up dated" IS NULL AND "i""d" > $1::integer) OR "up dated" IS NOT NULL)"
                           R"( ORDER BY "up dated" NULLS FIRST, "i""d")");
        CHECK(q.params.size() == 1);
    }
    SUBCASE("Redshift: expanded comparison and LIMIT") {
        req.bound = bound_kind::after;
        req.from = {std::string("t"), std::string("5")};
        req.row_compare = false;
        req.limit = 100;
        auto q = keyset_query(s, req);
        CHECK(
            q.sql ==
            from +
                R"( WHERE ("up dated" > $1::timestamptz OR ("up dated" = $1::timestamptz AND ("i""d" > $2::integer))))"
                R"( ORDER BY "up dated", "i""d" LIMIT 100)");
    }
    SUBCASE("lookback re-read: cursor only, inclusive") {
        req.bound = bound_kind::at_or_after;
        req.from = {std::string("2024-01-01T00:00:00.000000Z")};
        auto q = keyset_query(s, req);
        CHECK(q.sql == from + R"( WHERE "up dated" >= $1::timestamptz ORDER BY "up dated", "i""d")");
    }
}

TEST_CASE("synthetic-key group queries") {
    config::source_config src;
    src.name = "m";
    raw_table t{
        "ev", {{"ts", "timestamp without time zone", "timestamp", true}, {"x", "text", "text", true}}, {}};
    config::table_config tc;
    tc.name = "ev";
    tc.cursor = "ts";
    const auto s = build_schema(src, t, &tc);
    REQUIRE(s.synthetic_key);
    auto u = group_upper_query(s, std::string("2024-01-01 00:00:00"), false, 500);
    CHECK(
        u.sql ==
        R"(SELECT "ts" FROM "public"."ev" WHERE "ts" IS NOT NULL AND "ts" > $1::timestamp ORDER BY "ts" LIMIT 1 OFFSET 499)");
    auto p = group_page_query(s, std::nullopt, false, std::string("2024-01-02 00:00:00"));
    CHECK(
        p.sql ==
        R"(SELECT "ts", "x" FROM "public"."ev" WHERE "ts" IS NOT NULL AND "ts" <= $1::timestamp ORDER BY "ts")");
    auto n = null_group_query(s);
    CHECK(n.sql == R"(SELECT "ts", "x" FROM "public"."ev" WHERE "ts" IS NULL)");
    auto c = content_order_query(s);
    CHECK(c.sql == R"(SELECT "ts", "x" FROM "public"."ev" ORDER BY "ts"::text, "x"::text)");
}

TEST_CASE("cursor JSON round trip") {
    cursor_state inc;
    inc.column = "up\"dated";
    inc.c = "2024-05-01 12:00:00.5+00";
    inc.k = {std::string("42"), std::nullopt, std::string("a\\b\"c ünï")};
    const auto text = encode_cursor(inc);
    CHECK(
        text ==
        R"({"v":1,"mode":"incremental","col":"up\"dated","c":"2024-05-01 12:00:00.5+00","k":["42",null,"a\\b\"c ünï"]})");
    CHECK(decode_cursor(text) == inc);

    cursor_state null_section;
    null_section.column = "ts";
    null_section.k = {std::string("1")};
    CHECK(decode_cursor(encode_cursor(null_section)) == null_section);

    cursor_state full;
    full.full = true;
    full.pass = 1714564800000000;
    full.k = {std::string("9")};
    CHECK(decode_cursor(encode_cursor(full)) == full);
    full.done = true;
    const auto done = encode_cursor(full);
    CHECK(done == R"({"v":1,"mode":"full","pass":1714564800000000,"done":true})");
    auto back = decode_cursor(done);
    REQUIRE(back);
    CHECK(back->done);
    CHECK(back->k.empty());

    CHECK_FALSE(decode_cursor("").has_value());
    CHECK_FALSE(decode_cursor("{\"v\":2,\"mode\":\"full\"}").has_value());
    CHECK_FALSE(decode_cursor("{\"ts\":\"2024-01-01\"}").has_value());
    CHECK_FALSE(decode_cursor("[1,2]").has_value());
}

TEST_CASE("a cursor carrying the other mode's fields round-trips as its own mode (found by fuzzing)") {
    const auto full = decode_cursor(R"({"v":1,"mode":"full","col":"x","c":"5","pass":7})");
    REQUIRE(full.has_value());
    CHECK(full->column.empty());
    CHECK_FALSE(full->c.has_value());
    CHECK(full->pass == 7);
    CHECK(decode_cursor(encode_cursor(*full)) == full);
    const auto inc = decode_cursor(R"({"v":1,"mode":"incremental","col":"ts","c":"2024","pass":9,"done":true,"k":["1"]})");
    REQUIRE(inc.has_value());
    CHECK(inc->pass == 0);
    CHECK_FALSE(inc->done);
    CHECK(inc->k.size() == 1);
    CHECK(decode_cursor(encode_cursor(*inc)) == inc);
    const auto done = decode_cursor(R"({"v":1,"mode":"full","pass":3,"done":true,"k":["1"]})");
    REQUIRE(done.has_value());
    CHECK(done->k.empty());
    CHECK(decode_cursor(encode_cursor(*done)) == done);
}

TEST_CASE("with_literals writes parameters in as literals, leaving quoted text alone") {
    read_query q;
    q.sql = R"(SELECT "a$1" FROM "t$2" WHERE ("c", "k") > ($1::timestamptz, $2) AND x = '$1' AND y = $10)";
    q.params = {std::string("2024-01-01 00:00:00+00"), std::string("o'b\\r"), std::nullopt, std::nullopt,
                std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    CHECK(with_literals(q) ==
          R"(SELECT "a$1" FROM "t$2" WHERE ("c", "k") > ('2024-01-01 00:00:00+00'::timestamptz, E'o''b\\r') AND x = '$1' AND y = NULL)");
    // A keyset query over hostile identifiers keeps its meaning.
    const auto s = hostile();
    keyset_request req;
    req.order = {1, 0};
    req.bound = bound_kind::after;
    req.from = {std::string("2024-01-01 00:00:00+00"), std::string("7")};
    const auto k = keyset_query(s, req);
    const auto sql = with_literals(k);
    CHECK(sql.find("$") == std::string::npos);
    CHECK(sql.find("'2024-01-01 00:00:00+00'") != std::string::npos);
    CHECK(sql.find("'7'") != std::string::npos);
}
