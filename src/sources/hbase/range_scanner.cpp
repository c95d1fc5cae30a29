#include "sources/hbase/range_scanner.hpp"

#include <algorithm>
#include <exception>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace sluice::hbase {

namespace asio = boost::asio;

namespace {

constexpr int max_consecutive_failures = 6;

// A scanner left behind by an exception (cancellation, a failed sink): drain
// the reply still on the wire, close the scanner, then drop the connection.
// Detached, so that it runs even though the scanning coroutine was cancelled.
asio::awaitable<void> close_abandoned(std::unique_ptr<hbase_client> client, std::int32_t id, bool reply_pending) {
    if (reply_pending) {
        try {
            std::vector<wire::TRowResult> ignored;
            co_await client->receive_rows(ignored);
        } catch (...) {
            // The reply is of no use; closing the scanner is what matters.
        }
    }
    co_await client->close_scanner(id);
}

std::chrono::milliseconds backoff(int failures) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    const auto base = std::min(5000, 100 << std::min(failures, 6));
    std::uniform_int_distribution<int> jitter(base / 2, base);
    return std::chrono::milliseconds(jitter(rng));
}

// Splits `fragments` into whole rows to deliver now and the trailing fragments
// of a row that may continue in the next reply (only possible with scan_batching).
std::vector<wire::TRowResult> hold_back_last_row(std::vector<wire::TRowResult>& fragments) {
    std::vector<wire::TRowResult> tail;
    if (fragments.empty()) return tail;
    const std::string last_key = fragments.back().row;
    auto first = fragments.end();
    while (first != fragments.begin() && std::prev(first)->row == last_key) --first;
    tail.assign(std::make_move_iterator(first), std::make_move_iterator(fragments.end()));
    fragments.erase(first, fragments.end());
    return tail;
}

std::uint64_t count_rows(const std::vector<wire::TRowResult>& fragments) {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < fragments.size(); ++i)
        if (i == 0 || fragments[i].row != fragments[i - 1].row) ++n;
    return n;
}

// Keeps the first `n` rows.
void truncate_rows(std::vector<wire::TRowResult>& fragments, std::uint64_t n) {
    std::uint64_t rows = 0;
    for (std::size_t i = 0; i < fragments.size(); ++i) {
        if (i == 0 || fragments[i].row != fragments[i - 1].row) {
            if (rows == n) {
                fragments.resize(i);
                return;
            }
            ++rows;
        }
    }
}

}  // namespace

asio::awaitable<void> scan_range(client_pool& pool, const range_scan& scan, const key_range& range,
                                 const std::optional<std::string>& resume_from, const deliver_rows& deliver) {
    const auto ex = co_await asio::this_coro::executor;
    std::optional<std::string> resume_after = resume_from;
    const bool batching = scan.base.__isset.batchSize && scan.base.batchSize > 0;
    std::uint64_t delivered = 0;
    int failures = 0;
    std::vector<wire::TRowResult> fragments;  // reused for every reply
    for (;;) {
        // One scanner lifetime: open after the last delivered row, read to the end.
        std::unique_ptr<hbase_client> client;
        std::optional<std::int32_t> scanner;
        bool reply_pending = false;
        bool delivering = false;  // errors from the sink or the row mapper are not the scanner's to retry
        std::exception_ptr failure;
        try {
            client = co_await pool.acquire();
            wire::TScan ts = scan.base;
            if (resume_after) {
                // Reverse scans cannot name "the key just below": reopen at the key and skip it.
                ts.__set_startRow(scan.reverse ? *resume_after : key_after(*resume_after));
            } else if (!range.start.empty()) {
                ts.__set_startRow(range.start);
            }
            if (!range.stop.empty()) ts.__set_stopRow(range.stop);
            scanner = co_await client->open_scanner(scan.table, ts);

            const auto wanted = [&]() -> std::int32_t {
                if (!scan.limit) return scan.batch_size;
                const auto left = scan.limit - delivered;
                return static_cast<std::int32_t>(std::min<std::uint64_t>(left, static_cast<std::uint64_t>(scan.batch_size)));
            };
            std::vector<wire::TRowResult> carry;
            co_await client->request_rows(*scanner, wanted());
            reply_pending = true;
            for (;;) {
                const auto reply = co_await client->receive_reply();
                reply_pending = false;
                // Pipelining: the gateway reads the next rows while this reply is
                // decoded, converted and handed on -- unless this reply is an error,
                // the end of the scan, or enough for the limit (peeked, not decoded).
                const auto in_reply = client->peek_row_count(reply);
                if (scan.pipelined && in_reply && *in_reply > 0 && (!scan.limit || delivered + *in_reply < scan.limit)) {
                    co_await client->request_rows(*scanner, wanted());
                    reply_pending = true;
                }
                client->decode_rows(reply, fragments);
                const bool end = fragments.empty();
                if (!carry.empty()) {
                    fragments.insert(fragments.begin(), std::make_move_iterator(carry.begin()),
                                     std::make_move_iterator(carry.end()));
                    carry.clear();
                }
                if (scan.reverse && resume_after)
                    std::erase_if(fragments, [&](const wire::TRowResult& r) { return r.row == *resume_after; });
                if (batching && !end) carry = hold_back_last_row(fragments);
                if (!scan.required_prefix.empty())
                    std::erase_if(fragments,
                                  [&](const wire::TRowResult& r) { return !r.row.starts_with(scan.required_prefix); });
                bool limit_reached = false;
                if (scan.limit) {
                    const auto n = count_rows(fragments);
                    if (delivered + n >= scan.limit) {
                        truncate_rows(fragments, scan.limit - delivered);
                        limit_reached = true;
                    }
                }
                const bool done = end || limit_reached;
                std::optional<std::string> last_key;
                if (!fragments.empty()) last_key = fragments.back().row;
                delivered += count_rows(fragments);
                delivering = true;
                co_await deliver(fragments, done);
                delivering = false;
                if (last_key) {
                    resume_after = std::move(last_key);
                    failures = 0;  // only real progress earns more retries
                }
                if (done) break;
                if (!reply_pending) {  // unpipelined, or the peek said not to
                    co_await client->request_rows(*scanner, wanted());
                    reply_pending = true;
                }
            }
            // The range is delivered: nothing that goes wrong from here may reopen it.
            bool reusable = true;
            if (reply_pending) {
                try {
                    co_await client->receive_rows(fragments);
                } catch (...) {
                    reusable = false;  // the extra pipelined reply failed: irrelevant now
                }
            }
            co_await client->close_scanner(*scanner);
            if (reusable) pool.release(std::move(client));
            co_return;
        } catch (const scanner_lost&) {
            failure = std::current_exception();
        } catch (const error& e) {
            if (e.kind() == error_kind::transient && !delivering) {
                failure = std::current_exception();  // connecting or opening failed on I/O
            } else {
                if (client && scanner)
                    asio::co_spawn(ex, close_abandoned(std::move(client), *scanner, reply_pending), asio::detached);
                throw;
            }
        } catch (...) {
            // Cancellation, a failed sink, a fatal reply: leave, but close the scanner.
            if (client && scanner)
                asio::co_spawn(ex, close_abandoned(std::move(client), *scanner, reply_pending), asio::detached);
            throw;
        }

        // The scanner (or its connection) is gone: retry from the last delivered row.
        bool needs_backoff = true;
        try {
            std::rethrow_exception(failure);
        } catch (const scanner_lost& e) {
            needs_backoff = e.io_error();
            spdlog::info("HBase scan of {} interrupted ({}); reopening after {}", scan.table, e.what(),
                         resume_after ? "the last delivered row" : "the range start");
        } catch (const std::exception& e) {
            spdlog::info("HBase scan of {} interrupted ({}); retrying", scan.table, e.what());
        }
        if (++failures >= max_consecutive_failures) std::rethrow_exception(failure);
        if (client && client->is_open() && !reply_pending) pool.release(std::move(client));
        if (needs_backoff) {
            asio::steady_timer t(ex, backoff(failures));
            co_await t.async_wait(asio::use_awaitable);
        }
    }
}

}  // namespace sluice::hbase
