#pragma once
// The Hbase calls sluice makes, over one gateway connection: codec + transport +
// turning every failure into a sluice error that names the gateway and the call.
//
// Error classes (what the scan loop does with them):
//   scanner_lost   IllegalArgument from scannerGetList (expired/invalid id), an
//                  IOError (region-server lease expiry, retryable server trouble),
//                  or a dropped/timed-out connection: reopen after the last row.
//   error(fatal)   TApplicationException (bad filter string, unknown method), a
//                  malformed reply, IOError on metadata calls for a missing table.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "sluice/error.hpp"
#include "sources/hbase/gateway_connection.hpp"
#include "sources/hbase/wire_codec.hpp"

namespace sluice::hbase {

class scanner_lost : public error {
public:
    scanner_lost(std::string what, bool io_error) : error(error_kind::transient, std::move(what)), io_error_(io_error) {}
    bool io_error() const noexcept { return io_error_; }  // IOError or I/O failure: back off before reopening

private:
    bool io_error_;
};

class hbase_client {
public:
    hbase_client(boost::asio::any_io_executor ex, gateway_address addr);

    boost::asio::awaitable<void> connect();
    bool is_open() const noexcept { return conn_.is_open(); }
    void close() noexcept { conn_.close(); }
    const gateway_address& address() const noexcept { return conn_.address(); }

    boost::asio::awaitable<std::vector<std::string>> table_names();
    // Family names without the trailing ':'. Missing table: error naming it.
    boost::asio::awaitable<std::vector<std::string>> families(const std::string& table);
    boost::asio::awaitable<std::vector<wire::TRegionInfo>> regions(const std::string& table);

    boost::asio::awaitable<std::int32_t> open_scanner(const std::string& table, const wire::TScan& scan);
    // Pipelining: request_rows() puts a scannerGetList on the wire; receive_rows()
    // reads the oldest outstanding reply.
    boost::asio::awaitable<void> request_rows(std::int32_t scanner, std::int32_t rows);
    // Fills `rows`, reusing its storage: a scan keeps one vector for all replies,
    // so no reply allocates (and frees) a large block.
    boost::asio::awaitable<void> receive_rows(std::vector<wire::TRowResult>& rows);
    // The same in two steps, so that the next request can go out between them:
    // the raw reply (valid until the next receive) and its decoding.
    boost::asio::awaitable<std::string_view> receive_reply();
    void decode_rows(std::string_view reply, std::vector<wire::TRowResult>& rows);
    // Rows in a scannerGetList reply without decoding it; nullopt for an error reply.
    std::optional<std::uint32_t> peek_row_count(std::string_view reply) { return codec_.peek_list_size(reply); }
    // Best effort: failures are logged, never thrown (the server expires it anyway).
    boost::asio::awaitable<void> close_scanner(std::int32_t scanner) noexcept;

private:
    // Transport failures become scanner_lost for scanner calls, transient errors otherwise.
    [[noreturn]] void connection_failed(const char* method, const boost::system::system_error& e) const;
    boost::asio::awaitable<void> send(const char* method, std::string_view request);
    boost::asio::awaitable<std::string_view> receive(const char* method);
    template <class Send, class Recv>
    boost::asio::awaitable<void> call(const char* method, Send&& send_call, Recv&& recv);
    template <class Recv>
    void decode(const char* method, std::string_view reply, Recv&& recv);

    gateway_connection conn_;
    wire_codec codec_;
};

}  // namespace sluice::hbase
