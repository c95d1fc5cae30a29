#include "sources/druid/druid_dialect.hpp"

#include <fmt/format.h>


namespace sluice::druid {

namespace asio = boost::asio;

namespace {

std::string select_list(const table_schema& s) {
    const std::size_t n = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        out += quote_identifier(s.columns[i].name);
    }
    return out;
}

class druid_page_parser final : public time_keyset::page_parser {
public:
    druid_page_parser(row_layout layout, std::string context)
        : layout_(std::move(layout)), context_(std::move(context)) {}
    void parse(const http_response& resp, batch& out, const time_keyset::row_finisher& finish) override {
        parser_.parse_rows(resp, result_format::array, layout_, out, finish, context_);
    }

private:
    row_layout layout_;
    std::string context_;
    result_parser parser_;
};

class druid_dialect final : public time_keyset::dialect {
public:
    druid_dialect(sql_client& client, table_schema_ptr schema, table_ref table, std::string context)
        : client_(client),
          schema_(std::move(schema)),
          table_(std::move(table)),
          select_(select_list(*schema_)),
          context_(std::move(context)),
          layout_(layout_of(*schema_)) {}

    std::string page_sql(std::string_view column, const time_keyset::time_range& range,
                         std::int64_t limit) const override {
        return page_query(table_, select_, column, range, limit);
    }
    std::string count_sql(std::string_view column, const time_keyset::time_range& range) const override {
        return count_query(table_, column, range);
    }
    std::string min_sql(std::string_view column) const override { return min_query(table_, column); }
    std::string max_sql(std::string_view column, const time_keyset::time_range& range) const override {
        return max_query(table_, column, range);
    }
    std::int64_t time_quantum() const override { return 1000; }

    // Scans only order by __time: a tie group is one unordered query, streamed.
    time_keyset::tie_reading ties() const override { return time_keyset::tie_reading::streamed; }
    std::string group_sql(std::string_view column, const time_keyset::tie_group& g) const override {
        return group_query(table_, select_, column, g);
    }
    std::string group_count_sql(std::string_view column, const time_keyset::tie_group& g) const override {
        return group_count_query(table_, column, g);
    }
    asio::awaitable<void> stream_rows(const std::string& sql, const std::string& doing,
                                      time_keyset::row_stream& into) override {
        lines_stream_parser parser(layout_, context_);
        const http_body_handler on_body = [&parser, &into](const http_response& head,
                                                           std::string_view piece) -> asio::awaitable<void> {
            parser.feed(head, piece, into.rows(), into.finish());
            co_await into.drain();
        };
        co_await client_.post_streaming(sql, context_, doing, on_body);
        parser.finish();
    }

    asio::awaitable<http_response> run(const std::string& sql, const std::string& doing) override {
        co_return co_await client_.post(sql, context_, doing);
    }
    asio::awaitable<std::optional<std::string>> scalar(const std::string& sql, const std::string& doing) override {
        const auto r = co_await client_.query_text(sql, context_, doing);
        if (r.rows.empty() || r.rows[0].empty()) co_return std::nullopt;
        co_return r.rows[0][0];
    }
    std::unique_ptr<time_keyset::page_parser> make_parser() const override {
        return std::make_unique<druid_page_parser>(layout_, context_);
    }

private:
    sql_client& client_;
    table_schema_ptr schema_;
    table_ref table_;
    std::string select_;
    std::string context_;
    row_layout layout_;
};

}  // namespace

row_layout layout_of(const table_schema& s) {
    row_layout l;
    const std::size_t n = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto& c = s.columns[i];
        auto t = map_druid_type(c.source_type).type;
        if (c.type == value_type::timestamp && t.wire == wire_kind::date) t = {value_type::timestamp, wire_kind::timestamp};
        l.names.push_back(c.name);
        l.types.push_back(t);
    }
    return l;
}

std::unique_ptr<time_keyset::dialect> make_dialect(sql_client& client, table_schema_ptr schema, table_ref table,
                                                   std::string context) {
    return std::make_unique<druid_dialect>(client, std::move(schema), std::move(table), std::move(context));
}

}  // namespace sluice::druid
