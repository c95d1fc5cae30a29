// hbase-emulator: an in-memory HBase Thrift1 gateway for tests and benchmarks.
#include "../common/cli.hpp"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>

#include <thrift/TConfiguration.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/THttpServer.h>
#include <thrift/transport/TServerSocket.h>

#include "faults.hpp"
#include "processor.hpp"
#include "handler.hpp"
#include "scanner.hpp"
#include "snapshot.hpp"
#include "store.hpp"

using namespace apache::thrift;

namespace {

const char* kUsage =
    "usage: hbase-emulator [--host ADDR] [--port N] [--transport buffered|framed]\n"
    "                      [--protocol binary|compact] [--http] [--region-max-rows N]\n"
    "                      [--scanner-timeout-ms N] [--expire-scanner-after N] [--ioerror-every N]\n"
    "                      [--drop-every N] [--delay-ms N] [--garbage-every N] [--data FILE]\n"
    "  --data FILE  load the tables from FILE at start (if it exists), save them there on SIGTERM/SIGINT\n";
const emu_cli::program cli{"hbase-emulator", kUsage};

// libthrift counts the bytes a transport reads against TConfiguration's max message
// size (100 MB) and, for long-lived connections, not only per message: bulk loads of
// a few hundred MB over one connection were cut off. Raise the limits to the maximum.
std::shared_ptr<TConfiguration> big_config() {
  static auto cfg = std::make_shared<TConfiguration>(std::numeric_limits<int>::max(),
                                                     std::numeric_limits<int>::max());
  return cfg;
}

template <class T>
class ConfiguredFactory : public transport::TTransportFactory {
 public:
  std::shared_ptr<transport::TTransport> getTransport(std::shared_ptr<transport::TTransport> t) override {
    if constexpr (std::is_same_v<T, transport::TBufferedTransport>)
      // The default 512-byte buffers turn a multi-MB scan reply into thousands of send()s.
      return std::make_shared<T>(std::move(t), 1 << 16, 1 << 16, big_config());
    else
      return std::make_shared<T>(std::move(t), big_config());
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", transport = "buffered", protocol = "binary", data;
  int port = 0;
  bool http = false;
  uint64_t region_max_rows = 50000, scanner_timeout_ms = 60000;
  hbase_emu::FaultConfig faults;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) cli.fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") host = value();
    else if (a == "--port") port = static_cast<int>(cli.u64(a, value()));
    else if (a == "--transport") transport = value();
    else if (a == "--protocol") protocol = value();
    else if (a == "--http") http = true;
    else if (a == "--region-max-rows") region_max_rows = cli.u64(a, value());
    else if (a == "--scanner-timeout-ms") scanner_timeout_ms = cli.u64(a, value());
    else if (a == "--expire-scanner-after") faults.expire_scanner_after = cli.u64(a, value());
    else if (a == "--ioerror-every") faults.ioerror_every = cli.u64(a, value());
    else if (a == "--drop-every") faults.drop_every = cli.u64(a, value());
    else if (a == "--delay-ms") faults.delay_ms = cli.u64(a, value());
    else if (a == "--garbage-every") faults.garbage_every = cli.u64(a, value());
    else if (a == "--data") data = value();
    else if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
    else cli.fail("unknown argument '" + a + "'");
  }
  if (transport != "buffered" && transport != "framed") cli.fail("--transport must be buffered or framed");
  if (protocol != "binary" && protocol != "compact") cli.fail("--protocol must be binary or compact");
  if (region_max_rows == 0) cli.fail("--region-max-rows must be > 0");

  // Signals go to a dedicated waiter thread; every thread started later inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  // A client that vanishes mid-reply must cost one connection, not the whole server.
  signal(SIGPIPE, SIG_IGN);

  auto store = std::make_shared<hbase_emu::Store>(region_max_rows);
  if (!data.empty() && ::access(data.c_str(), F_OK) == 0) {
    try {
      hbase_emu::load_snapshot(*store, data);
    } catch (const std::exception& e) {
      cli.fail(e.what(), 1);
    }
  }
  auto scanners = std::make_shared<hbase_emu::ScannerRegistry>(
      std::chrono::milliseconds(2 * scanner_timeout_ms), faults.expire_scanner_after);
  auto handler = std::make_shared<hbase_emu::Handler>(store, scanners);
  auto processor = std::make_shared<hbase_emu::EmulatorProcessor>(handler, std::make_shared<hbase_emu::Faults>(faults));

  auto socket = std::make_shared<transport::TServerSocket>(host, port);
  socket->setListenCallback([handler](THRIFT_SOCKET fd) {
    // Thrift calls this after bind() but before listen(): a client that connected as soon
    // as LISTENING appeared was refused now and then on a loaded machine (seen in the e2e
    // suite). listen() here first; Thrift's own listen() on the socket then succeeds too.
    if (::listen(fd, 128) != 0) {
      std::perror("hbase-emulator: listen");
      std::exit(1);
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("hbase-emulator: getsockname");
      std::exit(1);
    }
    int p = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    handler->set_port(p);
    std::printf("LISTENING %d\n", p);
    std::fflush(stdout);
  });

  std::shared_ptr<transport::TTransportFactory> tf;
  if (http) tf = std::make_shared<ConfiguredFactory<transport::THttpServer>>();
  else if (transport == "framed") tf = std::make_shared<ConfiguredFactory<transport::TFramedTransport>>();
  else tf = std::make_shared<ConfiguredFactory<transport::TBufferedTransport>>();
  std::shared_ptr<protocol::TProtocolFactory> pf;
  if (protocol == "compact") pf = std::make_shared<protocol::TCompactProtocolFactory>();
  else pf = std::make_shared<protocol::TBinaryProtocolFactory>();

  // Client disconnects and injected drops are expected; keep libthrift's chatter short.
  GlobalOutput.setOutputFunction([](const char* msg) { std::fprintf(stderr, "hbase-emulator: thrift: %s\n", msg); });

  server::TThreadedServer server(processor, socket, tf, pf);
  std::thread waiter([&server, sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    server.stop();
  });
  try {
    server.serve();
  } catch (const std::exception& e) {
    std::cerr << "hbase-emulator: " << e.what() << "\n";
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 1;
  }
  waiter.join();
  if (!data.empty()) {
    // serve() has returned: every client thread is gone, nothing mutates the store.
    try {
      hbase_emu::save_snapshot(*store, data);
    } catch (const std::exception& e) {
      std::cerr << "hbase-emulator: " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}
