#pragma once
// Parses a 200 body of POST /druid/v2/sql sent with header + sqlTypesHeader:
//   array:      [["__time","page"],["TIMESTAMP","VARCHAR"],["2015-09-12T00:47:53.259Z","x"],...]\n
//   arrayLines: ["__time","page"]\n["TIMESTAMP","VARCHAR"]\n[...]\n\n
// with simdjson On-Demand over the padded body, rows streamed into a batch.
//
// A 200 body that ends without its terminator (`]` / the blank line), or does
// not parse, is a query that failed after the status line was sent: error
// (transient), never rows. Druid servers too old for sqlTypesHeader send only
// the names row; the types row is recognised by the response header
// X-Druid-SQL-Header-Included or, failing that, by its content.
//
// Not thread-safe: one parser per coroutine (it owns simdjson's buffers).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "sluice/batch.hpp"
#include "sluice/http/client.hpp"
#include "sources/druid/request.hpp"
#include "sources/druid/type_map.hpp"
#include "sources/time_keyset/dialect.hpp"

namespace sluice::druid {

// A small answer as text: strings as is, numbers and booleans as JSON text, null as nullopt.
struct text_result {
    std::vector<std::string> columns;
    std::vector<std::string> types;  // empty when the server sent no types row
    std::vector<std::vector<std::optional<std::string>>> rows;
};

// The columns a page must have, in order, and how to decode them.
struct row_layout {
    std::vector<std::string> names;
    std::vector<druid_type> types;
};

class result_parser {
public:
    // Appends every data row to `out` (cells per `layout`, then `finish`); returns
    // the row count. Throws error(transient) for a truncated or malformed body,
    // error(fatal) when the header names differ from `layout` (the datasource
    // changed since discovery), data_error for a value that does not fit.
    std::size_t parse_rows(const http_response& resp, result_format format, const row_layout& layout, batch& out,
                           const time_keyset::row_finisher& finish, std::string_view context);

    text_result parse_text(const http_response& resp, result_format format, std::string_view context);

private:
    void read_rows(const http_response& resp, result_format format, const row_layout& layout, batch& out,
                   const time_keyset::row_finisher& finish, std::string_view context, bool types_row,
                   std::size_t& rows);

    simdjson::ondemand::parser parser_;
    simdjson::ondemand::parser row_parser_;  // the second row, when it may be the types row
};

// The rows of an `arrayLines` answer as it streams in (a tie group or a whole
// table read in one query, any size): each line is parsed once it is complete,
// so memory holds one piece of the body, not the answer. The names row must
// match `layout`; a types row (announced by X-Druid-SQL-Header-Included, or
// recognised by its content) is skipped; the blank line that ends the answer
// must come last.
//
// Not thread-safe: one per read.
class lines_stream_parser {
public:
    lines_stream_parser(row_layout layout, std::string context)
        : layout_(std::move(layout)), context_(std::move(context)) {}

    // Appends the rows completed by `piece` to `out` (cells, then `finish`).
    // `head`: the answer's status line and headers. Throws like
    // result_parser::parse_rows: fatal for changed columns, data_error for a
    // value that does not fit, transient for bytes after the end.
    void feed(const http_response& head, std::string_view piece, batch& out, const time_keyset::row_finisher& finish);
    // The answer is over: error(transient) unless it ended with its blank line
    // (the query failed after the status line was sent).
    void finish() const;

    std::size_t rows() const noexcept { return rows_; }

private:
    void line(const http_response& head, std::size_t start, std::size_t length, batch& out,
              const time_keyset::row_finisher& finish);

    row_layout layout_;
    std::string context_;
    std::string pending_;  // bytes of lines not yet complete (and the line being parsed)
    std::size_t lines_ = 0;
    std::size_t rows_ = 0;
    std::size_t bytes_ = 0;
    bool ended_ = false;
    simdjson::ondemand::parser parser_;
};

}  // namespace sluice::druid
