#include "daemon/status_json.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "sluice/json.hpp"
#include "sluice/value.hpp"

namespace sluice::daemon {
namespace {

double seconds_between(std::int64_t from_us, std::int64_t to_us) {
    return static_cast<double>(to_us - from_us) / 1e6;
}

// The cursor is stored as JSON text; embed it as an object when it is one so that
// clients need not parse a string inside the document, else keep it as a string.
void write_cursor(json::writer& w, const std::string& cursor) {
    if (cursor.empty()) {
        w.null();
        return;
    }
    simdjson::dom::parser parser;
    simdjson::padded_string padded(cursor);
    auto doc = parser.parse(padded);
    if (!doc.error() && doc.value_unsafe().is_object())
        w.raw(cursor);
    else
        w.value(cursor);
}

void write_time(json::writer& w, const std::optional<std::int64_t>& us) {
    if (us)
        w.value(format_timestamp_micros(*us));
    else
        w.null();
}

void write_table(json::writer& w, const table_status& t, std::int64_t now_us) {
    w.begin_object();
    w.key("source").value(t.source);
    w.key("table").value(t.table);
    w.key("state").value(to_string(t.state));
    w.key("task_starts").value(t.task_starts);
    w.key("passes").value(t.passes);
    w.key("rows_synced").value(t.rows_synced);
    w.key("batches").value(t.batches);
    w.key("errors").value(t.errors);
    w.key("retries").value(t.retries);
    w.key("watchdog_restarts").value(t.watchdog_restarts);
    w.key("reconciles").value(t.reconciles);
    w.key("reconcile_mismatches").value(t.reconcile_mismatches);
    w.key("reconcile_rows_reread").value(t.reconcile_rows_reread);
    w.key("rows_soft_deleted").value(t.rows_soft_deleted);
    w.key("last_success");
    write_time(w, t.last_success_us);
    w.key("last_attempt");
    write_time(w, t.last_attempt_us);
    w.key("last_reconcile");
    write_time(w, t.last_reconcile_us);
    w.key("last_duration_s").value(t.last_duration_s);
    w.key("last_error");
    if (t.last_error.empty())
        w.null();
    else
        w.value(t.last_error);
    w.key("cursor");
    write_cursor(w, t.cursor);
    w.key("freshness_seconds");
    if (auto f = freshness_seconds(t, now_us))
        w.value(*f);
    else
        w.null();
    w.key("freshness_threshold_seconds");
    if (t.freshness_threshold.count() > 0)
        w.value(static_cast<double>(t.freshness_threshold.count()) / 1e3);
    else
        w.null();
    w.end_object();
}

}  // namespace

std::optional<double> freshness_seconds(const table_status& t, std::int64_t now_us) {
    if (!t.newest_cursor_us) return std::nullopt;
    return seconds_between(*t.newest_cursor_us, now_us);
}

readiness check_readiness(const status_snapshot& s, std::int64_t now_us) {
    readiness r;
    if (!s.config_loaded) r.reasons.push_back("configuration not loaded");
    if (!s.destination_reachable) {
        std::string reason = "destination unreachable";
        if (!s.destination.empty()) reason += ": " + s.destination;
        if (!s.destination_error.empty()) reason += ": " + s.destination_error;
        r.reasons.push_back(std::move(reason));
    }
    // Reachable but refusing writes (a full disk answers pings): every table is stuck.
    if (!s.destination_write_error.empty())
        r.reasons.push_back(fmt::format("destination writes failing: {}", s.destination_write_error));
    // A table failing on its own (its source is down, a bad value) does not make the
    // daemon unready until its data is older than the freshness_threshold the
    // operator set for it; the reason then says why it is not catching up.
    for (const auto& t : s.tables) {
        if (t.freshness_threshold.count() <= 0) continue;
        const std::int64_t since = t.newest_cursor_us ? *t.newest_cursor_us
                                   : t.last_success_us ? *t.last_success_us
                                                       : s.started_us;
        const double age = seconds_between(since, now_us);
        const double limit = static_cast<double>(t.freshness_threshold.count()) / 1e3;
        if (age <= limit) continue;
        auto reason = fmt::format("{}.{} is stale: {:.1f}s old, threshold {:.1f}s", t.source, t.table, age, limit);
        if (!t.last_error.empty()) reason += "; last error: " + t.last_error;
        r.reasons.push_back(std::move(reason));
    }
    r.ready = r.reasons.empty();
    return r;
}

std::string render_status_json(const status_snapshot& s, std::int64_t now_us) {
    json::writer w;
    w.begin_object();
    w.key("config_generation").value(s.config_generation);
    w.key("config_file").value(s.config_file);
    w.key("config_loaded").value(s.config_loaded);
    w.key("last_reload");
    if (s.last_reload) {
        w.begin_object();
        w.key("ok").value(s.last_reload->ok);
        w.key("at").value(format_timestamp_micros(s.last_reload->at_us));
        w.key("message").value(s.last_reload->message);
        w.end_object();
    } else {
        w.null();
    }
    w.key("reloads").begin_object();
    w.key("ok").value(s.reloads_ok);
    w.key("failed").value(s.reloads_failed);
    w.end_object();
    w.key("destination_reachable").value(s.destination_reachable);
    w.key("destination").value(s.destination);
    w.key("destination_error");
    if (s.destination_error.empty())
        w.null();
    else
        w.value(s.destination_error);
    w.key("destination_write_error");
    if (s.destination_write_error.empty())
        w.null();
    else
        w.value(s.destination_write_error);
    w.key("ready").value(check_readiness(s, now_us).ready);
    w.key("channel").begin_object();
    w.key("depth").value(static_cast<std::uint64_t>(s.channel_depth));
    w.key("bytes").value(static_cast<std::uint64_t>(s.channel_bytes));
    w.key("max_bytes").value(static_cast<std::uint64_t>(s.channel_max_bytes));
    w.end_object();
    w.key("started_at").value(format_timestamp_micros(s.started_us));
    w.key("uptime_seconds").value(s.started_us > 0 ? seconds_between(s.started_us, now_us) : 0.0);
    w.key("tables").begin_array();
    for (const auto& t : s.tables) write_table(w, t, now_us);
    w.end_array();
    w.end_object();
    return w.take();
}

std::string render_readiness_json(const readiness& r) {
    json::writer w;
    w.begin_object();
    w.key("ready").value(r.ready);
    w.key("reasons").begin_array();
    for (const auto& reason : r.reasons) w.value(reason);
    w.end_array();
    w.end_object();
    std::string out = w.take();
    out += '\n';
    return out;
}

}  // namespace sluice::daemon
