// hbase-load: loads, generates and reads HBase tables through Apache Thrift's stock
// blocking client, as an independent reference for the emulator and for sluice.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/THttpClient.h>
#include <thrift/transport/TSocket.h>

#include "Hbase.h"
#include "generate.hpp"
#include "json.hpp"

namespace w = sluice::hbase::wire;
using namespace apache::thrift;

namespace {

const char* kUsage =
    "usage: hbase-load [--host H] [--port N] [--transport buffered|framed] [--protocol binary|compact] [--http]\n"
    "                  COMMAND ...\n"
    "commands:\n"
    "  create TABLE FAMILY[=maxVersions]... [--if-not-exists]\n"
    "  put TABLE           JSON lines on stdin: {\"row\":R,\"cells\":{\"cf:q\":V|null,...},\"ts\":ms?}\n"
    "  delete TABLE        JSON lines on stdin: {\"row\":R}\n"
    "  generate TABLE N [--start K] [--cells C] [--family F] [--seed S]\n"
    "  dump TABLE [--columns cf:q,...] [--filter FILTERSTRING] [--sorted]\n"
    "  scan TABLE [--batch-size N] [--sorted]\n"
    "  regions TABLE\n";

struct UsageError : std::runtime_error { using std::runtime_error::runtime_error; };

struct Conn {
  std::shared_ptr<transport::TTransport> transport;
  std::unique_ptr<w::HbaseClient> client;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 9090;
  std::string transport = "buffered", protocol = "binary";
  bool http = false;
};

Conn connect(const Options& o) {
  // libthrift counts bytes read per transport against the max message size (100 MB by
  // default), not always per message; a full scan of a big table exceeds that.
  auto cfg = std::make_shared<TConfiguration>(std::numeric_limits<int>::max(), std::numeric_limits<int>::max());
  auto sock = std::make_shared<transport::TSocket>(o.host, o.port, cfg);
  Conn c;
  if (o.http) c.transport = std::make_shared<transport::THttpClient>(sock, o.host, "/", cfg);
  else if (o.transport == "framed") c.transport = std::make_shared<transport::TFramedTransport>(sock, cfg);
  else c.transport = std::make_shared<transport::TBufferedTransport>(sock, 1 << 16, 1 << 16, cfg);
  std::shared_ptr<protocol::TProtocol> proto;
  if (o.protocol == "compact") proto = std::make_shared<protocol::TCompactProtocol>(c.transport);
  else proto = std::make_shared<protocol::TBinaryProtocol>(c.transport);
  c.client = std::make_unique<w::HbaseClient>(proto);
  c.transport->open();
  return c;
}

int64_t to_int(const std::string& flag, const std::string& v) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    throw UsageError(flag + " expects an integer, got '" + v + "'");
  }
}

// ---- create ----

int cmd_create(Conn& c, const std::vector<std::string>& args) {
  bool if_not_exists = false;
  std::string table;
  std::vector<w::ColumnDescriptor> fams;
  for (auto& a : args) {
    if (a == "--if-not-exists") { if_not_exists = true; continue; }
    if (table.empty()) { table = a; continue; }
    w::ColumnDescriptor d;
    auto eq = a.find('=');
    d.name = a.substr(0, eq) + ":";
    if (eq != std::string::npos) d.maxVersions = static_cast<int32_t>(to_int("FAMILY=maxVersions", a.substr(eq + 1)));
    fams.push_back(d);
  }
  if (table.empty() || fams.empty()) throw UsageError("create needs TABLE and at least one FAMILY");
  try {
    c.client->createTable(table, fams);
  } catch (const w::AlreadyExists&) {
    if (!if_not_exists) throw;
  }
  return 0;
}

// ---- put / delete ----

class Batcher {
 public:
  Batcher(Conn& c, std::string table) : c_(c), table_(std::move(table)) {}
  void add(w::BatchMutation bm, std::optional<int64_t> ts) {
    if (!batch_.empty() && ts != ts_) flush();
    ts_ = ts;
    batch_.push_back(std::move(bm));
    if (batch_.size() >= 1000) flush();
  }
  void flush() {
    if (batch_.empty()) return;
    if (ts_) c_.client->mutateRowsTs(table_, batch_, *ts_, {});
    else c_.client->mutateRows(table_, batch_, {});
    rows_ += batch_.size();
    batch_.clear();
  }
  size_t rows() const { return rows_; }

 private:
  Conn& c_;
  std::string table_;
  std::vector<w::BatchMutation> batch_;
  std::optional<int64_t> ts_;
  size_t rows_ = 0;
};

int cmd_put(Conn& c, const std::string& table, bool deletes) {
  simdjson::ondemand::parser parser;
  Batcher batcher(c, table);
  std::string line;
  size_t lineno = 0;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      simdjson::padded_string padded(line);
      auto doc = parser.iterate(padded);
      simdjson::ondemand::object obj = doc.get_object();
      w::BatchMutation bm;
      std::optional<int64_t> ts;
      bool have_row = false;
      for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if (auto err = std::move(field_result).get(field)) throw simdjson::simdjson_error(err);
        std::string_view key = field.unescaped_key().value();
        if (key == "row") {
          bm.row = hbase_emu::json::read_bytes(field.value());
          have_row = true;
        } else if (key == "ts" && !deletes) {
          ts = field.value().get_int64().value();
        } else if (key == "cells" && !deletes) {
          for (auto cell_result : field.value().get_object()) {
            simdjson::ondemand::field cell;
            if (auto err = std::move(cell_result).get(cell)) throw simdjson::simdjson_error(err);
            w::Mutation m;
            m.column = std::string(cell.unescaped_key().value());
            simdjson::ondemand::value v = cell.value();
            if (v.is_null().value()) m.isDelete = true;
            else m.value = hbase_emu::json::read_bytes(v);
            bm.mutations.push_back(std::move(m));
          }
        }
      }
      if (!have_row) throw std::runtime_error("missing \"row\"");
      if (deletes) c.client->deleteAllRow(table, bm.row, {});
      else batcher.add(std::move(bm), ts);
    } catch (const simdjson::simdjson_error& e) {
      throw std::runtime_error("stdin line " + std::to_string(lineno) + ": bad JSON: " + e.what());
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("stdin line " + std::to_string(lineno) + ": " + e.what());
    }
  }
  batcher.flush();
  return 0;
}

// ---- generate ----

int cmd_generate(Conn& c, const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  int64_t start = 0, cells = 8, seed = 1;
  std::string family = "cf";
  for (size_t k = 0; k < args.size(); ++k) {
    auto value = [&]() {
      if (k + 1 >= args.size()) throw UsageError(args[k] + " needs a value");
      return args[++k];
    };
    if (args[k] == "--start") start = to_int("--start", value());
    else if (args[k] == "--cells") cells = to_int("--cells", value());
    else if (args[k] == "--family") family = value();
    else if (args[k] == "--seed") seed = to_int("--seed", value());
    else pos.push_back(args[k]);
  }
  if (pos.size() != 2) throw UsageError("generate needs TABLE N");
  int64_t n = to_int("N", pos[1]);
  if (n < 0 || cells < 1 || start < 0) throw UsageError("generate: N, --start must be >= 0 and --cells >= 1");
  Batcher batcher(c, pos[0]);
  for (int64_t i = start; i < start + n; ++i) {
    w::BatchMutation bm;
    bm.row = hbase_emu::generated_row_key(i);
    for (auto& [col, value] : hbase_emu::generated_cells(seed, i, static_cast<size_t>(cells), family)) {
      w::Mutation m;
      m.column = std::move(col);
      m.value = std::move(value);
      bm.mutations.push_back(std::move(m));
    }
    batcher.add(std::move(bm), std::nullopt);
  }
  batcher.flush();
  return 0;
}

// ---- dump / scan ----

struct RowCells {
  std::string row;
  std::map<std::string, w::TCell> cells;
};

void print_row(const RowCells& r) {
  std::string out = "{\"row\":";
  hbase_emu::json::append_bytes(out, r.row);
  out += ",\"cells\":{";
  bool first = true;
  for (auto& [col, cell] : r.cells) {
    if (!first) out += ',';
    first = false;
    hbase_emu::json::append_bytes(out, col);
    out += ":{\"v\":";
    hbase_emu::json::append_bytes(out, cell.value);
    out += ",\"ts\":" + std::to_string(cell.timestamp) + "}";
  }
  out += "}}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

int cmd_dump(Conn& c, const std::vector<std::string>& args) {
  std::string table;
  w::TScan scan;
  for (size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--columns") {
      if (k + 1 >= args.size()) throw UsageError("--columns needs a value");
      scan.__set_columns(split_commas(args[++k]));
    } else if (args[k] == "--sorted") {
      scan.__set_sortColumns(true);
    } else if (args[k] == "--filter") {
      if (k + 1 >= args.size()) throw UsageError("--filter needs a value");
      scan.__set_filterString(args[++k]);
    } else if (table.empty()) table = args[k];
    else throw UsageError("dump: unexpected argument '" + args[k] + "'");
  }
  if (table.empty()) throw UsageError("dump needs TABLE");
  scan.__set_caching(1000);
  int32_t id = c.client->scannerOpenWithScan(table, scan, {});
  std::optional<RowCells> cur;
  for (;;) {
    std::vector<w::TRowResult> batch;
    c.client->scannerGetList(batch, id, 1000);
    if (batch.empty()) break;
    for (auto& r : batch) {
      // Partial rows (server-side batching) arrive as consecutive results with one key.
      if (cur && cur->row != r.row) {
        print_row(*cur);
        cur.reset();
      }
      if (!cur) cur = RowCells{r.row, {}};
      for (auto& [col, cell] : r.columns) cur->cells[col] = cell;
      for (auto& tc : r.sortedColumns) cur->cells[tc.columnName] = tc.cell;
    }
  }
  if (cur) print_row(*cur);
  c.client->scannerClose(id);
  std::fflush(stdout);
  return 0;
}

int cmd_scan(Conn& c, const std::vector<std::string>& args) {
  std::string table;
  int32_t batch_size = 1000;
  bool sorted = false;
  for (size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--batch-size") {
      if (k + 1 >= args.size()) throw UsageError("--batch-size needs a value");
      batch_size = static_cast<int32_t>(to_int("--batch-size", args[++k]));
    } else if (args[k] == "--sorted") sorted = true;
    else if (table.empty()) table = args[k];
    else throw UsageError("scan: unexpected argument '" + args[k] + "'");
  }
  if (table.empty() || batch_size < 1) throw UsageError("scan needs TABLE and --batch-size >= 1");
  auto t0 = std::chrono::steady_clock::now();
  w::TScan scan;
  scan.__set_caching(batch_size);
  if (sorted) scan.__set_sortColumns(true);
  int32_t id = c.client->scannerOpenWithScan(table, scan, {});
  uint64_t rows = 0, cells = 0, bytes = 0;
  std::string last;
  for (;;) {
    std::vector<w::TRowResult> batch;
    c.client->scannerGetList(batch, id, batch_size);
    if (batch.empty()) break;
    for (auto& r : batch) {
      if (rows == 0 || r.row != last) {
        ++rows;
        last = r.row;
      }
      for (auto& [col, cell] : r.columns) { ++cells; bytes += col.size() + cell.value.size(); }
      for (auto& tc : r.sortedColumns) { ++cells; bytes += tc.columnName.size() + tc.cell.value.size(); }
    }
  }
  c.client->scannerClose(id);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("rows=%" PRIu64 " cells=%" PRIu64 " seconds=%.3f\n", rows, cells, secs);
  std::fprintf(stderr, "hbase-load scan: %" PRIu64 " bytes of column names and values\n", bytes);
  return 0;
}

int cmd_regions(Conn& c, const std::string& table) {
  std::vector<w::TRegionInfo> regions;
  c.client->getTableRegions(regions, table);
  for (auto& r : regions) {
    std::string out = "{\"start\":";
    hbase_emu::json::append_bytes(out, r.startKey);
    out += ",\"end\":";
    hbase_emu::json::append_bytes(out, r.endKey);
    out += ",\"id\":" + std::to_string(r.id) + ",\"name\":";
    hbase_emu::json::append_bytes(out, r.name);
    out += ",\"server\":";
    hbase_emu::json::append_bytes(out, r.serverName);
    out += ",\"port\":" + std::to_string(r.port) + "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string command = "(none)";
  try {
    int i = 1;
    for (; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw UsageError(a + " needs a value");
        return argv[++i];
      };
      if (a == "--host") o.host = value();
      else if (a == "--port") o.port = static_cast<int>(to_int("--port", value()));
      else if (a == "--transport") o.transport = value();
      else if (a == "--protocol") o.protocol = value();
      else if (a == "--http") o.http = true;
      else if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
      else if (a.rfind("--", 0) == 0) throw UsageError("unknown option '" + a + "'");
      else break;
    }
    if (o.transport != "buffered" && o.transport != "framed") throw UsageError("--transport must be buffered or framed");
    if (o.protocol != "binary" && o.protocol != "compact") throw UsageError("--protocol must be binary or compact");
    if (i >= argc) throw UsageError("missing command");
    command = argv[i++];
    std::vector<std::string> args(argv + i, argv + argc);
    auto need_table = [&]() -> const std::string& {
      if (args.size() != 1) throw UsageError(command + " needs exactly TABLE");
      return args[0];
    };
    if (command != "create" && command != "put" && command != "delete" && command != "generate" &&
        command != "dump" && command != "scan" && command != "regions")
      throw UsageError("unknown command '" + command + "'");
    Conn c = connect(o);
    int rc = 0;
    if (command == "create") rc = cmd_create(c, args);
    else if (command == "put") rc = cmd_put(c, need_table(), false);
    else if (command == "delete") rc = cmd_put(c, need_table(), true);
    else if (command == "generate") rc = cmd_generate(c, args);
    else if (command == "dump") rc = cmd_dump(c, args);
    else if (command == "scan") rc = cmd_scan(c, args);
    else rc = cmd_regions(c, need_table());
    c.transport->close();
    return rc;
  } catch (const UsageError& e) {
    std::cerr << "hbase-load " << command << ": " << e.what() << "\n" << kUsage;
  } catch (const w::IOError& e) {
    std::cerr << "hbase-load " << command << ": IOError: " << e.message << "\n";
  } catch (const w::IllegalArgument& e) {
    std::cerr << "hbase-load " << command << ": IllegalArgument: " << e.message << "\n";
  } catch (const w::AlreadyExists& e) {
    std::cerr << "hbase-load " << command << ": AlreadyExists: " << e.message << "\n";
  } catch (const TApplicationException& e) {
    std::cerr << "hbase-load " << command << ": TApplicationException: " << e.what() << "\n";
  } catch (const TException& e) {
    std::cerr << "hbase-load " << command << ": thrift error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "hbase-load " << command << ": " << e.what() << "\n";
  }
  return 1;
}
