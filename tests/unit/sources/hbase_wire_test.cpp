// The HBase client's wire pieces without a server: message boundaries for
// buffered transport, key ranges, checkpoints, cursor lookback in the cell's
// own encoding.
#include <doctest/doctest.h>

#include "sources/hbase/cursor_bound.hpp"
#include "sources/hbase/key_range.hpp"
#include "sources/hbase/message_size.hpp"
#include "sources/hbase/scan_checkpoint.hpp"
#include "sources/hbase/wire_codec.hpp"

using namespace sluice::hbase;

namespace {

// A reply as the server would serialise it: the generated processor-side
// structs written through the same protocols.
std::string scan_reply(bool compact, int rows) {
    wire_codec codec(compact);
    // A request is a message too; the walker only needs valid structure, and a
    // call with nested containers exercises lists, maps and structs.
    wire::TScan scan;
    scan.__set_startRow(std::string("row\xff\x00", 5));
    scan.__set_columns({"cf:a", "cf:b"});
    scan.__set_timestamp(1234567890123);
    scan.__set_reversed(true);
    std::map<std::string, std::string> attrs;
    for (int i = 0; i < rows; ++i) attrs["k" + std::to_string(i)] = std::string(static_cast<std::size_t>(i), 'v');
    return codec.request([&](wire::HbaseClient& c) { c.send_scannerOpenWithScan("table", scan, attrs); });
}

}  // namespace

TEST_CASE("a whole Thrift message is found only once all its bytes arrived, binary and compact") {
    for (bool compact : {false, true}) {
        CAPTURE(compact);
        const std::string msg = scan_reply(compact, 50);
        const auto size_of = [&](std::string_view b) {
            return compact ? compact_message_size(b) : binary_message_size(b);
        };
        for (std::size_t cut = 0; cut < msg.size(); ++cut) REQUIRE_FALSE(size_of(std::string_view(msg).substr(0, cut)));
        CHECK(size_of(msg) == msg.size());
        // Pipelined replies back to back: only the first is measured.
        CHECK(size_of(msg + msg) == msg.size());
        // Fed as it arrives, one scanner resumes where it stopped.
        message_scanner scanner(compact);
        for (std::size_t cut = 1; cut < msg.size(); cut += 7)
            REQUIRE_FALSE(scanner.feed(std::string_view(msg).substr(0, cut)));
        CHECK(scanner.feed(msg) == msg.size());
        scanner.reset();
        CHECK(scanner.feed(msg + msg) == msg.size());
    }
}

TEST_CASE("bytes that cannot be a Thrift message are rejected, not waited for") {
    CHECK_THROWS_AS(compact_message_size("\x80\x01\x00\x01"), malformed_message);
    std::string bad("\x80\x01\x00\x02", 4);
    bad += std::string("\x00\x00\x00\x01", 4) + "x" + std::string("\x00\x00\x00\x01", 4);
    bad += std::string("\x63\x00\x01", 3);  // field type 99, id 1
    CHECK_THROWS_AS(binary_message_size(bad), malformed_message);
}

TEST_CASE("a reply is accepted only for the call made and only whole (found by fuzzing)") {
    // scannerGetList's binary reply: an empty list of rows.
    const auto reply_named = [](std::string_view name) {
        std::string r("\x80\x01\x00\x02", 4);
        r += std::string("\x00\x00\x00", 3) + static_cast<char>(name.size()) + std::string(name);
        r += std::string("\x00\x00\x00\x00", 4);                         // seqid
        r += std::string("\x0f\x00\x00\x0c\x00\x00\x00\x00\x00", 9);    // field 0: list<struct>[0], stop
        return r;
    };
    wire_codec codec(false);
    std::vector<wire::TRowResult> rows;
    const auto recv = [&](wire::HbaseClient& c) { c.recv_scannerGetList(rows); };
    CHECK_NOTHROW(codec.reply("scannerGetList", reply_named("scannerGetList"), recv));
    CHECK(rows.empty());
    CHECK(binary_message_size(reply_named("scannerGetList")) == reply_named("scannerGetList").size());
    // Thrift's generated recv skipped the struct of a reply to another call and read the
    // next one as its result; the boundary walker (rightly) delimits one struct.
    CHECK_THROWS_AS(codec.reply("scannerGetList", reply_named("scannerGetLis"), recv),
                    apache::thrift::protocol::TProtocolException);
    CHECK_THROWS_AS(codec.reply("scannerGetList", reply_named("getTableNames"), recv),
                    apache::thrift::protocol::TProtocolException);
    CHECK_THROWS_AS(codec.reply("scannerGetList", reply_named("scannerGetList") + std::string(1, '\0'), recv),
                    apache::thrift::protocol::TProtocolException);
}

TEST_CASE("a list declaring more elements than the reply has bytes is refused before allocating (fuzzing)") {
    // scannerGetList's binary reply declaring 0x0f00000c rows in 42 bytes: Thrift sized
    // the vector from the count (30 GB) before reading one row.
    std::string r("\x80\x01\x00\x02\x00\x00\x00\x0e", 8);
    r += "scannerGetList";
    r += std::string("\x00\x00\x00\x00", 4);
    r += std::string("\x0f\x00\x00\x0c\x0f\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00", 15);
    for (bool compact : {false, true}) {
        wire_codec codec(compact);
        std::vector<wire::TRowResult> rows;
        CHECK_THROWS_AS(codec.reply("scannerGetList", r, [&](wire::HbaseClient& c) { c.recv_scannerGetList(rows); }),
                        apache::thrift::TException);
        CHECK(rows.empty());
    }
    // The codec still decodes a well-formed reply afterwards.
    wire_codec codec(false);
    std::string ok("\x80\x01\x00\x02\x00\x00\x00\x0e", 8);
    ok += "scannerGetList";
    ok += std::string("\x00\x00\x00\x00\x0f\x00\x00\x0c\x00\x00\x00\x00\x00", 13);
    std::vector<wire::TRowResult> rows;
    CHECK_NOTHROW(codec.reply("scannerGetList", ok, [&](wire::HbaseClient& c) { c.recv_scannerGetList(rows); }));
}

TEST_CASE("a peek at a reply with an out-of-range field type declines instead of loading it (fuzzing)") {
    // Field type byte 36 where scannerGetList's result list should be: Thrift stores it in
    // enum TType unchecked; the peek compared that enum (undefined, UBSan `enum`).
    std::string r("\x80\x01\x00\x02\x00\x00\x00\x0e", 8);
    r += "scannerGetList";
    r += std::string("\x00\x00\x00\x00\x24\x00\x00\x00\x00\x00\x00\x00\x00", 13);
    wire_codec codec(false);
    CHECK_FALSE(codec.peek_list_size(r));
    std::string ok("\x80\x01\x00\x02\x00\x00\x00\x0e", 8);
    ok += "scannerGetList";
    ok += std::string("\x00\x00\x00\x00\x0f\x00\x00\x0c\x00\x00\x00\x03\x00", 13);
    CHECK(codec.peek_list_size(ok) == 3u);
}

TEST_CASE("a framed reply whose containers declare other element types is refused (fuzzing)") {
    // A compact scannerGetList reply whose row map declares double keys and binary values
    // (0x78; the IDL says binary keys and struct values, 0x8c): Thrift's generated code
    // reads them as the IDL says and decoded it; the walker, following the wire, saw an
    // unfinished message. Replies not cut by the walker (framed, HTTP) are walked too.
    const std::string hex =
        "8241000e7363616e6e65724765744c69737409001c180575736572331b04780463663a6218047472756516acfeaea3c8"
        "68000663663a646179180a323032342d30322d323916acfeaea3c868000463663a6e18062d31322e353016acfeaea3c8"
        "680007783a6f7468657218017a16acfeaea3c868000000";
    std::string r;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) r += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    std::vector<wire::TRowResult> rows;
    const auto recv = [&](wire::HbaseClient& c) { c.recv_scannerGetList(rows); };
    CHECK_FALSE(compact_message_size(r));  // the walker waits for more
    wire_codec framed(true);
    CHECK_THROWS_AS(framed.reply("scannerGetList", r, recv), apache::thrift::protocol::TProtocolException);
    // The buffered client's codec trusts the walker that cut the reply (never this one).
    wire_codec walked(true, true);
    rows.clear();
    CHECK_NOTHROW(walked.reply("scannerGetList", r, recv));
    // With the map's element types as the IDL says, the reply is good for both.
    std::string good = r;
    good[good.find('\x78')] = '\x8c';
    CHECK(compact_message_size(good) == good.size());
    rows.clear();
    CHECK_NOTHROW(framed.reply("scannerGetList", good, recv));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].row == "user3");
}

TEST_CASE("bytes_increment follows happybase") {
    CHECK(bytes_increment("ab") == "ac");
    CHECK(bytes_increment(std::string("ab\xff", 3)) == "ac");
    CHECK(bytes_increment(std::string("a\xff\xff", 3)) == "b");
    CHECK_FALSE(bytes_increment(std::string("\xff\xff", 2)));
    CHECK_FALSE(bytes_increment(""));
}

TEST_CASE("configured ranges: start/stop, prefix forward and reverse") {
    sluice::config::hbase_scan s;
    s.row_start = "b";
    s.row_stop = "m";
    CHECK(configured_range(s) == key_range{"b", "m"});
    s = {};
    s.row_prefix = "ab";
    CHECK(configured_range(s) == key_range{"ab", "ac"});
    s.reverse = true;
    CHECK(configured_range(s) == key_range{"ac", "ab"});
}

TEST_CASE("a range is cut at region boundaries, open ends included") {
    const std::vector<region_bounds> regions = {{"", "g"}, {"g", "p"}, {"p", ""}};
    auto pieces = split_by_regions({"", ""}, regions);
    REQUIRE(pieces.size() == 3);
    CHECK(pieces[0] == key_range{"", "g"});
    CHECK(pieces[2] == key_range{"p", ""});
    pieces = split_by_regions({"h", "j"}, regions);
    REQUIRE(pieces.size() == 1);
    CHECK(pieces[0] == key_range{"h", "j"});
    pieces = split_by_regions({"c", "q"}, regions);
    REQUIRE(pieces.size() == 3);
    CHECK(pieces[0] == key_range{"c", "g"});
    CHECK(pieces[1] == key_range{"g", "p"});
    CHECK(pieces[2] == key_range{"p", "q"});
    CHECK(split_by_regions({"g", "p"}, regions).size() == 1);
}

TEST_CASE("checkpoints round-trip binary keys and every field") {
    scan_checkpoint c;
    c.mode = "cursor_column";
    c.hw = std::string("2024\x00\xff", 6);
    pass_progress p;
    p.started_ms = 1700000000123;
    p.lower = "2024-01-01";
    p.max = "2024-02-01";
    p.rows = 42;
    p.ranges.push_back({{"", std::string("\x80", 1)}, std::string("k\x00\x01", 3), false});
    p.ranges.push_back({{std::string("\x80", 1), ""}, std::nullopt, true});
    c.pass = p;
    const auto back = scan_checkpoint::decode(c.encode());
    REQUIRE(back);
    CHECK(back->mode == "cursor_column");
    CHECK(back->hw == c.hw);
    REQUIRE(back->pass);
    CHECK(back->pass->started_ms == p.started_ms);
    CHECK(back->pass->lower == p.lower);
    CHECK(back->pass->max == p.max);
    CHECK(back->pass->rows == 42);
    REQUIRE(back->pass->ranges.size() == 2);
    CHECK(back->pass->ranges[0].range == p.ranges[0].range);
    CHECK(back->pass->ranges[0].last == p.ranges[0].last);
    CHECK_FALSE(back->pass->ranges[0].done);
    CHECK(back->pass->ranges[1].done);
    CHECK_FALSE(back->pass->ranges[1].last);
    // Another source's cursor is not mistaken for ours.
    CHECK_FALSE(scan_checkpoint::decode(R"({"v":1,"mode":"incremental","col":"x","c":null})"));
    CHECK_FALSE(scan_checkpoint::decode("not json"));
}

TEST_CASE("lookback is subtracted in the cursor cell's own encoding") {
    using std::chrono::milliseconds;
    CHECK(minus_lookback("2024-01-01T00:00:10Z", milliseconds(15000)) == "2023-12-31T23:59:55Z");
    CHECK(minus_lookback("2024-01-01 00:00:10.500", milliseconds(1000)) == "2024-01-01 00:00:09.500");
    CHECK(minus_lookback("2024-01-01T00:00:10.123456+00:00", milliseconds(1)) == "2024-01-01T00:00:10.122456+00:00");
    CHECK(minus_lookback("0001700000005000", milliseconds(5000)) == "0001700000000000");
    const std::string be("\x00\x00\x01\x8b\xcf\xe5\x68\x00", 8);
    const auto lowered = minus_lookback(be, milliseconds(0x100));
    REQUIRE(lowered);
    CHECK(*lowered == std::string("\x00\x00\x01\x8b\xcf\xe5\x67\x00", 8));
    CHECK(minus_lookback("whatever", milliseconds(0)) == "whatever");
    CHECK_FALSE(minus_lookback("not a time", milliseconds(5)));
    CHECK_FALSE(minus_lookback("2024-01-01T00:00:10+02:00", milliseconds(5)));
}

TEST_CASE("the cursor filter quotes like the filter language") {
    CHECK(cursor_filter("cf:created_at", "2024-01-01") ==
          "SingleColumnValueFilter('cf', 'created_at', >=, 'binary:2024-01-01', true, true)");
    CHECK(cursor_filter("c'f:q", "it's") == "SingleColumnValueFilter('c''f', 'q', >=, 'binary:it''s', true, true)");
    CHECK(and_filters("", "B") == "B");
    CHECK(and_filters("PrefixFilter('a')", "B") == "(PrefixFilter('a')) AND (B)");
}
