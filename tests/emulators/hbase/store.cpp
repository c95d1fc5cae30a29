#include "store.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>

namespace hbase_emu {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
// Region ids are creation timestamps in HBase; uniqueness matters more than the
// clock here, so a split in the same ms still gets a fresh id.
int64_t next_region_id() {
  static std::atomic<int64_t> last{0};
  int64_t cur = last.load();
  for (;;) {
    int64_t want = std::max(now_ms(), cur + 1);
    if (last.compare_exchange_weak(cur, want)) return want;
  }
}
}  // namespace

ColumnName parse_column(const std::string& c) {
  auto pos = c.find(':');
  if (pos == std::string::npos) return {c, {}, false};
  return {c.substr(0, pos), c.substr(pos + 1), true};
}

Table::Table(std::string n, std::map<std::string, Family> f, int64_t region_id)
    : name(std::move(n)), families(std::move(f)) {
  regions_.push_back(Region{"", "", region_id, 0});
}

size_t Table::region_of(const std::string& row) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), row,
                             [](const std::string& r, const Region& reg) { return r < reg.start; });
  return static_cast<size_t>(it - regions_.begin()) - 1;  // regions_[0].start is "", so never underflows
}

void Table::row_added(const std::string& row) { ++regions_[region_of(row)].rows; }
void Table::row_removed(const std::string& row) { --regions_[region_of(row)].rows; }

void Table::put(const std::string& row, const std::string& column, int64_t ts, const std::string& value) {
  auto fam = families.find(parse_column(column).family);
  size_t max_versions = fam == families.end() ? 1 : static_cast<size_t>(std::max(1, fam->second.max_versions));
  auto [it, inserted] = rows_.try_emplace(row);
  if (inserted) row_added(row);
  Row& cells = it->second;
  // First cell of this column, then the slot among its versions (ts desc).
  auto first = std::lower_bound(cells.begin(), cells.end(), column,
                                [](const Cell& c, const std::string& col) { return c.column < col; });
  auto last = first;
  while (last != cells.end() && last->column == column) ++last;
  auto slot = std::find_if(first, last, [ts](const Cell& c) { return c.ts <= ts; });
  if (slot != last && slot->ts == ts) {
    slot->value = value;  // same coordinates: HBase overwrites
    return;
  }
  size_t have = static_cast<size_t>(last - first);
  if (have >= max_versions && slot == last) return;  // older than every retained version
  auto pos = cells.insert(slot, Cell{column, ts, value});
  (void)pos;
  if (have + 1 > max_versions) {
    // The oldest version of this column is now one past the retained window.
    auto f2 = std::lower_bound(cells.begin(), cells.end(), column,
                               [](const Cell& c, const std::string& col) { return c.column < col; });
    cells.erase(f2 + static_cast<std::ptrdiff_t>(max_versions));
  }
}

void Table::delete_column(const std::string& row, const std::string& col, int64_t max_ts) {
  auto it = rows_.find(row);
  if (it == rows_.end()) return;
  bool family = col.find(':') == std::string::npos;
  std::string prefix = family ? col + ":" : col;
  std::erase_if(it->second, [&](const Cell& c) {
    bool match = family ? c.column.compare(0, prefix.size(), prefix) == 0 : c.column == col;
    return match && c.ts <= max_ts;
  });
  if (it->second.empty()) {
    row_removed(row);
    rows_.erase(it);
  }
}

void Table::delete_row(const std::string& row) {
  if (rows_.erase(row)) row_removed(row);
}

void Table::split_regions(size_t max_rows) {
  for (size_t i = 0; i < regions_.size(); ++i) {
    while (regions_[i].rows > max_rows) {
      Region& r = regions_[i];
      auto it = rows_.lower_bound(r.start);
      size_t half = r.rows / 2;
      std::advance(it, static_cast<std::ptrdiff_t>(half));
      Region upper{it->first, r.end, next_region_id(), r.rows - half};
      Region lower{r.start, it->first, next_region_id(), half};
      regions_[i] = lower;
      regions_.insert(regions_.begin() + static_cast<std::ptrdiff_t>(i) + 1, upper);
    }
  }
}

void Table::restore_regions(std::vector<Region> regions) {
  if (regions.empty() || !regions.front().start.empty() || !regions.back().end.empty())
    throw std::invalid_argument("regions must start and end open");
  for (size_t i = 0; i + 1 < regions.size(); ++i)
    if (regions[i].end != regions[i + 1].start || regions[i + 1].start <= regions[i].start)
      throw std::invalid_argument("regions must be contiguous and in key order");
  regions_ = std::move(regions);
  for (auto& r : regions_) r.rows = 0;
  for (const auto& [key, _] : rows_) row_added(key);
}

void Store::create_table(const std::string& name, const std::map<std::string, Family>& families) {
  std::unique_lock lk(mu_);
  if (tables_.count(name)) throw StoreAlreadyExists("table name already in use");
  if (families.empty()) throw StoreIllegalArgument("column name is empty");
  for (auto& [f, _] : families)
    if (f.empty()) throw StoreIllegalArgument("column name is empty");
  tables_[name] = std::make_shared<Table>(name, families, next_region_id());
  enabled_[name] = true;
}

void Store::delete_table(const std::string& name) {
  std::unique_lock lk(mu_);
  if (!tables_.count(name))
    throw StoreIOError("org.apache.hadoop.hbase.TableNotFoundException: " + name + ": table does not exist");
  if (enabled_[name])
    throw StoreIOError("org.apache.hadoop.hbase.TableNotDisabledException: " + name);
  tables_.erase(name);
  enabled_.erase(name);
}

void Store::set_enabled(const std::string& name, bool enabled) {
  std::unique_lock lk(mu_);
  if (!tables_.count(name))
    throw StoreIOError("org.apache.hadoop.hbase.TableNotFoundException: " + name);
  enabled_[name] = enabled;
}

bool Store::is_enabled(const std::string& name) const {
  std::shared_lock lk(mu_);
  auto it = enabled_.find(name);
  if (it == enabled_.end()) throw StoreIOError("org.apache.hadoop.hbase.TableNotFoundException: " + name);
  return it->second;
}

std::vector<std::string> Store::table_names() const {
  std::shared_lock lk(mu_);
  std::vector<std::string> out;
  for (auto& [n, _] : tables_) out.push_back(n);
  return out;
}

std::shared_ptr<Table> Store::find(const std::string& name) const {
  std::shared_lock lk(mu_);
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second;
}

std::shared_ptr<Table> Store::get(const std::string& name) const {
  auto t = find(name);
  if (!t) throw StoreIOError("org.apache.hadoop.hbase.TableNotFoundException: " + name);
  return t;
}

int64_t Store::next_timestamp() {
  static std::atomic<int64_t> last{0};
  int64_t cur = last.load();
  for (;;) {
    int64_t want = std::max(now_ms(), cur + 1);
    if (last.compare_exchange_weak(cur, want)) return want;
  }
}

void Store::mutate(const std::string& table, const std::vector<RowMutation>& rows, int64_t ts, bool deletes_first) {
  auto t = get(table);
  for (auto& rm : rows) {
    for (auto& p : rm.puts) {
      auto c = parse_column(p.column);
      if (!c.has_colon) throw StoreIllegalArgument("Invalid famAndQf provided.");
      if (!t->families.count(c.family))
        throw StoreIOError("org.apache.hadoop.hbase.regionserver.NoSuchColumnFamilyException: Column family " +
                           c.family + " does not exist in region " + table);
    }
    for (auto& d : rm.deletes) {
      if (!t->families.count(parse_column(d).family))
        throw StoreIOError("org.apache.hadoop.hbase.regionserver.NoSuchColumnFamilyException: Column family " +
                           parse_column(d).family + " does not exist in region " + table);
    }
  }
  if (ts < 0) ts = next_timestamp();
  std::unique_lock lk(t->mu);
  auto deletes = [&] {
    for (auto& rm : rows)
      for (auto& d : rm.deletes) t->delete_column(rm.row, d, ts);
  };
  if (deletes_first) deletes();
  for (auto& rm : rows)
    for (auto& p : rm.puts) t->put(rm.row, p.column, ts, p.value);
  if (!deletes_first) deletes();
  t->split_regions(region_max_rows_);
}

void Store::delete_all_row(const std::string& table, const std::string& row) {
  auto t = get(table);
  std::unique_lock lk(t->mu);
  t->delete_row(row);
}

}  // namespace hbase_emu
