#include <doctest/doctest.h>

#include <cmath>

#include "sluice/batch.hpp"
#include "sluice/json.hpp"
#include "sluice/synthetic_key.hpp"

using namespace sluice;

namespace {
table_schema_ptr two_columns() {
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = "t";
    s->columns = {{"a", value_type::int64, "bigint", true}, {"b", value_type::string, "text", true}};
    s->key = {0};
    return s;
}
}  // namespace

TEST_CASE("a batch stores typed cells and arena text") {
    batch b(two_columns());
    b.put_int64(42);
    b.put_text(value_type::string, "hello");
    b.end_row();
    b.put_null();
    b.put_text(value_type::string, "");
    b.end_row();
    REQUIRE(b.rows() == 2);
    CHECK(b.at(0, 0).i == 42);
    CHECK(b.at(0, 1).s == "hello");
    CHECK(b.at(1, 0).is_null());
    CHECK(b.at(1, 1).type == value_type::string);
    CHECK(b.at(1, 1).s.empty());
}

TEST_CASE("abandon_row drops the partial row and its text") {
    batch b(two_columns());
    b.put_int64(1);
    b.put_text(value_type::string, "keep");
    b.end_row();
    b.put_int64(2);
    b.put_text(value_type::string, "drop me");
    b.abandon_row();
    b.put_float64(std::nan(""));
    b.put_text(value_type::string, "x");
    b.end_row();
    REQUIRE(b.rows() == 2);
    CHECK(b.at(0, 1).s == "keep");
    CHECK(std::isnan(b.at(1, 0).d));
    CHECK(b.at(1, 1).s == "x");
}

TEST_CASE("append_rows copies another batch's rows, its text included, and leaves its cursor") {
    auto s = two_columns();
    batch a(s), b(s);
    a.put_int64(1);
    a.put_text(value_type::string, "first");
    a.end_row();
    a.cursor = "ca";
    b.put_int64(2);
    b.put_text(value_type::string, "second");
    b.end_row();
    b.put_float64(2.5);
    b.put_null();
    b.end_row();
    b.put_int64(9);
    b.put_text(value_type::string, "pending, not a row");
    b.cursor = "cb";
    a.append_rows(b);
    REQUIRE(a.rows() == 3);
    CHECK(a.at(0, 1).s == "first");
    CHECK(a.at(1, 0).i == 2);
    CHECK(a.at(1, 1).s == "second");
    CHECK(a.at(2, 0).d == 2.5);
    CHECK(a.at(2, 1).is_null());
    CHECK(a.cursor == "ca");
    a.append_rows(batch(s));
    CHECK(a.rows() == 3);
}

TEST_CASE("synthetic keys are content hashes with occurrence numbers") {
    batch b(two_columns());
    synthetic_keyer keyer;
    auto key_of = [&](std::int64_t a, std::string_view s) {
        b.put_int64(a);
        b.put_text(value_type::string, s);
        auto k = keyer.next_key(hash_pending_row(b, 2));
        b.end_row();
        return k;
    };
    const auto k1 = key_of(1, "x");
    const auto k2 = key_of(1, "x");
    const auto k3 = key_of(1, "y");
    CHECK(k1.size() == 32);
    CHECK(k2 == k1 + "#1");
    CHECK(k3 != k1);
    keyer.new_group();
    CHECK(key_of(1, "x") == k1);  // stable across groups and re-syncs
    // Type tags matter: the int 1 and the text "1" differ.
    auto s = std::make_shared<table_schema>(*two_columns());
    s->columns[0].type = value_type::string;
    batch c(s);
    c.put_text(value_type::string, "1");
    c.put_text(value_type::string, "x");
    synthetic_keyer other;
    CHECK(other.next_key(hash_pending_row(c, 2)) != k1);
}

TEST_CASE("json writer escapes and stays valid for binary input") {
    json::writer w;
    w.begin_object().key("a\"b").value("line\nbreak\x01").key("n").value(std::int64_t{-5});
    w.key("bin").value(std::string_view("\xff\xfe", 2)).key("arr").begin_array().value(true).null().end_array();
    w.end_object();
    CHECK(w.str() == R"({"a\"b":"line\nbreak\u0001","n":-5,"bin":"\ufffd\ufffd","arr":[true,null]})");
}
