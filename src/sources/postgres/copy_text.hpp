#pragma once
// One line of COPY ... TO STDOUT in text format: fields separated by a tab,
// \N for NULL, and backslash escapes for the bytes that would be ambiguous
// (\\ \b \f \n \r \t \v, \ followed by 1-3 octal digits, \x and 1-2 hex
// digits; a backslash before any other character stands for that character).
// Unescaped, each field is exactly the text a query result would carry, so the
// same row_decoder reads both.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sources/postgres/row_decoder.hpp"

namespace sluice::postgres {

class copy_text_row final : public text_row {
public:
    // Splits `line` (its trailing newline, if any, is dropped) into fields.
    // Views point into `line` (which must outlive their use) or, for fields
    // with escapes, into this object. Throws data_error naming `context` when
    // the line does not have `fields` fields or ends in a lone backslash.
    void parse(std::string_view line, std::size_t fields, std::string_view context);

    bool is_null(std::size_t col) const override { return null_[col]; }
    std::string_view get(std::size_t col) const override { return values_[col]; }

private:
    std::vector<std::string_view> values_;
    std::vector<bool> null_;
    std::string unescaped_;  // sized once per line, so views into it stay valid
};

}  // namespace sluice::postgres
