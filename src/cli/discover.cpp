// `sluice discover`: what sluice would sync, as JSON, after applying the
// config (cursor inference, keys, include/exclude, declared types).
#include <cstdio>

#include "cli/runtime.hpp"
#include "sluice/json.hpp"
#include "sluice/pipeline.hpp"
#include "sluice/source.hpp"
#include <spdlog/spdlog.h>

namespace sluice::cli {

namespace asio = boost::asio;

namespace {

void write_table(json::writer& w, const table_schema& t) {
    w.begin_object()
        .key("source").value(t.source)
        .key("table").value(t.table)
        .key("destination").value(t.dest_table)
        .key("mode").value(t.mode == sync_mode::full ? "full" : "incremental");
    w.key("cursor");
    if (t.cursor_column) w.value(t.columns[*t.cursor_column].name);
    else w.null();
    w.key("primary_key").begin_array();
    for (auto k : t.key) w.value(t.columns[k].name);
    w.end_array();
    w.key("synthetic_key").value(t.synthetic_key);
    w.key("columns").begin_array();
    for (const auto& c : t.columns)
        w.begin_object()
            .key("name").value(c.name)
            .key("type").value(to_string(c.type))
            .key("source_type").value(c.source_type)
            .end_object();
    w.end_array().end_object();
}

}  // namespace

int run_discover(const options& opts) {
    int exit = exit_ok;
    auto cfg = load(opts, exit);
    if (!cfg) return exit;
    auto [ok, text] = run_on_pool([&](asio::any_io_executor ex) -> asio::awaitable<std::pair<bool, std::string>> {
        bool ok = true;
        json::writer w;
        w.begin_array();
        for (const auto& s : cfg->sources) {
            try {
                auto src = make_source(s, ex);
                for (const auto& t : co_await src->discover()) write_table(w, *t);
                src->close();
            } catch (...) {
                ok = false;
                spdlog::error("{}: discovery failed: {}", s.name, describe(std::current_exception()));
            }
        }
        w.end_array();
        co_return std::pair{ok, w.take()};
    });
    std::printf("%s\n", text.c_str());
    return ok ? exit_ok : exit_failure;
}

}  // namespace sluice::cli
