#include "sources/druid/druid_dialect.hpp"

#include <fmt/format.h>

#include "sluice/error.hpp"

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
    druid_dialect(sql_client& client, table_schema_ptr schema, table_ref table, std::string context,
                  std::int64_t ordering_cap)
        : client_(client),
          schema_(std::move(schema)),
          table_(std::move(table)),
          select_(select_list(*schema_)),
          context_(std::move(context)),
          layout_(layout_of(*schema_)),
          cap_(ordering_cap > 0 ? ordering_cap : default_max_rows_ordered) {}

    std::string page_sql(std::string_view column, const time_keyset::time_range& range, std::int64_t skip,
                         std::int64_t limit) const override {
        return page_query(table_, select_, column, range, skip, limit);
    }
    std::string offset_page_sql(std::int64_t skip, std::int64_t limit) const override {
        return offset_page_query(table_, select_, skip, limit);
    }
    std::string count_sql(std::string_view column, const time_keyset::time_range& range) const override {
        return count_query(table_, column, range);
    }
    std::string min_sql(std::string_view column) const override { return min_query(table_, column); }
    std::string max_sql(std::string_view column, const time_keyset::time_range& range) const override {
        return max_query(table_, column, range);
    }
    std::int64_t time_quantum() const override { return 1000; }
    std::int64_t page_limit(std::int64_t skip, std::int64_t batch) const override {
        const std::int64_t room = cap_ - skip;
        if (room <= 0)
            throw error(error_kind::fatal,
                        fmt::format("{}: more than {} rows share one timestamp, and Druid only orders {} rows per "
                                    "query (maxRowsQueuedForOrdering); raise it with query_context: "
                                    "{{maxRowsQueuedForOrdering: N}}",
                                    context_, skip, cap_));
        return std::min(batch, room);
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
    std::int64_t cap_;
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
                                                   std::string context, std::int64_t ordering_cap) {
    return std::make_unique<druid_dialect>(client, std::move(schema), std::move(table), std::move(context),
                                           ordering_cap);
}

}  // namespace sluice::druid
