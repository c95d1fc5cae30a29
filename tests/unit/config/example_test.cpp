// etc/sluice.example.yaml is documentation users copy: it must always load.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "sluice/config.hpp"

using namespace std::chrono_literals;
using namespace sluice::config;

TEST_CASE("etc/sluice.example.yaml loads and says what DESIGN.md promises") {
    // The example takes secrets from the environment and from systemd credentials.
    const auto creds = std::filesystem::temp_directory_path() / "sluice_example_credentials";
    std::filesystem::create_directories(creds);
    std::ofstream(creds / "redshift") << "rs-secret\n";
    std::ofstream(creds / "druid") << "druid-secret\n";
    ::setenv("CREDENTIALS_DIRECTORY", creds.c_str(), 1);
    ::setenv("PGPASSWORD", "pg-secret", 1);
    ::setenv("QDB_PASSWORD", "qdb-secret", 1);

    config cfg;
    try {
        cfg = load_config("etc/sluice.example.yaml");
    } catch (const config_error& e) {
        FAIL("the example config does not load:\n" << e.what());
    }
    std::filesystem::remove_all(creds);

    CHECK(cfg.destination.type == "sqlite");
    CHECK(cfg.destination.path == "./sluice.db");
    CHECK(cfg.destination.batch_rows == 10000);
    CHECK(cfg.destination.batch_bytes == 16u << 20);
    CHECK(cfg.defaults.poll_interval == 30s);
    CHECK(cfg.defaults.batch_size == 5000);
    CHECK(cfg.http.listen == "127.0.0.1:8686");
    CHECK(cfg.log.level == "info");
    CHECK(cfg.log.format == "text");

    REQUIRE(cfg.sources.size() == 5);
    const auto& pg = cfg.sources[0];
    CHECK(pg.name == "warehouse");
    CHECK(pg.type == "postgres");
    CHECK(pg.dsn.find("password=pg-secret") != std::string::npos);
    CHECK(pg.settings.poll_interval == 10s);
    REQUIRE(pg.tables.size() == 2);
    CHECK(pg.tables[0].name == "orders");
    CHECK(pg.tables[0].cursor == "updated_at");
    CHECK(pg.tables[0].exclude_columns == std::vector<std::string>{"secret"});
    CHECK(pg.tables[0].settings.lookback == 5min);
    CHECK(pg.tables[0].settings.poll_interval == 10s);
    CHECK(pg.tables[1].name == "customers");

    CHECK(cfg.sources[1].type == "redshift");
    CHECK(cfg.sources[1].password == "rs-secret");
    CHECK(cfg.sources[1].all_tables);
    CHECK(cfg.sources[2].type == "questdb");
    CHECK(cfg.sources[2].password == "qdb-secret");
    CHECK(cfg.sources[2].tables.at(0).cursor == "ts");
    CHECK(cfg.sources[3].type == "druid");
    CHECK(cfg.sources[3].all_tables);
    const auto& hb = cfg.sources[4];
    CHECK(hb.type == "hbase");
    CHECK(hb.port == 9090);
    REQUIRE(hb.tables.size() == 2);
    CHECK(hb.tables[0].columns.size() == 2);
    CHECK(hb.tables[0].columns[1].type == sluice::value_type::int64);
    CHECK(hb.tables[1].mode == "cell_timestamp");

    for (const char* secret : {"pg-secret", "rs-secret", "qdb-secret", "druid-secret"})
        CHECK(std::find(cfg.secrets.begin(), cfg.secrets.end(), secret) != cfg.secrets.end());
}
