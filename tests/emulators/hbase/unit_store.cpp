// Store: versions, deletes, mutation validation, table admin and region splits.
#include <doctest/doctest.h>

#include "store.hpp"

using namespace hbase_emu;

namespace {
std::vector<std::pair<std::string, int64_t>> versions(Store& s, const std::string& table, const std::string& row) {
  auto t = s.get(table);
  std::vector<std::pair<std::string, int64_t>> out;
  auto it = t->rows().find(row);
  if (it == t->rows().end()) return out;
  for (auto& c : it->second) out.emplace_back(c.column + "=" + c.value, c.ts);
  return out;
}
RowMutation put(std::string row, std::string col, std::string v) { return RowMutation{std::move(row), {Put{std::move(col), std::move(v)}}, {}}; }
}  // namespace

TEST_CASE("versions are kept newest first and trimmed to maxVersions") {
  Store s;
  s.create_table("t", {{"cf", Family{2, 0x7fffffff}}});
  s.mutate("t", {put("r", "cf:a", "v1")}, 10);
  s.mutate("t", {put("r", "cf:a", "v3")}, 30);
  s.mutate("t", {put("r", "cf:a", "v2")}, 20);
  using V = std::vector<std::pair<std::string, int64_t>>;
  CHECK(versions(s, "t", "r") == V{{"cf:a=v3", 30}, {"cf:a=v2", 20}});
  s.mutate("t", {put("r", "cf:a", "old")}, 5);  // older than both retained versions
  CHECK(versions(s, "t", "r") == V{{"cf:a=v3", 30}, {"cf:a=v2", 20}});
  s.mutate("t", {put("r", "cf:a", "v2b")}, 20);  // same timestamp overwrites
  CHECK(versions(s, "t", "r") == V{{"cf:a=v3", 30}, {"cf:a=v2b", 20}});
}

TEST_CASE("server timestamps strictly increase so the newest write wins") {
  Store s;
  s.create_table("t", {{"cf", Family{}}});
  for (int i = 0; i < 5; ++i) s.mutate("t", {put("r", "cf:a", std::to_string(i))}, -1);
  auto v = versions(s, "t", "r");
  REQUIRE(v.size() == 3);
  CHECK(v[0].first == "cf:a=4");
  CHECK(v[0].second > v[1].second);
  CHECK(v[1].second > v[2].second);
}

TEST_CASE("deletes: column, family, row; puts apply before deletes") {
  Store s;
  s.create_table("t", {{"cf", Family{}}, {"x", Family{}}});
  s.mutate("t", {RowMutation{"r", {Put{"cf:a", "1"}, Put{"cf:b", "2"}, Put{"x:c", "3"}}, {}}}, 10);
  s.mutate("t", {RowMutation{"r", {}, {"cf:a"}}}, 10);
  using V = std::vector<std::pair<std::string, int64_t>>;
  CHECK(versions(s, "t", "r") == V{{"cf:b=2", 10}, {"x:c=3", 10}});
  s.mutate("t", {RowMutation{"r", {}, {"x"}}}, 9);  // delete only reaches ts <= 9
  CHECK(versions(s, "t", "r") == V{{"cf:b=2", 10}, {"x:c=3", 10}});
  s.mutate("t", {RowMutation{"r", {}, {"x"}}}, 11);
  CHECK(versions(s, "t", "r") == V{{"cf:b=2", 10}});
  // Same call: the put lands first, then the delete of the same column removes it.
  s.mutate("t", {RowMutation{"r", {Put{"cf:z", "new"}}, {"cf:z"}}}, 12);
  CHECK(versions(s, "t", "r") == V{{"cf:b=2", 10}});
  // mutateRow order: deletes first, so the put of the same call survives.
  s.mutate("t", {RowMutation{"r", {Put{"cf:z", "kept"}}, {"cf:z"}}}, 13, true);
  CHECK(versions(s, "t", "r") == V{{"cf:b=2", 10}, {"cf:z=kept", 13}});
  s.delete_all_row("t", "r");
  CHECK(s.get("t")->rows().empty());
}

TEST_CASE("mutation validation and table admin errors") {
  Store s;
  s.create_table("t", {{"cf", Family{}}});
  CHECK_THROWS_WITH_AS(s.mutate("t", {put("r", "cf", "v")}, -1), "Invalid famAndQf provided.", StoreIllegalArgument);
  CHECK_THROWS_AS(s.mutate("t", {put("r", "nope:q", "v")}, -1), StoreIOError);
  CHECK_THROWS_AS(s.mutate("missing", {put("r", "cf:q", "v")}, -1), StoreIOError);
  CHECK(s.get("t")->rows().empty());  // nothing applied when validation fails
  CHECK_THROWS_WITH_AS(s.create_table("t", {{"cf", Family{}}}), "table name already in use", StoreAlreadyExists);
  CHECK_THROWS_AS(s.create_table("u", {{"", Family{}}}), StoreIllegalArgument);
  CHECK_THROWS_AS(s.delete_table("t"), StoreIOError);  // still enabled
  s.set_enabled("t", false);
  CHECK_FALSE(s.is_enabled("t"));
  s.delete_table("t");
  CHECK(s.table_names().empty());
  CHECK(s.find("t") == nullptr);
}

TEST_CASE("regions split at the median row key") {
  Store s(4);
  s.create_table("t", {{"cf", Family{}}});
  auto t = s.get("t");
  for (char c = 'a'; c <= 'e'; ++c) s.mutate("t", {put(std::string(1, c), "cf:q", "v")}, 1);
  // 5 rows > 4: split at the 3rd key ("c"): [,c) holds a,b and [c,) holds c,d,e.
  REQUIRE(t->regions().size() == 2);
  CHECK(t->regions()[0].start == "");
  CHECK(t->regions()[0].end == "c");
  CHECK(t->regions()[0].rows == 2);
  CHECK(t->regions()[1].start == "c");
  CHECK(t->regions()[1].end == "");
  CHECK(t->regions()[1].rows == 3);
  CHECK(t->regions()[0].id != t->regions()[1].id);
  for (char c = 'f'; c <= 'g'; ++c) s.mutate("t", {put(std::string(1, c), "cf:q", "v")}, 1);
  // [c,) now has c..g = 5 rows: split at "e".
  REQUIRE(t->regions().size() == 3);
  CHECK(t->regions()[1].end == "e");
  CHECK(t->regions()[2].start == "e");
  CHECK(t->regions()[2].rows == 3);
  s.delete_all_row("t", "a");
  CHECK(t->regions()[0].rows == 1);
}
