#pragma once
// PostgreSQL text results → batch cells. Every conversion is checked: a value
// that does not fit its column's model type (e.g. 'infinity' in a timestamp, or
// 'abc' in a column declared int64) throws sluice::data_error naming the table,
// the column and the row's key, never a silent coercion.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/batch.hpp"
#include "sluice/pg/connection.hpp"
#include "sluice/schema.hpp"

namespace sluice::postgres {

// Single-value decoders (nullopt: does not fit).
std::optional<std::int64_t> decode_int64(std::string_view text);  // also "12.000" (numeric declared int64)
std::optional<double> decode_double(std::string_view text);       // incl. NaN, Infinity, -Infinity
std::optional<bool> decode_bool(std::string_view text);           // t/f, true/false, 1/0
// bytea hex ("\x0a1b") or Redshift varbyte (plain hex); `raw_fallback` keeps
// other text as its bytes (a text column declared bytes).
bool decode_bytes(std::string_view text, bool raw_fallback, std::string& out);

// One row's values as PostgreSQL text output (what the type output functions
// print), whatever carried them: a query result row or a COPY TO STDOUT line.
class text_row {
public:
    virtual bool is_null(std::size_t col) const = 0;
    virtual std::string_view get(std::size_t col) const = 0;

protected:
    ~text_row() = default;
};

// Row `row` of a query result.
class result_row final : public text_row {
public:
    result_row(const pg::result& r, int row) : r_(r), row_(row) {}
    bool is_null(std::size_t col) const override { return r_.is_null(row_, static_cast<int>(col)); }
    std::string_view get(std::size_t col) const override { return r_.get(row_, static_cast<int>(col)); }

private:
    const pg::result& r_;
    int row_;
};

class row_decoder {
public:
    explicit row_decoder(const table_schema& schema);

    // Appends the source columns of `row` (not the synthetic key, no end_row()).
    // On failure abandons the partial row and throws data_error.
    void decode(const text_row& row, batch& b);
    void decode(const pg::result& r, int row, batch& b) { decode(result_row(r, row), b); }

    // "id=42" / "a=1, b=x": the row's key for messages.
    std::string describe_key(const text_row& row) const;

private:
    [[noreturn]] void fail(const text_row& row, std::size_t col, std::string_view value,
                           const char* why) const;  // why == nullptr: "does not fit <type>"

    const table_schema& schema_;
    std::size_t ncols_;
    std::vector<bool> raw_bytes_;  // per column: bytes declared on a non-binary source type
    std::string scratch_;
};

}  // namespace sluice::postgres
