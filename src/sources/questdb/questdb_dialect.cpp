#include "sources/questdb/questdb_dialect.hpp"

#include <boost/beast/http/verb.hpp>

#include "sluice/error.hpp"
#include "sources/questdb/catalog.hpp"
#include "sources/questdb/query_builder.hpp"
#include "sources/questdb/response_parser.hpp"

namespace sluice::questdb {

namespace asio = boost::asio;

namespace {

std::string position_text(const exec_result& r) {
    return r.position ? " (at position " + std::to_string(*r.position) + ")" : "";
}

// QuestDB reports a failing query inside a 200 body, possibly after rows: such
// a body (and a malformed one) is a transient failure, retried by the reader.
class questdb_page_parser final : public time_keyset::page_parser {
public:
    questdb_page_parser(table_schema_ptr schema, std::string context)
        : schema_(std::move(schema)), context_(std::move(context)) {}

    void parse(const http_response& resp, batch& out, const time_keyset::row_finisher& finish) override {
        const auto& s = *schema_;
        const std::size_t data_cols = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
        const auto select = [&](const std::vector<exec_column>& cols) -> batch* {
            bool same = cols.size() == data_cols;
            for (std::size_t i = 0; same && i < cols.size(); ++i) same = cols[i].name == s.columns[i].name;
            if (!same)
                throw error(error_kind::fatal, context_ +
                                                   ": the table's columns changed since discovery; "
                                                   "run discovery again (restart or reload)");
            return &out;
        };
        const auto r = parser_.parse(resp.body, context_ + ": reading a page", select, nullptr, finish);
        if (r.is_error())
            throw error(error_kind::transient,
                        context_ + ": QuestDB error while reading a page: " + r.message + position_text(r));
    }

private:
    table_schema_ptr schema_;
    std::string context_;
    exec_response_parser parser_;
};

// The columns a tie group is ordered by: every data column QuestDB can sort
// (arrays and BINARY cannot be; BINARY reads as NULL over JSON anyway).
std::vector<std::size_t> sortable_columns(const table_schema& s) {
    std::vector<std::size_t> out;
    const std::size_t n = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
    for (std::size_t i = 0; i < n; ++i)
        if (s.columns[i].type != value_type::json && s.columns[i].type != value_type::bytes) out.push_back(i);
    return out;
}

class questdb_dialect final : public time_keyset::dialect {
public:
    questdb_dialect(http_client& http, table_schema_ptr schema, std::string select_list, std::string context)
        : http_(http),
          schema_(std::move(schema)),
          select_(std::move(select_list)),
          context_(std::move(context)),
          order_(sortable_columns(*schema_)) {
        for (std::size_t i : order_) order_names_.push_back(schema_->columns[i].name);
    }

    std::string page_sql(std::string_view column, const time_keyset::time_range& range,
                         std::int64_t limit) const override {
        return page_query(schema_->source_table, select_, column, range, limit);
    }

    // QuestDB sorts by any column: a tie group pages through a total order of
    // its rows, so no page depends on how the server orders equal timestamps.
    time_keyset::tie_reading ties() const override { return time_keyset::tie_reading::ordered_pages; }
    std::string group_page_sql(std::string_view column, const time_keyset::tie_group& g, std::int64_t skip,
                               std::int64_t limit) const override {
        return group_page_query(schema_->source_table, select_, column, g, order_names_, skip, skip + limit);
    }
    std::vector<std::size_t> order_columns() const override { return order_; }
    std::string offset_page_sql(std::int64_t skip, std::int64_t limit) const override {
        return full_page_query(schema_->source_table, select_, skip, skip + limit);
    }
    std::string count_sql(std::string_view column, const time_keyset::time_range& range) const override {
        return count_query(schema_->source_table, column, range);
    }
    std::string min_sql(std::string_view column) const override {
        return "SELECT min(" + quote_identifier(column) + ") FROM " + quote_identifier(schema_->source_table);
    }
    std::string max_sql(std::string_view column, const time_keyset::time_range& range) const override {
        return max_query(schema_->source_table, column, range);
    }

    asio::awaitable<http_response> run(const std::string& sql, const std::string& doing) override {
        co_return co_await exec(http_, sql, context_, doing);
    }
    asio::awaitable<std::optional<std::string>> scalar(const std::string& sql, const std::string& doing) override {
        const auto resp = co_await exec(http_, sql, context_, doing);
        const auto r = parse_simple(resp.body, context_ + ": " + doing);
        if (r.rows.empty() || r.rows[0].empty()) co_return std::nullopt;
        co_return r.rows[0][0];
    }
    std::unique_ptr<time_keyset::page_parser> make_parser() const override {
        return std::make_unique<questdb_page_parser>(schema_, context_);
    }

private:
    http_client& http_;
    table_schema_ptr schema_;
    std::string select_;
    std::string context_;
    std::vector<std::size_t> order_;
    std::vector<std::string> order_names_;
};

}  // namespace

asio::awaitable<http_response> exec(http_client& http, const std::string& sql, const std::string& context,
                                    const std::string& doing) {
    std::string target = exec_target(sql);  // named: sluice/coro.hpp
    auto resp = co_await http.request(boost::beast::http::verb::get, std::move(target));
    if (resp.ok()) co_return resp;
    const std::string where = context + ": " + doing + ": HTTP " + std::to_string(resp.status) + " from " +
                              http.origin();
    if (resp.is_json() || (!resp.body.empty() && resp.body.front() == '{')) {
        resp.body.reserve(resp.body.size() + http_body_padding);
        parse_simple(resp.body, where, error_kind::fatal);  // throws with QuestDB's message and position
    }
    std::string snippet = resp.body.substr(0, 200);
    throw error(error_kind::fatal, where + (snippet.empty() ? "" : ": " + snippet));
}

std::unique_ptr<time_keyset::dialect> make_dialect(http_client& http, table_schema_ptr schema,
                                                   std::string select_list, std::string context) {
    return std::make_unique<questdb_dialect>(http, std::move(schema), std::move(select_list), std::move(context));
}

}  // namespace sluice::questdb
