// Which writer lane a table goes through (destination.writers): fixed once
// given, shared by tables that write the same destination table, new tables to
// the lane with the fewest.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "recording_destination.hpp"
#include "sluice/writer_lanes.hpp"

using namespace sluice;
namespace asio = boost::asio;

namespace {

table_schema named(const std::string& source, const std::string& table, const std::string& dest_table = {}) {
    table_schema s;
    s.source = source;
    s.table = table;
    s.dest_table = dest_table;
    return s;
}

std::unique_ptr<writer_lanes> lanes_of(asio::io_context& io, std::size_t n) {
    std::vector<std::unique_ptr<destination>> dests;
    for (std::size_t i = 0; i < n; ++i) dests.push_back(std::make_unique<testing::recording_destination>());
    return std::make_unique<writer_lanes>(std::move(dests), io.get_executor(), 8, 1 << 20);
}

}  // namespace

TEST_CASE("writer lanes: tables spread evenly, each keeps its lane") {
    asio::io_context io;
    auto lanes = lanes_of(io, 2);
    REQUIRE(lanes->size() == 2);
    std::vector<std::size_t> per_lane(2, 0);
    for (int t = 0; t < 100; ++t) ++per_lane[lanes->route(named("src", "t" + std::to_string(t)))];
    CHECK(per_lane[0] == 50);
    CHECK(per_lane[1] == 50);
    // Asked again (a new pass, a restarted task): the same lane.
    for (int t = 0; t < 100; ++t) CHECK(lanes->route(named("src", "t" + std::to_string(t))) == std::size_t(t % 2));
    // The same table name in another source is another table.
    CHECK(lanes->route(named("other", "t0")) == 0);
    CHECK(lanes->route(named("other", "t1")) == 1);
}

TEST_CASE("writer lanes: a table keeps its lane when its destination changes; tables sharing a destination share a lane") {
    asio::io_context io;
    auto lanes = lanes_of(io, 2);
    const auto a = lanes->route(named("src", "a"));
    const auto b = lanes->route(named("src", "b"));
    CHECK(a != b);
    // A reload gives `a` the destination table `moved`: its queued batches and
    // cursor stay ahead of the new task's on the same lane.
    CHECK(lanes->route(named("src", "a", "moved")) == a);
    // Another table that writes `b`'s destination table goes where `b` goes.
    CHECK(lanes->route(named("src", "c", "b")) == b);
    // So does one writing `a`'s new destination table.
    CHECK(lanes->route(named("src", "d", "moved")) == a);
}

TEST_CASE("writer lanes: one lane takes every table") {
    asio::io_context io;
    auto lanes = lanes_of(io, 1);
    for (int t = 0; t < 10; ++t) CHECK(lanes->route(named("src", "t" + std::to_string(t))) == 0);
}
