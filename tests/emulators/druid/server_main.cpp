// druid-emulator: an Apache Druid SQL API server (POST /druid/v2/sql) for tests and
// benchmarks. Queries run for real on PostgreSQL (one libpq connection per HTTP
// connection, one thread per HTTP connection); datasources are the tables of one
// PostgreSQL schema. See README.md in this directory for the design, the supported SQL
// and the fault switches.
#include "../common/cli.hpp"
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <libpq-fe.h>
#include <simdjson.h>

#include "engine.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace druid_emu;

namespace {

const char* kUsage =
    "usage: druid-emulator --pg CONNINFO [--host ADDR] [--port N] [--schema NAME]\n"
    "                      [--user U --password P] [--fail-429 N] [--fail-500-every N]\n"
    "                      [--drop-every N] [--delay-ms N] [--truncate-every N] [--log-queries]\n"
    "                      [--tie-order physical|shuffle|segments]\n";
const emu_cli::program cli{"druid-emulator", kUsage};

struct Config {
  std::string pg, schema = "druid", helper, user, password;
  uint64_t fail_429 = 0, fail_500_every = 0, drop_every = 0, delay_ms = 0, truncate_every = 0;
  TieOrder tie_order = TieOrder::Physical;
  bool log_queries = false;
};

std::mutex g_log_mu;
void log_line(const std::string& s) {
  std::lock_guard<std::mutex> lk(g_log_mu);
  std::string one = s;
  for (auto& c : one)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "%s\n", one.c_str());
  std::fflush(stderr);
}

std::string url_decode(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') o += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      o += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else o += s[i];
  }
  return o;
}

std::map<std::string, std::string> query_params(const std::string& target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string::npos) return out;
  std::string qs = target.substr(q + 1);
  size_t pos = 0;
  while (pos <= qs.size()) {
    size_t amp = qs.find('&', pos);
    if (amp == std::string::npos) amp = qs.size();
    std::string kv = qs.substr(pos, amp - pos);
    auto eq = kv.find('=');
    if (!kv.empty()) out[url_decode(kv.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(kv.substr(eq + 1));
    pos = amp + 1;
  }
  return out;
}

// ---------------------------------------------------------------- running queries (cancel registry)
struct Running {
  PGcancel* cancel;
  std::atomic<bool> cancelled{false};
};
std::mutex g_run_mu;
std::multimap<std::string, Running*> g_running;

// ---------------------------------------------------------------- PostgreSQL helpers
struct PgResult {
  PGresult* r = nullptr;
  explicit PgResult(PGresult* p) : r(p) {}
  ~PgResult() { if (r) PQclear(r); }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
};

std::string pg_err(PGresult* r, PGconn* c) {
  const char* m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (m) return m;
  std::string s = c ? PQerrorMessage(c) : "unknown error";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct PgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void exec_ok(PGconn* c, const std::string& sql) {
  PgResult r(PQexec(c, sql.c_str()));
  auto st = PQresultStatus(r.r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw PgError(pg_err(r.r, c) + " (in: " + sql.substr(0, 200) + ")");
}

std::string setup_sql(const Config& cfg) {
  std::string s = quote_ident(cfg.schema), h = quote_ident(cfg.helper), sl = quote_literal(cfg.schema);
  std::string dt =
      "CASE WHEN t.typname IN ('timestamptz','timestamp') THEN 'TIMESTAMP' WHEN t.typname = 'date' THEN 'DATE' "
      "WHEN t.typname IN ('int8','int4','int2','bool') THEN 'BIGINT' WHEN t.typname IN ('float8','numeric') THEN "
      "'DOUBLE' WHEN t.typname = 'float4' THEN 'FLOAT' WHEN t.typname IN ('jsonb','json') THEN 'COMPLEX<json>' "
      "WHEN t.typname IN ('_text','_varchar') THEN 'ARRAY<STRING>' WHEN t.typname IN ('_int8','_int4','_int2','_bool') "
      "THEN 'ARRAY<LONG>' WHEN t.typname IN ('_float8','_float4') THEN 'ARRAY<DOUBLE>' ELSE 'VARCHAR' END";
  std::string jdbc =
      "CASE WHEN t.typname IN ('timestamptz','timestamp') THEN 93 WHEN t.typname = 'date' THEN 91 "
      "WHEN t.typname IN ('int8','int4','int2','bool') THEN -5 WHEN t.typname IN ('float8','numeric') THEN 8 "
      "WHEN t.typname = 'float4' THEN 6 WHEN t.typname IN ('jsonb','json') THEN 1111 "
      "WHEN t.typcategory = 'A' THEN 2003 ELSE 12 END";
  return
      "SELECT pg_advisory_xact_lock(hashtext('druid-emulator-setup'));\n"
      "CREATE SCHEMA IF NOT EXISTS " + s + ";\n"
      "CREATE SCHEMA IF NOT EXISTS " + h + ";\n"
      // ---- Druid functions
      "CREATE OR REPLACE FUNCTION " + h + ".time_parse(s text) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $f$\n"
      "BEGIN RETURN date_trunc('milliseconds', s::timestamptz); EXCEPTION WHEN others THEN RETURN NULL; END $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".millis_to_timestamp(ms bigint) RETURNS timestamptz LANGUAGE sql STABLE AS\n"
      "$f$ SELECT timestamptz '1970-01-01 00:00:00+00' + ms * interval '1 millisecond' $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".timestamp_to_millis(ts timestamptz) RETURNS bigint LANGUAGE sql STABLE AS\n"
      "$f$ SELECT floor(extract(epoch from ts) * 1000)::bigint $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".time_floor(ts timestamptz, period text, origin timestamptz DEFAULT NULL,\n"
      "    tz text DEFAULT NULL) RETURNS timestamptz LANGUAGE sql STABLE AS $f$ SELECT CASE\n"
      "  WHEN upper(period) = 'P1Y' AND origin IS NULL THEN date_trunc('year', ts)\n"
      "  WHEN upper(period) = 'P3M' AND origin IS NULL THEN date_trunc('quarter', ts)\n"
      "  WHEN upper(period) = 'P1M' AND origin IS NULL THEN date_trunc('month', ts)\n"
      "  WHEN upper(period) = 'P1W' AND origin IS NULL THEN date_trunc('week', ts)\n"
      "  ELSE date_bin(period::interval, ts, coalesce(origin, timestamptz '1970-01-01 00:00:00+00')) END $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".time_ceil(ts timestamptz, period text) RETURNS timestamptz\n"
      "LANGUAGE sql STABLE AS $f$ SELECT CASE WHEN " + h + ".time_floor(ts, period) = ts THEN ts\n"
      "  ELSE " + h + ".time_floor(ts, period) + period::interval END $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".time_shift(ts timestamptz, period text, step bigint, tz text DEFAULT NULL)\n"
      "RETURNS timestamptz LANGUAGE sql STABLE AS $f$ SELECT ts + step * period::interval $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".time_extract(ts timestamptz, unit text DEFAULT 'MILLISECOND',\n"
      "    tz text DEFAULT NULL) RETURNS bigint LANGUAGE sql STABLE AS\n"
      "$f$ SELECT CASE WHEN upper(unit) = 'EPOCH' THEN floor(extract(epoch from ts))::bigint\n"
      "  WHEN upper(unit) = 'MILLISECOND' THEN (floor(extract(milliseconds from ts)))::bigint % 1000\n"
      "  ELSE floor(date_part(lower(unit), ts))::bigint END $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".time_format(ts timestamptz, pattern text DEFAULT NULL, tz text DEFAULT NULL)\n"
      "RETURNS text LANGUAGE sql STABLE AS $f$ SELECT CASE WHEN pattern IS NULL THEN\n"
      "  to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') ELSE to_char(ts AT TIME ZONE 'UTC',\n"
      "  replace(replace(replace(replace(replace(replace(replace(pattern, '''', '\"'), 'SSS', 'MS'), 'yyyy', 'YYYY'),\n"
      "  'dd', 'DD'), 'HH', 'HH24'), 'mm', 'MI'), 'ss', 'SS')) END $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".strlen(s text) RETURNS bigint LANGUAGE sql IMMUTABLE AS\n"
      "$f$ SELECT length(s)::bigint $f$;\n"
      "CREATE OR REPLACE FUNCTION " + h + ".nvl(a anyelement, b anyelement) RETURNS anyelement LANGUAGE sql\n"
      "IMMUTABLE AS $f$ SELECT coalesce(a, b) $f$;\n"
      // SUM over a LONG column is a LONG in Druid (PostgreSQL would give numeric)
      "CREATE OR REPLACE AGGREGATE " + h + ".sum(bigint) (sfunc = int8pl, stype = bigint);\n"
      // ---- INFORMATION_SCHEMA
      "CREATE OR REPLACE VIEW " + h + ".\"SCHEMATA\" AS SELECT 'druid'::text AS \"CATALOG_NAME\",\n"
      "  s::text AS \"SCHEMA_NAME\", 'druid'::text AS \"SCHEMA_OWNER\", NULL::text AS \"DEFAULT_CHARACTER_SET_CATALOG\",\n"
      "  NULL::text AS \"DEFAULT_CHARACTER_SET_SCHEMA\", NULL::text AS \"DEFAULT_CHARACTER_SET_NAME\",\n"
      "  NULL::text AS \"SQL_PATH\" FROM unnest(ARRAY['INFORMATION_SCHEMA','druid','lookup','sys']) s;\n"
      "CREATE OR REPLACE VIEW " + h + ".\"TABLES\" AS SELECT 'druid'::text AS \"TABLE_CATALOG\",\n"
      "  'druid'::text AS \"TABLE_SCHEMA\", c.relname::text AS \"TABLE_NAME\", 'TABLE'::text AS \"TABLE_TYPE\",\n"
      "  'NO'::text AS \"IS_JOINABLE\", 'NO'::text AS \"IS_BROADCAST\"\n"
      "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace\n"
      "  WHERE n.nspname = " + sl + " AND c.relkind IN ('r','v','m','p','f') AND NOT c.relispartition\n"
      "  UNION ALL SELECT 'druid', 'INFORMATION_SCHEMA', t, 'SYSTEM_TABLE', 'NO', 'NO'\n"
      "  FROM unnest(ARRAY['COLUMNS','SCHEMATA','TABLES']) t;\n"
      "CREATE OR REPLACE VIEW " + h + ".\"COLUMNS\" AS SELECT 'druid'::text AS \"TABLE_CATALOG\",\n"
      "  'druid'::text AS \"TABLE_SCHEMA\", c.relname::text AS \"TABLE_NAME\", a.attname::text AS \"COLUMN_NAME\",\n"
      "  (row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::bigint AS \"ORDINAL_POSITION\",\n"
      "  NULL::text AS \"COLUMN_DEFAULT\", CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END::text AS \"IS_NULLABLE\",\n"
      "  (" + dt + ")::text AS \"DATA_TYPE\", NULL::bigint AS \"CHARACTER_MAXIMUM_LENGTH\",\n"
      "  NULL::bigint AS \"CHARACTER_OCTET_LENGTH\", NULL::bigint AS \"NUMERIC_PRECISION\",\n"
      "  NULL::bigint AS \"NUMERIC_PRECISION_RADIX\", NULL::bigint AS \"NUMERIC_SCALE\",\n"
      "  NULL::bigint AS \"DATETIME_PRECISION\", NULL::text AS \"CHARACTER_SET_NAME\", NULL::text AS \"COLLATION_NAME\",\n"
      "  (" + jdbc + ")::bigint AS \"JDBC_TYPE\"\n"
      "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace\n"
      "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped\n"
      "  JOIN pg_type t ON t.oid = a.atttypid\n"
      "  WHERE n.nspname = " + sl + " AND c.relkind IN ('r','v','m','p','f') AND NOT c.relispartition;\n";
}

PGconn* pg_connect(const Config& cfg) {
  PGconn* c = PQconnectdb(cfg.pg.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string e = PQerrorMessage(c);
    PQfinish(c);
    throw PgError("cannot connect to PostgreSQL: " + e);
  }
  exec_ok(c, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; "
             "SET extra_float_digits = 1; SET application_name = 'druid-emulator'; "
             "SET default_transaction_read_only = on; SET search_path = " +
                 quote_ident(cfg.schema) + ", " + quote_ident(cfg.helper) + ", pg_catalog");
  return c;
}

// ---------------------------------------------------------------- HTTP server
class Server {
 public:
  explicit Server(Config c) : cfg_(std::move(c)) {}

  void session(tcp::socket sock) {
    beast::error_code ec;
    beast::flat_buffer buf;
    PGconn* pg = nullptr;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(1u << 20);
      parser.body_limit(uint64_t(2) << 30);
      http::read_header(sock, buf, parser, ec);
      if (ec) break;
      auto expect = parser.get().find(http::field::expect);
      if (expect != parser.get().end() && beast::iequals(expect->value(), "100-continue")) {
        http::response<http::empty_body> cont(http::status::continue_, 11);
        http::write(sock, cont, ec);
        if (ec) break;
      }
      http::read(sock, buf, parser, ec);
      if (ec) break;
      http::request<http::string_body> req = parser.release();
      bool keep = req.keep_alive();
      bool close = false;
      try {
        close = !handle(sock, req, pg);
      } catch (const std::exception& e) {
        log_line(std::string("ERROR ") + e.what());
        close = true;
      }
      if (close || !keep) break;
    }
    if (pg) PQfinish(pg);
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

 private:
  using Req = http::request<http::string_body>;

  // Plain (non-streamed) answer. Returns false when the connection must be closed.
  bool reply(tcp::socket& sock, const Req& req, unsigned status, const std::string& ctype, std::string body,
             const std::string& query_id = "") {
    http::response<http::string_body> res;
    res.version(11);
    res.result(status);
    res.set(http::field::server, "Jetty(9.4.54.v20240208)");
    if (!query_id.empty()) res.set("X-Druid-SQL-Query-Id", query_id);
    if (!ctype.empty()) res.set(http::field::content_type, ctype);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    beast::error_code ec;
    http::write(sock, res, ec);
    return !ec;
  }

  bool authorized(const Req& req) {
    if (cfg_.user.empty()) return true;
    std::string raw = cfg_.user + ":" + cfg_.password;
    std::string enc(beast::detail::base64::encoded_size(raw.size()), '\0');
    enc.resize(beast::detail::base64::encode(enc.data(), raw.data(), raw.size()));
    auto it = req.find(http::field::authorization);
    return it != req.end() && std::string(it->value()) == "Basic " + enc;
  }

  bool ensure_pg(PGconn*& pg) {
    if (pg && PQstatus(pg) == CONNECTION_OK) return true;
    if (pg) PQfinish(pg);
    pg = nullptr;
    pg = pg_connect(cfg_);
    return true;
  }

  bool handle(tcp::socket& sock, const Req& req, PGconn*& pg) {
    static const std::string kJson = "application/json";
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    if (path == "/status/health" && req.method() == http::verb::get) return reply(sock, req, 200, kJson, "true");
    if (!authorized(req))
      return reply(sock, req, 401, kJson,
                   druid_error("unauthorized", "UNAUTHORIZED", "USER", "Unauthorized", "{}"));
    if (path == "/status" && req.method() == http::verb::get)
      return reply(sock, req, 200, kJson, "{\"version\":\"31.0.0-sluice-emulator\",\"modules\":[]}");
    if (path == "/druid/v2/sql" || path == "/druid/v2/sql/") {
      if (req.method() != http::verb::post) return reply(sock, req, 405, "text/plain", "Method Not Allowed");
      return handle_sql(sock, req, pg);
    }
    if (path.rfind("/druid/v2/sql/", 0) == 0 && req.method() == http::verb::delete_) {
      std::string id = url_decode(path.substr(std::strlen("/druid/v2/sql/")));
      int found = 0;
      {
        std::lock_guard<std::mutex> lk(g_run_mu);
        auto range = g_running.equal_range(id);
        for (auto it = range.first; it != range.second; ++it) {
          it->second->cancelled = true;
          char err[256];
          PQcancel(it->second->cancel, err, sizeof err);
          ++found;
        }
      }
      log_line("CANCEL " + id + (found ? " 202" : " 404"));
      return reply(sock, req, found ? 202 : 404, "", "");
    }
    if (path.rfind("/druid/emulator/v1/", 0) == 0 && req.method() == http::verb::post)
      return handle_admin(sock, req, path.substr(std::strlen("/druid/emulator/v1/")), query_params(target), pg);
    return reply(sock, req, 404, "text/plain", "Not Found");
  }

  // ---------------------------------------------------------------- POST /druid/v2/sql
  bool bad_request(tcp::socket& sock, const Req& req, const std::string& msg, const std::string& id = "") {
    return reply(sock, req, 400, "application/json", druid_error("invalidInput", "INVALID_INPUT", "USER", msg, "{}"), id);
  }

  bool handle_sql(tcp::socket& sock, const Req& req, PGconn*& pg) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(req.body()).get(doc) || doc.type() != simdjson::dom::element_type::OBJECT)
      return bad_request(sock, req, "Malformed SQL query request: the body is not a JSON object");
    std::string query;
    std::string_view sv;
    if (doc["query"].get_string().get(sv)) return bad_request(sock, req, "Field [query] is required and must be a string");
    query = std::string(sv);
    Format fmt = Format::Object;
    if (!doc["resultFormat"].get_string().get(sv)) {
      auto f = parse_format(sv);
      if (!f) return bad_request(sock, req, "Unsupported resultFormat [" + std::string(sv) + "]");
      fmt = *f;
    }
    auto flag = [&](const char* k) {
      bool b = false;
      return !doc[k].get_bool().get(b) && b;
    };
    bool header = flag("header"), types = flag("typesHeader"), sql_types = flag("sqlTypesHeader");
    std::string id;
    bool stringify = true;
    int64_t timeout_ms = 0;
    simdjson::dom::object ctx;
    if (!doc["context"].get_object().get(ctx)) {
      if (!ctx["sqlQueryId"].get_string().get(sv)) id = std::string(sv);
      bool b;
      if (!ctx["sqlStringifyArrays"].get_bool().get(b)) stringify = b;
      else if (!ctx["sqlStringifyArrays"].get_string().get(sv)) stringify = sv != "false";
      int64_t t;
      double td;
      if (!ctx["timeout"].get_int64().get(t)) timeout_ms = t;
      else if (!ctx["timeout"].get_double().get(td)) timeout_ms = static_cast<int64_t>(td);
      else if (!ctx["timeout"].get_string().get(sv)) timeout_ms = std::atoll(std::string(sv).c_str());
      if (!ctx["sqlTimeZone"].get_string().get(sv) && sv != "UTC" && sv != "Etc/UTC" && sv != "Z")
        return bad_request(sock, req, "the emulator supports only sqlTimeZone UTC, got [" + std::string(sv) + "]");
    }
    if (id.empty()) id = random_uuid();
    if (cfg_.log_queries) log_line("QUERY " + id + " " + query);

    // ---- fault switches (counted per SQL query)
    uint64_t n = ++query_count_;
    if (cfg_.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.delay_ms));
    if (cfg_.drop_every && n % cfg_.drop_every == 0) return false;  // close without answering
    if (n <= cfg_.fail_429)
      return reply(sock, req, 429, "application/json",
                   druid_error("queryCapacityExceeded", "CAPACITY_EXCEEDED", "OPERATOR",
                               "Too many concurrent queries, total query capacity of 1 exceeded (emulated). "
                               "Please try your query again later.",
                               "{\"legacyErrorCode\":\"Query capacity exceeded\"}"),
                   id);
    if (cfg_.fail_500_every && n % cfg_.fail_500_every == 0)
      return reply(sock, req, 500, "application/json",
                   legacy_error("Unknown exception", "internal error (emulated by --fail-500-every)",
                                "java.lang.RuntimeException"),
                   id);
    bool truncate = cfg_.truncate_every && n % cfg_.truncate_every == 0;

    // ---- translation and parameters
    Translation tr = translate(query, cfg_.schema, cfg_.helper, cfg_.tie_order, static_cast<uint32_t>(n));
    std::vector<std::string> pvals;
    std::vector<bool> pnull;
    std::vector<Oid> ptypes;
    simdjson::dom::array params;
    if (!doc["parameters"].get_array().get(params)) {
      for (auto p : params) {
        std::string_view type = "VARCHAR";
        if (p["type"].get_string().get(type)) type = "VARCHAR";
        std::string t = std::string(type);
        for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        simdjson::dom::element v;
        bool is_null = p["value"].get(v) || v.is_null();
        std::string text;
        Oid oid = 0;
        if (t == "VARCHAR" || t == "CHAR") oid = 25;
        else if (t == "BIGINT" || t == "INTEGER" || t == "SMALLINT" || t == "TINYINT") oid = 20;
        else if (t == "DOUBLE" || t == "DECIMAL" || t == "REAL") oid = 701;
        else if (t == "FLOAT") oid = 700;
        else if (t == "BOOLEAN") oid = 16;
        else if (t == "TIMESTAMP") oid = 1184;
        else if (t == "DATE") oid = 1082;
        if (!is_null) {
          if (v.is_string()) text = std::string(std::string_view(v));
          else if (v.is_bool()) text = bool(v) ? "true" : "false";
          else if (v.is_int64() && (oid == 1184 || oid == 1082)) text = millis_to_pg(int64_t(v));
          else if (v.is_int64()) text = std::to_string(int64_t(v));
          else if (v.is_uint64()) text = std::to_string(uint64_t(v));
          else if (v.is_double()) text = java_double(double(v));
          else text = simdjson::minify(v);
        }
        ptypes.push_back(oid);
        pvals.push_back(text);
        pnull.push_back(is_null);
      }
    }
    if (static_cast<int>(pvals.size()) != tr.placeholders)
      return reply(sock, req, 400, "application/json",
                   druid_error("invalidInput", "INVALID_INPUT", "USER",
                               "Parameter count mismatch: the query has " + std::to_string(tr.placeholders) +
                                   " placeholders but " + std::to_string(pvals.size()) + " parameters were given",
                               "{\"sourceType\":\"sql\"}"),
                   id);

    try {
      ensure_pg(pg);
      exec_ok(pg, "SET statement_timeout = " + std::to_string(timeout_ms > 0 ? timeout_ms : 0));
    } catch (const std::exception& e) {
      return reply(sock, req, 500, "application/json",
                   legacy_wrapped_error("Unknown exception", "RUNTIME_FAILURE", e.what(), "java.lang.RuntimeException"),
                   id);
    }
    return run_query(sock, req, pg, id, tr, ptypes, pvals, pnull, fmt, header, types, sql_types, stringify, truncate);
  }

  bool run_query(tcp::socket& sock, const Req& req, PGconn* pg, const std::string& id, const Translation& tr,
                 const std::vector<Oid>& ptypes, const std::vector<std::string>& pvals, const std::vector<bool>& pnull,
                 Format fmt, bool header, bool types, bool sql_types, bool stringify, bool truncate) {
    std::vector<const char*> pv;
    for (size_t i = 0; i < pvals.size(); ++i) pv.push_back(pnull[i] ? nullptr : pvals[i].c_str());
    Running run;
    run.cancel = PQgetCancel(pg);
    std::multimap<std::string, Running*>::iterator reg;
    {
      std::lock_guard<std::mutex> lk(g_run_mu);
      reg = g_running.emplace(id, &run);
    }
    auto unregister = [&] {
      std::lock_guard<std::mutex> lk(g_run_mu);
      g_running.erase(reg);
    };

    bool ok_send = PQsendQueryParams(pg, tr.sql.c_str(), static_cast<int>(pv.size()), ptypes.data(), pv.data(),
                                     nullptr, nullptr, 0) == 1;
    if (ok_send) PQsetSingleRowMode(pg);

    ResultWriter w(fmt, header, types, sql_types, stringify);
    std::string out;
    bool started = false, failed = false, client_gone = false, finished = false;
    std::optional<http::response<http::empty_body>> res;
    std::optional<http::response_serializer<http::empty_body>> sr;
    std::vector<std::optional<std::string_view>> vals;
    beast::error_code ec;

    auto send_head = [&] {
      res.emplace(http::status::ok, 11);
      res->set(http::field::server, "Jetty(9.4.54.v20240208)");
      res->set(http::field::content_type, content_type(fmt));
      res->set("X-Druid-SQL-Query-Id", id);
      if (header) res->set("X-Druid-SQL-Header-Included", "yes");
      res->keep_alive(req.keep_alive() && !truncate);
      res->chunked(true);
      sr.emplace(*res);
      http::write_header(sock, *sr, ec);
      if (ec) client_gone = true;
    };
    auto flush = [&](bool force) {
      if (truncate || client_gone) return;  // truncation: everything goes out at the end
      if (out.empty() || (!force && out.size() < 64 * 1024)) return;
      asio::write(sock, http::make_chunk(asio::buffer(out)), ec);
      if (ec) client_gone = true;
      out.clear();
    };
    auto start = [&](PGresult* r) {
      std::vector<Column> cols;
      int nf = PQnfields(r);
      for (int i = 0; i < nf; ++i) {
        Column c;
        c.name = PQfname(r, i);
        c.type = map_pg_type(PQftype(r, i), PQftable(r, i) != 0);
        if (PQftable(r, i) == 0 && std::find(tr.aliases.begin(), tr.aliases.end(), c.name) == tr.aliases.end())
          c.name = "EXPR$" + std::to_string(i);  // Calcite's name for an unnamed expression
        cols.push_back(std::move(c));
      }
      send_head();
      w.begin(cols, out);
      vals.resize(nf);
      started = true;
    };

    std::optional<HttpError> err;
    if (!ok_send) {
      err = map_pg_error("08000", pg_err(nullptr, pg), 0, tr.sql, id, false);
    } else {
      while (PGresult* r = PQgetResult(pg)) {
        PgResult guard(r);
        auto st = PQresultStatus(r);
        if (failed || client_gone) {
          continue;  // drain
        }
        if (st == PGRES_SINGLE_TUPLE) {
          if (!started) start(r);
          for (int i = 0; i < PQnfields(r); ++i)
            vals[i] = PQgetisnull(r, 0, i) ? std::nullopt
                                           : std::optional<std::string_view>(
                                                 std::string_view(PQgetvalue(r, 0, i), PQgetlength(r, 0, i)));
          w.row(vals, out);
          flush(false);
          if (client_gone) {
            char e[256];
            PQcancel(run.cancel, e, sizeof e);
          }
        } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
          if (!started) start(r);
          w.end(out);
          finished = true;
        } else {
          failed = true;
          const char* ss = PQresultErrorField(r, PG_DIAG_SQLSTATE);
          const char* pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
          err = map_pg_error(ss ? ss : "XX000", pg_err(r, pg), pos ? std::atoi(pos) : 0, tr.sql, id, run.cancelled);
          if (started) log_line("QUERY-FAILED-MID-STREAM " + id + " " + err->body);
        }
      }
    }
    unregister();
    PQfreeCancel(run.cancel);

    if (!started) {
      if (!err) err = HttpError{500, legacy_wrapped_error("Unknown exception", "RUNTIME_FAILURE", "no result",
                                                          "java.lang.RuntimeException")};
      return reply(sock, req, err->status, "application/json", err->body, id);
    }
    if (client_gone) return false;
    if (truncate) {
      // "failed after streaming started": a 200, part of the body, no trailer, no last chunk
      size_t cut = std::max<size_t>(1, out.size() / 2);
      asio::write(sock, http::make_chunk(asio::buffer(out.data(), cut)), ec);
      log_line("TRUNCATED " + id);
      return false;
    }
    if (!finished || failed) {
      flush(true);
      return false;  // body ends without the trailer: the client sees a truncated response
    }
    flush(true);
    if (client_gone) return false;
    asio::write(sock, http::make_chunk_last(), ec);
    return !ec;
  }

  // ---------------------------------------------------------------- emulator-only endpoints
  bool handle_admin(tcp::socket& sock, const Req& req, const std::string& cmd,
                    const std::map<std::string, std::string>& qp, PGconn*& pg) {
    auto get = [&](const char* k, const std::string& def = "") {
      auto it = qp.find(k);
      return it == qp.end() ? def : it->second;
    };
    std::string ds = get("datasource");
    if (ds.empty()) return reply(sock, req, 400, "application/json", "{\"error\":\"datasource is required\"}");
    std::string table = quote_ident(cfg_.schema) + "." + quote_ident(ds);
    try {
      ensure_pg(pg);
      exec_ok(pg, "SET statement_timeout = 0");
      std::string answer;
      if (cmd == "create") {
        answer = admin_create(pg, table, req.body());
      } else if (cmd == "drop") {
        admin_tx(pg, {"DROP TABLE IF EXISTS " + table});
        answer = "{\"dropped\":" + json_escape(ds) + "}";
      } else if (cmd == "truncate") {
        admin_tx(pg, {"TRUNCATE " + table});
        answer = "{\"truncated\":" + json_escape(ds) + "}";
      } else if (cmd == "delete") {
        if (req.body().empty()) throw PgError("delete needs a WHERE clause in the body");
        Translation tr = translate(req.body(), cfg_.schema, cfg_.helper);
        long long rows = admin_tx(pg, {"DELETE FROM " + table + " WHERE " + tr.sql});
        answer = "{\"deleted\":" + std::to_string(rows) + "}";
      } else if (cmd == "generate") {
        auto num = [&](const char* k, const char* def) { return std::stoll(get(k, def)); };
        long long n = num("n", "0"), startms = num("startMs", "1704067200000"), step = num("stepMs", "1000"),
                  dup = num("dup", "1"), first = num("first", "0");
        if (dup < 1) throw PgError("dup must be >= 1");
        std::string fr = std::to_string(first);
        admin_tx(pg, {create_sql(table, ds, "\"channel\" text, \"added\" bigint, \"delta\" double precision, "
                                            "\"page\" text", true),
                      "INSERT INTO " + table + " (\"__time\", \"channel\", \"added\", \"delta\", \"page\") SELECT "
                      "timestamptz '1970-01-01 00:00:00+00' + ((" + std::to_string(startms) + " + ((i - " + fr +
                      ") / " + std::to_string(dup) + ") * " + std::to_string(step) +
                      ") * interval '1 millisecond'), '#ch' || (i % 7), i, ((i % 1000) / 10.0 - 20.0)::float8, "
                      "'page-' || i FROM generate_series(" + fr + "::bigint, " + fr + " + " + std::to_string(n) +
                      " - 1) i"});
        answer = "{\"generated\":" + std::to_string(n) + "}";
      } else if (cmd == "ingest") {
        answer = admin_ingest(pg, table, req.body());
      } else {
        return reply(sock, req, 404, "application/json", "{\"error\":\"unknown emulator command\"}");
      }
      log_line("ADMIN " + cmd + " " + ds + " " + answer);
      return reply(sock, req, 200, "application/json", answer);
    } catch (const std::exception& e) {
      PQexec(pg, "ROLLBACK");
      return reply(sock, req, 400, "application/json", "{\"error\":" + json_escape(e.what()) + "}");
    }
  }

  // Runs statements in one read-write transaction; returns the rows affected by the last.
  long long admin_tx(PGconn* pg, const std::vector<std::string>& stmts) {
    exec_ok(pg, "BEGIN READ WRITE");
    long long rows = 0;
    for (const auto& s : stmts) {
      PgResult r(PQexec(pg, s.c_str()));
      auto st = PQresultStatus(r.r);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw PgError(pg_err(r.r, pg));
      const char* t = PQcmdTuples(r.r);
      rows = t && *t ? std::atoll(t) : 0;
    }
    exec_ok(pg, "COMMIT");
    return rows;
  }

  std::string create_sql(const std::string& table, const std::string& ds, const std::string& cols, bool if_not_exists) {
    return "CREATE TABLE " + std::string(if_not_exists ? "IF NOT EXISTS " : "") + table +
           " (\"__time\" timestamptz NOT NULL CHECK (\"__time\" = date_trunc('milliseconds', \"__time\"))" +
           (cols.empty() ? "" : ", " + cols) + "); CREATE INDEX IF NOT EXISTS " + quote_ident(ds + "__time_idx") +
           " ON " + table + " (\"__time\")";
  }

  std::string admin_create(PGconn* pg, const std::string& table, const std::string& spec) {
    // "name TYPE, name TYPE, ..."; names may be double-quoted; __time is implicit
    std::string cols;
    size_t i = 0;
    auto skip_ws = [&] { while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i]))) ++i; };
    std::string ds = table.substr(table.find("\".\"") + 3);
    ds.pop_back();
    for (;;) {
      skip_ws();
      if (i >= spec.size()) break;
      std::string name;
      if (spec[i] == '"') {
        ++i;
        while (i < spec.size()) {
          if (spec[i] == '"') {
            if (i + 1 < spec.size() && spec[i + 1] == '"') { name += '"'; i += 2; continue; }
            ++i;
            break;
          }
          name += spec[i++];
        }
      } else {
        while (i < spec.size() && !std::isspace(static_cast<unsigned char>(spec[i]))) name += spec[i++];
      }
      skip_ws();
      std::string type;
      int angle = 0;
      while (i < spec.size() && (angle > 0 || spec[i] != ',')) {
        if (spec[i] == '<') ++angle;
        if (spec[i] == '>') --angle;
        type += spec[i++];
      }
      if (i < spec.size()) ++i;  // the comma
      while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
      if (name.empty() || type.empty()) throw PgError("bad column spec near '" + name + "'");
      auto pgt = druid_to_pg_type(type);
      if (!pgt) throw PgError("unsupported Druid type '" + type + "' for column '" + name + "'");
      if (name == "__time") {
        if (*pgt != "timestamptz") throw PgError("__time must be TIMESTAMP");
        continue;
      }
      cols += (cols.empty() ? "" : ", ") + quote_ident(name) + " " + *pgt;
    }
    admin_tx(pg, {create_sql(table, ds, cols, false)});
    return "{\"created\":" + json_escape(ds) + "}";
  }

  static void copy_escape(std::string& o, std::string_view s) {
    for (char c : s) {
      switch (c) {
        case '\\': o += "\\\\"; break;
        case '\t': o += "\\t"; break;
        case '\n': o += "\\n"; break;
        case '\r': o += "\\r"; break;
        default: o += c;
      }
    }
  }

  static std::string pg_array_literal(simdjson::dom::array a, bool strings) {
    std::string o = "{";
    bool first = true;
    for (auto e : a) {
      if (!first) o += ',';
      first = false;
      if (e.is_null()) { o += "NULL"; continue; }
      std::string v;
      if (e.is_string()) v = std::string(std::string_view(e));
      else if (e.is_bool()) v = bool(e) ? (strings ? "true" : "1") : (strings ? "false" : "0");
      else v = simdjson::minify(e);
      o += '"';
      for (char c : v) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
      }
      o += '"';
    }
    return o + "}";
  }

  std::string admin_ingest(PGconn* pg, const std::string& table, const std::string& body) {
    // column names and types
    std::vector<std::pair<std::string, std::string>> cols;  // name, typname
    {
      std::string q = "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                      "WHERE a.attrelid = " + quote_literal(table) + "::regclass AND a.attnum > 0 AND NOT "
                      "a.attisdropped ORDER BY a.attnum";
      PgResult r(PQexec(pg, q.c_str()));
      if (PQresultStatus(r.r) != PGRES_TUPLES_OK) throw PgError(pg_err(r.r, pg));
      for (int i = 0; i < PQntuples(r.r); ++i) cols.emplace_back(PQgetvalue(r.r, i, 0), PQgetvalue(r.r, i, 1));
    }
    std::map<std::string, size_t> idx;
    for (size_t i = 0; i < cols.size(); ++i) idx[cols[i].first] = i;
    std::string data;
    simdjson::dom::parser parser;
    size_t lineno = 0, rows = 0, pos = 0;
    std::vector<std::optional<std::string>> vals(cols.size());
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      if (nl == std::string::npos) nl = body.size();
      std::string line = body.substr(pos, nl - pos);
      pos = nl + 1;
      ++lineno;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      simdjson::dom::element doc;
      if (parser.parse(line).get(doc) || !doc.is_object())
        throw PgError("line " + std::to_string(lineno) + ": not a JSON object");
      for (auto& v : vals) v.reset();
      for (auto [k, v] : simdjson::dom::object(doc)) {
        auto it = idx.find(std::string(k));
        if (it == idx.end()) throw PgError("line " + std::to_string(lineno) + ": unknown column '" + std::string(k) + "'");
        const std::string& ty = cols[it->second].second;
        std::optional<std::string> val;
        if (v.is_null()) {
        } else if (ty == "timestamptz") {
          if (v.is_int64()) val = millis_to_pg(int64_t(v));
          else if (v.is_string()) val = std::string(std::string_view(v));
          else if (v.type() == simdjson::dom::element_type::DOUBLE)
            val = millis_to_pg(static_cast<int64_t>(double(v)));
          else throw PgError("line " + std::to_string(lineno) + ": bad __time");
        } else if (ty == "int8" || ty == "int4") {
          if (v.is_bool()) val = bool(v) ? "1" : "0";
          else if (v.type() == simdjson::dom::element_type::DOUBLE)
            val = std::to_string(static_cast<long long>(double(v)));
          else if (v.is_string()) val = std::string(std::string_view(v));
          else val = simdjson::minify(v);
        } else if (ty == "bool") {
          if (v.is_bool()) val = bool(v) ? "t" : "f";
          else if (v.is_string()) val = std::string(std::string_view(v));
          else if (v.is_int64()) val = int64_t(v) != 0 ? "t" : "f";
          else if (v.type() == simdjson::dom::element_type::DOUBLE) val = double(v) != 0 ? "t" : "f";
          else val = simdjson::minify(v);
        } else if (ty == "float8" || ty == "float4") {
          if (v.is_string()) val = std::string(std::string_view(v));
          else if (v.type() == simdjson::dom::element_type::DOUBLE) {
            char b[64];
            auto r = std::to_chars(b, b + sizeof b, double(v));
            val = std::string(b, r.ptr);
          } else val = simdjson::minify(v);
        } else if (ty == "jsonb" || ty == "json") {
          val = simdjson::minify(v);
        } else if (!ty.empty() && ty[0] == '_') {
          simdjson::dom::array a;
          simdjson::dom::element parsed;
          simdjson::dom::parser p2;
          if (v.is_array()) a = v.get_array().value_unsafe();
          else if (v.is_string() && !p2.parse(std::string(std::string_view(v))).get(parsed) && parsed.is_array())
            a = parsed.get_array().value_unsafe();
          else throw PgError("line " + std::to_string(lineno) + ": column '" + std::string(k) + "' needs an array");
          val = pg_array_literal(a, ty == "_text");
        } else {
          if (v.is_string()) val = std::string(std::string_view(v));
          else val = simdjson::minify(v);
        }
        vals[it->second] = std::move(val);
      }
      for (size_t i = 0; i < cols.size(); ++i) {
        if (i) data += '\t';
        if (!vals[i]) data += "\\N";
        else copy_escape(data, *vals[i]);
      }
      data += '\n';
      ++rows;
    }
    // COPY into a temporary copy of the table, then insert with __time truncated to ms
    exec_ok(pg, "BEGIN READ WRITE");
    exec_ok(pg, "CREATE TEMP TABLE druid_emu_ingest (LIKE " + table + ") ON COMMIT DROP");
    {
      PgResult r(PQexec(pg, "COPY druid_emu_ingest FROM STDIN"));
      if (PQresultStatus(r.r) != PGRES_COPY_IN) throw PgError(pg_err(r.r, pg));
    }
    if (PQputCopyData(pg, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(pg, nullptr) != 1)
      throw PgError(pg_err(nullptr, pg));
    {
      PgResult r(PQgetResult(pg));
      if (PQresultStatus(r.r) != PGRES_COMMAND_OK) {
        std::string e = pg_err(r.r, pg);
        while (PGresult* x = PQgetResult(pg)) PQclear(x);
        throw PgError(e);
      }
      while (PGresult* x = PQgetResult(pg)) PQclear(x);
    }
    std::string collist, sel;
    for (size_t i = 0; i < cols.size(); ++i) {
      collist += (i ? ", " : "") + quote_ident(cols[i].first);
      sel += std::string(i ? ", " : "") +
             (cols[i].first == "__time" ? "date_trunc('milliseconds', \"__time\")" : quote_ident(cols[i].first));
    }
    exec_ok(pg, "INSERT INTO " + table + " (" + collist + ") SELECT " + sel + " FROM druid_emu_ingest");
    exec_ok(pg, "COMMIT");
    return "{\"ingested\":" + std::to_string(rows) + "}";
  }

  Config cfg_;
  std::atomic<uint64_t> query_count_{0};
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  Config cfg;
  bool has_pw = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) cli.fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") host = value();
    else if (a == "--port") port = static_cast<int>(cli.u64(a, value()));
    else if (a == "--pg") cfg.pg = value();
    else if (a == "--schema") cfg.schema = value();
    else if (a == "--user") cfg.user = value();
    else if (a == "--password") { cfg.password = value(); has_pw = true; }
    else if (a == "--fail-429") cfg.fail_429 = cli.u64(a, value());
    else if (a == "--fail-500-every") cfg.fail_500_every = cli.u64(a, value());
    else if (a == "--drop-every") cfg.drop_every = cli.u64(a, value());
    else if (a == "--delay-ms") cfg.delay_ms = cli.u64(a, value());
    else if (a == "--truncate-every") cfg.truncate_every = cli.u64(a, value());
    else if (a == "--log-queries") cfg.log_queries = true;
    else if (a == "--tie-order") {
      const auto t = parse_tie_order(value());
      if (!t) cli.fail("--tie-order must be physical, shuffle or segments");
      cfg.tie_order = *t;
    }
    else if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
    else cli.fail("unknown argument '" + a + "'");
  }
  if (cfg.pg.empty()) cli.fail("--pg is required");
  if (cfg.user.empty() != !has_pw) cli.fail("--user and --password go together");
  if (port > 65535) cli.fail("--port out of range");
  if (cfg.schema.empty()) cli.fail("--schema must not be empty");
  cfg.helper = cfg.schema + "_emu";

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {  // schemas, Druid functions and INFORMATION_SCHEMA views
    PGconn* c = PQconnectdb(cfg.pg.c_str());
    if (PQstatus(c) != CONNECTION_OK) throw PgError(std::string("cannot connect to PostgreSQL: ") + PQerrorMessage(c));
    exec_ok(c, "BEGIN");
    exec_ok(c, setup_sql(cfg));
    exec_ok(c, "COMMIT");
    PQfinish(c);
    PQfinish(pg_connect(cfg));  // the per-session settings work
  } catch (const std::exception& e) {
    std::cerr << "druid-emulator: " << e.what() << "\n";
    return 1;
  }

  Server server(cfg);
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc);
  try {
    tcp::endpoint ep(asio::ip::make_address(host), static_cast<unsigned short>(port));
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::cerr << "druid-emulator: cannot listen on " << host << ":" << port << ": " << e.what() << "\n";
    return 1;
  }
  std::printf("LISTENING %d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);

  std::thread waiter([sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(0);  // PostgreSQL holds the data; nothing to flush
  });
  waiter.detach();

  for (;;) {
    beast::error_code ec;
    tcp::socket sock(ioc);
    acceptor.accept(sock, ec);
    if (ec) continue;
    std::thread([&server, s = std::move(sock)]() mutable { server.session(std::move(s)); }).detach();
  }
}
