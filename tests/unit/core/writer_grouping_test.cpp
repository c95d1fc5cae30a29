// The writer commits the batches of one table that are already queued in one
// transaction (destination.batch_rows / batch_bytes), skipping over other
// tables' batches but never reordering one table's: not across schema versions
// or soft-delete sweeps, never past a flush barrier, never more rows than the
// limit, and without waiting for more.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sluice/channel.hpp"
#include "sluice/destination.hpp"
#include "sluice/pipeline.hpp"
#include "sluice/progress.hpp"
#include "recording_destination.hpp"

using namespace sluice;
using sluice::testing::recording_destination;
namespace asio = boost::asio;

namespace {

table_schema_ptr table(const std::string& name) {
    auto s = std::make_shared<table_schema>();
    s->source = "src";
    s->table = name;
    s->columns = {{"id", value_type::int64, "bigint", false}, {"v", value_type::string, "text", true}};
    s->key = {0};
    return s;
}

batch_ptr rows(const table_schema_ptr& s, const std::shared_ptr<table_progress>& p, std::int64_t first, int n,
               const std::string& cursor) {
    auto b = std::make_unique<batch>(s);
    for (int i = 0; i < n; ++i) {
        b->put_int64(first + i);
        b->put_text(value_type::string, "value " + std::to_string(first + i));
        b->end_row();
    }
    b->cursor = cursor;
    b->progress = p;
    return b;
}

std::vector<std::int64_t> range(std::int64_t first, int n) {
    std::vector<std::int64_t> out;
    for (int i = 0; i < n; ++i) out.push_back(first + i);
    return out;
}

}  // namespace

TEST_CASE("writer: queued batches of one table share a transaction up to batch_rows") {
    asio::io_context io;
    batch_channel ch(io.get_executor(), 64, 64 << 20);
    recording_destination dest;
    auto a = table("a"), b = table("b"), a_v2 = table("a");  // a_v2: the same table after a schema change
    auto pa = std::make_shared<table_progress>("src.a"), pb = std::make_shared<table_progress>("src.b");
    int barrier_calls = 0;
    std::vector<int> completed;  // after_write order of the first four batches

    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        // Everything is queued before the writer starts, as when it falls behind.
        for (int i = 0; i < 4; ++i) {
            auto x = rows(a, pa, i * 10, 10, "c" + std::to_string(i));
            x->after_write = [&completed, i] { completed.push_back(i); };
            co_await ch.send(std::move(x));
        }
        co_await ch.send(rows(a, pa, 100, 30, "c4"));      // would pass 50 rows: a new transaction
        co_await ch.send(rows(b, pb, 200, 5, "b0"));       // another table: skipped over, written next
        co_await ch.send(rows(a, pa, 300, 5, "c5"));
        auto barrier = std::make_unique<batch>(a);         // a flush barrier ends the group
        barrier->progress = pa;
        barrier->after_write = [&barrier_calls] { ++barrier_calls; };
        co_await ch.send(std::move(barrier));
        co_await ch.send(rows(a, pa, 400, 5, "c6"));
        co_await ch.send(rows(a_v2, pa, 500, 5, "c7"));    // another schema version
        auto sweep = rows(a_v2, pa, 600, 5, "c8");         // a sweep commits alone
        sweep->soft_delete_unseen_before = 1;
        co_await ch.send(std::move(sweep));
        co_await ch.send(rows(a_v2, pa, 700, 5, "c9"));
        co_await ch.send(rows(a_v2, pa, 800, 0, "c10"));  // a cursor-only batch joins
        co_await ch.close();
        co_await run_writer(ch, dest, {}, writer_limits{50, 64 << 20});
    }, asio::detached);
    io.run();

    REQUIRE(dest.writes.size() == 7);
    CHECK(dest.writes[0].ids == [] {
        std::vector<std::int64_t> v;
        for (int i = 0; i < 4; ++i)
            for (auto x : range(i * 10, 10)) v.push_back(x);
        return v;
    }());
    CHECK(dest.writes[0].cursor == "c3");
    // Table b's batch waits: a's next batches join past it, up to the barrier.
    CHECK(dest.writes[1].ids == [] {
        auto v = range(100, 30);
        for (auto x : range(300, 5)) v.push_back(x);
        return v;
    }());
    CHECK(dest.writes[1].cursor == "c5");
    CHECK(dest.writes[2].table == "b");
    CHECK(dest.writes[3].ids == range(400, 5));
    CHECK(dest.writes[3].cursor == "c6");
    CHECK(dest.writes[4].ids == range(500, 5));
    CHECK(dest.writes[5].ids == range(600, 5));
    CHECK(dest.writes[5].sweep);
    CHECK(dest.writes[6].ids == range(700, 5));
    CHECK(dest.writes[6].cursor == "c10");
    CHECK(completed == std::vector<int>{0, 1, 2, 3});
    CHECK(barrier_calls == 1);
    CHECK(ch.bytes_in_flight() == 0);  // every grouped batch's bytes were released
}

TEST_CASE("writer: a batch larger than batch_rows still goes, alone") {
    asio::io_context io;
    batch_channel ch(io.get_executor(), 8, 64 << 20);
    recording_destination dest;
    auto a = table("a");
    auto pa = std::make_shared<table_progress>("src.a");
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        co_await ch.send(rows(a, pa, 0, 20, "c0"));
        co_await ch.send(rows(a, pa, 20, 1, "c1"));
        co_await ch.close();
        co_await run_writer(ch, dest, {}, writer_limits{10, 64 << 20});
    }, asio::detached);
    io.run();
    REQUIRE(dest.writes.size() == 2);
    CHECK(dest.writes[0].ids == range(0, 20));
    CHECK(dest.writes[1].ids == range(20, 1));
}
