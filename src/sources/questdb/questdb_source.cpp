// questdb_source: check / discover / sync over one shared http_client (its
// keep-alive pool bounds the requests in flight for the whole source).

#include "sources/questdb/questdb_source.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sluice/http/client.hpp"
#include "sluice/http/source_options.hpp"
#include "sources/questdb/catalog.hpp"
#include "sources/questdb/questdb_dialect.hpp"
#include "sources/questdb/query_builder.hpp"
#include "sources/questdb/type_map.hpp"
#include "sources/time_keyset/cursor_state.hpp"
#include "sources/time_keyset/reader.hpp"
#include "sources/time_keyset/schema_rules.hpp"

namespace sluice {

namespace asio = boost::asio;

namespace questdb {

table_schema build_schema(const config::source_config& cfg, const raw_table& t, const std::vector<raw_column>& cols,
                          const config::table_config* tc) {
    const std::string ctx = "questdb source '" + cfg.name + "' table '" + t.name + "'";
    table_schema s;
    s.source = cfg.name;
    s.table = t.name;
    s.source_table = t.name;
    s.dest_table = tc && tc->destination ? *tc->destination : t.name;
    std::string designated = t.designated;
    std::vector<std::string> upsert;
    for (const auto& c : cols) {
        if (c.designated && designated.empty()) designated = c.name;
        if (tc && !tc->syncs_column(c.name)) continue;
        column col;
        col.name = c.name;
        col.source_type = c.type;
        col.type = map_column_type(c.name, c.type).model;
        if (tc) {
            if (auto it = tc->column_types.find(c.name); it != tc->column_types.end()) {
                if (it->second != col.type)
                    throw error(error_kind::fatal, ctx + ": column '" + c.name +
                                                       "': declared types other than the discovered one (" +
                                                       std::string(to_string(col.type)) +
                                                       ") are not supported by the QuestDB source");
            }
        }
        col.nullable = !c.designated;
        if (c.upsert_key) upsert.push_back(c.name);
        s.columns.push_back(std::move(col));
    }
    if (s.columns.empty()) throw error(error_kind::fatal, ctx + ": no columns to sync");

    std::optional<std::string> time_column;
    if (!designated.empty()) time_column = designated;
    time_keyset::resolve_cursor(s, tc, std::move(time_column), ctx,
                                "the QuestDB source needs a TIMESTAMP/DATE cursor",
                                "a designated timestamp or `cursor:`");

    std::optional<std::vector<std::string>> key_names;
    if (tc && tc->primary_key)
        key_names = *tc->primary_key;
    else
        key_names = std::move(upsert);
    if (key_names->empty()) key_names.reset();
    time_keyset::resolve_key(s, key_names, ctx);
    return s;
}

}  // namespace questdb

namespace {

class questdb_source final : public source {
public:
    questdb_source(config::source_config cfg, asio::any_io_executor ex) : cfg_(std::move(cfg)) {
        http_ = std::make_unique<http_client>(std::move(ex), source_http_options(cfg_, "questdb source"));
    }

    asio::awaitable<void> check() override {
        const auto ctx = "questdb source '" + cfg_.name + "'";
        // tables(): cheap, needs no table, and proves the user may read the catalog.
        // Arguments as named locals, not literals converted inside the co_await: sluice/coro.hpp.
        const std::string sql = "tables()";
        const std::string doing = "checking";
        const auto resp = co_await questdb::exec(*http_, sql, ctx, doing);
        questdb::parse_tables(resp.body, ctx + ": " + doing);
    }

    asio::awaitable<std::vector<table_schema_ptr>> discover() override {
        const auto ctx = "questdb source '" + cfg_.name + "'";
        const std::string sql = "tables()";
        const std::string doing = "listing tables";
        const auto resp = co_await questdb::exec(*http_, sql, ctx, doing);
        const auto tables = questdb::parse_tables(resp.body, ctx + ": " + doing);
        std::vector<const questdb::raw_table*> chosen;
        if (cfg_.all_tables) {
            for (const auto& t : tables) {
                if (t.name.starts_with("sys.") || t.name.starts_with("telemetry")) continue;
                chosen.push_back(&t);
            }
        } else {
            for (const auto& tc : cfg_.tables) {
                const auto it = std::find_if(tables.begin(), tables.end(),
                                             [&](const questdb::raw_table& t) { return t.name == tc.name; });
                if (it == tables.end())
                    throw error(error_kind::fatal, ctx + ": table '" + tc.name + "' does not exist");
                chosen.push_back(&*it);
            }
        }
        std::vector<table_schema_ptr> out;
        for (const auto* t : chosen) {
            const auto tctx = ctx + " table '" + t->name + "'";
            const std::string columns_sql = questdb::table_columns_query(t->name);
            const std::string reading = "reading columns";
            const auto r = co_await questdb::exec(*http_, columns_sql, tctx, reading);
            const auto cols = questdb::parse_table_columns(r.body, tctx + ": " + reading);
            out.push_back(
                std::make_shared<const table_schema>(questdb::build_schema(cfg_, *t, cols, table_config(t->name))));
        }
        co_return out;
    }

    asio::awaitable<void> sync(table_schema_ptr schema, std::optional<std::string> cursor,
                               batch_sink& sink) override {
        const auto* tc = table_config(schema->table);
        const std::string context = "questdb source '" + cfg_.name + "' table '" + schema->table + "'";
        auto dialect = questdb::make_dialect(*http_, schema, select_list(*schema, tc), context);
        time_keyset::read_context ctx{*dialect, *http_, schema, sink, tc ? tc->settings : cfg_.settings, context};
        std::optional<time_keyset::cursor_state> saved;
        if (cursor && !cursor->empty()) {
            saved = time_keyset::decode_cursor(*cursor);
            if (!saved)
                spdlog::warn("{}: stored cursor is not a QuestDB source cursor; reading from the start",
                             schema->qualified_name());
        }
        // QuestDB full mode means "no designated timestamp": natural (append) order.
        if (schema->mode == sync_mode::full)
            co_await time_keyset::read_full(ctx, std::nullopt);
        else
            co_await time_keyset::read_incremental(ctx, saved);
    }

private:
    static std::string select_list(const table_schema& s, const config::table_config* tc) {
        if (!tc || (tc->include_columns.empty() && tc->exclude_columns.empty())) return "*";
        std::string out;
        const std::size_t n = s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (i) out += ", ";
            out += quote_identifier(s.columns[i].name);
        }
        return out;
    }

    const config::table_config* table_config(const std::string& name) const {
        for (const auto& t : cfg_.tables)
            if (t.name == name) return &t;
        return nullptr;
    }

    config::source_config cfg_;
    std::unique_ptr<http_client> http_;
};

}  // namespace

std::unique_ptr<source> make_questdb_source(const config::source_config& cfg, asio::any_io_executor ex) {
    return std::make_unique<questdb_source>(cfg, std::move(ex));
}

}  // namespace sluice
