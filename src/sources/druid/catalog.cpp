#include "sources/druid/catalog.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sources/druid/type_map.hpp"

namespace sluice::druid {

namespace {

std::size_t column_index(const text_result& r, std::string_view name, std::string_view context) {
    for (std::size_t i = 0; i < r.columns.size(); ++i)
        if (r.columns[i] == name) return i;
    throw error(error_kind::fatal, fmt::format("{}: INFORMATION_SCHEMA answer has no {} column", context, name));
}

const std::optional<std::string>& cell(const std::vector<std::optional<std::string>>& row, std::size_t i) {
    static const std::optional<std::string> none;
    return i < row.size() ? row[i] : none;
}

bool listed(const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

std::vector<std::string> parse_tables(const text_result& r, std::string_view context) {
    const auto name = column_index(r, "TABLE_NAME", context);
    std::vector<std::string> out;
    for (const auto& row : r.rows)
        if (const auto& n = cell(row, name); n && !n->empty()) out.push_back(*n);
    return out;
}

std::vector<raw_column> parse_columns(const text_result& r, std::string_view context) {
    const auto name = column_index(r, "COLUMN_NAME", context);
    const auto type = column_index(r, "DATA_TYPE", context);
    const auto pos = column_index(r, "ORDINAL_POSITION", context);
    std::optional<std::size_t> nullable;
    for (std::size_t i = 0; i < r.columns.size(); ++i)
        if (r.columns[i] == "IS_NULLABLE") nullable = i;
    std::vector<raw_column> out;
    for (const auto& row : r.rows) {
        const auto& n = cell(row, name);
        const auto& t = cell(row, type);
        if (!n || !t) continue;
        raw_column c{*n, *t, static_cast<std::int64_t>(out.size()), true};
        if (const auto& p = cell(row, pos)) {
            std::int64_t v = 0;
            const auto [end, ec] = std::from_chars(p->data(), p->data() + p->size(), v);
            if (ec == std::errc{} && end == p->data() + p->size()) c.position = v;
        }
        if (nullable)
            if (const auto& x = cell(row, *nullable)) c.nullable = *x != "NO";
        out.push_back(std::move(c));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const raw_column& a, const raw_column& b) { return a.position < b.position; });
    return out;
}

std::vector<bucket_stats> parse_buckets(const text_result& r, std::string_view context) {
    auto integer = [&](const std::optional<std::string>& v, const char* what) {
        std::int64_t out = 0;
        if (v) {
            const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
            if (ec == std::errc{} && end == v->data() + v->size()) return out;
        }
        throw error(error_kind::fatal, fmt::format("{}: bucket summary: {} is {}, not an integer", context, what,
                                                   v ? "'" + *v + "'" : std::string("NULL")));
    };
    if (!r.columns.empty() && r.columns.size() != 3)
        throw error(error_kind::fatal,
                    fmt::format("{}: bucket summary: {} columns instead of 3", context, r.columns.size()));
    std::vector<bucket_stats> out;
    out.reserve(r.rows.size());
    for (const auto& row : r.rows) {
        if (row.size() != 3)
            throw error(error_kind::fatal,
                        fmt::format("{}: bucket summary: a row of {} values instead of 3", context, row.size()));
        out.push_back(bucket_stats{integer(row[0], "the bucket"), integer(row[1], "the row count"),
                                   integer(row[2], "the fingerprint")});
    }
    return out;
}

table_schema build_schema(const config::source_config& cfg, const std::string& name,
                          const std::vector<raw_column>& cols, const config::table_config* tc) {
    const std::string ctx = "druid source '" + cfg.name + "' datasource '" + name + "'";
    table_schema s;
    s.source = cfg.name;
    s.table = name;
    s.source_table = name;
    s.dest_table = tc && tc->destination ? *tc->destination : name;
    for (const auto& c : cols) {
        if (tc && !tc->include_columns.empty() && !listed(tc->include_columns, c.name)) continue;
        if (tc && listed(tc->exclude_columns, c.name)) continue;
        const auto m = map_druid_type(c.type);
        if (m.verdict == type_verdict::skipped) {
            spdlog::warn("{}: column '{}' ({}) is an opaque aggregate (sketch) and is not synced; exclude it to "
                         "silence this warning",
                         ctx, c.name, c.type);
            continue;
        }
        if (m.verdict == type_verdict::unknown)
            throw error(error_kind::fatal, fmt::format("{}: column '{}' has type '{}', which sluice does not "
                                                       "support; exclude the column or cast it in a view",
                                                       ctx, c.name, c.type));
        column col;
        col.name = c.name;
        col.source_type = c.type;
        col.type = m.type.model;
        col.nullable = c.name != "__time" && c.nullable;
        if (tc) {
            if (auto it = tc->column_types.find(c.name); it != tc->column_types.end() && it->second != col.type) {
                // DATE may be kept as a timestamp (midnight UTC); nothing else is converted.
                if (m.type.wire == wire_kind::date && it->second == value_type::timestamp)
                    col.type = value_type::timestamp;
                else
                    throw error(error_kind::fatal,
                                fmt::format("{}: column '{}': declared type {} is not supported for Druid type {} "
                                            "(discovered: {})",
                                            ctx, c.name, to_string(it->second), c.type, to_string(col.type)));
            }
        }
        s.columns.push_back(std::move(col));
    }
    if (s.columns.empty()) throw error(error_kind::fatal, ctx + ": no columns to sync");

    const std::string mode = tc ? tc->mode : "";
    std::optional<std::string> cursor = tc && tc->cursor ? tc->cursor : std::nullopt;
    if (!cursor && s.find_column("__time")) cursor = "__time";
    if (mode == "full") cursor.reset();
    if (cursor) {
        const auto ci = s.find_column(*cursor);
        if (!ci)
            throw error(error_kind::fatal, ctx + ": cursor column '" + *cursor + "' is not among the synced columns");
        if (s.columns[*ci].type != value_type::timestamp)
            throw error(error_kind::fatal, ctx + ": cursor column '" + *cursor + "' has type " +
                                               s.columns[*ci].source_type +
                                               "; the Druid source needs a TIMESTAMP cursor");
        s.cursor_column = ci;
        s.mode = sync_mode::incremental;
    } else {
        if (mode == "incremental")
            throw error(error_kind::fatal, ctx + ": mode incremental needs __time or a `cursor:` column");
        s.mode = sync_mode::full;
    }

    if (tc && tc->primary_key) {
        for (const auto& k : *tc->primary_key) {
            const auto ki = s.find_column(k);
            if (!ki) throw error(error_kind::fatal, ctx + ": key column '" + k + "' is not among the synced columns");
            s.key.push_back(*ki);
        }
    } else {
        // Druid has no keys, and roll-up makes identical rows legitimate.
        column key;
        key.name = synthetic_key_column;
        key.type = value_type::string;
        key.source_type = "sluice synthetic key";
        key.nullable = false;
        s.columns.push_back(std::move(key));
        s.key.push_back(s.columns.size() - 1);
        s.synthetic_key = true;
    }
    return s;
}

}  // namespace sluice::druid
