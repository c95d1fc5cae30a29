#pragma once
// What a timestamp-keyset source (QuestDB, Druid) supplies to the shared reader
// (reader.hpp): its SQL text for pages, tie groups, counts and bounds, how one
// query goes over the wire, and how an answer becomes rows. Everything else
// (cursor arithmetic, windows, retries of bad bodies, synthetic keys) is shared.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "sluice/batch.hpp"
#include "sluice/http/client.hpp"
#include "sources/time_keyset/time_range.hpp"

namespace sluice::time_keyset {

// Completes a row after its data cells were put (appends the synthetic key, end_row()).
using row_finisher = std::function<void(batch&)>;

// Turns one page body into rows. One per reading coroutine (it owns the JSON
// parser's reusable buffers); not thread-safe.
class page_parser {
public:
    virtual ~page_parser() = default;
    // Appends every row of the 2xx answer `resp` to `out`: the data cells in schema order, then
    // `finish`. Throws error(transient) for a body a retry may fix (truncated,
    // malformed, an error reported inside a 200): the reader discards the page
    // and asks again. Other errors (changed columns, bad values) are final.
    virtual void parse(const http_response& resp, batch& out, const row_finisher& finish) = 0;
};

// The rows of one tie group, a run of rows sharing one cursor value: those at
// instant `t`, those whose cursor is NULL, or (`all`) every row of the table.
struct tie_group {
    enum class kind { at, null, all };
    kind k = kind::at;
    std::int64_t t = 0;  // µs, for kind::at
};

// Where a dialect's streamed answer goes (reader.cpp implements it): rows are
// appended to rows() and completed with finish(); after each piece of the body,
// drain() hands on what is complete (and may replace rows(): ask again).
class row_stream {
public:
    virtual ~row_stream() = default;
    virtual batch& rows() = 0;
    virtual const row_finisher& finish() const = 0;
    virtual boost::asio::awaitable<void> drain() = 0;
};

// How a tie group longer than a page is read, since paging it by position
// would depend on the order the server returns equal cursor values in:
//  - ordered_pages: the server can order the group's rows by every column
//    (QuestDB): group_page_sql pages through that total order;
//  - streamed: it cannot (Druid scans only order by __time): the whole group
//    is one query whose answer is parsed as it streams in (stream_rows).
enum class tie_reading { ordered_pages, streamed };

// One table of one source. Column names are passed unquoted.
class dialect {
public:
    virtual ~dialect() = default;

    // Rows with `column` in `range`, ordered by it (ties in any order), at most `limit`.
    virtual std::string page_sql(std::string_view column, const time_range& range, std::int64_t limit) const = 0;
    virtual std::string count_sql(std::string_view column, const time_range& range) const = 0;
    virtual std::string min_sql(std::string_view column) const = 0;
    virtual std::string max_sql(std::string_view column, const time_range& range) const = 0;

    // The finest instant the SQL compares (µs): window bounds are multiples of it.
    virtual std::int64_t time_quantum() const { return 1; }

    virtual tie_reading ties() const = 0;
    // ordered_pages: the rows of `g` (never kind::all) ordered by order_columns()
    // (a total order up to identical rows), skipping `skip`, at most `limit`.
    virtual std::string group_page_sql(std::string_view column, const tie_group& g, std::int64_t skip,
                                       std::int64_t limit) const;
    // ordered_pages: the schema columns group_page_sql orders by.
    virtual std::vector<std::size_t> order_columns() const { return {}; }
    // ordered_pages, full mode without a time column: rows in the server's
    // natural order, skipping `skip`, at most `limit`.
    virtual std::string offset_page_sql(std::int64_t skip, std::int64_t limit) const;
    // streamed: every row of `g`, in any order (`column` unused for kind::all).
    virtual std::string group_sql(std::string_view column, const tie_group& g) const;
    // streamed: how many rows `g` holds.
    virtual std::string group_count_sql(std::string_view column, const tie_group& g) const;
    // streamed: runs `sql` and parses its answer into `into` as it arrives.
    // Throws error(transient) for an answer a retry may fix (cut off,
    // malformed); rows already drained stay delivered.
    virtual boost::asio::awaitable<void> stream_rows(const std::string& sql, const std::string& doing,
                                                     row_stream& into);

    // Runs `sql`; a non-2xx answer throws (fatal with the server's message for a
    // bad query). `doing` names the step in messages ("reading a page").
    virtual boost::asio::awaitable<http_response> run(const std::string& sql, const std::string& doing) = 0;
    // A one-value query (count/min/max) as text; nullopt for NULL or no row.
    virtual boost::asio::awaitable<std::optional<std::string>> scalar(const std::string& sql,
                                                                      const std::string& doing) = 0;
    virtual std::unique_ptr<page_parser> make_parser() const = 0;
};

}  // namespace sluice::time_keyset
