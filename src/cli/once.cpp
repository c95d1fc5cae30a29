// `sluice once`: one incremental pass over every configured table, then exit.
// `sluice reconcile [TABLE]`: the same, each pass followed by delete and drift
// detection (reconcile_pass.hpp) where the source supports it.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <spdlog/spdlog.h>

#include "cli/progress_display.hpp"
#include "cli/runtime.hpp"
#include "sluice/pipeline.hpp"
#include "sluice/writer_lanes.hpp"

namespace sluice::cli {

namespace asio = boost::asio;

namespace {

// The display redraws until the sync is over; the sync stops it. Both run side by
// side and this returns only when both have ended, so no coroutine can touch the
// display (or anything else of the command) after the command's scope is gone.
asio::awaitable<std::vector<table_outcome>> sync_with_display(
    std::shared_ptr<progress_display> display, asio::awaitable<std::vector<table_outcome>> sync) {
    using namespace asio::experimental::awaitable_operators;
    auto stop_after = [](std::shared_ptr<progress_display> d,
                         asio::awaitable<std::vector<table_outcome>> work) -> asio::awaitable<std::vector<table_outcome>> {
        std::exception_ptr failure;
        std::vector<table_outcome> result;
        try {
            result = co_await std::move(work);
        } catch (...) {
            failure = std::current_exception();
        }
        d->stop();
        if (failure) std::rethrow_exception(failure);
        co_return result;
    };
    auto work = stop_after(display, std::move(sync));
    auto drawing = display->run();
    auto both = std::move(work) && std::move(drawing);
    co_return co_await std::move(both);
}

}  // namespace

namespace {

int run_passes(const options& opts, once_options what) {
    int exit = exit_ok;
    auto cfg = load(opts, exit);
    if (!cfg) return exit;
    std::vector<table_outcome> outcomes;
    try {
        outcomes = run_on_pool([&](asio::any_io_executor ex) -> asio::awaitable<std::vector<table_outcome>> {
            writer_lanes lanes(cfg->destination, ex);
            co_await lanes.connect();
            std::vector<std::unique_ptr<source>> sources;
            std::vector<std::string> names;
            for (const auto& s : cfg->sources) {
                sources.push_back(make_source(s, ex));
                names.push_back(s.name);
            }
            auto display = std::make_shared<progress_display>(isatty(STDERR_FILENO) == 1);
            // Named locals, not temporaries inside the co_await expression: g++ 12
            // destroys some of those twice (seen here as a double shared_ptr release).
            std::function<void(progress_list)> on_started = [display](progress_list t) {
                display->set_tables(std::move(t));
            };
            auto sync = sluice::run_once(sources, names, lanes, std::move(on_started), what);
            auto both = sync_with_display(display, std::move(sync));
            auto result = co_await std::move(both);
            for (auto& s : sources) s->close();
            lanes.close();
            co_return result;
        });
    } catch (...) {
        spdlog::error("{}", describe(std::current_exception()));
        return exit_failure;
    }
    bool ok = true;
    if (outcomes.empty() && !what.only_table.empty()) {
        std::fprintf(stderr, "sluice: no table '%s' in the configuration (expected source.table)\n",
                     what.only_table.c_str());
        return exit_usage;
    }
    for (const auto& o : outcomes) {
        if (o.error.empty() && what.reconcile && !o.reconcile) {
            std::printf("%s: %llu rows; reconcile: not supported by this source or table (needs a timestamp cursor)\n",
                        o.name.c_str(), static_cast<unsigned long long>(o.rows));
        } else if (o.error.empty() && o.reconcile) {
            const auto& r = *o.reconcile;
            std::printf("%s: %llu rows; reconcile: %llu buckets compared, %llu differed, %llu rows re-read in "
                        "%llu queries, %llu rows soft-deleted (%.2fs)\n",
                        o.name.c_str(), static_cast<unsigned long long>(o.rows - std::min(o.rows, r.rows_reread)),
                        static_cast<unsigned long long>(r.buckets_compared),
                        static_cast<unsigned long long>(r.buckets_mismatched),
                        static_cast<unsigned long long>(r.rows_reread),
                        static_cast<unsigned long long>(r.ranges_reread),
                        static_cast<unsigned long long>(o.rows_soft_deleted), r.seconds);
        } else if (o.error.empty()) {
            std::printf("%s: %llu rows\n", o.name.c_str(), static_cast<unsigned long long>(o.rows));
        } else {
            ok = false;
            std::printf("%s: FAILED after %llu rows: %s\n", o.name.c_str(),
                        static_cast<unsigned long long>(o.rows),
                        config::redact(o.error, cfg->secrets).c_str());
        }
    }
    return ok ? exit_ok : exit_failure;
}

}  // namespace

int run_once(const options& opts) { return run_passes(opts, {}); }

int run_reconcile(const options& opts) {
    once_options what;
    what.reconcile = true;
    if (!opts.args.empty()) what.only_table = opts.args[0];
    return run_passes(opts, what);
}

}  // namespace sluice::cli
