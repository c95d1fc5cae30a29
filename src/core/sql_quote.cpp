#include "sluice/sql_quote.hpp"

namespace sluice {

namespace {

std::string quote_with(std::string_view text, char q) {
    std::string out;
    out.reserve(text.size() + 2);
    out += q;
    for (char c : text) {
        if (c == q) out += q;
        out += c;
    }
    out += q;
    return out;
}

}  // namespace

std::string quote_identifier(std::string_view name) { return quote_with(name, '"'); }
std::string quote_string_literal(std::string_view text) { return quote_with(text, '\''); }

}  // namespace sluice
