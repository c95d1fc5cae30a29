// questdb-emulator: a QuestDB REST (/exec) server over SQLite for tests and benchmarks.
#include "../common/cli.hpp"
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>

#include "engine.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

const char* kUsage =
    "usage: questdb-emulator [--host ADDR] [--port N] [--version 7.4.2|9.3.2] [--data FILE.sqlite]\n"
    "                        [--user U --password P] [--fail-429 N] [--fail-500-every N]\n"
    "                        [--drop-every N] [--delay-ms N] [--error-in-body-every N] [--shuffle-ties]\n";
const emu_cli::program cli{"questdb-emulator", kUsage};

struct Config {
  std::string user, password;
  uint64_t fail_429 = 0, fail_500_every = 0, drop_every = 0, delay_ms = 0, error_body_every = 0;
};

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

std::string http_date() {
  char buf[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

class Server {
 public:
  Server(questdb_emu::Engine& e, Config c) : engine_(e), cfg_(std::move(c)) {}

  void session(tcp::socket sock) {
    beast::error_code ec;
    beast::flat_buffer buf;
    for (;;) {
      // Bulk INSERTs travel in the URL: allow long request lines (Beast's default is 8 KiB).
      http::request_parser<http::string_body> parser;
      parser.header_limit(256u << 20);
      parser.body_limit(256u << 20);
      http::read(sock, buf, parser, ec);
      if (ec) break;
      http::request<http::string_body> req = parser.release();
      http::response<http::string_body> res;
      bool drop = false;
      handle(req, res, drop);
      if (drop) break;
      http::write(sock, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

 private:
  void make(http::response<http::string_body>& res, int status, const char* reason, const std::string& ctype,
            std::string body, bool keep_alive_hdr) {
    res.version(11);
    res.result(static_cast<unsigned>(status));
    res.reason(reason);
    res.set(http::field::server, "questDB/1.0");
    res.set(http::field::date, http_date());
    res.chunked(true);
    res.set(http::field::content_type, ctype);
    if (keep_alive_hdr) res.set("Keep-Alive", "timeout=5, max=10000");
    res.body() = std::move(body);
  }

  void handle(const http::request<http::string_body>& req, http::response<http::string_body>& res, bool& drop) {
    static const std::string kJson = "application/json; charset=utf-8";
    static const std::string kText = "text/plain; charset=utf-8";
    if (!cfg_.user.empty()) {
      std::string expect = "Basic ";
      std::string raw = cfg_.user + ":" + cfg_.password;
      std::string enc(beast::detail::base64::encoded_size(raw.size()), '\0');
      enc.resize(beast::detail::base64::encode(enc.data(), raw.data(), raw.size()));
      auto it = req.find(http::field::authorization);
      if (it == req.end() || std::string(it->value()) != expect + enc) {
        make(res, 401, "Unauthorized", kText, "Unauthorized", false);
        return;
      }
    }
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    if (path != "/exec" || req.method() != http::verb::get) {
      make(res, 404, "Not Found", kText, "Not Found", false);
      return;
    }
    questdb_emu::ExecParams p;
    auto q = target.find('?');
    if (q != std::string::npos) {
      std::string qs = target.substr(q + 1);
      size_t pos = 0;
      while (pos <= qs.size()) {
        size_t amp = qs.find('&', pos);
        if (amp == std::string::npos) amp = qs.size();
        std::string kv = qs.substr(pos, amp - pos);
        auto eq = kv.find('=');
        std::string k = url_decode(kv.substr(0, eq));
        std::string v = eq == std::string::npos ? "" : url_decode(kv.substr(eq + 1));
        if (k == "query") { p.query = v; p.has_query = true; }
        else if (k == "limit") p.limit = v;
        else if (k == "count") p.count = v == "true";
        else if (k == "nm") p.nm = v == "true";
        else if (k == "timings") p.timings = v == "true";
        else if (k == "quoteLargeNum") p.quote_large = v == "true";
        pos = amp + 1;
      }
    }
    uint64_t n = ++exec_count_;
    if (cfg_.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.delay_ms));
    if (cfg_.drop_every && n % cfg_.drop_every == 0) { drop = true; return; }
    std::string qj = questdb_emu::json_escape(p.query);
    if (n <= cfg_.fail_429) {
      make(res, 429, "Too Many Requests", kJson,
           "{\"query\":" + qj + ",\"error\":\"too many requests (emulated)\",\"position\":0}", true);
      return;
    }
    if (cfg_.fail_500_every && n % cfg_.fail_500_every == 0) {
      make(res, 500, "Internal Server Error", kJson,
           "{\"query\":" + qj + ",\"error\":\"internal error (emulated)\",\"position\":0}", true);
      return;
    }
    if (cfg_.error_body_every && n % cfg_.error_body_every == 0) {
      make(res, 200, "OK", kJson, "{\"query\":" + qj + ",\"error\":\"query failed (emulated)\",\"position\":0}", true);
      return;
    }
    auto [status, body] = engine_.exec_http(p);
    make(res, status, status == 200 ? "OK" : status == 400 ? "Bad request" : "Internal Server Error", kJson,
         std::move(body), true);
  }

  questdb_emu::Engine& engine_;
  Config cfg_;
  std::atomic<uint64_t> exec_count_{0};
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", version = "9.3.2", data;
  int port = 0;
  bool shuffle_ties = false;
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
    else if (a == "--version") version = value();
    else if (a == "--data") data = value();
    else if (a == "--user") cfg.user = value();
    else if (a == "--password") { cfg.password = value(); has_pw = true; }
    else if (a == "--fail-429") cfg.fail_429 = cli.u64(a, value());
    else if (a == "--fail-500-every") cfg.fail_500_every = cli.u64(a, value());
    else if (a == "--drop-every") cfg.drop_every = cli.u64(a, value());
    else if (a == "--delay-ms") cfg.delay_ms = cli.u64(a, value());
    else if (a == "--error-in-body-every") cfg.error_body_every = cli.u64(a, value());
    else if (a == "--shuffle-ties") shuffle_ties = true;
    else if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
    else cli.fail("unknown argument '" + a + "'");
  }
  if (version != "7.4.2" && version != "9.3.2") cli.fail("--version must be 7.4.2 or 9.3.2");
  if (cfg.user.empty() != !has_pw) cli.fail("--user and --password go together");
  if (port > 65535) cli.fail("--port out of range");

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<questdb_emu::Engine> engine;
  try {
    engine = std::make_unique<questdb_emu::Engine>(data, version);
    engine->shuffle_ties(shuffle_ties);
  } catch (const std::exception& e) {
    std::cerr << "questdb-emulator: " << e.what() << "\n";
    return 1;
  }
  Server server(*engine, cfg);
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc);
  try {
    tcp::endpoint ep(asio::ip::make_address(host), static_cast<unsigned short>(port));
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::cerr << "questdb-emulator: cannot listen on " << host << ":" << port << ": " << e.what() << "\n";
    return 1;
  }
  std::printf("LISTENING %d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);

  std::thread waiter([sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    std::fflush(stdout);
    std::_Exit(0);  // SQLite writes are already in the file (each statement commits)
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
