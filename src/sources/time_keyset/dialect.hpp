#pragma once
// What a timestamp-keyset source (QuestDB, Druid) supplies to the shared reader
// (reader.hpp): its SQL text for pages, counts and bounds, how a query goes over
// the wire, and how a page body becomes rows. Everything else (cursor
// arithmetic, windows, retries of bad bodies, synthetic keys) is shared.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

// One table of one source. Column names are passed unquoted.
class dialect {
public:
    virtual ~dialect() = default;

    // Rows with `column` in `range`, ordered by it, skipping the first `skip`, at most `limit`.
    virtual std::string page_sql(std::string_view column, const time_range& range, std::int64_t skip,
                                 std::int64_t limit) const = 0;
    // Full mode without a time column: rows in the server's natural order.
    virtual std::string offset_page_sql(std::int64_t skip, std::int64_t limit) const = 0;
    virtual std::string count_sql(std::string_view column, const time_range& range) const = 0;
    virtual std::string min_sql(std::string_view column) const = 0;
    virtual std::string max_sql(std::string_view column, const time_range& range) const = 0;

    // The finest instant the SQL compares (µs): window bounds are multiples of it.
    virtual std::int64_t time_quantum() const { return 1; }
    // How many rows to ask for when `skip` boundary rows are skipped and a batch
    // holds `batch` (a server may cap skip + limit). Throws error(fatal) when no
    // page is possible.
    virtual std::int64_t page_limit(std::int64_t skip, std::int64_t batch) const {
        (void)skip;
        return batch;
    }

    // Runs `sql`; a non-2xx answer throws (fatal with the server's message for a
    // bad query). `doing` names the step in messages ("reading a page").
    virtual boost::asio::awaitable<http_response> run(const std::string& sql, const std::string& doing) = 0;
    // A one-value query (count/min/max) as text; nullopt for NULL or no row.
    virtual boost::asio::awaitable<std::optional<std::string>> scalar(const std::string& sql,
                                                                      const std::string& doing) = 0;
    virtual std::unique_ptr<page_parser> make_parser() const = 0;
};

}  // namespace sluice::time_keyset
