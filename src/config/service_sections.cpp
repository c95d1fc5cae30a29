// The restart-only sections: destination, http and log.
#include <algorithm>

#include <fmt/format.h>

#include "config/sections.hpp"

namespace sluice::config::detail {

namespace {

const std::vector<std::string_view> sqlite_keys = {"type", "path", "batch_rows", "batch_bytes"};
const std::vector<std::string_view> postgres_keys = {"type",          "dsn",        "dsn_file",
                                                     "password",      "password_file", "schema_prefix",
                                                     "batch_rows",    "batch_bytes",   "writers"};
// More writer connections than this is a typo, not a tuning (each is a backend).
constexpr std::size_t max_writers = 64;

std::vector<std::string_view> difference(const std::vector<std::string_view>& a,
                                         const std::vector<std::string_view>& b) {
    std::vector<std::string_view> out;
    for (auto k : a)
        if (std::find(b.begin(), b.end(), k) == b.end()) out.push_back(k);
    return out;
}

}  // namespace

destination_config parse_destination(context& ctx, const field& f) {
    destination_config out;
    mapping m(ctx, f);
    if (auto t = m.get("type")) {
        if (auto v = ctx.choice(*t, {"sqlite", "postgres"})) out.type = *v;
    }
    const bool postgres = out.type == "postgres";
    const auto& own = postgres ? postgres_keys : sqlite_keys;
    m.check_keys(own, difference(postgres ? sqlite_keys : postgres_keys, own),
                 fmt::format("a destination of type {}", out.type));

    if (auto p = m.get("path"); p && !postgres) {
        if (auto v = ctx.non_empty_text(*p)) out.path = *v;
    }
    if (postgres) {
        if (auto v = m.secret("dsn", secret_kind::dsn))
            out.dsn = *v;
        else if (!m.has("dsn") && !m.has("dsn_file"))
            ctx.report(m.self().line, m.child_path("dsn"),
                       "missing required key 'dsn' (destination type postgres)");
        out.password = m.secret("password", secret_kind::password);
        if (auto p = m.get("schema_prefix")) {
            if (auto v = ctx.text(*p)) out.schema_prefix = *v;
        }
        if (auto p = m.get("writers")) {
            if (auto v = ctx.positive_count(*p)) {
                if (*v > max_writers)
                    ctx.report(*p, fmt::format("{} writers is more than the {} allowed", *v, max_writers));
                else
                    out.writers = *v;
            }
        }
    }
    if (auto p = m.get("batch_rows")) {
        if (auto v = ctx.positive_count(*p)) out.batch_rows = *v;
    }
    if (auto p = m.get("batch_bytes")) {
        if (auto v = ctx.size_value(*p)) out.batch_bytes = *v;
    }
    return out;
}

http_config parse_http(context& ctx, const field& f) {
    http_config out;
    mapping m(ctx, f);
    m.check_keys({"listen"});
    auto listen = m.get("listen");
    if (!listen) return out;
    auto v = ctx.text(*listen);
    if (!v) return out;
    // host:port, where host may be a bracketed IPv6 address ("[::1]:8686").
    const auto colon = v->rfind(':');
    const auto host = colon == std::string::npos ? std::string() : v->substr(0, colon);
    const auto port_text = colon == std::string::npos ? std::string() : v->substr(colon + 1);
    int port = 0;
    bool port_ok = !port_text.empty() && port_text.size() <= 5;
    // At most 5 digits are accumulated: a longer run is refused unread (it overflowed int).
    for (std::size_t i = 0; port_ok && i < port_text.size(); ++i) {
        const char c = port_text[i];
        if (c < '0' || c > '9')
            port_ok = false;
        else
            port = port * 10 + (c - '0');
    }
    const bool bad_v6 =
        host.find(':') != std::string::npos && !(host.starts_with('[') && host.ends_with(']'));
    if (host.empty() || bad_v6 || !port_ok || port < 1 || port > 65535) {
        ctx.report(*listen,
                   fmt::format("invalid listen address '{}' (expected host:port with a port in 1..65535, "
                               "e.g. 127.0.0.1:8686)",
                               *v));
        return out;
    }
    out.listen = *v;
    return out;
}

log_config parse_log(context& ctx, const field& f) {
    log_config out;
    mapping m(ctx, f);
    m.check_keys({"level", "format"});
    if (auto p = m.get("level")) {
        if (auto v = ctx.choice(*p, {"trace", "debug", "info", "warn", "error"})) out.level = *v;
    }
    if (auto p = m.get("format")) {
        if (auto v = ctx.choice(*p, {"text", "json"})) out.format = *v;
    }
    return out;
}

daemon_config parse_daemon(context& ctx, const field& f) {
    daemon_config out;
    mapping m(ctx, f);
    m.check_keys({"shutdown_grace", "watchdog_timeout", "backoff_max", "pid_file"});
    if (auto p = m.get("shutdown_grace")) {
        if (auto v = ctx.duration_value(*p, false)) out.shutdown_grace = *v;
    }
    if (auto p = m.get("watchdog_timeout")) {
        if (auto v = ctx.duration_value(*p, false)) out.watchdog_timeout = *v;
    }
    if (auto p = m.get("backoff_max")) {
        if (auto v = ctx.duration_value(*p, false)) out.backoff_max = *v;
    }
    if (auto p = m.get("pid_file")) {
        if (auto v = ctx.text(*p)) out.pid_file = *v;
    }
    return out;
}

}  // namespace sluice::config::detail
