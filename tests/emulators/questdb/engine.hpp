// QuestDB emulator core: a QuestDB SQL subset translated to SQLite, results
// rendered the way QuestDB's /exec renders them.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace questdb_emu {

struct SqlError {
  std::string msg;
  size_t pos = 0;
};

struct Column {
  std::string name, type;
};

struct Result {
  enum Kind { Ddl, Dml, Select } kind = Ddl;
  std::vector<Column> columns;
  int ts_index = -1;
  std::vector<std::vector<std::string>> rows;  // each cell pre-rendered JSON
};

// Rendering helpers (exposed for unit tests).
std::string json_escape(const std::string& s);
std::string format_ts_us(int64_t us);
std::string format_date_ms(int64_t ms);
std::optional<int64_t> parse_iso_us(const std::string& s);
std::string java_double(double d);

// Parsed /exec URL options.
struct ExecParams {
  std::string query;
  bool has_query = false;
  std::string limit;
  bool count = false, nm = false, timings = false, quote_large = false;
};

struct Translated {  // exposed for unit tests: the SQLite text a SELECT becomes
  std::string sql;
};

class Engine {
 public:
  Engine(const std::string& path, std::string version);  // path "" = in memory
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs one statement. Throws SqlError.
  Result execute(const std::string& sql);
  // The SQLite SELECT a QuestDB SELECT translates to (for unit tests).
  std::string translate_select(const std::string& sql);
  const std::string& version() const { return version_; }
  // Rows an ORDER BY leaves tied (equal timestamps) come back in storage order
  // (the default: QuestDB's order for a designated timestamp), or in a fresh
  // random order on every query: what a server that only promises ORDER BY may do.
  void shuffle_ties(bool on) { shuffle_ties_ = on; }

  // Full /exec answer: HTTP status + body.
  std::pair<int, std::string> exec_http(const ExecParams& p);

 private:
  struct Table {
    int id = 0;
    std::string name;
    std::vector<Column> cols;
    int ts = -1;
    std::string partition = "NONE";
    bool wal = false;
    std::vector<int> dedup;
  };
  friend class Parser;
  void load_meta();
  Table* find(const std::string& name);
  void sql(const std::string& s);
  Result exec_locked(const std::string& q, std::string* translated_only);

  sqlite3* db_ = nullptr;
  std::string version_;
  bool shuffle_ties_ = false;
  std::map<std::string, Table> tables_;  // key: lower-case name
  int next_id_ = 1;
  std::mutex mu_;
};

}  // namespace questdb_emu
