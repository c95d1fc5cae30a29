#include "sources/time_keyset/schema_rules.hpp"

#include "sluice/error.hpp"

namespace sluice::time_keyset {

void resolve_cursor(table_schema& s, const config::table_config* tc, std::optional<std::string> default_cursor,
                    const std::string& ctx, std::string_view cursor_requirement, std::string_view missing_cursor) {
    const std::string mode = tc ? tc->mode : "";
    std::optional<std::string> cursor = tc && tc->cursor ? tc->cursor : std::move(default_cursor);
    if (mode == "full") cursor.reset();
    if (cursor) {
        const auto ci = s.find_column(*cursor);
        if (!ci)
            throw error(error_kind::fatal, ctx + ": cursor column '" + *cursor + "' is not among the synced columns");
        if (s.columns[*ci].type != value_type::timestamp)
            throw error(error_kind::fatal, ctx + ": cursor column '" + *cursor + "' has type " +
                                               s.columns[*ci].source_type + "; " + std::string(cursor_requirement));
        s.cursor_column = ci;
        s.mode = sync_mode::incremental;
    } else {
        if (mode == "incremental")
            throw error(error_kind::fatal, ctx + ": mode incremental needs " + std::string(missing_cursor));
        s.mode = sync_mode::full;
    }
}

void resolve_key(table_schema& s, const std::optional<std::vector<std::string>>& key_names, const std::string& ctx) {
    if (key_names) {
        for (const auto& k : *key_names) {
            const auto ki = s.find_column(k);
            if (!ki) throw error(error_kind::fatal, ctx + ": key column '" + k + "' is not among the synced columns");
            s.key.push_back(*ki);
        }
        return;
    }
    column key;
    key.name = synthetic_key_column;
    key.type = value_type::string;
    key.source_type = "sluice synthetic key";
    key.nullable = false;
    s.columns.push_back(std::move(key));
    s.key.push_back(s.columns.size() - 1);
    s.synthetic_key = true;
}

}  // namespace sluice::time_keyset
