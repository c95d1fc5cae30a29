// QuestDB source: the page reader against a scripted /exec server holding an
// in-memory table (only the query forms the reader sends are understood): every
// row delivered exactly once and in order, sequential and windowed, with runs
// of equal timestamps longer than a page; resume from the cursor.

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include "sluice/channel.hpp"
#include "sluice/http/client.hpp"
#include "sluice/progress.hpp"
#include "sluice/value.hpp"
#include "sources/questdb/questdb_dialect.hpp"
#include "sources/time_keyset/cursor_state.hpp"
#include "sources/time_keyset/reader.hpp"
#include "loopback_server.hpp"

using namespace sluice;
using namespace sluice::time_keyset;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// Table "t": (ts TIMESTAMP designated, v LONG); rows sorted by ts.
class fake_questdb {
public:
    explicit fake_questdb(std::vector<std::pair<std::int64_t, std::int64_t>> rows) : rows_(std::move(rows)) {
        port = server_.port();
    }
    std::string url() const { return server_.url(); }
    unsigned short port = 0;
    std::atomic<int> pages{0};
    std::atomic<int> group_pages{0};
    // Rows sharing a timestamp come back in a different order on every query
    // (as ORDER BY ts allows); an ORDER BY over every column stays total.
    std::atomic<bool> shuffle_ties{false};
    // Every answer waits this long (a far server); requests being answered at once.
    std::atomic<int> delay_ms{0};
    std::atomic<int> busy{0};
    std::atomic<int> most_busy{0};

private:
    std::string answer(const std::string& sql) {
        static const std::regex lower_re(R"re("ts" >= '([^']+)')re");
        static const std::regex upper_re(R"re("ts" < '([^']+)')re");
        static const std::regex equal_re(R"re("ts" = '([^']+)')re");
        static const std::regex limit_re(R"re(LIMIT (\d+)(?:,(\d+))?)re");
        std::optional<std::int64_t> lo, hi;
        std::smatch m;
        if (std::regex_search(sql, m, lower_re)) lo = parse_timestamp_micros(m[1].str());
        if (std::regex_search(sql, m, upper_re)) hi = parse_timestamp_micros(m[1].str());
        if (std::regex_search(sql, m, equal_re)) {
            lo = parse_timestamp_micros(m[1].str());
            hi = *lo + 1;
        }
        std::vector<std::pair<std::int64_t, std::int64_t>> match;
        for (const auto& r : rows_)
            if ((!lo || r.first >= *lo) && (!hi || r.first < *hi)) match.push_back(r);
        const bool total_order = sql.find("ORDER BY \"ts\", \"v\"") != std::string::npos;
        if (total_order) {
            ++group_pages;
            std::sort(match.begin(), match.end());
        } else if (shuffle_ties) {
            for (std::size_t i = match.size(); i > 1; --i) std::swap(match[i - 1], match[rng_() % i]);
            std::stable_sort(match.begin(), match.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
        }
        const std::string ts_col = R"({"name":"ts","type":"TIMESTAMP"})";
        if (sql.starts_with("SELECT count()"))
            return fmt::format(R"J({{"columns":[{{"name":"count()","type":"LONG"}}],"dataset":[[{}]],"count":1}})J",
                               match.size());
        if (sql.starts_with("SELECT max(") || sql.starts_with("SELECT min(")) {
            const auto v = sql.starts_with("SELECT max(") ? match.back().first : match.front().first;
            return fmt::format(R"({{"columns":[{}],"dataset":[["{}"]],"count":1}})", ts_col,
                               format_timestamp_micros(v));
        }
        ++pages;
        std::size_t a = 0, b = match.size();
        if (std::regex_search(sql, m, limit_re)) {
            if (m[2].matched) {
                a = std::stoul(m[1].str());
                b = std::min<std::size_t>(b, std::stoul(m[2].str()));
            } else {
                b = std::min<std::size_t>(b, std::stoul(m[1].str()));
            }
        }
        std::string data;
        for (std::size_t i = a; i < b; ++i) {
            if (!data.empty()) data += ",";
            data += fmt::format(R"(["{}",{}])", format_timestamp_micros(match[i].first), match[i].second);
        }
        return fmt::format(R"({{"columns":[{},{{"name":"v","type":"LONG"}}],"timestamp":0,"dataset":[{}]}})", ts_col,
                           data);
    }

    asio::awaitable<void> session(tcp::socket s) {
        boost::beast::flat_buffer buf;
        try {
            for (;;) {
                bhttp::request<bhttp::string_body> req;
                co_await bhttp::async_read(s, buf, req, asio::use_awaitable);
                const std::string target(req.target());
                const auto q = target.find("query=");
                const int now_busy = ++busy;
                for (int seen = most_busy; now_busy > seen && !most_busy.compare_exchange_weak(seen, now_busy);) {
                }
                if (const int d = delay_ms; d > 0) {
                    asio::steady_timer pause(s.get_executor(), std::chrono::milliseconds(d));
                    co_await pause.async_wait(asio::use_awaitable);
                }
                const auto body = answer(url_decode(target.substr(q + 6)));
                --busy;
                const auto raw = fmt::format(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{}",
                    body.size(), body);
                co_await asio::async_write(s, asio::buffer(raw), asio::use_awaitable);
            }
        } catch (const std::exception&) {
        }
    }

    std::vector<std::pair<std::int64_t, std::int64_t>> rows_;
    std::mt19937_64 rng_{42};
    test::loopback_server server_{[this](tcp::socket s) { return session(std::move(s)); }};
};

struct run_result {
    std::vector<std::pair<std::int64_t, std::int64_t>> rows;
    std::vector<std::string> cursors;
};

run_result run(const std::string& url, std::size_t batch_size, int in_flight,
               const std::optional<cursor_state>& saved, std::int64_t lookback_ms = 0,
               bool in_flight_configured = false) {
    asio::io_context ioc;
    auto schema = std::make_shared<table_schema>();
    schema->source = "q";
    schema->table = schema->source_table = schema->dest_table = "t";
    schema->columns = {{"ts", value_type::timestamp, "TIMESTAMP", false}, {"v", value_type::int64, "LONG", true}};
    schema->key = {1};
    schema->cursor_column = 0;
    config::table_settings settings;
    settings.batch_size = batch_size;
    settings.max_in_flight = in_flight;
    settings.max_in_flight_configured = in_flight_configured;
    http_client_options o;
    o.base_url = url;
    o.pool_size = static_cast<std::size_t>(settings.in_flight_limit());  // as source_http_options sizes it
    http_client http(ioc.get_executor(), o);
    batch_channel channel(ioc.get_executor(), 100000, std::size_t(1) << 40);
    batch_sink sink(channel, std::make_shared<table_progress>("q.t"));
    settings.lookback = std::chrono::milliseconds(lookback_ms);
    auto dialect = questdb::make_dialect(http, schema, "*", "test");
    read_context ctx{*dialect, http, schema, sink, settings, "test"};
    auto fut = asio::co_spawn(ioc, read_incremental(ctx, saved), asio::use_future);
    ioc.run();
    fut.get();
    run_result out;
    ioc.restart();
    auto drain = [&]() -> asio::awaitable<void> {
        co_await channel.close();
        while (auto b = co_await channel.receive()) {
            for (std::size_t r = 0; r < b->rows(); ++r) out.rows.emplace_back(b->at(r, 0).i, b->at(r, 1).i);
            if (!b->cursor.empty()) out.cursors.push_back(b->cursor);
            channel.release(b->byte_size());
        }
    };
    auto f2 = asio::co_spawn(ioc, drain(), asio::use_future);
    ioc.run();
    f2.get();
    return out;
}

}  // namespace

TEST_CASE("questdb reader: every row once, in order, sequential and windowed, with long equal runs") {
    std::vector<std::pair<std::int64_t, std::int64_t>> rows;
    std::int64_t v = 0;
    for (std::int64_t t = 0; t < 40; ++t) {
        const int run = t % 5 == 0 ? 23 : 1 + static_cast<int>(t % 3);  // runs longer than a page
        for (int i = 0; i < run; ++i) rows.emplace_back(1'700'000'000'000'000 + t * 1'000'000, v++);
    }
    fake_questdb server(rows);
    for (bool shuffled : {false, true}) {
        server.shuffle_ties = shuffled;
        for (int in_flight : {1, 3}) {
            for (std::size_t batch : {std::size_t(1), std::size_t(7), std::size_t(10), std::size_t(1000)}) {
                CAPTURE(shuffled);
                CAPTURE(in_flight);
                CAPTURE(batch);
                const auto r = run(server.url(), batch, in_flight, std::nullopt);
                auto got = r.rows;
                std::sort(got.begin(), got.end());  // ties may come in any order; as a multiset, exact
                CHECK(got == rows);
                REQUIRE_FALSE(r.cursors.empty());
                const auto last = decode_cursor(r.cursors.back());
                REQUIRE(last);
                CHECK(*last->t >= rows.back().first);
                // Cursors only move forward.
                for (std::size_t i = 1; i < r.cursors.size(); ++i)
                    CHECK(*decode_cursor(r.cursors[i - 1])->t <= *decode_cursor(r.cursors[i])->t);
                // Resuming from any delivered cursor reads exactly the rows at or after it.
                for (std::size_t i = 0; i < r.cursors.size(); i += 7) {
                    const auto c = decode_cursor(r.cursors[i]);
                    auto rest = run(server.url(), batch, in_flight, c).rows;
                    std::sort(rest.begin(), rest.end());
                    std::vector<std::pair<std::int64_t, std::int64_t>> want;
                    for (const auto& row : rows)
                        if (row.first >= *c->t) want.push_back(row);
                    CHECK(rest == want);
                }
            }
        }
    }
    CHECK(server.group_pages > 0);  // runs of 23 were read as ordered tie groups
    // Lookback re-reads from t - lookback; the cursor does not move back.
    cursor_state end;
    end.column = "ts";
    end.t = rows.back().first;
    auto again = run(server.url(), 5, 1, end, 2000);
    std::size_t from = 0;
    while (rows[from].first < rows.back().first - 2'000'000) ++from;
    std::sort(again.rows.begin(), again.rows.end());
    CHECK(again.rows == std::vector<std::pair<std::int64_t, std::int64_t>>(rows.begin() + from, rows.end()));
    CHECK(again.cursors.empty());
}

TEST_CASE("questdb reader: unconfigured in-flight requests grow while round trips outlast parsing") {
    // 3,000 rows at 20 rows per page, every answer 15 ms late: a page parses in well under
    // a millisecond, so more requests in flight hide the wait; a configured bound holds.
    std::vector<std::pair<std::int64_t, std::int64_t>> rows;
    for (std::int64_t i = 0; i < 3000; ++i) rows.emplace_back(1'700'000'000'000'000 + i * 1'000'000, i);
    fake_questdb server(rows);
    server.delay_ms = 15;
    const auto adaptive = run(server.url(), 20, 4, std::nullopt);
    CHECK(adaptive.rows == rows);  // every row once, in order
    const int grown = server.most_busy;
    CHECK(grown > 4);
    CHECK(grown <= config::table_settings::adaptive_in_flight_cap);

    server.most_busy = 0;
    const auto bounded = run(server.url(), 20, 4, std::nullopt, 0, true);
    CHECK(bounded.rows == rows);
    CHECK(server.most_busy <= 4);
    CHECK(server.most_busy >= 2);
}

TEST_CASE("in-flight requests: a configured max_in_flight is a fixed bound, unset grows to the cap") {
    config::table_settings unset;
    CHECK_FALSE(unset.max_in_flight_configured);
    CHECK(unset.in_flight_limit() == config::table_settings::adaptive_in_flight_cap);
    config::table_settings set;
    set.max_in_flight = 6;
    set.max_in_flight_configured = true;
    CHECK(set.in_flight_limit() == 6);
    set.max_in_flight = 40;
    CHECK(set.in_flight_limit() == 40);
}
