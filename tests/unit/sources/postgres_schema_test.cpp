#include <doctest/doctest.h>

#include "sluice/error.hpp"
#include "sources/postgres/schema_builder.hpp"
#include "sources/postgres/type_map.hpp"

using namespace sluice;
using namespace sluice::postgres;

namespace {

raw_table orders() {
    return raw_table{"orders",
                     {{"id", "bigint", "int8", false},
                      {"created_at", "timestamp with time zone", "timestamptz", false},
                      {"Updated_At", "timestamp without time zone", "timestamp", true},
                      {"day", "date", "date", true},
                      {"tags", "ARRAY", "_text", true},
                      {"secret", "text", "text", true}},
                     {"id"}};
}

config::source_config source() {
    config::source_config s;
    s.name = "warehouse";
    s.schema = "public";
    return s;
}

std::string error_of(const raw_table& t, const config::table_config& tc) {
    try {
        build_schema(source(), t, &tc);
    } catch (const sluice::error& e) {
        CHECK(e.kind() == error_kind::fatal);
        return e.what();
    }
    return "";
}

column col(std::string name, value_type t) { return column{std::move(name), t, "", true}; }

}  // namespace

TEST_CASE("postgres type mapping") {
    CHECK(map_pg_type("smallint", "int2") == value_type::int64);
    CHECK(map_pg_type("integer", "int4") == value_type::int64);
    CHECK(map_pg_type("bigint", "int8") == value_type::int64);
    CHECK(map_pg_type("numeric", "numeric") == value_type::decimal);
    CHECK(map_pg_type("real", "float4") == value_type::float64);
    CHECK(map_pg_type("double precision", "float8") == value_type::float64);
    CHECK(map_pg_type("boolean", "bool") == value_type::boolean);
    for (auto t : {"character", "character varying", "text", "name", "uuid", "inet", "cidr", "interval",
                   "time without time zone", "time with time zone", "money", "xml", "USER-DEFINED"})
        CHECK(map_pg_type(t, "x") == value_type::string);
    CHECK(map_pg_type("bytea", "bytea") == value_type::bytes);
    CHECK(map_pg_type("date", "date") == value_type::date);
    CHECK(map_pg_type("timestamp without time zone", "timestamp") == value_type::timestamp);
    CHECK(map_pg_type("timestamp with time zone", "timestamptz") == value_type::timestamp);
    CHECK(map_pg_type("json", "json") == value_type::json);
    CHECK(map_pg_type("jsonb", "jsonb") == value_type::json);
    CHECK(map_pg_type("ARRAY", "_int4") == value_type::json);
    // Redshift
    CHECK(map_pg_type("super", "super") == value_type::json);
    CHECK(map_pg_type("binary varying", "varbyte") == value_type::bytes);
    CHECK(map_pg_type("geometry", "geometry") == value_type::string);
    CHECK(map_pg_type("geography", "geography") == value_type::string);
    CHECK(map_pg_type("tsvector", "tsvector") == value_type::string);  // unknown: text form

    CHECK(source_type_name("ARRAY", "_int4") == "int4[]");
    CHECK(source_type_name("USER-DEFINED", "mood") == "mood");
    CHECK(select_as_json(column{"a", value_type::json, "int4[]", true}));
    CHECK_FALSE(select_as_json(column{"a", value_type::json, "jsonb", true}));
    CHECK(param_cast(column{"a", value_type::string, "character", true}) == "::bpchar");
    CHECK(param_cast(column{"a", value_type::timestamp, "timestamp with time zone", true}) ==
          "::timestamptz");
    CHECK(param_cast(column{"a", value_type::string, "mood", true}).empty());
}

TEST_CASE("cursor inference") {
    SUBCASE("preferred names win in their order, case-insensitively") {
        std::vector<column> c{col("id", value_type::int64), col("Modified_At", value_type::timestamp),
                              col("UPDATED_AT", value_type::timestamp)};
        CHECK(infer_cursor(c, {0}, false) == 2u);
    }
    SUBCASE("then any timestamp whose name contains updated/modified") {
        std::vector<column> c{col("id", value_type::int64), col("created", value_type::timestamp),
                              col("row_last_updated_ts", value_type::timestamp)};
        CHECK(infer_cursor(c, {0}, false) == 2u);
    }
    SUBCASE("never a date column, nor a non-timestamp named updated_at") {
        std::vector<column> c{col("code", value_type::string), col("updated_at", value_type::date),
                              col("modified", value_type::string)};
        CHECK_FALSE(infer_cursor(c, {0}, false).has_value());
    }
    SUBCASE("else a single-column integer key") {
        std::vector<column> c{col("id", value_type::int64), col("name", value_type::string)};
        CHECK(infer_cursor(c, {0}, false) == 0u);
        CHECK_FALSE(infer_cursor(c, {0, 1}, false).has_value());
        CHECK_FALSE(infer_cursor({col("k", value_type::string)}, {0}, false).has_value());
        CHECK_FALSE(infer_cursor(c, {0}, true).has_value());
    }
}

TEST_CASE("build_schema applies the table configuration") {
    SUBCASE("discovered key, inferred cursor, quoted source table") {
        auto s = build_schema(source(), orders(), nullptr);
        CHECK(s.qualified_name() == "warehouse.orders");
        CHECK(s.source_table == "\"public\".\"orders\"");
        CHECK(s.dest_table == "orders");
        REQUIRE(s.key.size() == 1);
        CHECK(s.columns[s.key[0]].name == "id");
        REQUIRE(s.cursor_column);
        CHECK(s.columns[*s.cursor_column].name == "Updated_At");
        CHECK(s.mode == sync_mode::incremental);
        CHECK(s.columns[4].type == value_type::json);
        CHECK(s.columns[4].source_type == "text[]");
        CHECK_FALSE(s.synthetic_key);
    }
    SUBCASE("overrides") {
        config::table_config tc;
        tc.name = "orders";
        tc.exclude_columns = {"secret"};
        tc.column_types = {{"day", value_type::string}};
        tc.cursor = "created_at";
        tc.destination = "orders_copy";
        auto s = build_schema(source(), orders(), &tc);
        CHECK(s.columns.size() == 5);
        CHECK_FALSE(s.find_column("secret"));
        CHECK(s.columns[*s.find_column("day")].type == value_type::string);
        CHECK(s.columns[*s.cursor_column].name == "created_at");
        CHECK(s.dest_table == "orders_copy");
    }
    SUBCASE("no key: synthetic key column last; mode full without cursor") {
        raw_table t{"events", {{"payload", "text", "text", true}, {"n", "integer", "int4", true}}, {}};
        auto s = build_schema(source(), t, nullptr);
        CHECK(s.synthetic_key);
        CHECK(s.columns.back().name == synthetic_key_column);
        CHECK(s.columns.back().type == value_type::string);
        CHECK(s.key == std::vector<std::size_t>{2});
        CHECK(s.mode == sync_mode::full);
        CHECK_FALSE(s.cursor_column);
    }
    SUBCASE("mode full forces full; configured primary key") {
        config::table_config tc;
        tc.name = "orders";
        tc.mode = "full";
        tc.primary_key = std::vector<std::string>{"created_at", "id"};
        auto s = build_schema(source(), orders(), &tc);
        CHECK(s.mode == sync_mode::full);
        CHECK_FALSE(s.cursor_column);
        CHECK(s.key == std::vector<std::size_t>{1, 0});
    }
    SUBCASE("configuration errors name source and table") {
        config::table_config tc;
        tc.name = "orders";
        tc.cursor = "nope";
        CHECK(error_of(orders(), tc) == "warehouse.orders: cursor column \"nope\" does not exist");
        tc.cursor = "day";
        CHECK(error_of(orders(), tc).find("warehouse.orders: cursor column \"day\" has type date") == 0);
        tc.cursor = "tags";
        CHECK(error_of(orders(), tc).find("has type json") != std::string::npos);
        tc.cursor.reset();
        tc.primary_key = std::vector<std::string>{"missing"};
        CHECK(error_of(orders(), tc) == "warehouse.orders: primary_key column \"missing\" does not exist");
        tc.primary_key = std::vector<std::string>{"secret"};
        tc.exclude_columns = {"secret"};
        CHECK(error_of(orders(), tc) ==
              "warehouse.orders: primary_key column \"secret\" is excluded from the sync");
        config::table_config inc;
        inc.name = "events";
        inc.mode = "incremental";
        raw_table t{"events", {{"payload", "text", "text", true}}, {}};
        CHECK(error_of(t, inc).find("warehouse.events: mode is incremental but no cursor") == 0);
        config::table_config types;
        types.column_types = {{"ghost", value_type::int64}};
        CHECK(error_of(orders(), types).find("column_types names column \"ghost\"") != std::string::npos);
        config::table_config inc_cols;
        inc_cols.include_columns = {"id", "ghost"};
        CHECK(error_of(orders(), inc_cols).find("include_columns names column \"ghost\"") !=
              std::string::npos);
    }
}
