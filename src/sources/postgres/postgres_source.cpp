// postgres_source: check / discover / sync. Each sync() opens its own
// connection (tables sync concurrently) and drops it when done or on any
// failure, which also rolls back the snapshot transaction and its cursor.

#include "sources/postgres/postgres_source.hpp"

#include <exception>

#include <spdlog/spdlog.h>

#include "sluice/async_semaphore.hpp"
#include "sluice/error.hpp"
#include "sluice/pg/connection.hpp"
#include "sluice/progress.hpp"
#include "sources/postgres/catalog.hpp"
#include "sources/postgres/parallel_load.hpp"
#include "sources/postgres/reader.hpp"
#include "sources/postgres/type_map.hpp"
#include "sources/postgres/schema_builder.hpp"

namespace sluice {

namespace asio = boost::asio;

namespace {

class postgres_source final : public source {
public:
    postgres_source(config::source_config cfg, asio::any_io_executor ex)
        : cfg_(std::move(cfg)),
          ex_(std::move(ex)),
          connections_(ex_, static_cast<std::size_t>(std::max(1, cfg_.max_connections))) {}

    asio::awaitable<void> check() override {
        auto token = co_await connections_.acquire();
        pg::connection conn(ex_);
        std::exception_ptr failure;
        try {
            co_await connect(conn);
            const std::string_view probe = "SELECT 1";  // named: sluice/coro.hpp
            co_await conn.exec(probe);
        } catch (...) {
            failure = with_context(std::current_exception(), "checking");
        }
        conn.close();
        if (failure) std::rethrow_exception(failure);
    }

    asio::awaitable<std::vector<table_schema_ptr>> discover() override {
        auto token = co_await connections_.acquire();
        pg::connection conn(ex_);
        std::vector<postgres::raw_table> tables;
        std::exception_ptr failure;
        try {
            co_await connect(conn);
            tables = co_await postgres::read_catalog(conn, cfg_.schema);
        } catch (...) {
            failure = with_context(std::current_exception(), "discovering tables");
        }
        conn.close();
        if (failure) std::rethrow_exception(failure);
        co_return build(tables);
    }

    asio::awaitable<void> sync(table_schema_ptr schema, std::optional<std::string> cursor,
                               batch_sink& sink) override {
        auto token = co_await connections_.acquire();
        pg::connection conn(ex_);
        std::exception_ptr failure;
        try {
            co_await connect(conn);
            auto ctx = make_read_context(conn, schema, sink);
            std::optional<std::int64_t> estimate;
            if (!conn.is_redshift()) {
                estimate = co_await postgres::estimate_rows(conn, cfg_.schema, schema->table);
                if (estimate) sink.progress()->rows_estimate = *estimate;
            }
            std::optional<postgres::cursor_state> saved;
            if (cursor && !cursor->empty()) {
                saved = postgres::decode_cursor(*cursor);
                if (!saved)
                    spdlog::warn("{}: stored cursor is not a postgres source cursor; reading from the start",
                                 schema->qualified_name());
            }
            if (postgres::parallel_load_applies(ctx, saved, estimate)) {
                // Extra connections only while the source's budget has them free:
                // a load never starves the other tables' syncs of connections.
                std::vector<async_semaphore::guard> extra;
                while (extra.size() + 1 < static_cast<std::size_t>(ctx.settings.max_parallel_workers)) {
                    auto t = connections_.try_acquire();
                    if (!t) break;
                    extra.push_back(std::move(*t));
                }
                const postgres::connect_fn open = [this](pg::connection& c) { return connect(c); };
                co_await postgres::read_parallel_load(ctx, saved, open, extra.size());
            } else if (schema->synthetic_key && schema->mode == sync_mode::incremental) {
                co_await postgres::read_groups(ctx, saved);
            } else {
                co_await postgres::read_keyset(ctx, saved);
            }
        } catch (...) {
            failure = with_context(std::current_exception(), schema->qualified_name() + ": reading");
        }
        // Dropping the connection ends the transaction and its server-side cursor.
        conn.close();
        if (failure) std::rethrow_exception(failure);
    }

    bool can_reconcile(const table_schema& schema) const override {
        return schema.mode == sync_mode::incremental && schema.cursor_column &&
               postgres::is_timestamp_source(schema.columns[*schema.cursor_column]);
    }

    asio::awaitable<std::vector<bucket_stats>> summarize(table_schema_ptr schema, bucket_query q) override {
        auto token = co_await connections_.acquire();
        pg::connection conn(ex_);
        std::vector<bucket_stats> out;
        std::exception_ptr failure;
        try {
            co_await connect(conn);
            out = co_await postgres::summarize(conn, *schema, q);
        } catch (...) {
            failure = with_context(std::current_exception(), schema->qualified_name() + ": summarizing");
        }
        conn.close();
        if (failure) std::rethrow_exception(failure);
        co_return out;
    }

    asio::awaitable<void> reread(table_schema_ptr schema, std::int64_t lo_ms, std::int64_t hi_ms,
                                 batch_sink& sink) override {
        auto token = co_await connections_.acquire();
        pg::connection conn(ex_);
        std::exception_ptr failure;
        try {
            co_await connect(conn);
            auto ctx = make_read_context(conn, schema, sink);
            co_await postgres::read_range(ctx, lo_ms, hi_ms);
        } catch (...) {
            failure = with_context(std::current_exception(), schema->qualified_name() + ": re-reading");
        }
        conn.close();
        if (failure) std::rethrow_exception(failure);
    }

private:
    asio::awaitable<void> connect(pg::connection& conn) {
        co_await conn.connect(cfg_.dsn, cfg_.password, cfg_.timeout);
    }

    // Prefixes libpq errors with which source (and table) was being worked on;
    // data errors and cancellation pass through unchanged.
    std::exception_ptr with_context(std::exception_ptr e, const std::string& doing) const {
        try {
            std::rethrow_exception(e);
        } catch (const pg::pg_error& pe) {
            const std::string prefix =
                doing.starts_with(cfg_.name + ".") ? doing : "source " + cfg_.name + ": " + doing;
            return std::make_exception_ptr(pg::pg_error(pe.kind(), prefix + ": " + pe.what(), pe.sqlstate()));
        } catch (...) {
            return e;
        }
    }

    const config::table_config* table_config(const std::string& name) const {
        for (const auto& t : cfg_.tables)
            if (t.name == name) return &t;
        return nullptr;
    }

    // Only after connect(): Redshift limits apply when the server says so, not
    // only when the config does.
    postgres::read_context make_read_context(pg::connection& conn, table_schema_ptr schema, batch_sink& sink) const {
        const auto* tc = table_config(schema->table);
        const config::table_settings& settings = tc ? tc->settings : cfg_.settings;
        return {conn, std::move(schema), sink, settings, conn.is_redshift() || cfg_.type == "redshift"};
    }

    std::vector<table_schema_ptr> build(const std::vector<postgres::raw_table>& tables) const {
        std::vector<table_schema_ptr> out;
        auto find = [&](const std::string& name) -> const postgres::raw_table* {
            for (const auto& t : tables)
                if (t.name == name) return &t;
            return nullptr;
        };
        if (cfg_.all_tables) {
            for (const auto& t : tables)
                out.push_back(std::make_shared<const table_schema>(
                    postgres::build_schema(cfg_, t, table_config(t.name))));
            return out;
        }
        for (const auto& tc : cfg_.tables) {
            const auto* t = find(tc.name);
            if (!t)
                throw error(error_kind::fatal, "source " + cfg_.name + ": table \"" + tc.name +
                                                   "\" does not exist in schema \"" + cfg_.schema + "\"");
            out.push_back(std::make_shared<const table_schema>(postgres::build_schema(cfg_, *t, &tc)));
        }
        return out;
    }

    config::source_config cfg_;
    asio::any_io_executor ex_;
    async_semaphore connections_;  // max_connections, over all of this source's work
};

}  // namespace

std::unique_ptr<source> make_postgres_source(const config::source_config& cfg, asio::any_io_executor ex) {
    return std::make_unique<postgres_source>(cfg, std::move(ex));
}

}  // namespace sluice
