#include <doctest/doctest.h>

#include "cli/progress_display.hpp"

using sluice::cli::progress_display;

TEST_CASE("progress lines show rows, rate and an ETA only when the source can count") {
    CHECK(progress_display::format_line("w.orders", 0, 0, -1) == "w.orders: 0 rows");
    CHECK(progress_display::format_line("w.orders", 5000, 2500, -1) == "w.orders: 5000 rows, 2500 rows/s");
    CHECK(progress_display::format_line("w.orders", 5000, 2500, 20000) ==
          "w.orders: 5000 rows, 2500 rows/s, ~25%, ETA 6s");
    // Past an approximate estimate (reltuples) there is no ETA rather than a negative one.
    CHECK(progress_display::format_line("w.orders", 30000, 2500, 20000) == "w.orders: 30000 rows, 2500 rows/s");
}
