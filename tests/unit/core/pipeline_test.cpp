// run_once on a thread pool, as `sluice once` runs it: several sources whose tables
// stream many small batches at once, one table failing half-way, through one bounded
// channel and the writer into a real SQLite file (written on the destination's own
// thread), and the same through two writer lanes. Every row must land exactly once, with the last cursor, and the failure must
// stay with its table. Also what the ThreadSanitizer build (tests/tsan) watches: sync
// coroutines on pool threads, the channel's byte budget, the serialized destination and
// the SQLite thread handing results back.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <unistd.h>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <sqlite3.h>

#include "sluice/config.hpp"
#include "sluice/error.hpp"
#include "sluice/pipeline.hpp"
#include "sluice/writer_lanes.hpp"

using namespace sluice;
namespace asio = boost::asio;

namespace {

constexpr int tables_per_source = 3;
constexpr int batches_per_table = 40;
constexpr int rows_per_batch = 25;

// Tables t0..t2 of (id int64 key, v string); table "t1" of the source named "bad"
// fails after half its batches.
class fake_source final : public source {
public:
    explicit fake_source(std::string name) : name_(std::move(name)) {}

    asio::awaitable<void> check() override { co_return; }

    asio::awaitable<std::vector<table_schema_ptr>> discover() override {
        std::vector<table_schema_ptr> out;
        for (int t = 0; t < tables_per_source; ++t) {
            auto s = std::make_shared<table_schema>();
            s->source = name_;
            s->table = s->source_table = s->dest_table = "t" + std::to_string(t);
            s->columns = {{"id", value_type::int64, "bigint", false}, {"v", value_type::string, "text", true}};
            s->key = {0};
            s->mode = sync_mode::full;
            out.push_back(s);
        }
        co_return out;
    }

    asio::awaitable<void> sync(table_schema_ptr schema, std::optional<std::string>, batch_sink& sink) override {
        const bool fails = name_ == "bad" && schema->table == "t1";
        for (int n = 0; n < batches_per_table; ++n) {
            if (fails && n == batches_per_table / 2) throw error(error_kind::transient, "source went away");
            auto b = std::make_unique<batch>(schema, rows_per_batch);
            for (int r = 0; r < rows_per_batch; ++r) {
                b->put_int64(n * rows_per_batch + r);
                b->put_text(value_type::string, name_ + "." + schema->table + " row " + std::to_string(r));
                b->end_row();
            }
            b->cursor = "{\"v\":1,\"n\":" + std::to_string(n) + "}";
            co_await sink.send(std::move(b));
            // Let the other tables' coroutines interleave on the pool.
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
    }

private:
    std::string name_;
};

// -1 when the table cannot be read.
std::int64_t count_rows(const std::string& path, const std::string& table) {
    sqlite3* db = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt* st = nullptr;
        const std::string sql = "SELECT count(*) FROM \"" + table + "\"";
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

// `lanes` SQLite files, one per writer lane: each table must land whole in exactly one.
void run_once_through_lanes(std::size_t lanes_wanted) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("sluice-pipeline-test-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(lanes_wanted));
    std::filesystem::create_directories(dir);
    std::vector<std::string> paths;

    asio::thread_pool pool(4);
    std::vector<std::unique_ptr<destination>> dests;
    for (std::size_t i = 0; i < lanes_wanted; ++i) {
        config::destination_config dc;
        dc.type = "sqlite";
        dc.path = (dir / ("dest" + std::to_string(i) + ".db")).string();
        paths.push_back(dc.path);
        dests.push_back(make_destination(dc, pool.get_executor()));
    }
    // A small byte budget: senders wait for the writers, as under load.
    auto lanes = std::make_unique<writer_lanes>(std::move(dests), pool.get_executor(), 4, 64 << 10);
    std::vector<std::unique_ptr<source>> sources;
    const std::vector<std::string> names = {"good", "bad", "other"};
    for (const auto& n : names) sources.push_back(std::make_unique<fake_source>(n));

    std::atomic<std::size_t> started{0};
    auto run = [&]() -> asio::awaitable<std::vector<table_outcome>> {
        co_await lanes->connect();
        const std::function<void(progress_list)> on_started = [&started](progress_list l) { started = l.size(); };
        auto all = run_once(sources, names, *lanes, on_started);
        auto outcomes = co_await std::move(all);
        lanes->close();
        co_return outcomes;
    };
    auto done = asio::co_spawn(pool, run, asio::use_future);
    const auto outcomes = done.get();
    pool.join();
    lanes.reset();  // closes the files on the destinations' own threads and joins them

    CHECK(started == names.size() * tables_per_source);
    REQUIRE(outcomes.size() == names.size() * tables_per_source);
    std::vector<int> tables_in(paths.size(), 0);
    for (const auto& o : outcomes) {
        CAPTURE(o.name);
        const std::string table = o.name.substr(0, o.name.find('.')) + "__" + o.name.substr(o.name.find('.') + 1);
        // The one file that has the table (the others never saw it).
        std::int64_t n = -1;
        for (std::size_t i = 0; i < paths.size(); ++i) {
            const auto here = count_rows(paths[i], table);
            if (here < 0) continue;
            CHECK(n < 0);
            n = here;
            ++tables_in[i];
        }
        if (o.name == "bad.t1") {
            CHECK(o.error.find("source went away") != std::string::npos);
            // Batches still queued when the source failed are dropped; each commits whole.
            CHECK(n >= 0);
            CHECK(n <= batches_per_table / 2 * rows_per_batch);
            CHECK(n % rows_per_batch == 0);
            CHECK(o.rows == static_cast<std::uint64_t>(n));
        } else {
            CHECK(o.error.empty());
            CHECK(o.rows == batches_per_table * rows_per_batch);
            CHECK(o.cursor == "{\"v\":1,\"n\":" + std::to_string(batches_per_table - 1) + "}");
            CHECK(n == batches_per_table * rows_per_batch);
        }
    }
    // Tables are spread over the lanes as evenly as their count allows.
    for (int t : tables_in) {
        CHECK(t >= static_cast<int>(outcomes.size() / paths.size()));
        CHECK(t <= static_cast<int>((outcomes.size() + paths.size() - 1) / paths.size()));
    }
    std::filesystem::remove_all(dir);
}

}  // namespace

TEST_CASE("run_once on a thread pool: every table's rows once, a failing table alone fails") {
    run_once_through_lanes(1);
}

TEST_CASE("run_once with two writer lanes: each table whole through one lane, tables spread evenly") {
    run_once_through_lanes(2);
}
