#pragma once
// The cursor and key rules every timestamp-keyset source (QuestDB, Druid)
// applies to its discovered columns, so both resolve `cursor:`, `mode:` and
// `primary_key:` identically. `ctx` prefixes every error.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config.hpp"
#include "sluice/schema.hpp"

namespace sluice::time_keyset {

// `cursor:` if set, else `default_cursor` (the table's time column), none under
// `mode: full`; the cursor must be a synced timestamp column. Sets cursor_column
// and mode. `cursor_requirement` and `missing_cursor` finish the error texts
// ("the Druid source needs a TIMESTAMP cursor", "__time or a `cursor:` column").
void resolve_cursor(table_schema& s, const config::table_config* tc, std::optional<std::string> default_cursor,
                    const std::string& ctx, std::string_view cursor_requirement, std::string_view missing_cursor);

// The named columns as the key, or, without names, the synthetic key column
// appended (the table has no usable key; identical rows stay distinct).
void resolve_key(table_schema& s, const std::optional<std::vector<std::string>>& key_names, const std::string& ctx);

}  // namespace sluice::time_keyset
