#include "daemon/metrics.hpp"

#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "daemon/status_json.hpp"

namespace sluice::daemon {
namespace {

std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

class exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::string_view labels, double v) {
        fmt::format_to(std::back_inserter(out_), "{}{} {}\n", name, labels, number(v));
    }
    void sample(std::string_view name, std::string_view labels, std::uint64_t v) {
        fmt::format_to(std::back_inserter(out_), "{}{} {}\n", name, labels, v);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

std::string table_labels(const table_status& t) {
    return fmt::format("{{source=\"{}\",table=\"{}\"}}", escape_label_value(t.source),
                       escape_label_value(t.table));
}

// One family with a sample per table; `get` returns nullopt to leave a table out.
template <typename T>
void per_table(exposition& e, const status_snapshot& s, std::string_view name, std::string_view type,
               std::string_view help, const std::function<std::optional<T>(const table_status&)>& get) {
    e.family(name, type, help);
    for (const auto& t : s.tables)
        if (auto v = get(t)) e.sample(name, table_labels(t), *v);
}

using counter_fn = std::function<std::optional<std::uint64_t>(const table_status&)>;
using gauge_fn = std::function<std::optional<double>(const table_status&)>;

void table_metrics(exposition& e, const status_snapshot& s, std::int64_t now_us) {
    per_table<std::uint64_t>(e, s, "sluice_rows_synced_total", "counter", "Rows committed since the daemon started.",
                             counter_fn([](const table_status& t) { return t.rows_synced; }));
    per_table<std::uint64_t>(e, s, "sluice_batches_total", "counter", "Batches committed since the daemon started.",
                             counter_fn([](const table_status& t) { return t.batches; }));
    per_table<std::uint64_t>(e, s, "sluice_sync_errors_total", "counter", "Failed sync passes.",
                             counter_fn([](const table_status& t) { return t.errors; }));
    per_table<std::uint64_t>(e, s, "sluice_sync_retries_total", "counter", "Sync retries after a backoff.",
                             counter_fn([](const table_status& t) { return t.retries; }));
    per_table<std::uint64_t>(e, s, "sluice_sync_passes_total", "counter", "Completed sync passes.",
                             counter_fn([](const table_status& t) { return t.passes; }));
    per_table<std::uint64_t>(e, s, "sluice_task_starts_total", "counter",
                             "Times a sync task was (re)started for the table.",
                             counter_fn([](const table_status& t) { return t.task_starts; }));
    per_table<std::uint64_t>(e, s, "sluice_watchdog_restarts_total", "counter",
                             "Sync tasks restarted for making no progress.",
                             counter_fn([](const table_status& t) { return t.watchdog_restarts; }));
    per_table<std::uint64_t>(e, s, "sluice_reconciles_total", "counter",
                             "Completed delete/drift detection runs.",
                             counter_fn([](const table_status& t) { return t.reconciles; }));
    per_table<std::uint64_t>(e, s, "sluice_reconcile_mismatches_total", "counter",
                             "Time buckets found different from the source and repaired by a re-read.",
                             counter_fn([](const table_status& t) { return t.reconcile_mismatches; }));
    per_table<std::uint64_t>(e, s, "sluice_reconcile_rows_reread_total", "counter",
                             "Rows re-read from the source by delete/drift detection.",
                             counter_fn([](const table_status& t) { return t.reconcile_rows_reread; }));
    per_table<std::uint64_t>(e, s, "sluice_rows_soft_deleted_total", "counter",
                             "Rows marked _sluice_deleted because the source no longer has them.",
                             counter_fn([](const table_status& t) { return t.rows_soft_deleted; }));
    per_table<double>(e, s, "sluice_last_sync_duration_seconds", "gauge", "Duration of the last sync pass.",
                      gauge_fn([](const table_status& t) { return t.last_duration_s; }));
    per_table<double>(e, s, "sluice_last_success_timestamp_seconds", "gauge",
                      "Unix time of the end of the last successful pass.",
                      gauge_fn([](const table_status& t) -> std::optional<double> {
                          if (!t.last_success_us) return std::nullopt;
                          return static_cast<double>(*t.last_success_us) / 1e6;
                      }));
    per_table<double>(e, s, "sluice_freshness_seconds", "gauge",
                      "Seconds between now and the newest committed cursor value (time cursors only).",
                      gauge_fn([now_us](const table_status& t) { return freshness_seconds(t, now_us); }));
    // A failing table retries: while it tries again its state is `syncing`, but it
    // stays down (last_error is set) until a pass succeeds, so an outage does not
    // flap the gauge at every retry.
    per_table<double>(e, s, "sluice_table_up", "gauge",
                      "1 unless the table's task has failed or its last pass failed (until a pass succeeds).",
                      gauge_fn([](const table_status& t) {
                          const bool down = t.state == table_state::failed || t.state == table_state::backoff ||
                                            !t.last_error.empty();
                          return down ? 0.0 : 1.0;
                      }));
}

}  // namespace

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    return out;
}

std::string render_metrics(const status_snapshot& s, std::int64_t now_us) {
    exposition e;
    table_metrics(e, s, now_us);
    e.family("sluice_channel_depth", "gauge", "Batches waiting in the channel to the destination writer.");
    e.sample("sluice_channel_depth", "", static_cast<std::uint64_t>(s.channel_depth));
    e.family("sluice_channel_bytes", "gauge", "Bytes of batches waiting in the channel.");
    e.sample("sluice_channel_bytes", "", static_cast<std::uint64_t>(s.channel_bytes));
    e.family("sluice_channel_max_bytes", "gauge", "Capacity of the channel in bytes.");
    e.sample("sluice_channel_max_bytes", "", static_cast<std::uint64_t>(s.channel_max_bytes));
    e.family("sluice_config_generation", "gauge", "Generation of the running configuration (1 at start).");
    e.sample("sluice_config_generation", "", s.config_generation);
    e.family("sluice_reloads_total", "counter", "Configuration reloads by result.");
    e.sample("sluice_reloads_total", "{result=\"ok\"}", s.reloads_ok);
    e.sample("sluice_reloads_total", "{result=\"failed\"}", s.reloads_failed);
    e.family("sluice_destination_up", "gauge", "1 when the destination answered its last check.");
    e.sample("sluice_destination_up", "", std::uint64_t{s.destination_reachable ? 1u : 0u});
    e.family("sluice_destination_write_failing", "gauge",
             "1 while the last write failed for a destination-wide reason (disk full, connection lost).");
    e.sample("sluice_destination_write_failing", "", std::uint64_t{s.destination_write_error.empty() ? 0u : 1u});
    e.family("sluice_ready", "gauge", "1 when /readyz answers 200.");
    e.sample("sluice_ready", "", std::uint64_t{check_readiness(s, now_us).ready ? 1u : 0u});
    e.family("sluice_start_time_seconds", "gauge", "Unix time the daemon started.");
    e.sample("sluice_start_time_seconds", "", static_cast<double>(s.started_us) / 1e6);
    return e.take();
}

}  // namespace sluice::daemon
