// druid-load: a small client (Boost.Beast) of druid-emulator: creates datasources,
// ingests JSON lines, generates deterministic rows, deletes rows, dumps datasources and
// runs raw SQL. Writes go to the emulator-only endpoints POST /druid/emulator/v1/*;
// reads go through the real Druid API POST /druid/v2/sql.
#include "../common/cli.hpp"
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

#include "engine.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using druid_emu::json_escape;
using druid_emu::quote_ident;

namespace {

const char* kUsage =
    "usage: druid-load [--host ADDR] --port P [--user U --password P] COMMAND\n"
    "  create DS 'col TYPE, ...'       new datasource (__time TIMESTAMP is implicit); types: VARCHAR BIGINT\n"
    "                                   DOUBLE FLOAT BOOLEAN TIMESTAMP COMPLEX<json> ARRAY<STRING|LONG|DOUBLE>\n"
    "  ingest DS                        JSON lines on stdin; __time as ISO string or epoch ms\n"
    "  generate DS N [--start-ms T] [--step-ms S] [--dup K] [--first I]\n"
    "                                   rows i=I..I+N-1: __time=T+((i-I)/K)*S, channel='#ch'||i%7, added=i,\n"
    "                                   delta=(i%1000)/10-20, page='page-'||i (creates DS if needed)\n"
    "  delete DS \"WHERE-CLAUSE\"         delete rows at the source (Druid SQL condition)\n"
    "  truncate DS | drop DS\n"
    "  dump DS                          all rows ordered by __time as JSON lines (pages by __time windows)\n"
    "  sql \"QUERY\" [--format F] [--header] [--types-header] [--sql-types-header] [--context JSON]\n"
    "                                   print the raw response body (exit 1 unless HTTP 200)\n";
const emu_cli::program cli{"druid-load", kUsage};

std::string url_encode(const std::string& s) {
  std::string o;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') o += static_cast<char>(c);
    else { o += '%'; o += hex[c >> 4]; o += hex[c & 15]; }
  }
  return o;
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
  std::pair<unsigned, std::string> post(const std::string& target, const std::string& body,
                                        const std::string& ctype = "application/json") {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!sock_) connect();
        http::request<http::string_body> req(http::verb::post, target, 11);
        req.set(http::field::host, host_);
        req.set(http::field::user_agent, "druid-load");
        req.set(http::field::content_type, ctype);
        if (!auth_.empty()) req.set(http::field::authorization, auth_);
        req.keep_alive(true);
        req.body() = body;
        req.prepare_payload();
        http::write(*sock_, req);
        http::response_parser<http::string_body> p;
        p.body_limit(uint64_t(4) << 30);
        http::read(*sock_, buf_, p);
        auto res = p.release();
        if (!res.keep_alive()) sock_.reset();
        return {res.result_int(), res.body()};
      } catch (const std::exception& e) {
        sock_.reset();
        buf_.clear();
        if (attempt >= 1) cli.fail(std::string("request failed: ") + e.what(), 1);
      }
    }
  }

  std::pair<unsigned, std::string> sql(const std::string& query, const std::string& format = "objectLines",
                                       bool header = false, bool types = false, bool sql_types = false,
                                       const std::string& context = "") {
    std::string body = "{\"query\":" + json_escape(query) + ",\"resultFormat\":" + json_escape(format) +
                       ",\"header\":" + (header ? "true" : "false") + ",\"typesHeader\":" + (types ? "true" : "false") +
                       ",\"sqlTypesHeader\":" + (sql_types ? "true" : "false") +
                       (context.empty() ? "" : ",\"context\":" + context) + "}";
    return post("/druid/v2/sql", body);
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
  if (r.first != 200) cli.fail(what + " failed: HTTP " + std::to_string(r.first) + " " + r.second, 1);
}

std::string admin(const std::string& cmd, const std::string& ds, const std::string& extra = "") {
  return "/druid/emulator/v1/" + cmd + "?datasource=" + url_encode(ds) + extra;
}

int cmd_ingest(Client& c, const std::string& ds) {
  std::string line, batch;
  size_t n = 0, total = 0;
  auto flush = [&] {
    if (!n) return;
    auto r = c.post(admin("ingest", ds), batch, "application/x-ndjson");
    must_ok(r, "ingest");
    total += n;
    n = 0;
    batch.clear();
  };
  while (std::getline(std::cin, line)) {
    batch += line;
    batch += '\n';
    if (++n >= 50000) flush();
  }
  flush();
  std::printf("{\"ingested\":%zu}\n", total);
  return 0;
}

// "YYYY-MM-DD HH:MM:SS.mmm" for a Druid TIMESTAMP literal
std::string ts_literal(int64_t ms) {
  std::string s = druid_emu::millis_to_pg(ms);
  return "TIMESTAMP '" + s.substr(0, s.size() - 3) + "'";
}

int cmd_dump(Client& c, const std::string& ds) {
  simdjson::dom::parser parser;
  std::string q = quote_ident(ds);
  auto r = c.sql("SELECT TIMESTAMP_TO_MILLIS(MIN(\"__time\")) AS lo, TIMESTAMP_TO_MILLIS(MAX(\"__time\")) AS hi, "
                 "COUNT(*) AS n FROM " + q, "array");
  must_ok(r, "dump bounds");
  simdjson::dom::element doc;
  if (parser.parse(r.second).get(doc)) cli.fail("bad JSON from the emulator: " + r.second, 1);
  auto row = doc.at(0);
  int64_t n = int64_t(row.at(2));
  if (n == 0) return 0;
  int64_t lo = int64_t(row.at(0)), hi = int64_t(row.at(1));
  // windows expected to hold ~50000 rows each (time-ordered scans are capped in Druid)
  __int128 span = static_cast<__int128>(hi - lo + 1);
  int64_t w = static_cast<int64_t>(std::max<__int128>(1, span * 50000 / n));
  int64_t seen = 0;
  for (int64_t a = lo; a <= hi;) {
    int64_t b = (hi - a < w) ? hi + 1 : a + w;
    auto page = c.sql("SELECT * FROM " + q + " WHERE \"__time\" >= " + ts_literal(a) + " AND \"__time\" < " +
                      ts_literal(b) + " ORDER BY \"__time\"");
    must_ok(page, "dump page");
    const std::string& body = page.second;
    if (body.size() < 1 || body.back() != '\n' || (body.size() >= 2 && body[body.size() - 2] != '\n') )
      cli.fail("dump page: response without the trailing blank line (truncated)", 1);
    std::fwrite(body.data(), 1, body.size() - 1, stdout);
    for (size_t i = 0; i + 1 < body.size(); ++i) seen += body[i] == '\n';
    a = b;
  }
  if (seen != n) std::cerr << "druid-load: dump saw " << seen << " rows, COUNT(*) said " << n << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", port, user, pw, format = "object", context;
  bool header = false, types = false, sql_types = false;
  std::vector<std::string> rest;
  int64_t start = 1704067200000, step = 1000, dup = 1, first = 0;
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
    else if (a == "--start-ms") start = cli.i64(a, value());
    else if (a == "--step-ms") step = cli.i64(a, value());
    else if (a == "--dup") dup = cli.i64(a, value());
    else if (a == "--first") first = cli.i64(a, value());
    else if (a == "--format") format = value();
    else if (a == "--header") header = true;
    else if (a == "--types-header") types = true;
    else if (a == "--sql-types-header") sql_types = true;
    else if (a == "--context") context = value();
    else if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
    else rest.push_back(a);
  }
  if (port.empty()) cli.fail("--port is required");
  if (rest.empty()) cli.fail("missing command");
  if (dup < 1) cli.fail("--dup must be >= 1");
  Client c(host, port, user, pw);
  const std::string& cmd = rest[0];
  auto print = [](const std::pair<unsigned, std::string>& r) {
    std::fwrite(r.second.data(), 1, r.second.size(), stdout);
    if (r.second.empty() || r.second.back() != '\n') std::fputc('\n', stdout);
    return r.first == 200 ? 0 : 1;
  };
  if (cmd == "sql" && rest.size() == 2) {
    auto r = c.sql(rest[1], format, header, types, sql_types, context);
    if (r.first != 200) std::cerr << "druid-load: HTTP " << r.first << "\n";
    std::fwrite(r.second.data(), 1, r.second.size(), stdout);
    return r.first == 200 ? 0 : 1;
  }
  if (cmd == "create" && rest.size() == 3) return print(c.post(admin("create", rest[1]), rest[2], "text/plain"));
  if (cmd == "ingest" && rest.size() == 2) return cmd_ingest(c, rest[1]);
  if (cmd == "generate" && rest.size() == 3) {
    int64_t n = cli.i64("N", rest[2]);
    return print(c.post(admin("generate", rest[1],
                              "&n=" + std::to_string(n) + "&startMs=" + std::to_string(start) + "&stepMs=" +
                                  std::to_string(step) + "&dup=" + std::to_string(dup) + "&first=" +
                                  std::to_string(first)),
                        ""));
  }
  if (cmd == "delete" && rest.size() == 3) return print(c.post(admin("delete", rest[1]), rest[2], "text/plain"));
  if (cmd == "truncate" && rest.size() == 2) return print(c.post(admin("truncate", rest[1]), ""));
  if (cmd == "drop" && rest.size() == 2) return print(c.post(admin("drop", rest[1]), ""));
  if (cmd == "dump" && rest.size() == 2) return cmd_dump(c, rest[1]);
  cli.fail("bad command line");
}
