// `sluice check`: the config is valid (load() already proved it) and every
// source and the destination can be reached with the given credentials.
#include <cstdio>

#include "cli/runtime.hpp"
#include "sluice/destination.hpp"
#include "sluice/pipeline.hpp"
#include "sluice/source.hpp"

namespace sluice::cli {

namespace asio = boost::asio;

int run_check(const options& opts) {
    int exit = exit_ok;
    auto cfg = load(opts, exit);
    if (!cfg) return exit;
    const bool all_ok = run_on_pool([&](asio::any_io_executor ex) -> asio::awaitable<bool> {
        bool ok = true;
        for (const auto& s : cfg->sources) {
            try {
                auto src = make_source(s, ex);
                co_await src->check();
                std::printf("source %s (%s): ok\n", s.name.c_str(), s.type.c_str());
            } catch (...) {
                ok = false;
                std::printf("source %s (%s): FAILED: %s\n", s.name.c_str(), s.type.c_str(),
                            config::redact(describe(std::current_exception()), cfg->secrets).c_str());
            }
        }
        auto dest = make_destination(cfg->destination, ex);
        try {
            co_await dest->connect();
            co_await dest->ping();
            std::printf("destination %s: ok\n", dest->describe().c_str());
        } catch (...) {
            ok = false;
            std::printf("destination %s: FAILED: %s\n", dest->describe().c_str(),
                        config::redact(describe(std::current_exception()), cfg->secrets).c_str());
        }
        dest->close();
        co_return ok;
    });
    return all_ok ? exit_ok : exit_failure;
}

}  // namespace sluice::cli
