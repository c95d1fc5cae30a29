#include "sources/druid/catalog.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sources/druid/type_map.hpp"
#include "sources/time_keyset/schema_rules.hpp"

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
        if (tc && !tc->syncs_column(c.name)) continue;
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

    std::optional<std::string> time_column;
    if (s.find_column("__time")) time_column = "__time";
    time_keyset::resolve_cursor(s, tc, std::move(time_column), ctx, "the Druid source needs a TIMESTAMP cursor",
                                "__time or a `cursor:` column");
    // Druid has no keys, and roll-up makes identical rows legitimate: without
    // `primary_key:` the key is synthetic.
    time_keyset::resolve_key(s, tc ? tc->primary_key : std::nullopt, ctx);
    return s;
}

}  // namespace sluice::druid
