// Filter language: parsing (accepted and rejected strings) and per-row semantics.
#include <doctest/doctest.h>

#include "filter.hpp"

using namespace hbase_emu;

namespace {

// Applies `f` to one row; returns whether it passes and the surviving cells as "col=value".
std::pair<bool, std::vector<std::string>> run(const std::string& filter, const std::string& key, const Row& row) {
  auto f = parse_filter(filter);
  std::vector<CellRef> refs;
  for (auto& c : row) refs.push_back(CellRef{&c, static_cast<uint32_t>(refs.size()), false});
  bool pass = f->apply(key, refs);
  std::vector<std::string> out;
  for (auto& r : refs) out.push_back(r.cell->column + "=" + (r.key_only ? "" : r.cell->value));
  return {pass, out};
}

const Row kRow = {
    Cell{"cf:a", 30, "10"},
    Cell{"cf:a", 20, "9"},
    Cell{"cf:b", 30, "Hello World"},
    Cell{"cf:c", 25, "it's"},
};

}  // namespace

TEST_CASE("filter parser accepts the supported grammar") {
  CHECK_NOTHROW(parse_filter("KeyOnlyFilter()"));
  CHECK_NOTHROW(parse_filter("  FirstKeyOnlyFilter ( ) "));
  CHECK_NOTHROW(parse_filter("PrefixFilter('ab') AND (RowFilter(>=, 'binary:a') OR TimestampsFilter(1, 2, 3))"));
  CHECK_NOTHROW(parse_filter("SingleColumnValueFilter('cf','q',<=,'binaryprefix:x',true,false)"));
  CHECK_NOTHROW(parse_filter("SingleColumnValueExcludeFilter('cf','q',!=,'substring:x')"));
  CHECK_NOTHROW(parse_filter("RowFilter(=, 'regexstring:^r[0-9]+$')"));
}

TEST_CASE("filter parser rejects bad strings with a reason") {
  auto why = [](const char* s) {
    try {
      parse_filter(s);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(why("NoSuchFilter()") == "unknown filter 'NoSuchFilter'");
  CHECK(why("PrefixFilter('a'") == "expected ',' or ')' in PrefixFilter");
  CHECK(why("PrefixFilter(") == "unterminated argument list of PrefixFilter");
  CHECK(why("PrefixFilter('a)") == "unterminated quoted string");
  CHECK(why("PrefixFilter('a') AND") == "expected a filter name, got ''");
  CHECK(why("PrefixFilter('a') PrefixFilter('b')") == "unexpected token 'PrefixFilter'");
  CHECK(why("SingleColumnValueFilter('cf','q',=)") == "SingleColumnValueFilter expects 4 or 6 arguments, got 3");
  CHECK(why("SingleColumnValueFilter('cf','q',=,'nope')") == "SingleColumnValueFilter: comparator without type: 'nope'");
  CHECK(why("SingleColumnValueFilter('cf','q',<,'substring:x')") == "SingleColumnValueFilter: substring only supports = and !=");
  CHECK(why("RowFilter(~, 'binary:a')") == "unexpected character '~' at offset 10");
  CHECK(why("TimestampsFilter('1')") == "TimestampsFilter: expected a number, got '1'");
  CHECK(why("KeyOnlyFilter(1)") == "KeyOnlyFilter expects 0 arguments, got 1");
  CHECK(why("(PrefixFilter('a')") == "expected ')'");
  CHECK(why("WHILE PrefixFilter('a')") == "WHILE is not supported by the emulator");
}

TEST_CASE("doubled quotes inside strings are one quote") {
  CHECK(run("SingleColumnValueFilter('cf','c',=,'binary:it''s')", "r", kRow).first);
  CHECK_FALSE(run("SingleColumnValueFilter('cf','c',=,'binary:its')", "r", kRow).first);
  CHECK(run("PrefixFilter('o''k')", "o'kay", kRow).first);
}

TEST_CASE("AND binds tighter than OR") {
  // false AND false OR true  => (false AND false) OR true => true
  CHECK(run("PrefixFilter('x') AND PrefixFilter('y') OR PrefixFilter('r')", "r1", kRow).first);
  // true OR false AND false => true OR (false AND false) => true; with parentheses => false
  CHECK(run("PrefixFilter('r') OR PrefixFilter('x') AND PrefixFilter('y')", "r1", kRow).first);
  CHECK_FALSE(run("(PrefixFilter('r') OR PrefixFilter('x')) AND PrefixFilter('y')", "r1", kRow).first);
}

TEST_CASE("SingleColumnValueFilter semantics") {
  SUBCASE("compares bytes, so '9' > '10'") {
    // Newest cf:a is "10": "10" > "9" is false byte-wise.
    CHECK_FALSE(run("SingleColumnValueFilter('cf','a',>,'binary:9')", "r", kRow).first);
    CHECK(run("SingleColumnValueFilter('cf','a',<,'binary:9')", "r", kRow).first);
    Row nine = {Cell{"cf:a", 1, "9"}};
    CHECK(run("SingleColumnValueFilter('cf','a',>,'binary:10')", "r", nine).first);
  }
  SUBCASE("missing column passes unless filterIfMissing") {
    CHECK(run("SingleColumnValueFilter('cf','zz',=,'binary:1')", "r", kRow).first);
    CHECK(run("SingleColumnValueFilter('cf','zz',=,'binary:1',false,true)", "r", kRow).first);
    CHECK_FALSE(run("SingleColumnValueFilter('cf','zz',=,'binary:1',true,true)", "r", kRow).first);
  }
  SUBCASE("latestVersionOnly=false matches any version") {
    CHECK_FALSE(run("SingleColumnValueFilter('cf','a',=,'binary:9',false,true)", "r", kRow).first);
    CHECK(run("SingleColumnValueFilter('cf','a',=,'binary:9',false,false)", "r", kRow).first);
  }
  SUBCASE("comparators") {
    CHECK(run("SingleColumnValueFilter('cf','b',=,'substring:WORLD')", "r", kRow).first);
    CHECK_FALSE(run("SingleColumnValueFilter('cf','b',!=,'substring:world')", "r", kRow).first);
    CHECK(run("SingleColumnValueFilter('cf','b',=,'binaryprefix:Hello')", "r", kRow).first);
    CHECK(run("SingleColumnValueFilter('cf','b',>,'binaryprefix:Hella')", "r", kRow).first);
    CHECK(run("SingleColumnValueFilter('cf','b',=,'regexstring:W.rld$')", "r", kRow).first);
  }
  SUBCASE("the exclude variant drops the tested column") {
    auto [pass, cells] = run("SingleColumnValueExcludeFilter('cf','a',=,'binary:10')", "r", kRow);
    CHECK(pass);
    CHECK(cells == std::vector<std::string>{"cf:b=Hello World", "cf:c=it's"});
  }
}

TEST_CASE("row, timestamp and key filters") {
  CHECK(run("RowFilter(<, 'binary:r2')", "r10", kRow).first);
  CHECK_FALSE(run("RowFilter(>, 'binary:r2')", "r10", kRow).first);
  auto [p1, ts] = run("TimestampsFilter(20, 25)", "r", kRow);
  CHECK(p1);
  CHECK(ts == std::vector<std::string>{"cf:a=9", "cf:c=it's"});
  auto [p2, keys] = run("KeyOnlyFilter()", "r", kRow);
  CHECK(keys == std::vector<std::string>{"cf:a=", "cf:a=", "cf:b=", "cf:c="});
  auto [p3, first] = run("FirstKeyOnlyFilter()", "r", kRow);
  CHECK(first == std::vector<std::string>{"cf:a=10"});
  // OR keeps the union of what the passing branches keep, in cell order.
  auto [p4, uni] = run("TimestampsFilter(25) OR TimestampsFilter(20)", "r", kRow);
  CHECK(p4);
  CHECK(uni == std::vector<std::string>{"cf:a=9", "cf:c=it's"});
}
