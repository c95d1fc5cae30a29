#pragma once
// One parser per section of the file; each reports its problems into the context.

#include <optional>
#include <string_view>
#include <vector>

#include "config/context.hpp"
#include "sluice/config.hpp"

namespace sluice::config::detail {

// The table settings one level (defaults, source, table) sets explicitly.
struct settings_override {
    std::optional<duration> poll_interval;
    std::optional<duration> lookback;
    std::optional<std::size_t> batch_size;
    std::optional<int> max_parallel_workers;
    std::optional<int> max_in_flight;
    std::optional<duration> freshness_threshold;
    std::optional<duration> reconcile_interval;
};

const std::vector<std::string_view>& settings_keys();
settings_override read_settings(context& ctx, const mapping& m);
table_settings merge(table_settings base, const settings_override& over);

destination_config parse_destination(context& ctx, const field& f);
http_config parse_http(context& ctx, const field& f);
log_config parse_log(context& ctx, const field& f);
daemon_config parse_daemon(context& ctx, const field& f);
table_settings parse_defaults(context& ctx, const field& f);
source_config parse_source(context& ctx, const field& f, const table_settings& defaults);
// `src` has its name, type and merged settings filled in.
table_config parse_table(context& ctx, const field& f, const source_config& src);

}  // namespace sluice::config::detail
