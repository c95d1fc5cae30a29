// `sluice once`: one incremental pass over every configured table, then exit.
#include <unistd.h>

#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <spdlog/spdlog.h>

#include "cli/progress_display.hpp"
#include "cli/runtime.hpp"
#include "sluice/pipeline.hpp"

namespace sluice::cli {

namespace asio = boost::asio;

int run_once(const options& opts) {
    int exit = exit_ok;
    auto cfg = load(opts, exit);
    if (!cfg) return exit;
    std::vector<table_outcome> outcomes;
    try {
        outcomes = run_on_pool([&](asio::any_io_executor ex) -> asio::awaitable<std::vector<table_outcome>> {
            auto dest = make_serialized(make_destination(cfg->destination, ex), ex);
            co_await dest->connect();
            std::vector<std::unique_ptr<source>> sources;
            std::vector<std::string> names;
            for (const auto& s : cfg->sources) {
                sources.push_back(make_source(s, ex));
                names.push_back(s.name);
            }
            auto display = std::make_shared<progress_display>(isatty(STDERR_FILENO) == 1);
            asio::co_spawn(ex, [display]() -> asio::awaitable<void> { co_await display->run(); },
                           asio::detached);
            // Channel depth: a few batches per table in flight is enough to keep
            // the writer busy; the byte bound is what caps memory.
            std::vector<table_outcome> result;
            try {
                result = co_await sluice::run_once(sources, names, *dest, 8, cfg->destination.batch_bytes * 2,
                                                   [display](progress_list t) { display->set_tables(std::move(t)); });
            } catch (...) {
                display->stop();
                throw;
            }
            display->stop();
            for (auto& s : sources) s->close();
            dest->close();
            co_return result;
        });
    } catch (...) {
        spdlog::error("{}", describe(std::current_exception()));
        return exit_failure;
    }
    bool ok = true;
    for (const auto& o : outcomes) {
        if (o.error.empty()) {
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

}  // namespace sluice::cli
