// One entry of a source's `tables:` list: a bare name or a mapping of per-table options.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "config/sections.hpp"

namespace sluice::config::detail {

namespace {

const std::vector<std::string_view> hbase_table_keys = {
    "columns",        "row_start",     "row_stop",  "row_prefix",        "filter",
    "limit",          "reverse",       "timestamp", "scan_columns",      "scan_batching",
    "sorted_columns", "include_timestamp", "pipelined", "other_cells",   "row_key_type",
    "on_decode_error"};

std::vector<std::string_view> generic_table_keys() {
    std::vector<std::string_view> keys = {
        "name",        "cursor",       "primary_key", "include_columns", "exclude_columns",
        "destination", "column_types", "mode"};
    const auto& s = settings_keys();
    keys.insert(keys.end(), s.begin(), s.end());
    return keys;
}

// A declared column type: any value-model type except null, which no column can have.
std::optional<value_type> column_type(context& ctx, const field& f) {
    auto name = ctx.text(f);
    if (!name) return std::nullopt;
    auto t = value_type_from_string(*name);
    if (!t) {
        ctx.report(f, fmt::format("unknown type '{}' (expected one of: bool, int64, double, decimal, string, "
                                  "bytes, timestamp, date, json)",
                                  *name));
        return std::nullopt;
    }
    if (*t == value_type::null) {
        ctx.report(f, "'null' is not a column type");
        return std::nullopt;
    }
    return t;
}

void read_column_types(context& ctx, const field& f, table_config& out) {
    mapping m(ctx, f);
    if (!f.node.IsMap()) return;
    std::set<std::string> seen;
    for (auto it = f.node.begin(); it != f.node.end(); ++it) {
        // Complex and duplicate keys were reported by mapping.
        if (!it->first.IsScalar() || !seen.insert(it->first.Scalar()).second) continue;
        const auto column = it->first.Scalar();
        if (auto value = m.get(column)) {
            if (auto t = column_type(ctx, *value)) out.column_types[column] = *t;
        } else {
            ctx.report(line_of(it->first), m.child_path(column), "missing type name");
        }
    }
}

void read_cell_columns(context& ctx, const field& f, table_config& out) {
    std::set<std::string> names;
    for (const auto& item : ctx.items(f)) {
        mapping m(ctx, item);
        if (!item.node.IsMap()) continue;
        m.check_keys({"cell", "name", "type"});
        cell_column col;
        const auto cell = m.require("cell");
        if (!cell) continue;
        const auto cell_text = ctx.text(*cell);
        if (!cell_text) continue;
        col.cell = *cell_text;
        const auto colon = col.cell.find(':');
        if (colon == std::string::npos || colon == 0) {
            ctx.report(*cell, fmt::format("invalid cell '{}' (expected family:qualifier)", col.cell));
            continue;
        }
        col.name = col.cell.substr(colon + 1);  // the qualifier, unless named explicitly
        if (auto name = m.get("name")) {
            if (auto v = ctx.non_empty_text(*name)) col.name = *v;
        }
        if (col.name.empty()) {
            ctx.report(item, fmt::format("cell '{}' has an empty qualifier; give it a 'name'", col.cell));
            continue;
        }
        if (auto type = m.get("type")) {
            if (auto t = column_type(ctx, *type)) col.type = *t;
        }
        if (col.name == "row_key") {
            ctx.report(item, "column name 'row_key' is reserved for the HBase row key");
            continue;
        }
        if (!names.insert(col.name).second) {
            ctx.report(item, fmt::format("duplicate column name '{}'", col.name));
            continue;
        }
        out.columns.push_back(std::move(col));
    }
}

void read_hbase_scan(context& ctx, const mapping& m, table_config& out) {
    const auto text_into = [&](std::string_view key, std::string& into) {
        if (auto f = m.get(key)) {
            if (auto v = ctx.text(*f)) into = *v;
        }
    };
    text_into("row_start", out.scan.row_start);
    text_into("row_stop", out.scan.row_stop);
    text_into("row_prefix", out.scan.row_prefix);
    text_into("filter", out.scan.filter);
    if (auto f = m.get("limit")) {
        if (auto v = ctx.count(*f)) out.scan.limit = *v;
    }
    const auto bool_into = [&](std::string_view key, bool& into) {
        if (auto f = m.get(key)) {
            if (auto v = ctx.boolean(*f)) into = *v;
        }
    };
    bool_into("reverse", out.scan.reverse);
    bool_into("sorted_columns", out.scan.sorted_columns);
    bool_into("include_timestamp", out.scan.include_timestamp);
    bool_into("pipelined", out.scan.pipelined);
    bool_into("other_cells", out.cells.other_cells);
    if (auto f = m.get("timestamp")) {
        if (auto v = ctx.count(*f)) {
            if (*v == 0)
                ctx.report(*f, "timestamp must be a positive epoch-milliseconds value");
            else
                out.scan.timestamp = static_cast<std::int64_t>(*v);
        }
    }
    if (auto f = m.get("scan_columns")) {
        if (auto v = ctx.string_list(*f)) out.scan.scan_columns = std::move(*v);
    }
    if (auto f = m.get("scan_batching")) {
        if (auto v = ctx.count(*f)) out.scan.scan_batching = *v;
    }
    if (auto f = m.get("row_key_type")) {
        if (auto v = ctx.choice(*f, {"string", "bytes"})) out.cells.row_key_type = *v;
    }
    if (auto f = m.get("on_decode_error")) {
        if (auto v = ctx.choice(*f, {"fail", "null"})) out.cells.null_on_decode_error = *v == "null";
    }
    if (!out.scan.row_prefix.empty() && (!out.scan.row_start.empty() || !out.scan.row_stop.empty()))
        ctx.report(m.self().line, m.child_path("row_prefix"),
                   "row_prefix cannot be combined with row_start/row_stop");
}

void read_options(context& ctx, const mapping& m, const source_config& src, table_config& out) {
    if (auto f = m.get("cursor")) {
        if (auto v = ctx.non_empty_text(*f)) out.cursor = *v;
    }
    if (auto f = m.get("primary_key")) {
        if (auto v = ctx.string_list(*f)) {
            if (v->empty())
                ctx.report(*f, "must name at least one column");
            else
                out.primary_key = std::move(*v);
        }
    }
    if (auto f = m.get("include_columns")) {
        if (auto v = ctx.string_list(*f)) out.include_columns = std::move(*v);
    }
    if (auto f = m.get("exclude_columns")) {
        if (auto v = ctx.string_list(*f)) out.exclude_columns = std::move(*v);
        if (m.has("include_columns"))
            ctx.report(*f, "include_columns and exclude_columns cannot both be set");
    }
    if (auto f = m.get("destination")) {
        if (auto v = ctx.non_empty_text(*f)) out.destination = *v;
    }
    if (auto f = m.get("column_types")) read_column_types(ctx, *f, out);
    const bool hbase = src.type == "hbase";
    if (auto f = m.get("mode")) {
        if (auto v = ctx.choice(*f, {"incremental", "full", "cursor_column", "cell_timestamp"})) {
            if (*v == "cell_timestamp" && !hbase && !src.type.empty())
                ctx.report(*f, fmt::format("mode 'cell_timestamp' is only valid for hbase sources"));
            else
                out.mode = *v;
        }
    }
    if (hbase && out.mode == "cursor_column" && !out.cursor)
        ctx.report(m.self().line, m.child_path("cursor"), "mode 'cursor_column' needs a 'cursor' cell");
    // Keys of other source types were reported by check_keys; reading them would only add noise.
    if (!hbase && !src.type.empty()) return;
    if (auto f = m.get("columns")) read_cell_columns(ctx, *f, out);
    read_hbase_scan(ctx, m, out);
}

}  // namespace

table_config parse_table(context& ctx, const field& f, const source_config& src) {
    table_config out;
    out.where = location{ctx.file, f.line};
    out.settings = src.settings;
    if (f.node.IsScalar()) {
        if (auto v = ctx.non_empty_text(f)) out.name = *v;
        return out;
    }
    mapping m(ctx, f);
    if (!f.node.IsMap()) return out;

    auto allowed = generic_table_keys();
    // An unknown source type was already reported; don't pile on with its tables' keys.
    if (src.type == "hbase" || src.type.empty())
        allowed.insert(allowed.end(), hbase_table_keys.begin(), hbase_table_keys.end());
    m.check_keys(allowed, hbase_table_keys, fmt::format("a table of a source of type {}", src.type));

    if (auto name = m.require("name")) {
        if (auto v = ctx.non_empty_text(*name)) out.name = *v;
    }
    read_options(ctx, m, src, out);
    out.settings = merge(src.settings, read_settings(ctx, m));
    return out;
}

}  // namespace sluice::config::detail
