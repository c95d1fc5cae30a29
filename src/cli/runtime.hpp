#pragma once
// What every command needs: the loaded config (or the exit code explaining why
// not), logging set up from it, and a way to run a coroutine on the thread pool
// from main's thread.

#include <future>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "cli/cli.hpp"
#include "sluice/config.hpp"

namespace sluice::cli {

// Loads and validates the config; on failure prints every problem to stderr and
// sets `exit` to exit_usage.
std::optional<config::config> load(const options& opts, int& exit);

// Threads of the one pool every sync shares.
unsigned pool_threads();

// Runs `make(executor)` to completion on a fresh pool; rethrows its exception.
template <class F>
auto run_on_pool(F make) {
    boost::asio::thread_pool pool(pool_threads());
    auto fut = boost::asio::co_spawn(pool, make(pool.get_executor()), boost::asio::use_future);
    struct joiner {
        boost::asio::thread_pool& p;
        // Nothing may outlive the command: stop leftover work (idle timers) too.
        ~joiner() {
            p.stop();
            p.join();
        }
    } j{pool};
    return fut.get();
}

}  // namespace sluice::cli
