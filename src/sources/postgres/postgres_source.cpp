// postgres_source: check / discover / sync. Each operation leases a connection
// of the source's shared pool (tables sync concurrently, max_connections over
// all of them) and hands it back only when it ended cleanly; any failure closes
// it, which also rolls back the snapshot transaction and its cursor.

#include "sources/postgres/postgres_source.hpp"

#include <exception>

#include <spdlog/spdlog.h>

#include "sluice/error.hpp"
#include "sluice/pg/connection.hpp"
#include "sluice/progress.hpp"
#include "sources/postgres/catalog.hpp"
#include "sources/postgres/parallel_load.hpp"
#include "sources/postgres/reader.hpp"
#include "sources/postgres/type_map.hpp"
#include "sources/postgres/schema_builder.hpp"
#include "sources/postgres/shared_pool.hpp"

namespace sluice {

namespace asio = boost::asio;

namespace {

class postgres_source final : public source {
public:
    postgres_source(config::source_config cfg, asio::any_io_executor ex)
        : cfg_(std::move(cfg)),
          ex_(std::move(ex)),
          pool_(postgres::shared_pool(cfg_, ex_)) {}

    asio::awaitable<void> check() override {
        std::exception_ptr failure;
        try {
            auto conn = co_await pool_->acquire_new();
            const std::string_view probe = "SELECT 1";  // named: sluice/coro.hpp
            co_await conn->exec(probe);
        } catch (...) {
            failure = with_context(std::current_exception(), "checking");
        }
        if (failure) std::rethrow_exception(failure);
    }

    asio::awaitable<std::vector<table_schema_ptr>> discover() override {
        std::vector<postgres::raw_table> tables;
        std::exception_ptr failure;
        try {
            auto conn = co_await pool_->acquire();
            tables = co_await postgres::read_catalog(*conn, cfg_.schema);
            conn.keep();
        } catch (...) {
            failure = with_context(std::current_exception(), "discovering tables");
        }
        if (failure) std::rethrow_exception(failure);
        co_return build(tables);
    }

    asio::awaitable<void> sync(table_schema_ptr schema, std::optional<std::string> cursor,
                               batch_sink& sink) override {
        std::exception_ptr failure;
        try {
            auto lease = co_await pool_->acquire();
            pg::connection& conn = *lease;
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
                std::vector<pg::pool::slot> extra;
                while (extra.size() + 1 < static_cast<std::size_t>(ctx.settings.max_parallel_workers)) {
                    auto s = pool_->try_reserve();
                    if (!s) break;
                    extra.push_back(std::move(*s));
                }
                co_await postgres::read_parallel_load(ctx, saved, *pool_, std::move(extra));
            } else if (schema->synthetic_key && schema->mode == sync_mode::incremental) {
                co_await postgres::read_groups(ctx, saved);
            } else {
                co_await postgres::read_keyset(ctx, saved);
            }
            lease.keep();
        } catch (...) {
            failure = with_context(std::current_exception(), schema->qualified_name() + ": reading");
        }
        // On failure the lease closed the connection: that ends the transaction and its server-side cursor.
        if (failure) std::rethrow_exception(failure);
    }

    bool can_reconcile(const table_schema& schema) const override {
        return schema.mode == sync_mode::incremental && schema.cursor_column &&
               postgres::is_timestamp_source(schema.columns[*schema.cursor_column]);
    }

    asio::awaitable<std::vector<bucket_stats>> summarize(table_schema_ptr schema, bucket_query q) override {
        std::vector<bucket_stats> out;
        std::exception_ptr failure;
        try {
            auto conn = co_await pool_->acquire();
            out = co_await postgres::summarize(*conn, *schema, q);
            conn.keep();
        } catch (...) {
            failure = with_context(std::current_exception(), schema->qualified_name() + ": summarizing");
        }
        if (failure) std::rethrow_exception(failure);
        co_return out;
    }

    asio::awaitable<void> reread(table_schema_ptr schema, std::int64_t lo_ms, std::int64_t hi_ms,
                                 batch_sink& sink) override {
        std::exception_ptr failure;
        try {
            auto conn = co_await pool_->acquire();
            auto ctx = make_read_context(*conn, schema, sink);
            co_await postgres::read_range(ctx, lo_ms, hi_ms);
            conn.keep();
        } catch (...) {
            failure = with_context(std::current_exception(), schema->qualified_name() + ": re-reading");
        }
        if (failure) std::rethrow_exception(failure);
    }

private:
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
    std::shared_ptr<pg::pool> pool_;  // max_connections, over all instances of this source
};

}  // namespace

std::unique_ptr<source> make_postgres_source(const config::source_config& cfg, asio::any_io_executor ex) {
    return std::make_unique<postgres_source>(cfg, std::move(ex));
}

}  // namespace sluice
