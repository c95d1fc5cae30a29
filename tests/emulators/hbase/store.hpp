#pragma once
// In-memory model of an HBase table: rows in unsigned byte order, each row a flat
// vector of cells sorted by (column asc, timestamp desc), plus region bookkeeping.
// One flat vector per row keeps 1M rows x 8 cells at a few hundred MB instead of
// one heap node per cell.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace hbase_emu {

struct Cell {
  std::string column;  // "family:qualifier"
  int64_t ts = 0;
  std::string value;
};

using Row = std::vector<Cell>;

struct Region {
  std::string start;  // inclusive, "" = open
  std::string end;    // exclusive, "" = open
  int64_t id = 0;
  size_t rows = 0;
};

// Errors the handler maps onto the IDL exceptions.
struct StoreIOError : std::runtime_error { using std::runtime_error::runtime_error; };
struct StoreIllegalArgument : std::runtime_error { using std::runtime_error::runtime_error; };
struct StoreAlreadyExists : std::runtime_error { using std::runtime_error::runtime_error; };

struct Family {
  int32_t max_versions = 3;
  int32_t ttl = 0x7fffffff;
};

struct Put { std::string column; std::string value; };
struct RowMutation {
  std::string row;
  std::vector<Put> puts;
  std::vector<std::string> deletes;  // "cf" (family) or "cf:q" (column)
};

class Table {
 public:
  Table(std::string name, std::map<std::string, Family> families, int64_t region_id);

  const std::string name;
  const std::map<std::string, Family> families;

  // Guards rows_ and regions_; scanners take it shared for each batch.
  mutable std::shared_mutex mu;
  std::map<std::string, Row>& rows() { return rows_; }
  const std::map<std::string, Row>& rows() const { return rows_; }
  const std::vector<Region>& regions() const { return regions_; }

  // All below require `mu` held exclusively.
  void put(const std::string& row, const std::string& column, int64_t ts, const std::string& value);
  // Deletes versions with ts <= max_ts of one column ("cf:q") or a whole family ("cf").
  void delete_column(const std::string& row, const std::string& column_or_family, int64_t max_ts);
  void delete_row(const std::string& row);
  // Splits every region holding more than max_rows rows at its median row key.
  void split_regions(size_t max_rows);
  // Replaces the regions with a saved list (snapshot.hpp) and recounts their rows;
  // throws std::invalid_argument unless they tile the key space in order.
  void restore_regions(std::vector<Region> regions);

 private:
  size_t region_of(const std::string& row) const;
  void row_added(const std::string& row);
  void row_removed(const std::string& row);

  std::map<std::string, Row> rows_;
  std::vector<Region> regions_;
};

class Store {
 public:
  explicit Store(size_t region_max_rows = 50000) : region_max_rows_(region_max_rows) {}

  void create_table(const std::string& name, const std::map<std::string, Family>& families);
  void delete_table(const std::string& name);
  void set_enabled(const std::string& name, bool enabled);
  bool is_enabled(const std::string& name) const;
  std::vector<std::string> table_names() const;
  std::shared_ptr<Table> find(const std::string& name) const;  // nullptr if missing
  std::shared_ptr<Table> get(const std::string& name) const;   // throws StoreIOError

  // Validates everything first, then applies all puts, then all deletes (HBase's
  // mutateRows order; mutateRow applies deletes first). ts < 0 means "server time".
  void mutate(const std::string& table, const std::vector<RowMutation>& rows, int64_t ts,
              bool deletes_first = false);
  void delete_all_row(const std::string& table, const std::string& row);

  // Server time in ms, strictly increasing across calls so that the newest write wins
  // even when the ms clock did not move.
  int64_t next_timestamp();

  size_t region_max_rows() const { return region_max_rows_; }

 private:
  size_t region_max_rows_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Table>> tables_;
  std::map<std::string, bool> enabled_;
};

// Splits "cf:q" into family and qualifier; has_colon=false for a bare family.
struct ColumnName { std::string family; std::string qualifier; bool has_colon = false; };
ColumnName parse_column(const std::string& c);

int64_t now_ms();

}  // namespace hbase_emu
