// `sluice state show|reset`: the committed cursors, read from (or removed
// from) the destination's state table, where they live next to the data.
#include <cstdio>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "cli/runtime.hpp"
#include "sluice/destination.hpp"
#include "sluice/json.hpp"
#include "sluice/pipeline.hpp"

namespace sluice::cli {

namespace asio = boost::asio;

namespace {

// "source.table": source names cannot contain dots, table names can.
bool split_table(const std::string& arg, std::string& source, std::string& table) {
    const auto dot = arg.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == arg.size()) return false;
    source = arg.substr(0, dot);
    table = arg.substr(dot + 1);
    return true;
}

bool is_json(const std::string& text) {
    simdjson::dom::parser parser;
    return !text.empty() && !parser.parse(text).error();
}

}  // namespace

int run_state(const options& opts) {
    const std::string verb = opts.args.empty() ? "show" : opts.args[0];
    std::string source, table;
    if (verb == "reset") {
        if (opts.args.size() != 2 || !split_table(opts.args[1], source, table)) {
            std::fprintf(stderr, "sluice: usage: sluice state reset SOURCE.TABLE -c FILE\n");
            return exit_usage;
        }
    } else if (verb == "show") {
        if (opts.args.size() > 2 || (opts.args.size() == 2 && !split_table(opts.args[1], source, table))) {
            std::fprintf(stderr, "sluice: usage: sluice state show [SOURCE.TABLE] -c FILE\n");
            return exit_usage;
        }
    } else {
        std::fprintf(stderr, "sluice: unknown state command '%s' (show or reset)\n", verb.c_str());
        return exit_usage;
    }
    int exit = exit_ok;
    auto cfg = load(opts, exit);
    if (!cfg) return exit;
    try {
        return run_on_pool([&](asio::any_io_executor ex) -> asio::awaitable<int> {
            auto dest = make_destination(cfg->destination, ex);
            co_await dest->connect();
            if (verb == "reset") {
                const bool existed = co_await dest->reset_state(source, table);
                dest->close();
                if (!existed) {
                    std::fprintf(stderr, "sluice: no state for %s.%s\n", source.c_str(), table.c_str());
                    co_return exit_failure;
                }
                std::printf("%s.%s: cursor reset; the next pass starts from scratch\n", source.c_str(),
                            table.c_str());
                co_return exit_ok;
            }
            json::writer w;
            w.begin_array();
            for (const auto& row : co_await dest->list_state()) {
                if (!source.empty() && (row.source != source || row.table != table)) continue;
                w.begin_object().key("source").value(row.source).key("table").value(row.table).key("cursor");
                if (is_json(row.cursor)) w.raw(row.cursor);
                else if (row.cursor.empty()) w.null();
                else w.value(row.cursor);
                w.key("rows").value(row.rows).key("updated_at").value(row.updated_at).end_object();
            }
            w.end_array();
            dest->close();
            std::printf("%s\n", w.str().c_str());
            co_return exit_ok;
        });
    } catch (...) {
        spdlog::error("{}", describe(std::current_exception()));
        return exit_failure;
    }
}

}  // namespace sluice::cli
