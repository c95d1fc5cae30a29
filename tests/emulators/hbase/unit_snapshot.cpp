// --data FILE: a saved store loads back identical (cells with every retained version,
// families, regions with their ids, enabled flags), and a damaged file is refused.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "snapshot.hpp"
#include "store.hpp"

using namespace hbase_emu;

namespace {

std::string temp_path() {
  char buf[] = "/tmp/hbase-snapshot-XXXXXX";
  int fd = mkstemp(buf);
  REQUIRE(fd >= 0);
  close(fd);
  return buf;
}

void check_same_table(Store& a, Store& b, const std::string& name) {
  auto ta = a.get(name), tb = b.get(name);
  CHECK(ta->families.size() == tb->families.size());
  for (auto& [f, fam] : ta->families) {
    REQUIRE(tb->families.count(f));
    CHECK(tb->families.at(f).max_versions == fam.max_versions);
    CHECK(tb->families.at(f).ttl == fam.ttl);
  }
  REQUIRE(ta->regions().size() == tb->regions().size());
  for (size_t i = 0; i < ta->regions().size(); ++i) {
    CHECK(ta->regions()[i].start == tb->regions()[i].start);
    CHECK(ta->regions()[i].end == tb->regions()[i].end);
    CHECK(ta->regions()[i].id == tb->regions()[i].id);
    CHECK(ta->regions()[i].rows == tb->regions()[i].rows);
  }
  REQUIRE(ta->rows().size() == tb->rows().size());
  for (auto& [key, cells] : ta->rows()) {
    auto it = tb->rows().find(key);
    REQUIRE(it != tb->rows().end());
    REQUIRE(it->second.size() == cells.size());
    for (size_t i = 0; i < cells.size(); ++i) {
      CHECK(it->second[i].column == cells[i].column);
      CHECK(it->second[i].ts == cells[i].ts);
      CHECK(it->second[i].value == cells[i].value);
    }
  }
  CHECK(a.is_enabled(name) == b.is_enabled(name));
}

}  // namespace

TEST_CASE("a snapshot loads back the same tables, versions, regions and flags") {
  Store s(4);
  s.create_table("t", {{"cf", Family{2, 0x7fffffff}}, {"x", Family{1, 3600}}});
  s.create_table("off", {{"cf", Family{}}});
  for (char k = 'a'; k <= 'j'; ++k) {
    const std::string row(1, k);
    s.mutate("t", {RowMutation{row, {Put{"cf:a", "v1"}, Put{"x:b", std::string("\0\xff", 2)}}, {}}}, 10);
    s.mutate("t", {RowMutation{row, {Put{"cf:a", "v2 " + row}}, {}}}, 20);
  }
  s.mutate("t", {RowMutation{std::string("\x00key", 4), {Put{"cf:a", ""}}, {}}}, 5);
  s.set_enabled("off", false);
  REQUIRE(s.get("t")->regions().size() > 2);

  const auto path = temp_path();
  save_snapshot(s, path);
  Store loaded(4);
  load_snapshot(loaded, path);
  CHECK(loaded.table_names() == s.table_names());
  check_same_table(s, loaded, "t");
  check_same_table(s, loaded, "off");
  // Still a working store: a later write lands in the restored regions.
  loaded.mutate("t", {RowMutation{"k", {Put{"cf:a", "after"}}, {}}}, 30);
  CHECK(loaded.get("t")->rows().at("k").front().value == "after");
  std::remove(path.c_str());
}

TEST_CASE("a damaged snapshot is refused") {
  Store s;
  s.create_table("t", {{"cf", Family{}}});
  s.mutate("t", {RowMutation{"r", {Put{"cf:a", "value"}}, {}}}, 1);
  const auto path = temp_path();
  save_snapshot(s, path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 3));
  }
  Store truncated;
  CHECK_THROWS_WITH_AS(load_snapshot(truncated, path), doctest::Contains("truncated"), std::runtime_error);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "not a snapshot at all, just text\n";
  }
  Store other;
  CHECK_THROWS_WITH_AS(load_snapshot(other, path), doctest::Contains("not an hbase-emulator snapshot"),
                       std::runtime_error);
  std::remove(path.c_str());
}
