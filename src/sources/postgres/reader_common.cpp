#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include "sluice/progress.hpp"
#include "sources/postgres/reader.hpp"
#include "sources/postgres/type_map.hpp"

namespace sluice::postgres {

namespace asio = boost::asio;

batch_builder::batch_builder(table_schema_ptr schema, grouping g)
    : schema_(std::move(schema)), decoder_(*schema_), grouping_(g) {}

batch_ptr batch_builder::build(const pg::result& r) {
    auto b = std::make_unique<batch>(schema_, static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) append(result_row(r, row), *b);
    return b;
}

void batch_builder::append(const text_row& row, batch& b) {
    const auto& s = *schema_;
    decoder_.decode(row, b);
    if (s.synthetic_key) {
        const auto h = hash_pending_row(b, s.columns.size() - 1);
        if (grouping_ == grouping::by_content) {
            if (have_prev_ && !(h == prev_hash_)) keyer_.new_group();
            prev_hash_ = h;
        } else if (s.cursor_column) {
            // NULL cursors form one group of their own.
            const std::size_t cc = *s.cursor_column;
            const auto c = row.is_null(cc) ? std::string_view("\x01null") : row.get(cc);
            if (have_prev_ && c != prev_cursor_) keyer_.new_group();
            if (!have_prev_ || c != prev_cursor_) prev_cursor_.assign(c);
        }
        have_prev_ = true;
        b.put_text(value_type::string, keyer_.next_key(h));
    }
    b.end_row();
}

position row_position(const text_row& row, const std::vector<std::size_t>& cols) {
    position p;
    p.reserve(cols.size());
    for (auto c : cols) {
        if (row.is_null(c))
            p.emplace_back();
        else
            p.emplace_back(std::string(row.get(c)));
    }
    return p;
}

std::optional<std::string> lookback_bound(const read_context& ctx, const std::optional<std::string>& stored) {
    const auto lookback_us = static_cast<std::int64_t>(ctx.settings.lookback.count()) * 1000;
    const auto& s = *ctx.schema;
    if (lookback_us <= 0 || !stored || !s.cursor_column) return std::nullopt;
    if (!is_timestamp_source(s.columns[*s.cursor_column])) return std::nullopt;
    const auto micros = parse_timestamp_micros(*stored);
    if (!micros) return std::nullopt;
    // ISO text with 'Z': timestamptz reads it as UTC, timestamp ignores the zone;
    // both match how we decode (timestamp without time zone = UTC).
    return format_timestamp_micros(*micros - lookback_us);
}

std::string_view begin_snapshot_sql(bool redshift) {
    return redshift ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
}

asio::awaitable<void> deliver(read_context& ctx, batch_ptr b) {
    ctx.sink.progress()->rows_read += b->rows();
    // Rows arrive in cursor order, so the last row's cursor is the newest: the
    // daemon's freshness is measured from it.
    const auto& schema = b->schema();
    if (schema.cursor_column && schema.columns[*schema.cursor_column].type == value_type::timestamp &&
        !b->empty()) {
        const value_view v = b->at(b->rows() - 1, *schema.cursor_column);
        if (!v.is_null()) b->cursor_time = v.i;
    }
    co_await ctx.sink.send(std::move(b));
}

}  // namespace sluice::postgres
