// One entry of `sources:`: its connection keys (which depend on its type) and its tables.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "config/dsn_secrets.hpp"
#include "config/sections.hpp"
#include "sluice/json.hpp"

namespace sluice::config::detail {

namespace {

const std::vector<std::string_view> source_types = {"postgres", "redshift", "questdb", "druid", "hbase"};

std::vector<std::string_view> type_keys(std::string_view type) {
    if (type == "postgres" || type == "redshift")
        return {"dsn", "dsn_file", "password", "password_file", "schema", "max_connections"};
    if (type == "questdb")
        return {"url", "username", "password", "password_file", "use_ssl", "ca_file", "verify_tls", "timeout"};
    if (type == "druid")
        return {"url",     "username",   "password", "password_file", "use_ssl",
                "ca_file", "verify_tls", "timeout",  "schema",        "query_context"};
    if (type == "hbase")
        return {"host", "port", "transport", "protocol", "client", "table_prefix", "table_prefix_separator",
                "timeout"};
    return {};
}

std::vector<std::string_view> common_keys() {
    std::vector<std::string_view> keys = {"name", "type", "tables"};
    const auto& s = settings_keys();
    keys.insert(keys.end(), s.begin(), s.end());
    return keys;
}

void add_unique(std::vector<std::string_view>& to, const std::vector<std::string_view>& keys) {
    for (auto k : keys)
        if (std::find(to.begin(), to.end(), k) == to.end()) to.push_back(k);
}

bool valid_source_name(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// A YAML scalar as the JSON value Druid should see: plain numbers and booleans
// stay typed (timeout: 60000 is a number), quoted or other text is a string.
std::string scalar_json(const YAML::Node& node) {
    const std::string text = node.Scalar();
    if (node.Tag() != "!") {
        if (text == "true" || text == "false") return text;
        if (text == "null" || text == "~") return "null";
        const char* begin = text.data();
        const char* end = begin + text.size();
        std::int64_t i = 0;
        if (auto r = std::from_chars(begin, end, i); r.ec == std::errc{} && r.ptr == end) return text;
        double d = 0;
        if (auto r = std::from_chars(begin, end, d); r.ec == std::errc{} && r.ptr == end && std::isfinite(d))
            return text;
    }
    return json::quote(text);
}

void read_druid_keys(context& ctx, const mapping& m, source_config& out) {
    out.schema = "druid";
    if (auto f = m.get("schema")) {
        if (auto v = ctx.non_empty_text(*f)) out.schema = *v;
    }
    const auto f = m.get("query_context");
    if (!f) return;
    if (!f->node.IsMap()) {
        ctx.report(*f, "expected a mapping of query context keys to values, e.g. { timeout: 60000, priority: 10 }");
        return;
    }
    for (const auto& item : f->node) {
        const auto key = item.first.as<std::string>();
        const field value{item.second, f->path + "." + key, line_of(item.second)};
        if (key == "sqlQueryId" || key == "sqlTimeZone" || key == "sqlStringifyArrays") {
            ctx.report(value, fmt::format("'{}' is set by sluice (query cancellation, UTC timestamps, JSON "
                                          "arrays) and cannot be configured",
                                          key));
            continue;
        }
        if (!item.second.IsScalar()) {
            ctx.report(value, "expected a scalar value (number, boolean or text)");
            continue;
        }
        if (auto v = ctx.text(value)) {
            // ${ENV} was expanded by text(); keep the original tag for typing.
            YAML::Node expanded(*v);
            expanded.SetTag(item.second.Tag());
            out.query_context[key] = scalar_json(expanded);
        }
    }
}

void read_connection(context& ctx, const mapping& m, source_config& out) {
    const auto& type = out.type;
    if (type == "postgres" || type == "redshift") {
        if (auto v = m.secret("dsn", secret_kind::dsn))
            out.dsn = *v;
        else if (!m.has("dsn") && !m.has("dsn_file"))
            ctx.report(m.self().line, m.child_path("dsn"), "missing required key 'dsn'");
        out.password = m.secret("password", secret_kind::password);
        if (auto f = m.get("schema")) {
            if (auto v = ctx.non_empty_text(*f)) out.schema = *v;
        }
        if (auto f = m.get("max_connections")) {
            if (auto v = ctx.positive_int(*f)) out.max_connections = *v;
        }
    } else if (type == "questdb" || type == "druid") {
        if (auto f = m.require("url")) {
            if (auto v = ctx.text(*f)) {
                if (v->starts_with("http://") || v->starts_with("https://")) {
                    out.url = *v;
                    // A URL may carry credentials in its userinfo; keep them out of logs too.
                    for (auto& p : embedded_passwords(*v)) ctx.add_secret(std::move(p));
                } else {
                    ctx.report(
                        *f, fmt::format("invalid URL '{}' (expected http://host:port or https://...)", *v));
                }
            }
        }
        if (auto f = m.get("username")) {
            if (auto v = ctx.text(*f)) out.username = *v;
        }
        out.password = m.secret("password", secret_kind::password);
        // use_ssl: the key of the Python connectors sluice replaces; true upgrades an
        // http:// URL, false contradicts an https:// one.
        if (auto f = m.get("use_ssl")) {
            if (auto v = ctx.boolean(*f)) {
                if (*v && out.url.starts_with("http://"))
                    out.url.replace(0, 4, "https");
                else if (!*v && out.url.starts_with("https://"))
                    ctx.report(*f, "use_ssl: false contradicts the https:// url");
            }
        }
        if (auto f = m.get("ca_file")) {
            if (auto v = ctx.text(*f)) out.ca_file = *v;  // "" = system store only
        }
        if (auto f = m.get("verify_tls")) {
            if (auto v = ctx.boolean(*f)) out.verify_tls = *v;
        }
        if (auto f = m.get("timeout")) {
            if (auto v = ctx.duration_value(*f, false)) out.request_timeout = *v;
        }
        if (type == "druid") read_druid_keys(ctx, m, out);
    } else if (type == "hbase") {
        if (auto f = m.get("host")) {
            if (auto v = ctx.non_empty_text(*f)) out.host = *v;
        }
        if (auto f = m.get("port")) {
            if (auto v = ctx.positive_int(*f)) {
                if (*v <= 65535)
                    out.port = *v;
                else
                    ctx.report(*f, fmt::format("port {} is out of range 1..65535", *v));
            }
        }
        if (auto f = m.get("transport")) {
            if (auto v = ctx.choice(*f, {"buffered", "framed"})) out.transport = *v;
        }
        if (auto f = m.get("protocol")) {
            if (auto v = ctx.choice(*f, {"binary", "compact"})) out.protocol = *v;
        }
        if (auto f = m.get("client")) {
            if (auto v = ctx.choice(*f, {"socket", "http"})) out.client = *v;
        }
        if (auto f = m.get("table_prefix")) {
            if (auto v = ctx.text(*f)) out.table_prefix = *v;
        }
        if (auto f = m.get("table_prefix_separator")) {
            if (auto v = ctx.text(*f)) out.table_prefix_separator = *v;
        }
        if (auto f = m.get("timeout")) {
            if (auto v = ctx.duration_value(*f, false)) out.timeout = *v;
        }
    }
}

void read_tables(context& ctx, const mapping& m, source_config& out) {
    const auto tables = m.get("tables");
    if (!tables) {
        out.all_tables = true;
        return;
    }
    if (tables->node.IsScalar()) {
        auto v = ctx.text(*tables);
        if (v && *v == "all")
            out.all_tables = true;
        else if (v)
            ctx.report(*tables, fmt::format("expected 'all' or a list of tables, got '{}'", *v));
        return;
    }
    if (!tables->node.IsSequence()) {
        ctx.report(*tables, "expected 'all' or a list of tables");
        return;
    }
    if (tables->node.size() == 0) {
        ctx.report(*tables, "empty list of tables (omit 'tables' or write 'all' to sync every table)");
        return;
    }
    std::map<std::string, int> first_line_of_name;
    std::map<std::string, std::string> owner_of_destination;
    for (const auto& item : ctx.items(*tables)) {
        auto table = parse_table(ctx, item, out);
        if (table.name.empty()) continue;
        if (auto [it, inserted] = first_line_of_name.emplace(table.name, item.line); !inserted) {
            ctx.report(item, fmt::format("duplicate table '{}' (first at line {})", table.name, it->second));
            continue;
        }
        const auto dest = table.destination.value_or(table.name);
        if (auto [it, inserted] = owner_of_destination.emplace(dest, table.name); !inserted) {
            ctx.report(item,
                       fmt::format("destination table '{}' is also written by table '{}'", dest, it->second));
            continue;
        }
        out.tables.push_back(std::move(table));
    }
}

}  // namespace

source_config parse_source(context& ctx, const field& f, const table_settings& defaults) {
    source_config out;
    out.where = location{ctx.file, f.line};
    mapping m(ctx, f);
    if (!f.node.IsMap()) return out;

    if (auto name = m.require("name")) {
        if (auto v = ctx.text(*name)) {
            if (valid_source_name(*v))
                out.name = *v;
            else
                ctx.report(*name, fmt::format("invalid source name '{}' (use only a-z, 0-9 and _)", *v));
        }
    }
    bool known_type = false;
    if (auto type = m.require("type")) {
        if (auto v = ctx.text(*type)) {
            known_type = std::find(source_types.begin(), source_types.end(), *v) != source_types.end();
            if (known_type)
                out.type = *v;
            else
                ctx.report(*type,
                           fmt::format("unknown source type '{}' (expected one of: postgres, redshift, "
                                       "questdb, druid, hbase)",
                                       *v));
        }
    }

    auto allowed = common_keys();
    std::vector<std::string_view> foreign;
    for (auto t : source_types) add_unique(known_type ? foreign : allowed, type_keys(t));
    if (known_type) {
        add_unique(allowed, type_keys(out.type));
        std::erase_if(foreign, [&](std::string_view k) {
            return std::find(allowed.begin(), allowed.end(), k) != allowed.end();
        });
    }
    m.check_keys(allowed, foreign, fmt::format("a source of type {}", out.type));

    read_connection(ctx, m, out);
    out.settings = merge(defaults, read_settings(ctx, m));
    read_tables(ctx, m, out);
    return out;
}

}  // namespace sluice::config::detail
