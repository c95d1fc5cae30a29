// hbase_source: check / discover / sync over the Thrift1 gateway. Connections
// come from one pool per source; each sync() is one table pass (table_pass.cpp).
#include "sources/hbase/hbase_source.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sources/hbase/client_pool.hpp"
#include "sources/hbase/table_layout.hpp"
#include "sources/hbase/table_pass.hpp"

namespace sluice {

namespace asio = boost::asio;

namespace {

hbase::gateway_address address_of(const config::source_config& cfg) {
    hbase::gateway_address a;
    a.host = cfg.host;
    a.port = cfg.port;
    a.framed = cfg.transport == "framed";
    a.compact = cfg.protocol == "compact";
    a.http = cfg.client == "http";
    a.timeout = cfg.timeout;
    return a;
}

class hbase_source final : public source {
public:
    hbase_source(config::source_config cfg, asio::any_io_executor ex)
        : cfg_(std::move(cfg)),
          pool_(ex, address_of(cfg_), static_cast<std::size_t>(std::max(4, cfg_.settings.max_parallel_workers * 2))) {}

    asio::awaitable<void> check() override { (void)co_await gateway_tables(); }

    asio::awaitable<std::vector<table_schema_ptr>> discover() override {
        const auto names = co_await gateway_tables();
        std::vector<table_schema_ptr> out;
        if (cfg_.all_tables) {
            const std::string prefix =
                cfg_.table_prefix.empty() ? "" : cfg_.table_prefix + cfg_.table_prefix_separator;
            for (const auto& n : names) {
                if (!n.starts_with(prefix)) continue;
                out.push_back(hbase::plan_table(cfg_, table_config(n.substr(prefix.size()))).schema);
            }
            co_return out;
        }
        for (const auto& tc : cfg_.tables) {
            auto plan = hbase::plan_table(cfg_, tc);
            const auto& name = plan.layout.hbase_table;
            if (std::find(names.begin(), names.end(), name) == names.end())
                throw error(error_kind::fatal, fmt::format("source {}: HBase table \"{}\" does not exist on the gateway {}",
                                                           cfg_.name, name, pool_.address().describe()));
            co_await check_families(plan);
            out.push_back(plan.schema);
        }
        co_return out;
    }

    asio::awaitable<void> sync(table_schema_ptr schema, std::optional<std::string> cursor,
                               batch_sink& sink) override {
        const auto plan = hbase::plan_table(cfg_, table_config(schema->table));
        co_await hbase::run_table_pass(pool_, plan, std::move(cursor), sink);
    }

private:
    asio::awaitable<std::vector<std::string>> gateway_tables() {
        auto client = co_await pool_.acquire();
        auto names = co_await client->table_names();
        pool_.release(std::move(client));
        co_return names;
    }

    // A declared cell in a family the table does not have is a config mistake:
    // it would silently stay NULL forever.
    asio::awaitable<void> check_families(const hbase::table_plan& plan) {
        auto client = co_await pool_.acquire();
        const auto families = co_await client->families(plan.layout.hbase_table);
        pool_.release(std::move(client));
        const std::set<std::string> known(families.begin(), families.end());
        auto check = [&](const std::string& cell) {
            const auto family = cell.substr(0, cell.find(':'));
            if (!known.contains(family))
                throw error(error_kind::fatal,
                            fmt::format("{}: cell {} names column family \"{}\", which table \"{}\" does not have "
                                        "(families: {})",
                                        plan.schema->qualified_name(), cell, family, plan.layout.hbase_table,
                                        fmt::join(families, ", ")));
        };
        for (const auto& c : plan.layout.cells) check(c.cell);
        if (plan.layout.cursor_cell) check(*plan.layout.cursor_cell);
    }

    config::table_config table_config(const std::string& name) const {
        for (const auto& t : cfg_.tables)
            if (t.name == name) return t;
        config::table_config t;
        t.name = name;
        t.settings = cfg_.settings;
        return t;
    }

    config::source_config cfg_;
    hbase::client_pool pool_;
};

}  // namespace

std::unique_ptr<source> make_hbase_source(const config::source_config& cfg, asio::any_io_executor ex) {
    return std::make_unique<hbase_source>(cfg, std::move(ex));
}

}  // namespace sluice
