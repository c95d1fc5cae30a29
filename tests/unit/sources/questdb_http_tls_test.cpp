// https:// in the shared HTTP client: a throwaway self-signed certificate for
// "localhost" is made in memory, a TLS server on 127.0.0.1:0 answers like
// QuestDB (chunked JSON), and the client must verify chain and host name.

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "sluice/error.hpp"
#include "sluice/http/client.hpp"

using namespace sluice;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

struct pem_pair {
    std::string cert, key;
};

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// Self-signed P-256 certificate with CN and SAN DNS:localhost only (no IP SAN),
// so https://127.0.0.1 must fail the host-name check.
pem_pair make_localhost_cert() {
    EVP_PKEY* key = EVP_EC_gen("prime256v1");
    REQUIRE(key);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost");
    REQUIRE(san);
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
    REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);

    BIO* cb = BIO_new(BIO_s_mem());
    BIO* kb = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cb, x);
    PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
    pem_pair out{bio_text(cb), bio_text(kb)};
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

class tls_server {
public:
    explicit tls_server(const pem_pair& pem)
        : ctx_(asio::ssl::context::tls_server), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
        ctx_.use_certificate_chain(asio::buffer(pem.cert));
        ctx_.use_private_key(asio::buffer(pem.key), asio::ssl::context::pem);
        port = acceptor_.local_endpoint().port();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~tls_server() {
        ioc_.stop();
        thread_.join();
    }

    unsigned short port = 0;
    std::atomic<int> connections = 0, requests = 0;

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            tcp::socket s = co_await acceptor_.async_accept(use_awaitable);
            ++connections;
            asio::co_spawn(ioc_, session(std::move(s)), asio::detached);
        }
    }

    asio::awaitable<void> session(tcp::socket sock) {
        asio::ssl::stream<tcp::socket> s(std::move(sock), ctx_);
        try {
            co_await s.async_handshake(asio::ssl::stream_base::server, use_awaitable);
            boost::beast::flat_buffer buf;
            for (;;) {
                bhttp::request<bhttp::string_body> req;
                co_await bhttp::async_read(s, buf, req, use_awaitable);
                ++requests;
                const std::string body = R"({"ddl":"OK"})";
                const std::string raw = fmt::format(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
                    "Keep-Alive: timeout=5, max=10000\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
                    body.size(), body);
                co_await asio::async_write(s, asio::buffer(raw), use_awaitable);
            }
        } catch (const std::exception&) {
            // handshake refused by the client, or the client closed
        }
    }

    asio::io_context ioc_;
    asio::ssl::context ctx_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

// Runs `n` GET requests on one client; returns (status of the last, connections the client opened).
std::pair<unsigned, std::size_t> get_n(http_client_options opt, int n) {
    asio::io_context ioc;
    http_client client(ioc.get_executor(), std::move(opt));
    auto fut = asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<unsigned> {
            unsigned status = 0;
            for (int i = 0; i < n; ++i) status = (co_await client.request(bhttp::verb::get, "/exec?query=x")).status;
            co_return status;
        },
        asio::use_future);
    ioc.run();
    const unsigned status = fut.get();
    return {status, client.stats().connections_opened};
}

struct temp_file {
    explicit temp_file(const std::string& text)
        : path(std::filesystem::temp_directory_path() / fmt::format("sluice-http-tls-test-{}.pem", ::getpid())) {
        std::ofstream(path) << text;
    }
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    std::filesystem::path path;
};

}  // namespace

TEST_CASE("http client: https verifies chain and host name, and reuses the TLS connection") {
    const pem_pair pem = make_localhost_cert();
    const temp_file ca(pem.cert);
    tls_server server(pem);

    http_client_options opt;
    opt.base_url = fmt::format("https://localhost:{}", server.port);
    opt.ca_file = ca.path.string();
    opt.retry.max_attempts = 3;
    opt.retry.initial = 1ms;
    const auto [status, opened] = get_n(opt, 2);
    CHECK(status == 200);
    CHECK(opened == 1);
    CHECK(server.requests == 2);

    SUBCASE("an untrusted certificate is fatal, without retries") {
        opt.ca_file.clear();
        const int before = server.connections;
        try {
            get_n(opt, 1);
            FAIL("expected an error");
        } catch (const error& e) {
            CHECK(e.kind() == error_kind::fatal);
            CHECK(std::string(e.what()).find("TLS handshake") != std::string::npos);
        }
        CHECK(server.connections == before + 1);
    }
    SUBCASE("a host name the certificate does not name is fatal") {
        opt.base_url = fmt::format("https://127.0.0.1:{}", server.port);
        try {
            get_n(opt, 1);
            FAIL("expected an error");
        } catch (const error& e) {
            CHECK(e.kind() == error_kind::fatal);
            CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
        }
    }
    SUBCASE("verify_tls=false accepts it") {
        opt.base_url = fmt::format("https://127.0.0.1:{}", server.port);
        opt.ca_file.clear();
        opt.verify_tls = false;
        CHECK(get_n(opt, 1).first == 200);
    }
    SUBCASE("a missing CA file is fatal at construction") {
        opt.ca_file = "/nonexistent/ca.pem";
        asio::io_context ioc;
        CHECK_THROWS_AS(http_client(ioc.get_executor(), opt), error);
    }
}
