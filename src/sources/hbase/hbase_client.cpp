#include "sources/hbase/hbase_client.hpp"

#include <exception>

#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <thrift/TApplicationException.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TTransportException.h>

#include "sources/hbase/message_size.hpp"

namespace sluice::hbase {

namespace asio = boost::asio;

namespace {

// HBase puts whole Java stack traces into exception messages: keep the first line.
std::string first_line(const std::string& s) {
    const auto nl = s.find('\n');
    std::string line = s.substr(0, nl);
    if (line.size() > 300) line = line.substr(0, 300) + "...";
    return line;
}

bool is_scanner_call(const char* method) {
    return std::string_view(method).starts_with("scanner") && std::string_view(method) != "scannerOpenWithScan";
}

}  // namespace

hbase_client::hbase_client(asio::any_io_executor ex, gateway_address addr)
    : conn_(std::move(ex), std::move(addr)),
      codec_(conn_.address().compact, !conn_.address().framed && !conn_.address().http) {}

asio::awaitable<void> hbase_client::connect() {
    try {
        co_await conn_.connect();
    } catch (const boost::system::system_error& e) {
        throw error(error_kind::transient, fmt::format("cannot connect to the HBase Thrift gateway at {}: {}",
                                                       conn_.address().describe(), e.code().message()));
    }
}

template <class Recv>
void hbase_client::decode(const char* method, std::string_view reply, Recv&& recv) {
    const auto where = conn_.address().describe();
    try {
        codec_.reply(method, reply, recv);
    } catch (const wire::IllegalArgument& e) {
        if (is_scanner_call(method))
            throw scanner_lost(fmt::format("{} at {}: IllegalArgument: {}", method, where, first_line(e.message)),
                               false);
        throw error(error_kind::fatal, fmt::format("{} at {} rejected the call: {}", method, where, first_line(e.message)));
    } catch (const wire::IOError& e) {
        if (is_scanner_call(method))
            throw scanner_lost(fmt::format("{} at {}: IOError: {}", method, where, first_line(e.message)), true);
        throw error(error_kind::transient, fmt::format("{} at {} failed: IOError: {}", method, where, first_line(e.message)));
    } catch (const apache::thrift::TApplicationException& e) {
        throw error(error_kind::fatal, fmt::format("{} at {} failed on the server: {}", method, where, e.what()));
    } catch (const apache::thrift::TException& e) {
        // Protocol/transport exceptions while decoding from memory: the bytes are not a valid reply.
        conn_.close();
        throw error(error_kind::fatal, fmt::format("malformed reply to {} from the HBase Thrift gateway at {}: {} "
                                                   "(check transport/protocol settings)",
                                                   method, where, e.what()));
    }
}

void hbase_client::connection_failed(const char* method, const boost::system::system_error& e) const {
    auto what = fmt::format("{}: connection to the HBase Thrift gateway at {} failed: {}", method,
                            conn_.address().describe(), e.code().message());
    // A scan reopens after its last delivered row; any other call is retried by its caller.
    if (is_scanner_call(method)) throw scanner_lost(std::move(what), true);
    throw error(error_kind::transient, what);
}

asio::awaitable<void> hbase_client::send(const char* method, std::string_view request) {
    try {
        co_await conn_.send(request);
    } catch (const boost::system::system_error& e) {
        connection_failed(method, e);
    }
}

asio::awaitable<std::string_view> hbase_client::receive(const char* method) {
    try {
        co_return co_await conn_.receive();
    } catch (const boost::system::system_error& e) {
        connection_failed(method, e);
    } catch (const malformed_message& e) {
        throw error(error_kind::fatal, fmt::format("malformed reply to {} from the HBase Thrift gateway at {}: {}",
                                                   method, conn_.address().describe(), e.what()));
    }
}

template <class Send, class Recv>
asio::awaitable<void> hbase_client::call(const char* method, Send&& send_call, Recv&& recv) {
    const std::string request = codec_.request(send_call);  // a named local, see table_pass.cpp
    co_await send(method, request);
    const std::string_view reply = co_await receive(method);
    decode(method, reply, recv);
}

asio::awaitable<std::vector<std::string>> hbase_client::table_names() {
    std::vector<std::string> names;
    co_await call(
        "getTableNames", [](wire::HbaseClient& c) { c.send_getTableNames(); },
        [&](wire::HbaseClient& c) { c.recv_getTableNames(names); });
    co_return names;
}

asio::awaitable<std::vector<std::string>> hbase_client::families(const std::string& table) {
    std::map<std::string, wire::ColumnDescriptor> descriptors;
    co_await call(
        "getColumnDescriptors", [&](wire::HbaseClient& c) { c.send_getColumnDescriptors(table); },
        [&](wire::HbaseClient& c) { c.recv_getColumnDescriptors(descriptors); });
    std::vector<std::string> out;
    for (const auto& [name, d] : descriptors) out.push_back(name.ends_with(':') ? name.substr(0, name.size() - 1) : name);
    co_return out;
}

asio::awaitable<std::vector<wire::TRegionInfo>> hbase_client::regions(const std::string& table) {
    std::vector<wire::TRegionInfo> out;
    co_await call(
        "getTableRegions", [&](wire::HbaseClient& c) { c.send_getTableRegions(table); },
        [&](wire::HbaseClient& c) { c.recv_getTableRegions(out); });
    co_return out;
}

asio::awaitable<std::int32_t> hbase_client::open_scanner(const std::string& table, const wire::TScan& scan) {
    std::int32_t id = 0;
    const std::map<std::string, std::string> no_attributes;
    co_await call(
        "scannerOpenWithScan", [&](wire::HbaseClient& c) { c.send_scannerOpenWithScan(table, scan, no_attributes); },
        [&](wire::HbaseClient& c) { id = c.recv_scannerOpenWithScan(); });
    co_return id;
}

asio::awaitable<void> hbase_client::request_rows(std::int32_t scanner, std::int32_t rows) {
    const std::string request = codec_.request([&](wire::HbaseClient& c) { c.send_scannerGetList(scanner, rows); });
    co_await send("scannerGetList", request);
}

asio::awaitable<std::string_view> hbase_client::receive_reply() { return receive("scannerGetList"); }

void hbase_client::decode_rows(std::string_view reply, std::vector<wire::TRowResult>& rows) {
    decode("scannerGetList", reply, [&](wire::HbaseClient& c) { c.recv_scannerGetList(rows); });
}

asio::awaitable<void> hbase_client::receive_rows(std::vector<wire::TRowResult>& rows) {
    decode_rows(co_await receive_reply(), rows);
}

asio::awaitable<void> hbase_client::close_scanner(std::int32_t scanner) noexcept {
    std::string failure;
    try {
        if (!conn_.is_open()) co_await connect();
        co_await call(
            "scannerClose", [&](wire::HbaseClient& c) { c.send_scannerClose(scanner); },
            [&](wire::HbaseClient& c) { c.recv_scannerClose(); });
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (!failure.empty()) spdlog::debug("closing HBase scanner {}: {}", scanner, failure);
}

}  // namespace sluice::hbase
