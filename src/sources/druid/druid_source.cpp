// druid_source: check / discover / sync over one shared http_client (its
// keep-alive pool bounds the requests in flight for the whole source).

#include "sources/druid/druid_source.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sluice/http/client.hpp"
#include "sluice/http/source_options.hpp"
#include "sources/druid/catalog.hpp"
#include "sources/druid/druid_dialect.hpp"
#include "sources/druid/sql_client.hpp"
#include "sources/druid/sql_text.hpp"
#include "sources/time_keyset/cursor_state.hpp"
#include "sources/time_keyset/reader.hpp"

namespace sluice {

namespace asio = boost::asio;

namespace {

// maxRowsQueuedForOrdering from the configured query context, else Druid's default.
std::int64_t ordering_cap(const std::map<std::string, std::string>& query_context) {
    const auto it = query_context.find("maxRowsQueuedForOrdering");
    if (it == query_context.end()) return druid::default_max_rows_ordered;
    std::int64_t v = 0;
    const auto& t = it->second;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc{} && end == t.data() + t.size() && v > 0 ? v : druid::default_max_rows_ordered;
}

class druid_source final : public source {
public:
    druid_source(config::source_config cfg, asio::any_io_executor ex) : cfg_(std::move(cfg)) {
        // One spare connection: a cancellation DELETE must not wait for a slot.
        http_ = std::make_unique<http_client>(std::move(ex), source_http_options(cfg_, "druid source", 1));
        client_ = std::make_unique<druid::sql_client>(*http_, cfg_.query_context, cfg_.name);
    }

    asio::awaitable<void> check() override {
        // The datasource list: cheap, and proves the user may run SQL.
        const std::string doing = "checking";  // named: g++ 12 mishandles temporaries in co_await
        co_await list_tables(doing);
    }

    asio::awaitable<std::vector<table_schema_ptr>> discover() override {
        const std::string listing = "listing datasources";
        const auto tables = co_await list_tables(listing);
        std::vector<std::string> chosen;
        if (cfg_.all_tables) {
            chosen = tables;
        } else {
            for (const auto& tc : cfg_.tables) {
                if (std::find(tables.begin(), tables.end(), tc.name) == tables.end())
                    throw error(error_kind::fatal, context() + ": datasource '" + tc.name + "' does not exist in schema '" +
                                                       cfg_.schema + "' (or has no segments loaded yet)");
                chosen.push_back(tc.name);
            }
        }
        std::vector<table_schema_ptr> out;
        for (const auto& name : chosen) {
            const auto tctx = context() + " datasource '" + name + "'";
            const auto sql = druid::columns_query(cfg_.schema, name);
            const std::string doing = "reading columns";
            const auto r = co_await client_->query_text(sql, tctx, doing);
            const auto cols = druid::parse_columns(r, tctx + ": reading columns");
            out.push_back(std::make_shared<const table_schema>(druid::build_schema(cfg_, name, cols, table_config(name))));
        }
        co_return out;
    }

    asio::awaitable<void> sync(table_schema_ptr schema, std::optional<std::string> cursor,
                               batch_sink& sink) override {
        const std::string ctx_text = table_context(*schema);
        const auto settings = read_settings(*schema, ctx_text, true);
        auto dialect = make_dialect(schema, ctx_text);
        time_keyset::read_context ctx{*dialect, *http_, schema, sink, settings, ctx_text};
        if (schema->mode == sync_mode::full) {
            // Ordered by __time when there is one: exact pages instead of an unordered offset.
            const auto time_column = schema->find_column("__time");  // named: sluice/coro.hpp
            co_await time_keyset::read_full(ctx, time_column);
            co_return;
        }
        std::optional<time_keyset::cursor_state> saved;
        if (cursor && !cursor->empty()) {
            saved = time_keyset::decode_cursor(*cursor);
            if (!saved)
                spdlog::warn("{}: stored cursor is not a Druid source cursor; reading from the start",
                             schema->qualified_name());
        }
        co_await time_keyset::read_incremental(ctx, saved);
    }

    // Reconcile (sluice/reconcile.hpp): incremental tables on a TIMESTAMP cursor
    // (__time normally). Summaries are one GROUP BY query computed by Druid;
    // re-reads are the sync's keyset pages bounded to [lo, hi), without cursors.
    bool can_reconcile(const table_schema& schema) const override {
        return schema.mode == sync_mode::incremental && schema.cursor_column &&
               *schema.cursor_column < schema.columns.size() &&
               schema.columns[*schema.cursor_column].type == value_type::timestamp;
    }

    asio::awaitable<std::vector<bucket_stats>> summarize(table_schema_ptr schema, bucket_query q) override {
        const std::string ctx_text = table_context(*schema);
        const std::string doing = "summarizing";  // named: g++ 12 mishandles temporaries in co_await
        if (q.width_ms <= 0)
            throw error(error_kind::fatal, fmt::format("{}: {}: bucket width {} ms", ctx_text, doing, q.width_ms));
        if (q.time_column >= schema->columns.size() || schema->columns[q.time_column].type != value_type::timestamp)
            throw error(error_kind::fatal, ctx_text + ": " + doing + ": the bucket column is not a timestamp column");
        std::vector<std::string> ints;
        for (std::size_t c : q.int_columns) {
            if (c >= schema->columns.size() || schema->columns[c].type != value_type::int64)
                throw error(error_kind::fatal,
                            fmt::format("{}: {}: fingerprint column {} is not an integer column", ctx_text, doing, c));
            ints.push_back(schema->columns[c].name);
        }
        time_keyset::time_range range;
        if (q.lo_ms) range.lower = ms_to_us(*q.lo_ms);
        range.upper = ms_to_us(q.hi_ms);
        if (range.lower && *range.lower >= *range.upper) co_return std::vector<bucket_stats>{};
        const auto sql = druid::summary_query(druid::table_ref{cfg_.schema, schema->source_table},
                                              schema->columns[q.time_column].name, ints, range, q.width_ms);
        const auto r = co_await client_->query_text(sql, ctx_text, doing);
        co_return druid::parse_buckets(r, ctx_text + ": " + doing);
    }

    asio::awaitable<void> reread(table_schema_ptr schema, std::int64_t lo_ms, std::int64_t hi_ms,
                                 batch_sink& sink) override {
        const std::string ctx_text = table_context(*schema) + " (re-reading)";
        const auto settings = read_settings(*schema, ctx_text, false);
        auto dialect = make_dialect(schema, ctx_text);
        time_keyset::read_context ctx{*dialect, *http_, schema, sink, settings, ctx_text};
        co_await time_keyset::read_between(ctx, ms_to_us(lo_ms), ms_to_us(hi_ms));
    }

private:
    std::string context() const { return "druid source '" + cfg_.name + "'"; }
    std::string table_context(const table_schema& s) const { return context() + " datasource '" + s.table + "'"; }

    static std::int64_t ms_to_us(std::int64_t ms) {
        constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1000;
        return std::clamp(ms, -limit, limit) * 1000;
    }

    // The table's settings, batch_size lowered to Druid's ordering cap.
    config::table_settings read_settings(const table_schema& schema, const std::string& ctx_text, bool log) const {
        const auto* tc = table_config(schema.table);
        const auto cap = ordering_cap(cfg_.query_context);
        auto settings = tc ? tc->settings : cfg_.settings;
        if (static_cast<std::int64_t>(settings.batch_size) > cap) {
            if (log)
                spdlog::info("{}: batch_size {} lowered to {}: Druid orders at most that many rows per query "
                             "(maxRowsQueuedForOrdering)",
                             ctx_text, settings.batch_size, cap);
            settings.batch_size = static_cast<std::size_t>(cap);
        }
        return settings;
    }

    std::unique_ptr<time_keyset::dialect> make_dialect(const table_schema_ptr& schema, const std::string& ctx_text) {
        return druid::make_dialect(*client_, schema, druid::table_ref{cfg_.schema, schema->source_table}, ctx_text);
    }

    asio::awaitable<std::vector<std::string>> list_tables(const std::string& doing) {
        const auto ctx = context();
        const auto sql = druid::tables_query(cfg_.schema);
        const auto r = co_await client_->query_text(sql, ctx, doing);
        co_return druid::parse_tables(r, ctx + ": " + doing);
    }

    const config::table_config* table_config(const std::string& name) const {
        for (const auto& t : cfg_.tables)
            if (t.name == name) return &t;
        return nullptr;
    }

    config::source_config cfg_;
    std::unique_ptr<http_client> http_;
    std::unique_ptr<druid::sql_client> client_;
};

}  // namespace

std::unique_ptr<source> make_druid_source(const config::source_config& cfg, asio::any_io_executor ex) {
    return std::make_unique<druid_source>(cfg, std::move(ex));
}

}  // namespace sluice
