#pragma once
// Discovery: parsing the small /exec answers of tables(), table_columns('t'),
// count() and max(ts) into strings (simdjson DOM; these bodies are tiny).
// tables() names the table `table_name` (9.x, also 7.4.2 builds) or `name`
// (older 7.x); both are accepted.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/error.hpp"

namespace sluice::questdb {

// A whole /exec result as text: strings as is, numbers and booleans as JSON
// text ("12", "true"), null as nullopt.
struct simple_result {
    std::vector<std::string> columns;
    std::vector<std::vector<std::optional<std::string>>> rows;

    std::optional<std::size_t> column(std::string_view name) const;
};

// Throws sluice::error(`on_error`) with QuestDB's message and position for an
// error body (`context` prefixes it), error(transient) for malformed JSON. An
// error inside an HTTP 200 body (e.g. mid-stream, after rows) is transient; the
// body of an HTTP 400 (a bad query) is parsed with on_error = fatal.
simple_result parse_simple(const std::string& body, std::string_view context,
                           error_kind on_error = error_kind::transient);

struct raw_table {
    std::string name;
    std::string designated;  // "" when none
};

struct raw_column {
    std::string name;
    std::string type;
    bool designated = false;
    bool upsert_key = false;
};

std::vector<raw_table> parse_tables(const std::string& body, std::string_view context);
std::vector<raw_column> parse_table_columns(const std::string& body, std::string_view context);

}  // namespace sluice::questdb
