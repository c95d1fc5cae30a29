#include <doctest/doctest.h>

#include <atomic>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sluice/channel.hpp"

using namespace sluice;
namespace asio = boost::asio;

namespace {
table_schema_ptr one_column() {
    auto s = std::make_shared<table_schema>();
    s->columns = {{"a", value_type::int64, "bigint", true}};
    s->key = {0};
    return s;
}
batch_ptr make_batch(int value) {
    auto b = std::make_unique<batch>(one_column(), 1);
    b->put_int64(value);
    b->end_row();
    return b;
}
}  // namespace

TEST_CASE("close() delivers every buffered batch before the end marker") {
    asio::io_context io;
    batch_channel ch(io.get_executor(), 4, 1 << 20);
    std::vector<std::int64_t> got;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i) co_await ch.send(make_batch(i));
        co_await ch.close();
    }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        while (auto b = co_await ch.receive()) {
            got.push_back(b->at(0, 0).i);
            ch.release(b->byte_size());
        }
    }, asio::detached);
    io.run();
    REQUIRE(got.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(got[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("the byte budget holds senders back until the receiver releases") {
    asio::io_context io;
    const std::size_t one = make_batch(0)->byte_size();
    batch_channel ch(io.get_executor(), 100, one * 2);
    std::atomic<int> sent{0};
    std::size_t max_in_flight = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 10; ++i) {
            co_await ch.send(make_batch(i));
            ++sent;
            max_in_flight = std::max(max_in_flight, ch.bytes_in_flight());
        }
        co_await ch.close();
    }, asio::detached);
    int received = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io);
        while (auto b = co_await ch.receive()) {
            // A slow consumer: the producer must not run ahead past the budget.
            t.expires_after(std::chrono::milliseconds(1));
            co_await t.async_wait(asio::use_awaitable);
            CHECK(sent.load() <= received + 3);
            ++received;
            ch.release(b->byte_size());
        }
    }, asio::detached);
    io.run();
    CHECK(received == 10);
    CHECK(max_in_flight <= one * 2);
}

TEST_CASE("batches received but not released still count against the batch limit") {
    // The writer holds the batches it groups into one transaction until that commits:
    // they must not make room for more, or grouping would raise the memory bound.
    asio::io_context io;
    batch_channel ch(io.get_executor(), 2, 1 << 20);
    int sent = 0;
    std::vector<batch_ptr> holding;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 4; ++i) {
            co_await ch.send(make_batch(i));
            ++sent;
        }
        co_await ch.close();
    }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        holding.push_back(co_await ch.receive());
        auto second = ch.try_receive();
        REQUIRE(second);
        holding.push_back(std::move(*second));
        asio::steady_timer t(io, std::chrono::milliseconds(20));
        co_await t.async_wait(asio::use_awaitable);
        CHECK(sent == 2);  // both received, neither released: the third send waits
        ch.release(holding[0]->byte_size() + holding[1]->byte_size(), 2);
        while (auto b = co_await ch.receive()) ch.release(b->byte_size());
    }, asio::detached);
    io.run();
    CHECK(sent == 4);
}

TEST_CASE("shutdown wakes a sender blocked on a full channel") {
    asio::io_context io;
    batch_channel ch(io.get_executor(), 1, 1 << 20);
    bool threw = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        try {
            for (int i = 0; i < 5; ++i) co_await ch.send(make_batch(i));
        } catch (const std::exception&) {
            threw = true;
        }
    }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io, std::chrono::milliseconds(20));
        co_await t.async_wait(asio::use_awaitable);
        ch.shutdown();
    }, asio::detached);
    io.run();
    CHECK(threw);
}
