// questdb-load: a small QuestDB REST client (Boost.Beast) to run SQL, load JSON lines,
// generate deterministic rows and dump tables through /exec.
#include "../common/cli.hpp"
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

const char* kUsage =
    "usage: questdb-load [--host ADDR] --port P [--user U --password P] COMMAND\n"
    "  sql \"STATEMENT\"                 run one /exec, print the JSON answer\n"
    "  load TABLE                       JSON lines on stdin (one object per row) -> INSERTs of <= 1000 rows\n"
    "  generate TABLE N [--start-us T] [--step-us S] [--dup K]\n"
    "  dump TABLE                       all rows in ts order as JSON lines (pages via LIMIT lo,hi)\n";
const emu_cli::program cli{"questdb-load", kUsage};

std::string url_encode(const std::string& s) {
  std::string o;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') o += static_cast<char>(c);
    else { o += '%'; o += hex[c >> 4]; o += hex[c & 15]; }
  }
  return o;
}

std::string sql_str(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
  return o + "'";
}

class Client {
 public:
  Client(std::string host, std::string port, std::string user, std::string pw)
      : host_(std::move(host)), port_(std::move(port)) {
    if (!user.empty()) {
      std::string raw = user + ":" + pw;
      std::string enc(beast::detail::base64::encoded_size(raw.size()), '\0');
      enc.resize(beast::detail::base64::encode(enc.data(), raw.data(), raw.size()));
      auth_ = "Basic " + enc;
    }
  }

  // Returns status and body; reconnects once on a dropped keep-alive connection.
  std::pair<unsigned, std::string> exec(const std::string& query, const std::string& extra = "") {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!sock_) connect();
        http::request<http::empty_body> req(http::verb::get, "/exec?query=" + url_encode(query) + extra, 11);
        req.set(http::field::host, host_);
        req.set(http::field::user_agent, "questdb-load");
        if (!auth_.empty()) req.set(http::field::authorization, auth_);
        req.keep_alive(true);
        http::write(*sock_, req);
        http::response<http::string_body> res;
        http::read(*sock_, buf_, res);
        if (!res.keep_alive()) sock_.reset();
        return {res.result_int(), res.body()};
      } catch (const std::exception& e) {
        sock_.reset();
        buf_.clear();
        if (attempt >= 1) cli.fail(std::string("request failed: ") + e.what(), 1);
      }
    }
  }

 private:
  void connect() {
    tcp::resolver r(ioc_);
    sock_ = std::make_unique<tcp::socket>(ioc_);
    asio::connect(*sock_, r.resolve(host_, port_));
  }
  asio::io_context ioc_;
  std::string host_, port_, auth_;
  std::unique_ptr<tcp::socket> sock_;
  beast::flat_buffer buf_;
};

void must_ok(const std::pair<unsigned, std::string>& r, const std::string& what) {
  bool err = r.first != 200 || r.second.find("\"error\"") != std::string::npos;
  if (err) cli.fail(what + " failed: HTTP " + std::to_string(r.first) + " " + r.second, 1);
}

std::string sql_value(simdjson::dom::element v) {
  switch (v.type()) {
    case simdjson::dom::element_type::NULL_VALUE: return "NULL";
    case simdjson::dom::element_type::BOOL: return bool(v) ? "true" : "false";
    case simdjson::dom::element_type::INT64: return std::to_string(int64_t(v));
    case simdjson::dom::element_type::UINT64: return std::to_string(uint64_t(v));
    case simdjson::dom::element_type::DOUBLE: {
      double d = double(v);
      if (!std::isfinite(d)) return "NULL";
      char b[64];
      std::snprintf(b, sizeof b, "%.17g", d);
      std::string s = b;
      if (s.find_first_of(".eE") == std::string::npos) s += ".0";
      return s;
    }
    case simdjson::dom::element_type::STRING: return sql_str(std::string(std::string_view(v)));
    default: return sql_str(simdjson::minify(v));
  }
}

int cmd_load(Client& c, const std::string& table) {
  simdjson::dom::parser parser;
  std::string line, cols, values;
  size_t batch = 0, total = 0;
  auto flush = [&] {
    if (!batch) return;
    must_ok(c.exec("INSERT INTO " + table + " (" + cols + ") VALUES " + values), "insert");
    total += batch;
    batch = 0;
    values.clear();
  };
  size_t lineno = 0;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) || doc.type() != simdjson::dom::element_type::OBJECT)
      cli.fail("line " + std::to_string(lineno) + ": not a JSON object", 1);
    std::string rc, rv;
    for (auto [k, v] : simdjson::dom::object(doc)) {
      rc += (rc.empty() ? "\"" : ", \"") + std::string(k) + "\"";
      rv += (rv.empty() ? "" : ", ") + sql_value(v);
    }
    if (rc != cols || batch >= 1000) { flush(); cols = rc; }
    values += (batch ? ", (" : "(") + rv + ")";
    ++batch;
  }
  flush();
  std::printf("{\"loaded\":%zu}\n", total);
  return 0;
}

int cmd_generate(Client& c, const std::string& table, int64_t n, int64_t start, int64_t step, int64_t dup) {
  must_ok(c.exec("CREATE TABLE IF NOT EXISTS " + table +
                 "(ts TIMESTAMP, sensor SYMBOL, temp DOUBLE, n LONG, ok BOOLEAN, note STRING) TIMESTAMP(ts) PARTITION BY DAY"),
          "create");
  std::string values;
  int64_t batch = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t ts = start + (i / dup) * step;
    char b[256];
    std::snprintf(b, sizeof b, "(%" PRId64 ", 's%" PRId64 "', %.1f, %" PRId64 ", %s, 'note-%" PRId64 "')", ts, i % 7,
                  static_cast<double>(i % 1000) / 10.0 - 20.0, i, i % 2 == 0 ? "true" : "false", i);
    values += (batch ? ", " : "") + std::string(b);
    if (++batch == 1000 || i + 1 == n) {
      must_ok(c.exec("INSERT INTO " + table + " VALUES " + values), "insert");
      values.clear();
      batch = 0;
    }
  }
  std::printf("{\"generated\":%" PRId64 "}\n", n);
  return 0;
}

int cmd_dump(Client& c, const std::string& table) {
  simdjson::dom::parser parser;
  const int64_t page = 1000;
  for (int64_t lo = 0;; lo += page) {
    auto r = c.exec("SELECT * FROM " + table + " LIMIT " + std::to_string(lo) + "," + std::to_string(lo + page));
    must_ok(r, "select");
    simdjson::dom::element doc;
    if (parser.parse(r.second).get(doc)) cli.fail("bad JSON from server", 1);
    std::vector<std::string> names;
    for (auto col : doc["columns"].get_array()) names.emplace_back(std::string_view(col["name"]));
    int64_t rows = 0;
    for (auto row : doc["dataset"].get_array()) {
      std::string out = "{";
      size_t k = 0;
      for (auto v : row.get_array()) {
        out += (k ? ",\"" : "\"") + names[k] + "\":" + simdjson::minify(v);
        ++k;
      }
      std::printf("%s}\n", out.c_str());
      ++rows;
    }
    if (rows < page) break;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", port, user, pw;
  std::vector<std::string> rest;
  int64_t start = 1704067200000000, step = 1000000, dup = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) cli.fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") host = value();
    else if (a == "--port") port = value();
    else if (a == "--user") user = value();
    else if (a == "--password") pw = value();
    else if (a == "--start-us") start = cli.i64(a, value());
    else if (a == "--step-us") step = cli.i64(a, value());
    else if (a == "--dup") dup = cli.i64(a, value());
    else if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
    else rest.push_back(a);
  }
  if (port.empty()) cli.fail("--port is required");
  if (rest.empty()) cli.fail("missing command");
  if (dup < 1) cli.fail("--dup must be >= 1");
  Client c(host, port, user, pw);
  const std::string& cmd = rest[0];
  if (cmd == "sql" && rest.size() == 2) {
    auto r = c.exec(rest[1]);
    std::printf("%s\n", r.second.c_str());
    return r.first == 200 && r.second.find("\"error\"") == std::string::npos ? 0 : 1;
  }
  if (cmd == "load" && rest.size() == 2) return cmd_load(c, rest[1]);
  if (cmd == "generate" && rest.size() == 3) return cmd_generate(c, rest[1], cli.i64("N", rest[2]), start, step, dup);
  if (cmd == "dump" && rest.size() == 2) return cmd_dump(c, rest[1]);
  cli.fail("bad command line");
}
