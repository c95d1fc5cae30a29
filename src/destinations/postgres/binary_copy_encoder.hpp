#pragma once
// PostgreSQL COPY binary format, for destination columns of exactly the types
// sluice creates (bigint, double precision, numeric, text, bytea, timestamptz,
// date, jsonb, boolean). The server then skips parsing numbers, timestamps and
// dates from text, the larger part of a COPY's CPU after the index and jsonb.
//
// Format (COPY ... FROM STDIN (FORMAT binary)): the 11-byte signature, flags
// and header-extension length; per row a 16-bit field count, then per field a
// 32-bit length (-1: NULL) and the type's send/recv form, all big-endian; a
// 16-bit -1 ends the data.
//
// The encoder declines (returns false) a value it cannot put in binary form
// with exactly the meaning the text form has: a numeric spelled in a way it does
// not read, a timestamp or date outside PostgreSQL's range. The caller then
// sends that batch as text, so the server stays the judge of such values and
// its error for them is unchanged.

#include <cstdint>
#include <string>
#include <string_view>

#include "destinations/postgres/copy_encoder.hpp"
#include "sluice/batch.hpp"

namespace sluice::pgdest {

class binary_copy_buffer : public copy_storage {
public:
    void begin();   // clears, then writes the header
    void finish();  // the end-of-data marker

    // One row: the batch's cells encoded by their columns' types, then the
    // synced-at timestamp and deleted = false. A cell whose type does not fit
    // its column throws data_error prefixed with `where`; a cell the binary
    // form cannot carry exactly returns false (the buffer is then unusable
    // until begin()).
    bool append_row(const batch& b, std::size_t row, std::int64_t synced_at_us, const std::string& where);
    // One field (length and data) of a column of type `column`.
    bool append_value(value_type column, const value_view& v);

private:
    void put16(std::uint16_t v);
    void put32(std::uint32_t v);
    void put64(std::uint64_t v);
    void put_bytes(std::string_view s);
    bool append_numeric(std::string_view text);
};

// The numeric's binary (numeric_send) form of a decimal text, or false when
// the text is not plain [+-]digits[.digits][e[+-]digits] or NaN/[+-]Infinity
// (whitespace around allowed), or is beyond what numeric_in accepts.
bool numeric_binary(std::string_view text, std::string& out);

// One encoded field as bytes (tests); false when declined.
bool encode_binary_value(value_type column, const value_view& v, std::string& out);

}  // namespace sluice::pgdest
