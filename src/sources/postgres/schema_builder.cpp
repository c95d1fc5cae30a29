#include "sources/postgres/schema_builder.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sluice/pg/connection.hpp"
#include "sources/postgres/type_map.hpp"

namespace sluice::postgres {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

class schema_error_context {
public:
    schema_error_context(const config::source_config& s, const raw_table& t)
        : prefix_(s.name + "." + t.name) {}
    [[noreturn]] void fail(const std::string& what) const {
        throw error(error_kind::fatal, prefix_ + ": " + what);
    }

private:
    std::string prefix_;
};

std::vector<column> select_columns(const raw_table& t, const config::table_config* tc,
                                   const schema_error_context& ctx) {
    if (tc) {
        for (const auto& name : tc->include_columns) {
            const bool exists = std::any_of(t.columns.begin(), t.columns.end(),
                                            [&](const raw_column& c) { return c.name == name; });
            if (!exists)
                ctx.fail(fmt::format("include_columns names column \"{}\", which does not exist", name));
        }
    }
    std::vector<column> out;
    for (const auto& rc : t.columns) {
        if (tc && !tc->syncs_column(rc.name)) continue;
        column c;
        c.name = rc.name;
        c.type = map_pg_type(rc.data_type, rc.udt_name);
        c.source_type = source_type_name(rc.data_type, rc.udt_name);
        c.nullable = rc.nullable;
        out.push_back(std::move(c));
    }
    if (out.empty()) ctx.fail("no columns left to sync after include_columns/exclude_columns");
    if (tc) {
        for (const auto& declared : tc->column_types) {
            // Not a structured binding: clang 14 cannot capture one in a lambda.
            const auto& [name, type] = declared;
            auto it = std::find_if(out.begin(), out.end(),
                                   [&declared](const column& c) { return c.name == declared.first; });
            if (it == out.end())
                ctx.fail(fmt::format("column_types names column \"{}\", which is not synced", name));
            it->type = type;  // the declared type wins; values that do not fit fail at read time
        }
    }
    return out;
}

std::size_t require_column(const std::vector<column>& cols, const raw_table& t, const std::string& name,
                           const char* role, const schema_error_context& ctx) {
    for (std::size_t i = 0; i < cols.size(); ++i)
        if (cols[i].name == name) return i;
    const bool exists =
        std::any_of(t.columns.begin(), t.columns.end(), [&](const raw_column& c) { return c.name == name; });
    if (exists) ctx.fail(fmt::format("{} column \"{}\" is excluded from the sync", role, name));
    ctx.fail(fmt::format("{} column \"{}\" does not exist", role, name));
}

}  // namespace

std::optional<std::size_t> infer_cursor(const std::vector<column>& cols, const std::vector<std::size_t>& key,
                                        bool synthetic_key) {
    static constexpr std::array<std::string_view, 8> preferred{
        "updated_at", "modified_at", "last_modified", "last_modified_at",
        "updated",    "modified",    "changed_at",    "updated_on",
    };
    for (auto name : preferred)
        for (std::size_t i = 0; i < cols.size(); ++i)
            if (cols[i].type == value_type::timestamp && lower(cols[i].name) == name) return i;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].type != value_type::timestamp) continue;
        const auto n = lower(cols[i].name);
        if (n.find("updated") != std::string::npos || n.find("modified") != std::string::npos) return i;
    }
    // An integer key only grows with inserts: it catches new rows, not updates.
    if (!synthetic_key && key.size() == 1 && cols[key[0]].type == value_type::int64) return key[0];
    return std::nullopt;
}

table_schema build_schema(const config::source_config& src, const raw_table& t,
                          const config::table_config* tc) {
    const schema_error_context ctx(src, t);
    table_schema s;
    s.source = src.name;
    s.table = t.name;
    s.source_table = pg::connection::quote_ident(src.schema) + "." + pg::connection::quote_ident(t.name);
    s.dest_table = tc && tc->destination && !tc->destination->empty() ? *tc->destination : t.name;
    s.columns = select_columns(t, tc, ctx);

    if (tc && tc->primary_key && !tc->primary_key->empty()) {
        for (const auto& name : *tc->primary_key)
            s.key.push_back(require_column(s.columns, t, name, "primary_key", ctx));
    } else {
        for (const auto& name : t.primary_key)
            s.key.push_back(require_column(s.columns, t, name, "primary key", ctx));
    }
    s.synthetic_key = s.key.empty();

    const std::string mode = tc ? tc->mode : std::string();
    if (!mode.empty() && mode != "incremental" && mode != "full")
        ctx.fail(fmt::format("mode \"{}\" is not supported by postgres sources (incremental or full)", mode));
    if (mode != "full") {
        if (tc && tc->cursor && !tc->cursor->empty()) {
            const auto i = require_column(s.columns, t, *tc->cursor, "cursor", ctx);
            const auto type = s.columns[i].type;
            if (type == value_type::date || type == value_type::boolean || type == value_type::json ||
                type == value_type::bytes)
                ctx.fail(fmt::format("cursor column \"{}\" has type {}, which cannot order changes",
                                     *tc->cursor, to_string(type)));
            s.cursor_column = i;
        } else {
            s.cursor_column = infer_cursor(s.columns, s.key, s.synthetic_key);
        }
        if (mode == "incremental" && !s.cursor_column)
            ctx.fail(
                "mode is incremental but no cursor column is configured or could be inferred "
                "(set `cursor:` or use mode: full)");
    }
    s.mode = s.cursor_column ? sync_mode::incremental : sync_mode::full;

    if (s.synthetic_key) {
        if (s.find_column(synthetic_key_column))
            ctx.fail(fmt::format("has no primary key and already a column named \"{}\"; set primary_key",
                                 synthetic_key_column));
        column k;
        k.name = synthetic_key_column;
        k.type = value_type::string;
        k.source_type = "synthetic";
        k.nullable = false;
        s.columns.push_back(std::move(k));
        s.key = {s.columns.size() - 1};
    }
    return s;
}

}  // namespace sluice::postgres
