#pragma once
// SQL-standard identifier quoting ("we""ird"), shared by every SQL dialect
// sluice writes (PostgreSQL, SQLite): names are never spliced in unquoted.

#include <string>
#include <string_view>

namespace sluice {

std::string quote_identifier(std::string_view name);

}  // namespace sluice
