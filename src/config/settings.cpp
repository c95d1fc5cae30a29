// The table settings that cascade defaults > source > table.
#include "config/sections.hpp"

namespace sluice::config::detail {

const std::vector<std::string_view>& settings_keys() {
    static const std::vector<std::string_view> keys = {"poll_interval", "lookback", "batch_size",
                                                       "max_parallel_workers", "max_in_flight",
                                                       "freshness_threshold", "reconcile_interval"};
    return keys;
}

settings_override read_settings(context& ctx, const mapping& m) {
    settings_override out;
    if (auto f = m.get("poll_interval")) out.poll_interval = ctx.duration_value(*f, false);
    // lookback 0 is the normal case: no trailing window is re-read.
    if (auto f = m.get("lookback")) out.lookback = ctx.duration_value(*f, true);
    if (auto f = m.get("batch_size")) out.batch_size = ctx.positive_count(*f);
    if (auto f = m.get("max_parallel_workers")) out.max_parallel_workers = ctx.positive_int(*f);
    if (auto f = m.get("max_in_flight")) out.max_in_flight = ctx.positive_int(*f);
    if (auto f = m.get("freshness_threshold")) out.freshness_threshold = ctx.duration_value(*f, true);
    if (auto f = m.get("reconcile_interval")) out.reconcile_interval = ctx.duration_value(*f, true);
    return out;
}

table_settings merge(table_settings base, const settings_override& over) {
    if (over.poll_interval) base.poll_interval = *over.poll_interval;
    if (over.lookback) base.lookback = *over.lookback;
    if (over.batch_size) base.batch_size = *over.batch_size;
    if (over.max_parallel_workers) base.max_parallel_workers = *over.max_parallel_workers;
    if (over.max_in_flight) {
        base.max_in_flight = *over.max_in_flight;
        base.max_in_flight_configured = true;
    }
    if (over.freshness_threshold) base.freshness_threshold = *over.freshness_threshold;
    if (over.reconcile_interval) base.reconcile_interval = *over.reconcile_interval;
    return base;
}

table_settings parse_defaults(context& ctx, const field& f) {
    mapping m(ctx, f);
    m.check_keys(settings_keys());
    return merge(table_settings{}, read_settings(ctx, m));
}

}  // namespace sluice::config::detail
