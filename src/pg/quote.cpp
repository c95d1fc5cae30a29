// Client-side quoting (connection::quote_ident / quote_literal). Both are
// independent of server settings: identifiers only need `"` doubled, and literals
// use the E'' form whenever a backslash is present, so the result means the same
// whatever standard_conforming_strings says.

#include "sluice/pg/connection.hpp"
#include "sluice/sql_quote.hpp"

namespace sluice::pg {

std::string connection::quote_ident(std::string_view name) {
    return quote_identifier(name);
}

std::string connection::quote_literal(std::string_view value) {
    const bool escape = value.find('\\') != std::string_view::npos;
    std::string out;
    out.reserve(value.size() + 3);
    if (escape) out += 'E';
    out += '\'';
    for (char c : value) {
        if (c == '\'' || (escape && c == '\\')) out += c;
        out += c;
    }
    out += '\'';
    return out;
}

}  // namespace sluice::pg
