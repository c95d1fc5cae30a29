#include "sources/time_keyset/reader.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/cancellation.hpp"
#include "sluice/error.hpp"
#include "sluice/progress.hpp"
#include "sluice/synthetic_key.hpp"
#include "sources/time_keyset/windows.hpp"

namespace sluice::time_keyset {

namespace asio = boost::asio;

namespace {

// Where a read's batches go: straight on, or into its window's queue.
using emit_fn = std::function<asio::awaitable<void>(batch_ptr)>;

asio::awaitable<void> deliver(read_context& ctx, batch_ptr b) {
    ctx.sink.progress()->rows_read += b->rows();
    co_await ctx.sink.send(std::move(b));
}

// Synthetic keys: content hash + occurrence among identical rows of one group.
// A value type, so a page that fails half-parsed can be undone.
struct row_keyer {
    synthetic_keyer keyer;
    std::optional<hash128> prev;  // group of the previous row
};

// How one read keys its rows and which it keeps.
struct keying {
    // Occurrence numbers restart whenever these columns change value (empty:
    // one group). Identical rows must arrive within one group run.
    std::vector<std::size_t> group_columns;
    std::optional<std::size_t> time_column;  // the row's time prefixes its key
    // Keep only the rows whose content hash falls in `partition` of `partitions`
    // (identical rows always fall in the same one).
    std::uint64_t partitions = 1;
    std::uint64_t partition = 0;
};

row_finisher make_finisher(const read_context& ctx, row_keyer& keys, keying how) {
    const auto& s = *ctx.schema;
    if (!s.synthetic_key) return [](batch& out) { out.end_row(); };
    const std::size_t data_cols = s.columns.size() - 1;
    return [&keys, how = std::move(how), data_cols](batch& out) {
        const auto h = hash_pending_row(out, data_cols);
        if (how.partitions > 1 && h.lo % how.partitions != how.partition) {
            out.abandon_row();
            return;
        }
        if (!how.group_columns.empty()) {
            const auto g = hash_pending_columns(out, how.group_columns);
            if (keys.prev && *keys.prev != g) keys.keyer.new_group();
            keys.prev = g;
        }
        if (how.time_column) {
            const auto v = out.pending(*how.time_column);
            out.put_text(value_type::string, keys.keyer.next_key(h, v.is_null() ? null_cursor : v.i));
        } else {
            out.put_text(value_type::string, keys.keyer.next_key(h));
        }
        out.end_row();
    };
}

// One page: run + parse into a fresh batch. A body-level failure is retried
// after undoing the keys of the half-parsed page; other errors pass through
// (the HTTP client already retried what the status line showed).
asio::awaitable<batch_ptr> fetch_page(read_context& ctx, page_parser& parser, const std::string& sql,
                                      row_keyer& keys, const row_finisher& finish) {
    const std::string doing = "reading a page";
    using clock = std::chrono::steady_clock;
    const auto ns = [](clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); };
    for (unsigned attempt = 1;; ++attempt) {
        const auto sent = clock::now();
        const auto resp = co_await ctx.sql.run(sql, doing);
        const auto received = clock::now();
        const row_keyer before = keys;
        auto b = std::make_unique<batch>(ctx.schema, ctx.batch_size());
        std::string failure;
        try {
            parser.parse(resp, *b, finish);
            if (ctx.timing) {
                ctx.timing->wait_ns += ns(received - sent);
                ctx.timing->parse_ns += ns(clock::now() - received);
                ++ctx.timing->pages;
            }
            co_return b;
        } catch (const error& e) {
            if (e.kind() != error_kind::transient) throw;
            failure = e.what();
        }
        keys = before;
        const std::string why = failure + " [" + sql + "]";
        if (!co_await ctx.http.pause_before_retry(attempt, why))
            throw error(error_kind::transient, fmt::format("{} (gave up after {} attempts)", why, attempt));
    }
}

// A streamed answer cut into batches of batch_size rows.
class batch_stream final : public row_stream {
public:
    batch_stream(read_context& ctx, row_finisher finish, const emit_fn& emit, std::function<void(batch&)> stamp)
        : ctx_(ctx), finish_(std::move(finish)), emit_(emit), stamp_(std::move(stamp)), cur_(fresh()) {}

    batch& rows() override { return *cur_; }
    const row_finisher& finish() const override { return finish_; }
    asio::awaitable<void> drain() override {
        while (cur_->rows() >= ctx_.batch_size()) {
            auto b = std::exchange(cur_, fresh());
            stamp_(*b);
            co_await emit_(std::move(b));
        }
    }
    // Hands on the rest (even none, when `last` must carry the cursor past the group).
    asio::awaitable<void> close(const std::function<void(batch&)>& last) {
        last(*cur_);
        if (cur_->rows() > 0 || !cur_->cursor.empty()) co_await emit_(std::move(cur_));
    }

private:
    batch_ptr fresh() const { return std::make_unique<batch>(ctx_.schema, ctx_.batch_size()); }

    read_context& ctx_;
    row_finisher finish_;
    const emit_fn& emit_;
    std::function<void(batch&)> stamp_;
    batch_ptr cur_;
};

// Streamed reads with synthetic keys count identical rows in a map. A group too
// large for the map budget is read in several passes, each keeping one
// partition of the rows by content hash (identical rows always share one), so
// memory stays bounded: how many passes `count_sql`'s rows need.
asio::awaitable<std::uint64_t> streamed_passes(read_context& ctx, const std::string& count_sql) {
    if (!ctx.schema->synthetic_key) co_return 1;
    const std::string counting = "counting a tie group";
    const auto text = co_await ctx.sql.scalar(count_sql, counting);
    const std::uint64_t rows = text ? std::stoull(*text) : 0;
    const std::uint64_t budget = std::max<std::size_t>(ctx.group_key_budget, 1);
    co_return std::max<std::uint64_t>(1, (rows + budget - 1) / budget);
}

// One streamed query into batches; an answer cut off (or malformed) is read
// again whole under the HTTP retry policy: its rows get the same keys, and
// those already handed on are upserted again.
asio::awaitable<void> stream_pass(read_context& ctx, const std::string& sql, const keying& how, const emit_fn& emit,
                                  const std::function<void(batch&)>& stamp_each,
                                  const std::function<void(batch&)>& stamp_last) {
    const std::string doing = how.partitions > 1 ? fmt::format("reading a tie group (pass {} of {})",
                                                               how.partition + 1, how.partitions)
                                                 : std::string("reading a tie group");
    for (unsigned attempt = 1;; ++attempt) {
        row_keyer keys;
        batch_stream into(ctx, make_finisher(ctx, keys, how), emit, stamp_each);
        std::string failure;
        try {
            co_await ctx.sql.stream_rows(sql, doing, into);
            co_await into.close(stamp_last);
            co_return;
        } catch (const error& e) {
            if (e.kind() != error_kind::transient) throw;
            failure = e.what();
        }
        const std::string why = failure + " [" + sql + "]";
        if (!co_await ctx.http.pause_before_retry(attempt, why))
            throw error(error_kind::transient, fmt::format("{} (gave up after {} attempts)", why, attempt));
    }
}

// Keyset pages on the cursor column over one range, tie groups longer than a
// page read whole (see reader.hpp). With `stored` set, batches carry the
// cursor once the position moves beyond the stored one; unset: no cursors
// (full passes, reconcile re-reads).
class range_reader {
public:
    range_reader(read_context& ctx, std::size_t ci, const emit_fn& emit, std::optional<cursor_state> stored)
        : ctx_(ctx),
          ci_(ci),
          column_(ctx.schema->columns[ci].name),
          emit_(emit),
          stored_(std::move(stored)),
          parser_(ctx.sql.make_parser()) {
        if (stored_) {
            state_ = *stored_;
            state_.column = column_;
        }
    }

    // Every row with start <= cursor < upper (start unset: from the first row, NULLs included).
    asio::awaitable<void> run(std::optional<std::int64_t> start, std::optional<std::int64_t> upper) {
        const auto n = static_cast<std::int64_t>(ctx_.batch_size());
        auto pos = start;
        std::vector<std::int64_t> page_ts;
        for (;;) {
            time_range range;
            if (pos && *pos != null_cursor) range.lower = pos;
            range.upper = upper;
            const auto sql = ctx_.sql.page_sql(column_, range, n);
            row_keyer keys;  // pages start on a group's first row
            const auto finish = make_finisher(ctx_, keys, keying{{ci_}, ci_});
            auto b = co_await fetch_page(ctx_, *parser_, sql, keys, finish);
            page_ts.clear();
            for (std::size_t row = 0; row < b->rows(); ++row) {
                const auto v = b->at(row, ci_);
                page_ts.push_back(v.is_null() ? null_cursor : v.i);
            }
            const auto end = end_of_page(page_ts, n);
            if (end.tie) {
                pos = co_await read_tie_group(*end.tie);
                if (!pos) co_return;  // nothing but NULLs
                co_await throw_if_cancelled();
                continue;
            }
            b->truncate(end.keep);
            if (end.keep > 0) {
                stamp(*b, end.exhausted ? page_ts[end.keep - 1] : *end.next);
                co_await emit_(std::move(b));
            }
            if (end.exhausted) co_return;
            pos = end.next;
            co_await throw_if_cancelled();
        }
    }

private:
    // Reads every row at `value`, a group at least a page long, and returns
    // where reading goes on (nullopt: there is nothing after it).
    asio::awaitable<std::optional<std::int64_t>> read_tie_group(std::int64_t value) {
        tie_group g;
        std::optional<std::int64_t> after;
        if (value == null_cursor) {
            // NULLs sort first: what follows them is the smallest real value.
            g.k = tie_group::kind::null;
            const auto min_sql = ctx_.sql.min_sql(column_);
            const std::string finding_min = "finding the oldest row";
            const auto text = co_await ctx_.sql.scalar(min_sql, finding_min);
            if (text) after = parse_timestamp_micros(*text);
        } else {
            g.t = value;
            after = value + ctx_.sql.time_quantum();
        }
        spdlog::debug("{}: {} rows or more share one {} value; reading them as one group", ctx_.context,
                      ctx_.batch_size(), column_);
        // Named std::functions, not lambdas converted inside the co_await
        // expressions below: g++ 12 may destroy such temporaries twice.
        const std::function<void(batch&)> in_group = [this, value](batch& b) { stamp(b, value); };
        const std::function<void(batch&)> past_group = [this, value, after](batch& b) {
            stamp(b, after ? *after : value);
        };
        if (ctx_.sql.ties() == tie_reading::ordered_pages)
            co_await read_ordered(g, in_group, past_group);
        else
            co_await read_streamed(g, in_group, past_group);
        co_return after;
    }

    // Pages through the group in the server's total order of its rows.
    asio::awaitable<void> read_ordered(const tie_group& g, const std::function<void(batch&)>& in_group,
                                       const std::function<void(batch&)>& past_group) {
        const auto n = static_cast<std::int64_t>(ctx_.batch_size());
        row_keyer keys;
        const auto finish = make_finisher(ctx_, keys, keying{ctx_.sql.order_columns(), ci_});
        for (std::int64_t skip = 0;;) {
            const auto sql = ctx_.sql.group_page_sql(column_, g, skip, n);
            auto b = co_await fetch_page(ctx_, *parser_, sql, keys, finish);
            const auto got = static_cast<std::int64_t>(b->rows());
            skip += got;
            const bool last = got < n;
            (last ? past_group : in_group)(*b);
            if (got > 0 || !b->cursor.empty()) co_await emit_(std::move(b));
            if (last) co_return;
            co_await throw_if_cancelled();
        }
    }

    // One query for the whole group, parsed as it streams in.
    asio::awaitable<void> read_streamed(const tie_group& g, const std::function<void(batch&)>& in_group,
                                        const std::function<void(batch&)>& past_group) {
        const auto count_sql = ctx_.sql.group_count_sql(column_, g);
        const auto passes = co_await streamed_passes(ctx_, count_sql);
        const auto sql = ctx_.sql.group_sql(column_, g);
        for (std::uint64_t p = 0; p < passes; ++p) {
            const keying how{{}, g.k == tie_group::kind::all ? std::nullopt : std::optional(ci_), passes, p};
            const auto& then = p + 1 == passes ? past_group : in_group;
            co_await stream_pass(ctx_, sql, how, emit_, in_group, then);
        }
    }

private:
    // Batches carry the cursor `t` ("resume at >= t") once it is beyond the stored one.
    void stamp(batch& b, std::int64_t t) {
        if (!stored_) return;                         // a read without cursors
        if (stored_->t && t <= *stored_->t) return;  // not beyond it yet (a lookback re-read)
        state_.t = t;
        b.cursor = encode_cursor(state_);
        if (t != null_cursor) b.cursor_time = t;
    }

    read_context& ctx_;
    std::size_t ci_;
    std::string column_;
    const emit_fn& emit_;
    std::optional<cursor_state> stored_;
    cursor_state state_;
    std::unique_ptr<page_parser> parser_;
};

asio::awaitable<std::optional<std::int64_t>> scalar_time(read_context& ctx, const std::string& sql,
                                                         const std::string& doing) {
    const auto text = co_await ctx.sql.scalar(sql, doing);
    if (!text) co_return std::nullopt;
    co_return parse_timestamp_micros(*text);
}

// The pass's last (possibly empty) batch: the "full pass done" cursor and the
// soft-delete of every row this pass did not write.
asio::awaitable<void> finish_full(read_context& ctx, batch_ptr b, std::int64_t pass_start) {
    cursor_state done;
    done.full = true;
    done.done = true;
    b->cursor = encode_cursor(done);
    b->soft_delete_unseen_before = pass_start;
    co_await deliver(ctx, std::move(b));
}

}  // namespace

asio::awaitable<void> read_incremental(read_context& ctx, const std::optional<cursor_state>& saved_in) {
    const auto& s = *ctx.schema;
    const std::size_t ci = *s.cursor_column;
    const auto& cursor_name = s.columns[ci].name;
    std::optional<cursor_state> saved = saved_in;
    if (saved && (saved->full || saved->column != cursor_name)) {
        spdlog::info("{}: stored cursor does not match the table's cursor; reading from the start",
                     s.qualified_name());
        saved.reset();
    }
    const auto lookback_us = static_cast<std::int64_t>(ctx.settings.lookback.count()) * 1000;
    const auto pos = resume_point(saved, lookback_us);
    cursor_state stored;
    stored.column = cursor_name;
    if (saved) stored = *saved;
    const emit_fn straight_on = [&ctx](batch_ptr b) { return deliver(ctx, std::move(b)); };

    std::size_t windows = 1;
    std::optional<std::int64_t> lo, hi;
    // Windows need every row to fall in some [a, b): a nullable cursor column's
    // NULL rows would fall in none, so such tables page sequentially.
    if (ctx.settings.max_in_flight > 1 && !s.columns[ci].nullable) {
        time_range range;
        range.lower = pos;
        const auto count_sql = ctx.sql.count_sql(cursor_name, range);
        const std::string counting = "counting rows";  // named: g++ 12 mishandles temporaries in co_await
        const auto cnt = co_await ctx.sql.scalar(count_sql, counting);
        std::int64_t rows = 0;
        if (cnt) rows = std::stoll(*cnt);
        ctx.sink.progress()->rows_estimate = rows;
        windows = window_count(rows, ctx.batch_size(), ctx.settings.max_in_flight);
        if (windows > 1) {
            const auto max_sql = ctx.sql.max_sql(cursor_name, range);
            const std::string finding_max = "finding the newest row";
            hi = co_await scalar_time(ctx, max_sql, finding_max);
            if (range.lower) {
                lo = range.lower;
            } else {
                // From scratch: the first window starts at the oldest row.
                const auto min_sql = ctx.sql.min_sql(cursor_name);
                const std::string finding_min = "finding the oldest row";
                lo = co_await scalar_time(ctx, min_sql, finding_min);
            }
            if (!lo || !hi || *hi <= *lo) windows = 1;
        }
    }
    if (windows <= 1) {
        range_reader reader(ctx, ci, straight_on, stored);
        co_await reader.run(pos, std::nullopt);
        co_return;
    }

    auto plan = split_windows(*lo, *hi, windows, ctx.sql.time_quantum());
    // Sliding pipeline: `slots` workers take windows in order, each after taking
    // a credit; the deliverer hands windows on strictly in order and returns a
    // credit per delivered window, so at most `in_flight` (the credits given
    // out, <= slots) windows are being read or waiting. A window's batches wait
    // in a small queue (a ring: window w uses queue w % slots, free again once
    // window w - slots is delivered), so memory stays bounded even for a window
    // holding a huge tie group. Any failure cancels the rest (the cursor stays
    // at the last delivered batch).
    std::size_t in_flight = static_cast<std::size_t>(std::max(1, ctx.settings.max_in_flight));
    const auto slots = static_cast<std::size_t>(std::max(1, ctx.settings.in_flight_limit()));
    const bool adaptive = slots > in_flight;
    spdlog::debug("{}: reading {} time windows, {} in flight{}", s.qualified_name(), plan.size(), in_flight,
                  adaptive ? fmt::format(" (adaptive, up to {})", slots) : std::string());
    page_timing timing;
    if (adaptive) ctx.timing = &timing;
    struct forget_timing {
        read_context& ctx;
        ~forget_timing() { ctx.timing = nullptr; }
    } forget{ctx};
    const auto ex = co_await asio::this_coro::executor;
    using credit_channel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    using window_queue = asio::experimental::concurrent_channel<void(boost::system::error_code, batch_ptr)>;
    credit_channel credits(ex, plan.size() + 2 * slots);
    for (std::size_t i = 0; i < in_flight; ++i) credits.try_send(boost::system::error_code{});
    std::vector<std::unique_ptr<window_queue>> queues;
    for (std::size_t i = 0; i < slots; ++i) queues.push_back(std::make_unique<window_queue>(ex, window_queue_batches));
    std::atomic<std::size_t> next_window{0};
    in_flight_controller controller(in_flight, slots);
    std::size_t withheld = 0;  // credits not returned yet after the controller shrank
    // The credit of a delivered window goes back, plus or minus what the controller decided.
    const auto return_credits = [&](std::uint64_t rows) {
        std::size_t give = 1;
        if (adaptive) {
            const auto pages = timing.pages.load();
            const auto wait = timing.wait_ns.load();
            const auto parse = timing.parse_ns.load();
            const long change = controller.after_window(rows, std::chrono::steady_clock::now(), wait, parse, pages);
            if (change > 0) give += static_cast<std::size_t>(change);
            if (change < 0) withheld += static_cast<std::size_t>(-change);
            if (change != 0) {
                in_flight = controller.in_flight();
                spdlog::debug("{}: {} requests in flight (round trip {:.1f} ms, parse {:.1f} ms per page){}",
                              s.qualified_name(), in_flight,
                              static_cast<double>(wait) / 1e6 / static_cast<double>(std::max<std::uint64_t>(pages, 1)),
                              static_cast<double>(parse) / 1e6 / static_cast<double>(std::max<std::uint64_t>(pages, 1)),
                              change < 0 ? ": the last step did not pay, staying here" : "");
            }
        }
        const auto kept = std::min(give, withheld);
        give -= kept;
        withheld -= kept;
        for (std::size_t i = 0; i < give; ++i) credits.try_send(boost::system::error_code{});
    };

    auto worker = [&]() -> asio::awaitable<void> {
        for (;;) {
            co_await credits.async_receive(asio::use_awaitable);
            const std::size_t w = next_window++;
            if (w >= plan.size()) co_return;
            auto& queue = *queues[w % slots];
            const emit_fn into_queue = [&queue](batch_ptr b) -> asio::awaitable<void> {
                const boost::system::error_code no_error;  // named: sluice/coro.hpp
                co_await queue.async_send(no_error, std::move(b), asio::use_awaitable);
            };
            // The first window continues the stored position; every other starts at its own lower bound.
            range_reader reader(ctx, ci, into_queue, stored);
            const std::optional<std::int64_t> from = w == 0 ? pos : std::optional(plan[w].lower);
            co_await reader.run(from, plan[w].upper);
            batch_ptr end_of_window;
            co_await queue.async_send(asio::error::eof, std::move(end_of_window), asio::use_awaitable);
        }
    };
    auto deliverer = [&]() -> asio::awaitable<void> {
        for (std::size_t w = 0; w < plan.size(); ++w) {
            auto& queue = *queues[w % slots];
            std::uint64_t rows = 0;
            for (;;) {
                auto [ec, b] = co_await queue.async_receive(asio::as_tuple(asio::use_awaitable));
                if (ec == asio::error::eof) break;
                if (ec) throw boost::system::system_error(ec);
                rows += b->rows();
                co_await deliver(ctx, std::move(b));
            }
            return_credits(rows);
            co_await throw_if_cancelled();
        }
        // Workers that never got a window take these and see the plan is done.
        for (std::size_t i = 0; i < slots; ++i) credits.try_send(boost::system::error_code{});
    };
    using op_type = decltype(asio::co_spawn(ex, deliverer(), asio::deferred));
    std::vector<op_type> ops;
    ops.push_back(asio::co_spawn(ex, deliverer(), asio::deferred));
    for (std::size_t i = 0; i < std::min(slots, plan.size()); ++i)
        ops.push_back(asio::co_spawn(ex, worker(), asio::deferred));
    auto group = asio::experimental::make_parallel_group(std::move(ops));  // named: sluice/coro.hpp
    const asio::experimental::wait_for_one_error first_error;
    auto [order, errors] = co_await group.async_wait(first_error, asio::use_awaitable);
    for (auto i : order)
        if (errors[i]) std::rethrow_exception(errors[i]);
}

asio::awaitable<void> read_full(read_context& ctx, std::optional<std::size_t> time_column) {
    const auto pass_start = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    const emit_fn straight_on = [&ctx](batch_ptr b) { return deliver(ctx, std::move(b)); };
    if (time_column) {
        range_reader reader(ctx, *time_column, straight_on, std::nullopt);
        co_await reader.run(std::nullopt, std::nullopt);
    } else if (ctx.sql.ties() == tie_reading::streamed) {
        // No column to page on and no order to page by: the table is one tie group.
        const tie_group all{tie_group::kind::all, 0};
        const auto count_sql = ctx.sql.group_count_sql({}, all);
        const auto passes = co_await streamed_passes(ctx, count_sql);
        const auto sql = ctx.sql.group_sql({}, all);
        const std::function<void(batch&)> no_cursor = [](batch&) {};
        for (std::uint64_t p = 0; p < passes; ++p) {
            const keying how{{}, std::nullopt, passes, p};
            co_await stream_pass(ctx, sql, how, straight_on, no_cursor, no_cursor);
        }
    } else {
        // Offset pages in the server's natural order (QuestDB: append order).
        const auto n = static_cast<std::int64_t>(ctx.batch_size());
        auto parser = ctx.sql.make_parser();
        row_keyer keys;  // the whole table is one group
        const auto finish = make_finisher(ctx, keys, keying{});
        for (std::int64_t skip = 0;;) {
            const auto sql = ctx.sql.offset_page_sql(skip, n);
            auto b = co_await fetch_page(ctx, *parser, sql, keys, finish);
            const auto got = static_cast<std::int64_t>(b->rows());
            skip += got;
            if (got > 0) co_await deliver(ctx, std::move(b));
            if (got < n) break;
            co_await throw_if_cancelled();
        }
    }
    auto last = std::make_unique<batch>(ctx.schema);  // named: sluice/coro.hpp
    co_await finish_full(ctx, std::move(last), pass_start);
}

asio::awaitable<void> read_between(read_context& ctx, std::int64_t lo_us, std::int64_t hi_us) {
    const auto& s = *ctx.schema;
    if (!s.cursor_column) throw error(error_kind::fatal, ctx.context + ": re-reading a range needs a cursor column");
    if (lo_us >= hi_us) co_return;
    const emit_fn straight_on = [&ctx](batch_ptr b) { return deliver(ctx, std::move(b)); };
    range_reader reader(ctx, *s.cursor_column, straight_on, std::nullopt);
    co_await reader.run(lo_us, hi_us);
}

}  // namespace sluice::time_keyset
