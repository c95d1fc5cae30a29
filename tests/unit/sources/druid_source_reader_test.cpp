// Druid source: the shared keyset reader with Druid's dialect against a
// scripted POST /druid/v2/sql server holding one in-memory datasource (only
// the query forms sluice sends are understood): every row exactly once,
// sequential and windowed, runs of equal __time longer than a page (streamed
// tie groups, also in several key passes), ties returned in a different order
// on every query, resume from a cursor, truncated pages and streams retried,
// and DELETE on cancellation.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
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
#include <simdjson.h>

#include "sluice/channel.hpp"
#include "sluice/config.hpp"
#include "sluice/error.hpp"
#include "sluice/http/client.hpp"
#include "sluice/progress.hpp"
#include "sluice/reconcile.hpp"
#include "sluice/value.hpp"
#include "sources/druid/druid_dialect.hpp"
#include "sources/druid/druid_source.hpp"
#include "sources/druid/sql_client.hpp"
#include "sources/time_keyset/cursor_state.hpp"
#include "sources/time_keyset/reader.hpp"
#include "loopback_server.hpp"

using namespace sluice;
using namespace sluice::time_keyset;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

using row = std::pair<std::int64_t, std::int64_t>;  // (__time µs, v)

std::string iso_ms(std::int64_t micros) {
    auto s = format_timestamp_micros(micros);  // ...SS.ffffffZ
    return s.substr(0, s.size() - 4) + "Z";
}

// Datasource druid."t": (__time TIMESTAMP, v BIGINT), rows sorted by __time.
class fake_druid {
public:
    explicit fake_druid(std::vector<row> rows) : rows_(std::move(rows)) { port = server_.port(); }
    std::string url() const { return server_.url(); }

    unsigned short port = 0;
    std::atomic<int> pages{0};
    std::atomic<int> group_queries{0};   // streamed tie groups (WHERE __time = ...)
    std::atomic<int> truncate_every{0};  // every n-th page or stream body is cut short
    std::atomic<bool> shuffle_ties{false};  // ties on __time in a new order on every query
    std::atomic<bool> saw_offset{false};
    std::atomic<bool> hang_pages{false};
    std::atomic<bool> reject{false};  // answer 400 with a druidException body
    std::mutex mutex;
    std::vector<std::string> hung_ids, deleted_ids;
    std::set<std::string> seen_ids;
    std::atomic<int> duplicate_ids{0};
    int summaries = 0;          // guarded by mutex
    std::string last_summary;  // guarded by mutex

private:
    std::string answer(const std::string& sql, bool lines) {
        static const std::regex lower_re(R"re("__time" >= TIMESTAMP '([^']+)')re");
        static const std::regex upper_re(R"re("__time" < TIMESTAMP '([^']+)')re");
        static const std::regex equal_re(R"re("__time" = TIMESTAMP '([^']+)')re");
        static const std::regex limit_re(R"re(LIMIT (\d+))re");
        if (sql.find("OFFSET") != std::string::npos) saw_offset = true;
        std::optional<std::int64_t> lo, hi;
        std::smatch m;
        if (std::regex_search(sql, m, lower_re)) lo = parse_timestamp_micros(m[1].str());
        if (std::regex_search(sql, m, upper_re)) hi = parse_timestamp_micros(m[1].str());
        const bool group = std::regex_search(sql, m, equal_re);
        if (group) {
            lo = parse_timestamp_micros(m[1].str());
            hi = *lo + 1000;
        }
        std::vector<row> match;
        for (const auto& r : rows_)
            if ((!lo || r.first >= *lo) && (!hi || r.first < *hi)) match.push_back(r);
        if (shuffle_ties) {
            const std::lock_guard lock(mutex);
            for (std::size_t i = match.size(); i > 1; --i) std::swap(match[i - 1], match[rng_() % i]);
            std::stable_sort(match.begin(), match.end(), [](const row& a, const row& b) { return a.first < b.first; });
        }
        if (sql.find(" GROUP BY 1 ORDER BY 1") != std::string::npos) {
            // Reconcile's summary: computed here with C++'s truncating % and /,
            // which is what Druid's MOD and BIGINT division do.
            static const std::regex width_re(R"re(\) / (\d+), COUNT\(\*\), SUM\()re");
            {
                const std::lock_guard lock(mutex);
                ++summaries;
                last_summary = sql;
            }
            REQUIRE(std::regex_search(sql, m, width_re));
            const std::int64_t w = std::stoll(m[1].str());
            const std::int64_t P = fingerprint_modulus;
            std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> buckets;
            for (const auto& r : match) {
                const std::int64_t ms = r.first / 1000;
                auto& b = buckets[(ms - ((ms % w) + w) % w) / w];
                ++b.first;
                b.second += ms % P + r.second % P;
            }
            std::string body = R"([["EXPR$0","EXPR$1","EXPR$2"],["BIGINT","BIGINT","BIGINT"])";
            for (const auto& [k, v] : buckets) body += fmt::format(",[{},{},{}]", k, v.first, v.second);
            return body + "]\n";
        }
        if (sql.starts_with("SELECT COUNT(*)"))
            return fmt::format(R"([["EXPR$0"],["BIGINT"],[{}]])" "\n", match.size());
        if (sql.starts_with("SELECT MAX(") || sql.starts_with("SELECT MIN(")) {
            const auto v = sql.starts_with("SELECT MAX(") ? match.back().first : match.front().first;
            return fmt::format(R"([["EXPR$0"],["TIMESTAMP"],["{}"]])" "\n", iso_ms(v));
        }
        REQUIRE(sql.starts_with("SELECT \"__time\", \"v\" FROM \"druid\".\"t\""));
        const int page = ++pages;
        if (group) ++group_queries;
        std::size_t b = match.size();
        if (std::regex_search(sql, m, limit_re)) b = std::min<std::size_t>(b, std::stoul(m[1].str()));
        std::string body;
        if (lines) {
            REQUIRE(group);  // only tie groups are streamed
            body = "[\"__time\",\"v\"]\n[\"TIMESTAMP\",\"BIGINT\"]\n";
            for (std::size_t i = 0; i < b; ++i) body += fmt::format("[\"{}\",{}]\n", iso_ms(match[i].first), match[i].second);
            body += "\n";
        } else {
            body = R"([["__time","v"],["TIMESTAMP","BIGINT"])";
            for (std::size_t i = 0; i < b; ++i) body += fmt::format(R"(,["{}",{}])", iso_ms(match[i].first), match[i].second);
            body += "]\n";
        }
        if (truncate_every > 0 && page % truncate_every == 0) body.resize(body.size() - 2);  // cut after a row
        return body;
    }

    asio::awaitable<void> session(tcp::socket s) {
        boost::beast::flat_buffer buf;
        try {
            for (;;) {
                bhttp::request<bhttp::string_body> req;
                co_await bhttp::async_read(s, buf, req, asio::use_awaitable);
                std::string body;
                unsigned status = 200;
                if (req.method() == bhttp::verb::delete_) {
                    const std::string target(req.target());
                    const std::lock_guard lock(mutex);
                    deleted_ids.push_back(target.substr(target.rfind('/') + 1));
                    status = 202;
                } else if (reject) {
                    status = 400;
                    body = R"({"error":"druidException","errorCode":"invalidInput","persona":"USER",)"
                           R"("category":"INVALID_INPUT","errorMessage":"Column 'v' not found in any table",)"
                           R"("context":{"sourceType":"sql","line":"1","column":"17"}})";
                } else {
                    simdjson::dom::parser p;
                    simdjson::dom::element doc = p.parse(req.body());
                    const std::string sql{std::string_view(doc["query"])};
                    const bool lines = std::string_view(doc["resultFormat"]) == "arrayLines";
                    const std::string id{std::string_view(doc["context"]["sqlQueryId"])};
                    {
                        const std::lock_guard lock(mutex);
                        if (!seen_ids.insert(id).second) ++duplicate_ids;
                    }
                    const bool page = sql.find("ORDER BY") != std::string::npos;
                    if (page && hang_pages) {
                        {
                            const std::lock_guard lock(mutex);
                            hung_ids.push_back(id);
                        }
                        asio::steady_timer t(s.get_executor(), std::chrono::seconds(3));
                        co_await t.async_wait(asio::use_awaitable);
                    }
                    body = answer(sql, lines);
                }
                const auto raw = fmt::format(
                    "HTTP/1.1 {} OK\r\nContent-Type: application/json\r\nX-Druid-SQL-Header-Included: yes\r\n"
                    "Content-Length: {}\r\n\r\n{}",
                    status, body.size(), body);
                co_await asio::async_write(s, asio::buffer(raw), asio::use_awaitable);
            }
        } catch (const std::exception&) {
        }
    }

    std::vector<row> rows_;
    std::mt19937_64 rng_{7};  // guarded by mutex
    test::loopback_server server_{[this](tcp::socket s) { return session(std::move(s)); }};
};

struct run_result {
    std::vector<row> rows;
    std::vector<std::string> keys;
    std::vector<std::string> cursors;
    std::optional<std::int64_t> soft_delete;
    std::exception_ptr error;
};

table_schema_ptr druid_schema(bool synthetic) {
    auto schema = std::make_shared<table_schema>();
    schema->source = "d";
    schema->table = schema->source_table = schema->dest_table = "t";
    schema->columns = {{"__time", value_type::timestamp, "TIMESTAMP", false}, {"v", value_type::int64, "BIGINT", true}};
    schema->key = {1};
    schema->cursor_column = 0;
    if (synthetic) {
        schema->columns.push_back({"_sluice_key", value_type::string, "sluice synthetic key", false});
        schema->key = {2};
        schema->synthetic_key = true;
    }
    return schema;
}

struct run_options {
    bool synthetic = false;
    bool cancel_soon = false;
    bool full = false;
    std::size_t key_budget = default_group_key_budget;
};

run_result run(fake_druid& server, std::size_t batch_size, int in_flight, const std::optional<cursor_state>& saved,
               run_options opt = {}) {
    const bool synthetic = opt.synthetic, cancel_soon = opt.cancel_soon, full = opt.full;
    asio::io_context ioc;
    const auto schema = druid_schema(synthetic);
    http_client_options o;
    o.base_url = server.url();
    o.retry.initial = std::chrono::milliseconds(1);
    o.pool_size = 8;
    http_client http(ioc.get_executor(), o);
    druid::sql_client client(http, {}, "d");
    batch_channel channel(ioc.get_executor(), 100000, std::size_t(1) << 40);
    batch_sink sink(channel, std::make_shared<table_progress>("d.t"));
    config::table_settings settings;
    settings.batch_size = batch_size;
    settings.max_in_flight = in_flight;
    auto dialect = druid::make_dialect(client, schema, druid::table_ref{"druid", "t"}, "test");
    read_context ctx{*dialect, http, schema, sink, settings, "test", opt.key_budget};
    asio::cancellation_signal cancel;
    run_result out;
    auto fut = asio::co_spawn(ioc, full ? read_full(ctx, std::size_t(0)) : read_incremental(ctx, saved),
                              asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
    std::optional<asio::steady_timer> t;
    if (cancel_soon) {
        t.emplace(ioc, std::chrono::milliseconds(300));
        t->async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
    }
    ioc.run();
    try {
        fut.get();
    } catch (...) {
        out.error = std::current_exception();
    }
    ioc.restart();
    auto drain = [&]() -> asio::awaitable<void> {
        co_await channel.close();
        while (auto b = co_await channel.receive()) {
            for (std::size_t r = 0; r < b->rows(); ++r) {
                out.rows.emplace_back(b->at(r, 0).i, b->at(r, 1).i);
                if (synthetic) out.keys.emplace_back(b->at(r, 2).s);
            }
            if (!b->cursor.empty()) out.cursors.push_back(b->cursor);
            if (b->soft_delete_unseen_before) out.soft_delete = b->soft_delete_unseen_before;
            channel.release(b->byte_size());
        }
    };
    auto f2 = asio::co_spawn(ioc, drain(), asio::use_future);
    ioc.run();
    f2.get();
    return out;
}

std::vector<row> table_rows() {
    std::vector<row> rows;
    std::int64_t v = 0;
    // Millisecond steps: a reader that rounded to seconds would loop or skip.
    for (std::int64_t t = 0; t < 40; ++t) {
        const int run = t % 5 == 0 ? 23 : 1 + static_cast<int>(t % 3);  // runs longer than a page
        for (int i = 0; i < run; ++i) rows.emplace_back(1'700'000'000'000'000 + t * 1000, v++);
    }
    return rows;
}

// Reconcile through the source interface (make_druid_source): the table's
// config as a sync would have it, against the scripted server.
config::source_config source_cfg(const fake_druid& server, std::size_t batch_size) {
    config::source_config cfg;
    cfg.name = "d";
    cfg.type = "druid";
    cfg.url = server.url();
    cfg.schema = "druid";
    cfg.settings.batch_size = batch_size;
    cfg.settings.max_in_flight = 1;
    return cfg;
}

struct reread_result {
    std::vector<row> rows;
    std::vector<std::string> keys;
    std::size_t batches_with_cursor = 0;
    std::uint64_t rows_read = 0;
    std::exception_ptr error;
};

reread_result reread_via_source(fake_druid& server, std::size_t batch_size, bool synthetic, std::int64_t lo_ms,
                                std::int64_t hi_ms) {
    asio::io_context ioc;
    const auto schema = druid_schema(synthetic);
    auto src = make_druid_source(source_cfg(server, batch_size), ioc.get_executor());
    batch_channel channel(ioc.get_executor(), 100000, std::size_t(1) << 40);
    const auto progress = std::make_shared<table_progress>("d.t");
    batch_sink sink(channel, progress);
    reread_result out;
    auto fut = asio::co_spawn(ioc, src->reread(schema, lo_ms, hi_ms, sink), asio::use_future);
    ioc.run();
    try {
        fut.get();
    } catch (...) {
        out.error = std::current_exception();
    }
    ioc.restart();
    auto drain = [&]() -> asio::awaitable<void> {
        co_await channel.close();
        while (auto b = co_await channel.receive()) {
            for (std::size_t r = 0; r < b->rows(); ++r) {
                out.rows.emplace_back(b->at(r, 0).i, b->at(r, 1).i);
                if (synthetic) out.keys.emplace_back(b->at(r, 2).s);
            }
            if (!b->cursor.empty()) ++out.batches_with_cursor;
            channel.release(b->byte_size());
        }
    };
    auto f2 = asio::co_spawn(ioc, drain(), asio::use_future);
    ioc.run();
    f2.get();
    out.rows_read = progress->rows_read.load();
    return out;
}

std::vector<bucket_stats> summarize_via_source(fake_druid& server, const bucket_query& q) {
    asio::io_context ioc;
    auto src = make_druid_source(source_cfg(server, 100), ioc.get_executor());
    auto fut = asio::co_spawn(ioc, src->summarize(druid_schema(true), q), asio::use_future);
    ioc.run();
    return fut.get();
}

}  // namespace

std::vector<row> sorted(std::vector<row> rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
}

TEST_CASE("druid reader: every row exactly once, sequential and windowed, ties in any order") {
    const auto rows = table_rows();
    fake_druid server(rows);
    for (bool shuffled : {false, true}) {
        server.shuffle_ties = shuffled;
        for (int in_flight : {1, 3}) {
            for (std::size_t batch : {std::size_t(1), std::size_t(7), std::size_t(10), std::size_t(1000)}) {
                CAPTURE(shuffled);
                CAPTURE(in_flight);
                CAPTURE(batch);
                const auto r = run(server, batch, in_flight, std::nullopt);
                REQUIRE_FALSE(r.error);
                CHECK(sorted(r.rows) == rows);  // a multiset: ties may come in any order
                REQUIRE_FALSE(r.cursors.empty());
                const auto last = decode_cursor(r.cursors.back());
                REQUIRE(last);
                CHECK(last->column == "__time");
                CHECK(*last->t >= rows.back().first);
                for (std::size_t i = 1; i < r.cursors.size(); ++i)
                    CHECK(*decode_cursor(r.cursors[i - 1])->t <= *decode_cursor(r.cursors[i])->t);
                // Resuming from any delivered cursor reads exactly the rows at or after it.
                for (std::size_t i = 0; i < r.cursors.size(); i += 7) {
                    const auto c = decode_cursor(r.cursors[i]);
                    std::vector<row> want;
                    for (const auto& x : rows)
                        if (x.first >= *c->t) want.push_back(x);
                    const auto rest = run(server, batch, in_flight, c);
                    CHECK(sorted(rest.rows) == want);
                }
            }
        }
    }
    CHECK(server.group_queries > 0);  // runs of 23 at batch 1/7/10 were streamed as tie groups
    CHECK_FALSE(server.saw_offset);    // never a position inside a run of ties
    CHECK(server.duplicate_ids == 0);  // a fresh sqlQueryId per query
}

// Key of every delivered row, as (time, v) → keys (identical rows share (t, v)).
std::map<row, std::multiset<std::string>> keys_by_row(const run_result& r) {
    std::map<row, std::multiset<std::string>> out;
    for (std::size_t i = 0; i < r.rows.size(); ++i) out[r.rows[i]].insert(r.keys[i]);
    return out;
}

TEST_CASE("druid reader: synthetic keys of identical rows are distinct and stable, in any tie order") {
    std::vector<row> rows;
    for (std::int64_t t = 0; t < 6; ++t)
        for (int i = 0; i < 9; ++i) rows.emplace_back(1'600'000'000'000'000 + t * 1000, i % 2);  // rolled-up twins
    fake_druid server(rows);
    const auto all = run(server, 4, 1, std::nullopt, {.synthetic = true});
    REQUIRE(sorted(all.rows) == sorted(rows));
    CHECK(std::set<std::string>(all.keys.begin(), all.keys.end()).size() == rows.size());
    server.shuffle_ties = true;
    for (std::size_t batch : {std::size_t(4), std::size_t(5), std::size_t(100)}) {
        CAPTURE(batch);
        // Read again in other orders and page sizes: the same keys for the same rows.
        const auto again = run(server, batch, 1, std::nullopt, {.synthetic = true});
        CHECK(keys_by_row(again) == keys_by_row(all));
        // A resume reads the group at its cursor again whole: the same keys again.
        const auto c = decode_cursor(all.cursors[1]);
        const auto rest = run(server, batch, 1, c, {.synthetic = true});
        REQUIRE_FALSE(rest.rows.empty());
        for (const auto& [r, keys] : keys_by_row(rest)) CHECK(keys == keys_by_row(all).at(r));
    }
}

TEST_CASE("druid reader: a tie group larger than the key budget is read in passes with the same keys") {
    std::vector<row> rows;
    for (int i = 0; i < 300; ++i) rows.emplace_back(1'600'000'000'000'000, i % 37);  // one __time, twins
    for (int i = 0; i < 10; ++i) rows.emplace_back(1'600'000'000'001'000, i);
    fake_druid server(rows);
    server.shuffle_ties = true;
    const auto one = run(server, 50, 1, std::nullopt, {.synthetic = true});
    REQUIRE_FALSE(one.error);
    CHECK(sorted(one.rows) == sorted(rows));
    const int streams_before = server.group_queries;
    const auto passes = run(server, 50, 1, std::nullopt, {.synthetic = true, .key_budget = 64});
    REQUIRE_FALSE(passes.error);
    CHECK(sorted(passes.rows) == sorted(rows));
    CHECK(server.group_queries - streams_before == 5);  // ceil(300 / 64) passes over the group
    CHECK(keys_by_row(passes) == keys_by_row(one));
    CHECK(std::set<std::string>(passes.keys.begin(), passes.keys.end()).size() == rows.size());
}

TEST_CASE("druid reader: truncated pages and streams are asked again, never delivered short") {
    const auto rows = table_rows();
    fake_druid server(rows);
    server.shuffle_ties = true;
    for (int every : {2, 3}) {
        server.truncate_every = every;
        for (std::size_t batch : {std::size_t(10), std::size_t(1000)}) {
            const auto r = run(server, batch, 1, std::nullopt, {.synthetic = true});
            REQUIRE_FALSE(r.error);
            CHECK(sorted(r.rows).size() >= rows.size());
            // A stream cut after some rows were handed on is read again whole:
            // those rows come twice, with the same keys (the destination upserts).
            std::map<std::string, row> by_key;
            for (std::size_t i = 0; i < r.rows.size(); ++i) {
                const auto [it, fresh] = by_key.emplace(r.keys[i], r.rows[i]);
                CHECK(it->second == r.rows[i]);
            }
            std::vector<row> distinct;
            for (const auto& [k, v] : by_key) distinct.push_back(v);
            CHECK(sorted(distinct) == rows);
        }
    }
}

TEST_CASE("druid reader: runs longer than maxRowsQueuedForOrdering need no ordering at all") {
    // A run far longer than a page is one unordered scan (WHERE __time = ...),
    // so Druid's time-ordering cap no longer limits how many rows share a __time.
    std::vector<row> rows;
    for (int i = 0; i < 5000; ++i) rows.emplace_back(1'700'000'000'000'000, i);
    for (int i = 0; i < 5; ++i) rows.emplace_back(1'700'000'000'001'000 + i * 1000, 5000 + i);
    fake_druid server(rows);
    server.shuffle_ties = true;
    const auto r = run(server, 100, 1, std::nullopt);
    REQUIRE_FALSE(r.error);
    CHECK(sorted(r.rows) == rows);
    CHECK(server.group_queries == 1);
    CHECK_FALSE(server.saw_offset);
}

TEST_CASE("druid reader: a cancelled read sends DELETE /druid/v2/sql/{sqlQueryId}") {
    fake_druid server(table_rows());
    server.hang_pages = true;
    for (int in_flight : {1, 3}) {
        {
            const std::lock_guard lock(server.mutex);
            server.hung_ids.clear();
            server.deleted_ids.clear();
        }
        const auto r = run(server, 5, in_flight, std::nullopt, {.cancel_soon = true});
        REQUIRE(r.error);
        CHECK(r.rows.empty());
        const std::lock_guard lock(server.mutex);
        REQUIRE_FALSE(server.hung_ids.empty());
        CAPTURE(fmt::format("hung {} deleted {}", fmt::join(server.hung_ids, ","), fmt::join(server.deleted_ids, ",")));
        // Every query still running at the server was cancelled, by its own id.
        CHECK(std::set<std::string>(server.deleted_ids.begin(), server.deleted_ids.end()) ==
              std::set<std::string>(server.hung_ids.begin(), server.hung_ids.end()));
    }
}

TEST_CASE("druid reader: full mode pages on __time from the start, then soft-deletes") {
    const auto rows = table_rows();
    fake_druid server(rows);
    for (std::size_t batch : {std::size_t(7), std::size_t(1000)}) {
        const auto r = run(server, batch, 1, std::nullopt, {.synthetic = true, .full = true});
        REQUIRE_FALSE(r.error);
        CHECK(sorted(r.rows) == rows);
        CHECK(std::set<std::string>(r.keys.begin(), r.keys.end()).size() == rows.size());
        REQUIRE(r.cursors.size() == 1);  // only the end of the pass moves the cursor
        const auto c = decode_cursor(r.cursors[0]);
        REQUIRE(c);
        CHECK(c->full);
        CHECK(c->done);
        CHECK(r.soft_delete);
    }
}

TEST_CASE("druid reader: a rejected query fails at once with Druid's message") {
    fake_druid server(table_rows());
    server.reject = true;
    const auto r = run(server, 10, 1, std::nullopt);
    REQUIRE(r.error);
    try {
        std::rethrow_exception(r.error);
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::fatal);
        const std::string what = e.what();
        CHECK(what.find("HTTP 400") != std::string::npos);
        CHECK(what.find("invalidInput: Column 'v' not found in any table (line 1, column 17)") != std::string::npos);
        CHECK(what.find("druidException") == std::string::npos);
    }
    CHECK(server.pages == 0);
}

TEST_CASE("druid reconcile: can_reconcile only for incremental tables on a timestamp cursor") {
    asio::io_context ioc;
    fake_druid server(table_rows());
    auto src = make_druid_source(source_cfg(server, 10), ioc.get_executor());
    auto s = std::make_shared<table_schema>(*druid_schema(true));
    s->mode = sync_mode::incremental;
    CHECK(src->can_reconcile(*s));
    s->mode = sync_mode::full;
    CHECK_FALSE(src->can_reconcile(*s));
    s->mode = sync_mode::incremental;
    s->cursor_column = 1;  // a BIGINT cursor
    CHECK_FALSE(src->can_reconcile(*s));
    s->cursor_column.reset();
    CHECK_FALSE(src->can_reconcile(*s));
}

TEST_CASE("druid reconcile: reread delivers every row of [lo, hi) once, with a sync's keys and no cursor") {
    const auto rows = table_rows();  // 40 ms from base, runs of 23 rows on one ms
    fake_druid server(rows);
    const std::int64_t base_ms = rows.front().first / 1000;
    for (std::size_t batch : {std::size_t(1), std::size_t(7), std::size_t(10), std::size_t(1000)}) {
        CAPTURE(batch);
        const auto all = run(server, batch, 1, std::nullopt, {.synthetic = true});  // a normal sync: the reference keys
        REQUIRE_FALSE(all.error);
        REQUIRE(all.rows == rows);
        // A pair, not a structured binding: clang 14 cannot capture one (CAPTURE is a lambda).
        for (const auto& range : std::vector<std::pair<std::int64_t, std::int64_t>>{
                 {0, 40}, {5, 6}, {3, 17}, {10, 11}, {39, 100}, {-10, 0}, {12, 12}, {-1000, 1000}}) {
            const std::int64_t a = range.first, b = range.second;
            CAPTURE(a);
            CAPTURE(b);
            const auto r = reread_via_source(server, batch, true, base_ms + a, base_ms + b);
            REQUIRE_FALSE(r.error);
            std::vector<row> want;
            std::vector<std::string> want_keys;
            for (std::size_t i = 0; i < rows.size(); ++i)
                if (rows[i].first >= (base_ms + a) * 1000 && rows[i].first < (base_ms + b) * 1000) {
                    want.push_back(rows[i]);
                    want_keys.push_back(all.keys[i]);
                }
            CHECK(r.rows == want);
            CHECK(r.keys == want_keys);
            CHECK(r.batches_with_cursor == 0);
            CHECK(r.rows_read == want.size());
        }
    }
    // A declared key: the rows themselves, no synthetic column.
    const auto r = reread_via_source(server, 4, false, base_ms + 4, base_ms + 6);
    REQUIRE_FALSE(r.error);
    std::vector<row> want;
    for (const auto& x : rows)
        if (x.first >= (base_ms + 4) * 1000 && x.first < (base_ms + 6) * 1000) want.push_back(x);
    CHECK(r.rows == want);
    CHECK(r.batches_with_cursor == 0);
}

TEST_CASE("druid reconcile: summarize sends one GROUP BY query and parses its integers exactly") {
    // Before and after 1970: floor buckets, truncating MOD on negative instants.
    std::vector<row> rows;
    for (std::int64_t i = -25; i < 25; ++i) rows.emplace_back(i * 7'777'000, i * 1'000'000'000'007);
    fake_druid server(rows);
    for (const std::int64_t width : {std::int64_t(1000), std::int64_t(60'000), std::int64_t(86'400'000)}) {
        for (const std::optional<std::int64_t> lo : {std::optional<std::int64_t>(), std::optional<std::int64_t>(-50'000)}) {
            CAPTURE(width);
            bucket_query q;
            q.time_column = 0;
            q.int_columns = {1};
            q.lo_ms = lo;
            q.hi_ms = 100'000;
            q.width_ms = width;
            const auto got = summarize_via_source(server, q);
            std::map<std::int64_t, bucket_stats> want;
            for (const auto& [t, v] : rows) {
                const std::int64_t ms = t / 1000;
                if ((lo && ms < *lo) || ms >= q.hi_ms) continue;
                const std::int64_t bucket = ms >= 0 ? ms / width : -((-ms + width - 1) / width);
                auto& b = want[bucket];
                b.bucket = bucket;
                ++b.rows;
                b.fingerprint += ms % fingerprint_modulus + v % fingerprint_modulus;
            }
            std::vector<bucket_stats> expect;
            for (const auto& [k, b] : want) expect.push_back(b);
            CHECK(got == expect);
            const std::lock_guard lock(server.mutex);
            CHECK(server.last_summary.find("SUM(MOD(TIMESTAMP_TO_MILLIS(\"__time\"), 1000003) + "
                                           "MOD(COALESCE(\"v\", 0), 1000003))") != std::string::npos);
            CHECK(server.last_summary.find("\"__time\" < TIMESTAMP '1970-01-01 00:01:40.000'") != std::string::npos);
            CHECK((server.last_summary.find("\"__time\" >= TIMESTAMP '1969-12-31 23:59:10.000'") !=
                   std::string::npos) == lo.has_value());
        }
    }
    {
        const std::lock_guard lock(server.mutex);
        CHECK(server.summaries == 6);
    }
    CHECK(server.pages == 0);
}
