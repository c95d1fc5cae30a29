// Scans (ranges, reverse, time bound, batching, column selection), the scanner
// registry (ids, close, expiry) and the handler's wire conversion.
#include <doctest/doctest.h>

#include <thread>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include "handler.hpp"
#include "scanner.hpp"

using namespace hbase_emu;
namespace w = sluice::hbase::wire;

namespace {

std::shared_ptr<Store> sample_store() {
  auto s = std::make_shared<Store>();
  s->create_table("t", {{"cf", Family{3, 0x7fffffff}}, {"x", Family{1, 0x7fffffff}}});
  // r1..r5, each with cf:a (two versions at 10 and 20) and x:b at 15; r3 also has cf:b.
  for (int i = 1; i <= 5; ++i) {
    std::string r = "r" + std::to_string(i);
    s->mutate("t", {RowMutation{r, {Put{"cf:a", r + "-old"}, Put{"x:b", r + "-x"}}, {}}}, i == 3 ? 15 : 15);
    s->mutate("t", {RowMutation{r, {Put{"cf:a", r + "-new"}}, {}}}, 20);
  }
  s->mutate("t", {RowMutation{"r3", {Put{"cf:b", "wide"}}, {}}}, 20);
  return s;
}

// Drains a scanner, rendering each result as "row:col=value,col=value".
std::vector<std::string> drain(Scanner& sc, size_t per_call = 2) {
  std::vector<std::string> out;
  for (;;) {
    auto batch = sc.next(per_call);
    if (batch.empty()) return out;
    CHECK(batch.size() <= per_call);
    for (auto& r : batch) {
      std::string s = r.row + ":";
      for (size_t i = 0; i < r.cells.size(); ++i) s += (i ? "," : "") + r.cells[i].column + "=" + r.cells[i].value;
      out.push_back(s);
    }
  }
}

std::vector<std::string> scan(const ScanSpec& spec, size_t per_call = 2) {
  auto s = sample_store();
  Scanner sc(s->get("t"), spec);
  return drain(sc, per_call);
}

using VS = std::vector<std::string>;

}  // namespace

TEST_CASE("full scan returns the newest version per column in row order") {
  CHECK(scan({}) == VS{"r1:cf:a=r1-new,x:b=r1-x", "r2:cf:a=r2-new,x:b=r2-x", "r3:cf:a=r3-new,cf:b=wide,x:b=r3-x",
                       "r4:cf:a=r4-new,x:b=r4-x", "r5:cf:a=r5-new,x:b=r5-x"});
}

TEST_CASE("start inclusive, stop exclusive, and reversed ranges") {
  ScanSpec spec;
  spec.start = "r2";
  spec.stop = "r4";
  spec.columns = {"cf:a"};
  CHECK(scan(spec) == VS{"r2:cf:a=r2-new", "r3:cf:a=r3-new"});
  spec.start = "r20";  // between keys: first row >= start
  CHECK(scan(spec) == VS{"r3:cf:a=r3-new"});

  ScanSpec rev;
  rev.reversed = true;
  rev.columns = {"cf:a"};
  CHECK(scan(rev, 1) == VS{"r5:cf:a=r5-new", "r4:cf:a=r4-new", "r3:cf:a=r3-new", "r2:cf:a=r2-new", "r1:cf:a=r1-new"});
  rev.start = "r4";
  rev.stop = "r2";
  CHECK(scan(rev, 1) == VS{"r4:cf:a=r4-new", "r3:cf:a=r3-new"});
  rev.start = "r35";  // the highest key <= start comes first
  rev.stop = "";
  CHECK(scan(rev, 5) == VS{"r3:cf:a=r3-new", "r2:cf:a=r2-new", "r1:cf:a=r1-new"});
}

TEST_CASE("timestamp bound is exclusive and picks the newest older version") {
  ScanSpec spec;
  spec.ts_below = 20;
  spec.stop = "r3";
  CHECK(scan(spec) == VS{"r1:cf:a=r1-old,x:b=r1-x", "r2:cf:a=r2-old,x:b=r2-x"});
  spec.ts_below = 15;  // nothing older than 15: rows without visible cells are skipped
  CHECK(scan(spec).empty());
  spec.ts_below = 21;
  CHECK(scan(spec) == VS{"r1:cf:a=r1-new,x:b=r1-x", "r2:cf:a=r2-new,x:b=r2-x"});
}

TEST_CASE("column selection by family and by column") {
  ScanSpec spec;
  spec.families = {"x"};
  spec.start = "r3";
  spec.stop = "r4";
  CHECK(scan(spec) == VS{"r3:x:b=r3-x"});
  spec.families = {"cf"};
  CHECK(scan(spec) == VS{"r3:cf:a=r3-new,cf:b=wide"});
  spec.families.clear();
  spec.columns = {"cf:b"};
  spec.start.clear();
  spec.stop.clear();
  CHECK(scan(spec) == VS{"r3:cf:b=wide"});  // other rows have no cf:b and are skipped
}

TEST_CASE("batchSize splits wide rows into consecutive results, across calls") {
  ScanSpec spec;
  spec.batch_size = 2;
  spec.start = "r2";
  spec.stop = "r5";
  // r3 has three cells: two results with the same key. One result per call forces the
  // scanner to resume in the middle of r3.
  CHECK(scan(spec, 1) == VS{"r2:cf:a=r2-new,x:b=r2-x", "r3:cf:a=r3-new,cf:b=wide", "r3:x:b=r3-x",
                            "r4:cf:a=r4-new,x:b=r4-x"});
  spec.batch_size = 1;
  spec.reversed = true;
  spec.start = "r3";
  spec.stop = "r2";
  CHECK(scan(spec, 2) == VS{"r3:cf:a=r3-new", "r3:cf:b=wide", "r3:x:b=r3-x"});
}

TEST_CASE("filters run on the cells visible under the time bound") {
  ScanSpec spec;
  spec.filter = parse_filter("SingleColumnValueFilter('cf','a',=,'binary:r2-old')");
  CHECK(scan(spec).empty());  // r2's newest cf:a is r2-new
  spec.ts_below = 20;
  CHECK(scan(spec) == VS{"r2:cf:a=r2-old,x:b=r2-x"});
  ScanSpec ts;
  ts.filter = parse_filter("TimestampsFilter(15) AND PrefixFilter('r1')");
  CHECK(scan(ts) == VS{"r1:cf:a=r1-old,x:b=r1-x"});
}

TEST_CASE("a scanner sees writes made after it was opened") {
  auto s = sample_store();
  Scanner sc(s->get("t"), ScanSpec{});
  CHECK(sc.next(1).at(0).row == "r1");
  s->mutate("t", {RowMutation{"r15", {Put{"cf:a", "late"}}, {}}}, 30);
  s->delete_all_row("t", "r2");
  auto b = sc.next(2);
  REQUIRE(b.size() == 2);
  CHECK(b[0].row == "r15");
  CHECK(b[1].row == "r3");
}

TEST_CASE("scanner registry: ids, close, expiry after N calls, idle expiry") {
  auto s = sample_store();
  SUBCASE("ids count from 0 and are invalid after close") {
    ScannerRegistry reg(std::chrono::milliseconds(0), 0);
    CHECK(reg.open(s->get("t"), {}) == 0);
    CHECK(reg.open(s->get("t"), {}) == 1);
    CHECK(reg.next(0, 10, true).size() == 5);
    CHECK(reg.next(0, 10, true).empty());
    reg.close(0);
    CHECK_THROWS_WITH_AS(reg.next(0, 1, true), "scanner ID is invalid", ScannerInvalid);
    CHECK_THROWS_AS(reg.close(0), ScannerInvalid);
    CHECK_THROWS_AS(reg.next(42, 1, true), ScannerInvalid);
    CHECK(reg.size() == 1);
  }
  SUBCASE("expire after N getList calls") {
    ScannerRegistry reg(std::chrono::milliseconds(0), 2);
    int32_t id = reg.open(s->get("t"), {});
    CHECK(reg.next(id, 1, true).at(0).row == "r1");
    CHECK(reg.next(id, 1, false).at(0).row == "r2");  // scannerGet does not count
    CHECK(reg.next(id, 1, true).at(0).row == "r3");
    CHECK_THROWS_AS(reg.next(id, 1, true), ScannerInvalid);
    CHECK_THROWS_AS(reg.close(id), ScannerInvalid);
  }
  SUBCASE("idle scanners expire") {
    ScannerRegistry reg(std::chrono::milliseconds(30), 0);
    int32_t a = reg.open(s->get("t"), {});
    CHECK(reg.next(a, 1, true).size() == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    CHECK_THROWS_AS(reg.next(a, 1, true), ScannerInvalid);
  }
}

TEST_CASE("handler: sortColumns chooses exactly one result field, errors map to IDL exceptions") {
  auto s = sample_store();
  auto reg = std::make_shared<ScannerRegistry>(std::chrono::milliseconds(0), 0);
  Handler h(s, reg);
  w::TScan scan;
  scan.__set_startRow("r3");
  scan.__set_stopRow("r4");
  scan.__set_sortColumns(true);
  int32_t id = h.scannerOpenWithScan("t", scan, {});
  std::vector<w::TRowResult> rows;
  h.scannerGetList(rows, id, 10);
  REQUIRE(rows.size() == 1);
  CHECK(bool(rows[0].__isset.sortedColumns));
  CHECK_FALSE(bool(rows[0].__isset.columns));
  REQUIRE(rows[0].sortedColumns.size() == 3);
  CHECK(rows[0].sortedColumns[0].columnName == "cf:a");
  CHECK(rows[0].sortedColumns[1].columnName == "cf:b");
  CHECK(rows[0].sortedColumns[2].columnName == "x:b");
  CHECK(rows[0].sortedColumns[2].cell.value == "r3-x");
  CHECK(rows[0].sortedColumns[2].cell.timestamp == 15);
  h.scannerClose(id);
  CHECK_THROWS_AS(h.scannerClose(id), w::IllegalArgument);

  scan.__set_sortColumns(false);
  id = h.scannerOpenWithScan("t", scan, {});
  rows.clear();
  h.scannerGetList(rows, id, 10);
  REQUIRE(rows.size() == 1);
  CHECK(bool(rows[0].__isset.columns));
  CHECK_FALSE(bool(rows[0].__isset.sortedColumns));
  CHECK(rows[0].columns.at("cf:b").value == "wide");

  w::TScan bad;
  bad.__set_filterString("Bogus(");
  CHECK_THROWS_WITH(h.scannerOpenWithScan("t", bad, {}),
                    "Internal error processing scannerOpenWithScan: unterminated argument list of Bogus");
  CHECK_THROWS_AS(h.scannerOpenWithScan("nope", w::TScan{}, {}), w::IOError);
  std::vector<w::TRegionInfo> regions;
  h.getTableRegions(regions, "nope");
  CHECK(regions.empty());
  h.getTableRegions(regions, "t");
  REQUIRE(regions.size() == 1);
  CHECK(regions[0].name == "t,," + std::to_string(regions[0].id));
  std::map<std::string, w::ColumnDescriptor> fams;
  h.getColumnDescriptors(fams, "t");
  CHECK(fams.size() == 2);
  CHECK(fams.at("cf:").maxVersions == 3);
  w::Mutation m;
  m.column = "cf";
  m.value = "v";
  CHECK_THROWS_AS(h.mutateRow("t", "r9", {m}, {}), w::IllegalArgument);
  std::vector<w::TRowResult> got;
  h.getRow(got, "t", "r9", {});
  CHECK(got.empty());
  h.getRow(got, "t", "r1", {});
  REQUIRE(got.size() == 1);
  CHECK(got[0].columns.at("cf:a").value == "r1-new");
}

namespace {

// Serialises one scannerGetList reply twice: through the fast path, and through the
// generated result struct built from the regular handler call on an identical scanner.
template <class Proto>
std::pair<std::string, std::string> both_replies(const w::TScan& scan, int32_t n) {
  using apache::thrift::transport::TMemoryBuffer;
  auto s = sample_store();
  auto reg = std::make_shared<ScannerRegistry>(std::chrono::milliseconds(0), 0);
  Handler h(s, reg);
  int32_t fast = h.scannerOpenWithScan("t", scan, {});
  int32_t slow = h.scannerOpenWithScan("t", scan, {});
  std::string a, b;
  for (int call = 0; call < 3; ++call) {
    auto buf1 = std::make_shared<TMemoryBuffer>();
    Proto p1(buf1);
    h.write_scanner_get_list(&p1, 7, fast, n);
    a += buf1->getBufferAsString();

    w::Hbase_scannerGetList_result r;
    h.scannerGetList(r.success, slow, n);
    r.__isset.success = true;
    auto buf2 = std::make_shared<TMemoryBuffer>();
    Proto p2(buf2);
    p2.writeMessageBegin("scannerGetList", apache::thrift::protocol::T_REPLY, 7);
    r.write(&p2);
    p2.writeMessageEnd();
    b += buf2->getBufferAsString();
  }
  return {a, b};
}

}  // namespace

TEST_CASE("the scannerGetList fast path writes the same bytes as the generated code") {
  using Binary = apache::thrift::protocol::TBinaryProtocol;
  using Compact = apache::thrift::protocol::TCompactProtocol;
  w::TScan plain;
  auto [a1, b1] = both_replies<Binary>(plain, 2);
  CHECK(a1.size() > 100);
  CHECK(a1 == b1);
  w::TScan fancy;
  fancy.__set_sortColumns(true);
  fancy.__set_batchSize(2);
  fancy.__set_reversed(true);
  fancy.__set_filterString("KeyOnlyFilter() AND PrefixFilter('r')");
  auto [a2, b2] = both_replies<Compact>(fancy, 3);
  CHECK(a2 == b2);
  auto [a3, b3] = both_replies<Compact>(plain, 4);
  CHECK(a3 == b3);
}
