#pragma once
// SQL-standard quoting, shared by every SQL dialect sluice writes or queries
// (PostgreSQL, SQLite, QuestDB, Druid): names and values are never spliced in
// unquoted.

#include <string>
#include <string_view>

namespace sluice {

// "we""ird": double quotes, embedded ones doubled.
std::string quote_identifier(std::string_view name);
// 'it''s': single quotes, embedded ones doubled; backslashes are plain
// characters. Not for PostgreSQL, whose older servers may treat a backslash as
// an escape (pg::connection::quote_literal handles that).
std::string quote_string_literal(std::string_view text);

}  // namespace sluice
