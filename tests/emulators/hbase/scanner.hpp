#pragma once
// Scan execution and the server-wide scanner registry. A scanner keeps only its
// position in the live data (row key + cell offset for partial rows) and re-seeks on
// every batch, so a scan of millions of rows never materialises more than one batch.
#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "filter.hpp"
#include "store.hpp"

namespace hbase_emu {

struct ScanSpec {
  std::string start;                // inclusive; "" = table edge
  std::string stop;                 // exclusive; "" = open
  bool reversed = false;            // start is the higher key, stop the lower
  std::optional<int64_t> ts_below;  // only cells with ts < this
  std::set<std::string> families;   // whole-family selections
  std::set<std::string> columns;    // "cf:q" selections; both empty = everything
  std::shared_ptr<const Filter> filter;
  size_t batch_size = 0;            // max cells per result, 0 = whole row
  bool sort_columns = false;
};

struct ScanResult {
  std::string row;
  std::vector<Cell> cells;  // newest visible version per column, column order
};

// The cells of one row a scan or get would return (empty = row invisible), appended
// to `out` as references into the store. `scratch` is reused between rows.
void visible_cells(const std::string& key, const Row& row, const ScanSpec& spec,
                   std::vector<CellRef>& scratch, std::vector<CellRef>& out);

// One result of a batch: cells [begin, end) of the batch's flat cell list.
struct RowRef {
  const std::string* key;
  size_t begin, end;
};
// Sees a whole batch while the table's read lock is held, so results can be
// serialised straight from the store without copying them first.
using BatchVisitor = std::function<void(const std::vector<RowRef>&, const std::vector<CellRef>&)>;

class Scanner {
 public:
  Scanner(std::shared_ptr<Table> table, ScanSpec spec);
  // Up to n results; a row wider than batch_size yields several results with the same key.
  std::vector<ScanResult> next(size_t n);
  // Same walk as next(), but hands the batch to `visit` under the read lock.
  void next_with(size_t n, const BatchVisitor& visit);
  const ScanSpec& spec() const { return spec_; }

 private:
  template <class It>
  void walk(It it, It end, size_t n);

  std::shared_ptr<Table> table_;
  ScanSpec spec_;
  bool started_ = false;
  bool done_ = false;
  std::string resume_key_;     // where the next call continues
  bool resume_after_ = false;  // true: strictly after resume_key_; false: at it
  size_t offset_ = 0;          // cells of resume_key_ already returned (partial row)
  std::vector<CellRef> scratch_;
  std::vector<RowRef> batch_rows_;
  std::vector<CellRef> batch_cells_;
};

struct ScannerInvalid : std::runtime_error {
  ScannerInvalid() : std::runtime_error("scanner ID is invalid") {}
};

class ScannerRegistry {
 public:
  // idle_expiry: a scanner not touched for this long is gone (0 = never).
  // expire_after_calls: a scanner is invalid after serving that many getList calls (0 = off).
  ScannerRegistry(std::chrono::milliseconds idle_expiry, uint64_t expire_after_calls)
      : idle_expiry_(idle_expiry), expire_after_calls_(expire_after_calls) {}

  int32_t open(std::shared_ptr<Table> table, ScanSpec spec);
  // Throws ScannerInvalid for unknown, closed or expired ids.
  // sort_columns receives the scanner's TScan.sortColumns flag.
  std::vector<ScanResult> next(int32_t id, size_t n, bool count_as_get_list, bool* sort_columns = nullptr);
  void next_with(int32_t id, size_t n, bool count_as_get_list, bool* sort_columns, const BatchVisitor& visit);
  void close(int32_t id);  // throws ScannerInvalid if unknown
  void forget(int32_t id);  // silently drops the id
  size_t size();

 private:
  struct Entry {
    std::shared_ptr<Scanner> scanner;
    std::shared_ptr<std::mutex> mu;  // serialises concurrent calls on one id
    std::chrono::steady_clock::time_point last_access;
    uint64_t get_list_calls = 0;
  };
  void sweep_locked(std::chrono::steady_clock::time_point now);
  // Validates and touches the id; returns the scanner and its call mutex.
  std::pair<std::shared_ptr<Scanner>, std::shared_ptr<std::mutex>> acquire(int32_t id, bool count_as_get_list);

  std::chrono::milliseconds idle_expiry_;
  uint64_t expire_after_calls_;
  std::mutex mu_;
  int32_t next_id_ = 0;
  std::map<int32_t, Entry> entries_;
};

}  // namespace hbase_emu
