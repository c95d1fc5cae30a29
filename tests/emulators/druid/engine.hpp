// Core of the Druid SQL API emulator (tests/emulators/druid): the parts that do not
// need a socket or a PostgreSQL connection, so the unit test exercises exactly the code
// the server runs:
//   * Druid SQL -> PostgreSQL SQL translation (placeholders, schema names, aliases,
//     CAST type names, INFORMATION_SCHEMA redirection),
//   * the PostgreSQL result type (OID) -> Druid type mapping,
//   * value rendering (Jackson-style JSON, opencsv-style CSV, ISO timestamps),
//   * the five result formats with their header rows and trailers,
//   * Druid error bodies.
// See README.md in this directory for the overall design.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace druid_emu {

// ---------------------------------------------------------------- rendering helpers
std::string json_escape(std::string_view s);     // with the surrounding quotes, Jackson style
std::string java_double(double d);               // Double.toString; non-finite -> "null"
std::string java_float(float f);                 // Float.toString; non-finite -> "null"
std::string csv_field(std::string_view s);       // opencsv: quoted only when needed
std::string minify_json(std::string_view s);     // drop insignificant whitespace (numbers verbatim)
// PostgreSQL text output of timestamptz/timestamp/date (DateStyle ISO, TimeZone UTC) ->
// "2015-09-12T00:47:53.259Z" (fraction truncated to milliseconds). nullopt for
// infinity or anything unparsable.
std::optional<std::string> pg_ts_to_iso(std::string_view pg);
// epoch milliseconds <-> "YYYY-MM-DD HH:MM:SS.mmm+00" (PostgreSQL input) / ISO "…Z"
std::string millis_to_pg(int64_t ms);
std::string millis_to_iso(int64_t ms);
// Parses a PostgreSQL 1-D array literal ({a,"b c",NULL}); nullopt on bad syntax.
// Elements: nullopt = NULL.
std::optional<std::vector<std::optional<std::string>>> parse_pg_array(std::string_view s);
std::string random_uuid();

// ---------------------------------------------------------------- types
enum class Kind { Timestamp, Date, Long, Bool, Double, Float, Numeric, String, Json, ArrayString, ArrayLong,
                  ArrayDouble, ArrayBool };
struct ColType {
  Kind kind = Kind::String;
  std::string druid;   // typesHeader: LONG, FLOAT, DOUBLE, STRING, COMPLEX<json>, ARRAY<STRING>, ...
  std::string sql;     // sqlTypesHeader: TIMESTAMP, BIGINT, DOUBLE, FLOAT, VARCHAR, COMPLEX<json>, ARRAY, ...
};
// `from_table` is true when the column is a plain table column (PQftable != 0): a
// boolean table column is a Druid LONG 0/1, a computed boolean is BOOLEAN true/false.
ColType map_pg_type(unsigned oid, bool from_table);
// Druid SQL type name of a `create` column spec -> PostgreSQL type; nullopt if unknown.
std::optional<std::string> druid_to_pg_type(std::string_view druid_type);

// ---------------------------------------------------------------- SQL translation
struct Translation {
  std::string sql;                   // what PostgreSQL runs
  int placeholders = 0;              // number of ? turned into $n
  bool information_schema = false;   // the query reads INFORMATION_SCHEMA
  std::vector<std::string> aliases;  // unquoted `AS name` aliases (kept case-sensitive)
};
// The order in which a plain scan (no aggregate, GROUP BY or JOIN) returns rows that
// its ORDER BY leaves tied (rows sharing a __time), or all its rows without ORDER BY.
// Druid guarantees nothing here: a broker merges segments, replicas and threads in no
// fixed order.
//   physical: storage order, the same on every query (ties broken by ctid);
//   shuffle:  a fresh random order on every query;
//   segments: rows are spread over 4 emulated segments (by a hash of their storage
//             position); each query merges the segments in a rotated order (by
//             `seed`), storage order inside a segment; without ORDER BY the answer
//             is segment after segment, not in __time order, like Druid's unordered
//             scans.
enum class TieOrder { Physical, Shuffle, Segments };
std::optional<TieOrder> parse_tie_order(std::string_view s);
// `schema`: the PostgreSQL schema holding the datasources; `helper`: the schema with
// the INFORMATION_SCHEMA views and Druid functions.
Translation translate(std::string_view druid_sql, const std::string& schema, const std::string& helper,
                      TieOrder ties = TieOrder::Physical, uint32_t seed = 0);
std::string quote_ident(std::string_view s);
std::string quote_literal(std::string_view s);
// 1-based line/column of byte offset `pos` (0-based) in `sql`.
std::pair<int, int> line_col(std::string_view sql, size_t pos);

// ---------------------------------------------------------------- result formats
enum class Format { Object, Array, ObjectLines, ArrayLines, Csv };
std::optional<Format> parse_format(std::string_view s);  // case-insensitive
const char* content_type(Format f);

struct Column {
  std::string name;
  ColType type;
};

// Renders one response body incrementally: begin() (start + header rows), row() per data
// row, end() (trailer). Values come as PostgreSQL text output (nullopt = NULL).
class ResultWriter {
 public:
  ResultWriter(Format f, bool header, bool types_header, bool sql_types_header, bool stringify_arrays)
      : f_(f), header_(header), types_(types_header), sql_types_(sql_types_header), stringify_(stringify_arrays) {}
  void begin(const std::vector<Column>& cols, std::string& out);
  void row(const std::vector<std::optional<std::string_view>>& vals, std::string& out);
  void end(std::string& out);
  // One value as JSON (what object/array formats write) and as a CSV field.
  std::string json_value(const ColType& t, std::optional<std::string_view> v) const;
  std::string csv_value(const ColType& t, std::optional<std::string_view> v) const;

 private:
  void sep(std::string& out);
  Format f_;
  bool header_, types_, sql_types_, stringify_;
  std::vector<Column> cols_;
  bool first_ = true;
};

// ---------------------------------------------------------------- errors
// Current DruidException body, e.g. invalidInput / INVALID_INPUT / USER.
std::string druid_error(const std::string& error_code, const std::string& category, const std::string& persona,
                        const std::string& message, const std::string& context_json = "{}");
// DruidException wrapping a legacy query failure (errorCode legacyQueryException).
std::string legacy_wrapped_error(const std::string& legacy_code, const std::string& category,
                                 const std::string& message, const std::string& error_class);
// Old-style body {"error":code,"errorMessage":..,"errorClass":..,"host":null}.
std::string legacy_error(const std::string& code, const std::string& message, const std::string& error_class);
// PostgreSQL error (SQLSTATE, primary message, 1-based statement position or 0) ->
// HTTP status + Druid body. `timed_out`/`cancelled` decide what a 57014 means.
struct HttpError {
  unsigned status;
  std::string body;
};
HttpError map_pg_error(const std::string& sqlstate, const std::string& message, int position,
                       std::string_view sql, const std::string& query_id, bool cancelled);

}  // namespace druid_emu
