#include <doctest/doctest.h>

#include "sluice/daemon/status.hpp"

using namespace sluice::daemon;

TEST_CASE("status registry keeps tables sorted and updates in place") {
    status_registry r;
    r.update("wh", "orders", [](table_status& s) { ++s.task_starts; });
    r.update("crm", "users", [](table_status& s) { s.rows_synced = 5; });
    r.update("wh", "orders", [](table_status& s) {
        ++s.task_starts;
        s.state = table_state::idle;
    });
    auto snap = r.snapshot();
    REQUIRE(snap.tables.size() == 2);
    CHECK(snap.tables[0].source == "crm");
    CHECK(snap.tables[0].table == "users");
    CHECK(snap.tables[0].rows_synced == 5);
    CHECK(snap.tables[1].task_starts == 2);
    CHECK(std::string(to_string(snap.tables[1].state)) == "idle");

    r.remove("crm", "users");
    CHECK(r.snapshot().tables.size() == 1);
}

TEST_CASE("status registry globals never carry tables") {
    status_registry r;
    r.update("a", "b", [](table_status&) {});
    r.set_global([](status_snapshot& s) {
        s.config_generation = 3;
        s.tables.push_back({});
    });
    auto snap = r.snapshot();
    CHECK(snap.config_generation == 3);
    CHECK(snap.tables.size() == 1);
}
