#include "scanner.hpp"

#include <algorithm>
#include <iterator>

namespace hbase_emu {

void visible_cells(const std::string& key, const Row& row, const ScanSpec& spec,
                   std::vector<CellRef>& scratch, std::vector<CellRef>& out) {
  scratch.clear();
  bool select_all = spec.families.empty() && spec.columns.empty();
  for (const Cell& c : row) {
    if (spec.ts_below && c.ts >= *spec.ts_below) continue;
    if (!select_all && !spec.columns.count(c.column) &&
        !spec.families.count(c.column.substr(0, c.column.find(':'))))
      continue;
    scratch.push_back(CellRef{&c, static_cast<uint32_t>(scratch.size()), false});
  }
  if (scratch.empty()) return;
  if (spec.filter && !spec.filter->apply(key, scratch)) return;
  // Candidates are still in (column asc, ts desc) order: the first of a column is its newest.
  const std::string* prev = nullptr;
  for (const CellRef& r : scratch) {
    if (prev && *prev == r.cell->column) continue;
    prev = &r.cell->column;
    out.push_back(r);
  }
}

Scanner::Scanner(std::shared_ptr<Table> table, ScanSpec spec) : table_(std::move(table)), spec_(std::move(spec)) {}

template <class It>
void Scanner::walk(It it, It end, size_t n) {
  auto& out = batch_rows_;
  for (; it != end; ++it) {
    const std::string& key = it->first;
    if (!spec_.stop.empty() && (spec_.reversed ? key <= spec_.stop : key >= spec_.stop)) {
      done_ = true;
      return;
    }
    if (resume_after_ || key != resume_key_) offset_ = 0;  // a new row (or the partial row vanished)
    size_t base = batch_cells_.size();
    visible_cells(key, it->second, spec_, scratch_, batch_cells_);
    size_t total = batch_cells_.size() - base;
    // Cells before offset_ went out in an earlier call; they stay in the flat list unused.
    while (offset_ < total && out.size() < n) {
      size_t take = spec_.batch_size ? std::min(spec_.batch_size, total - offset_) : total - offset_;
      out.push_back(RowRef{&key, base + offset_, base + offset_ + take});
      offset_ += take;
    }
    if (out.empty() || out.back().key != &key) batch_cells_.resize(base);  // invisible row
    if (offset_ < total) {  // batch full in the middle of a wide row: resume inside it
      resume_key_ = key;
      resume_after_ = false;
      return;
    }
    if (out.size() >= n) {
      // Resume strictly after the last returned row, so rows inserted behind the
      // current position are seen, as with a live region scanner.
      resume_key_ = key;
      resume_after_ = true;
      offset_ = 0;
      return;
    }
  }
  done_ = true;
}

void Scanner::next_with(size_t n, const BatchVisitor& visit) {
  batch_rows_.clear();
  batch_cells_.clear();
  std::shared_lock lk(table_->mu);
  if (!done_ && n > 0) {
    const auto& rows = table_->rows();
    bool from_last_row = !started_ && spec_.reversed && spec_.start.empty();
    if (!started_) {
      started_ = true;
      resume_key_ = spec_.start;
      resume_after_ = false;
    }
    if (from_last_row) {
      walk(rows.rbegin(), rows.rend(), n);
    } else if (!spec_.reversed) {
      auto it = resume_after_ ? rows.upper_bound(resume_key_) : rows.lower_bound(resume_key_);
      walk(it, rows.end(), n);
    } else {
      auto it = resume_after_ ? rows.lower_bound(resume_key_) : rows.upper_bound(resume_key_);
      walk(std::make_reverse_iterator(it), rows.rend(), n);
    }
  }
  visit(batch_rows_, batch_cells_);
}

std::vector<ScanResult> Scanner::next(size_t n) {
  std::vector<ScanResult> out;
  next_with(n, [&](const std::vector<RowRef>& rows, const std::vector<CellRef>& cells) {
    for (auto& r : rows) {
      ScanResult res{*r.key, {}};
      for (size_t i = r.begin; i < r.end; ++i) {
        const CellRef& c = cells[i];
        res.cells.push_back(Cell{c.cell->column, c.cell->ts, c.key_only ? std::string() : c.cell->value});
      }
      out.push_back(std::move(res));
    }
  });
  return out;
}

int32_t ScannerRegistry::open(std::shared_ptr<Table> table, ScanSpec spec) {
  auto scanner = std::make_shared<Scanner>(std::move(table), std::move(spec));
  std::lock_guard lk(mu_);
  auto now = std::chrono::steady_clock::now();
  sweep_locked(now);
  int32_t id = next_id_++;
  entries_[id] = Entry{std::move(scanner), std::make_shared<std::mutex>(), now, 0};
  return id;
}

void ScannerRegistry::sweep_locked(std::chrono::steady_clock::time_point now) {
  if (idle_expiry_.count() <= 0) return;
  std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last_access > idle_expiry_; });
}

std::pair<std::shared_ptr<Scanner>, std::shared_ptr<std::mutex>> ScannerRegistry::acquire(int32_t id,
                                                                                          bool count_as_get_list) {
  std::shared_ptr<Scanner> scanner;
  std::shared_ptr<std::mutex> smu;
  {
    std::lock_guard lk(mu_);
    auto now = std::chrono::steady_clock::now();
    sweep_locked(now);
    auto it = entries_.find(id);
    if (it == entries_.end()) throw ScannerInvalid();
    if (count_as_get_list) {
      if (expire_after_calls_ && it->second.get_list_calls >= expire_after_calls_) {
        entries_.erase(it);
        throw ScannerInvalid();
      }
      ++it->second.get_list_calls;
    }
    it->second.last_access = now;
    scanner = it->second.scanner;
    smu = it->second.mu;
  }
  return {scanner, smu};
}

std::vector<ScanResult> ScannerRegistry::next(int32_t id, size_t n, bool count_as_get_list, bool* sort_columns) {
  auto [scanner, smu] = acquire(id, count_as_get_list);
  if (sort_columns) *sort_columns = scanner->spec().sort_columns;
  std::lock_guard slk(*smu);
  return scanner->next(n);
}

void ScannerRegistry::next_with(int32_t id, size_t n, bool count_as_get_list, bool* sort_columns,
                                const BatchVisitor& visit) {
  auto [scanner, smu] = acquire(id, count_as_get_list);
  if (sort_columns) *sort_columns = scanner->spec().sort_columns;
  std::lock_guard slk(*smu);
  scanner->next_with(n, visit);
}

void ScannerRegistry::close(int32_t id) {
  std::lock_guard lk(mu_);
  sweep_locked(std::chrono::steady_clock::now());
  if (!entries_.erase(id)) throw ScannerInvalid();
}

void ScannerRegistry::forget(int32_t id) {
  std::lock_guard lk(mu_);
  entries_.erase(id);
}

size_t ScannerRegistry::size() {
  std::lock_guard lk(mu_);
  return entries_.size();
}

}  // namespace hbase_emu
