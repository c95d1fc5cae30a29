#pragma once
// PostgreSQL COPY text format, written straight into one reused buffer: no
// per-value strings, numbers through std::to_chars (shortest round-trip form
// for doubles), timestamps and dates through the fixed-width writers.
//
// Format (COPY ... FROM STDIN, text): fields separated by '\t', rows ended by
// '\n', NULL as \N, and in values the characters \ \t \n \r escaped with a
// backslash. bytea travels as its hex form \x.. (whose backslash is escaped
// again: \\x..), booleans as t/f, doubles NaN/Infinity/-Infinity spelled as
// float8in reads them.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/batch.hpp"

namespace sluice::pgdest {

// Reused raw storage for COPY data as it is encoded and sent, shared by the text and the
// binary encoders: only [0, used_) is data, and growing zero-fills only the new
// tail, so it settles after the first few batches.
class copy_storage {
public:
    void clear() noexcept { used_ = 0; }
    std::string_view view() const noexcept { return {buf_.data(), used_}; }
    std::size_t size() const noexcept { return used_; }

protected:
    char* grow(std::size_t n);  // room for n more bytes; returns the write position

    std::string buf_;
    std::size_t used_ = 0;
};

class copy_buffer : public copy_storage {
public:

    // One row: the batch's cells in column order, then `suffix` verbatim (extra
    // already-encoded fields, each starting with '\t'), then '\n'. A cell whose
    // type does not fit its column throws data_error prefixed with `where`.
    void append_row(const batch& b, std::size_t row, std::string_view suffix, const std::string& where);
    // One field, without separators.
    void append_value(const value_view& v);

private:
    void append_escaped(std::string_view s);
    void append_bytea(std::string_view s);
};

// One encoded field as a string (tests, messages).
std::string encode_copy_value(const value_view& v);

}  // namespace sluice::pgdest
