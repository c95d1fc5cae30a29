#pragma once
// Typed decoding of HBase cell bytes. HBase stores only bytes; what they mean is
// declared per configured column. Each type accepts the encodings HBase
// applications actually write (text from happybase/REST/shell, or Java's
// Bytes.toBytes binary forms).

#include <string>
#include <string_view>

#include "sluice/batch.hpp"
#include "sluice/value.hpp"

namespace sluice::hbase {

// Appends the decoded value to the row being built in `out`; returns false
// (appending nothing) when the bytes are not a `type` in any accepted encoding.
//   string    UTF-8 text
//   bytes     anything
//   int64     decimal text, or 8-byte big-endian (Bytes.toBytes(long))
//   double    decimal/scientific text (NaN, Infinity too), or 8-byte big-endian IEEE 754
//   bool      true/false/1/0 (any case), or one byte (Bytes.toBytes(boolean): 0x00 false, else true)
//   timestamp ISO-8601 text, epoch milliseconds as decimal text, or 8-byte big-endian millis
//   date      YYYY-MM-DD
//   decimal   decimal text
//   json      a valid JSON document (UTF-8)
bool decode_cell(value_type type, std::string_view bytes, batch& out);

// Bytes that may travel as text: UTF-8 without NUL (valid UTF-8, but no
// destination text type can hold it: PostgreSQL text and jsonb reject it).
bool is_text(std::string_view bytes) noexcept;

// What decode_cell() expects of a type, for error messages.
std::string_view expected_encoding(value_type type);

}  // namespace sluice::hbase
