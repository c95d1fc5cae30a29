#include <doctest/doctest.h>

#include "daemon/backoff.hpp"

using namespace std::chrono_literals;
using sluice::daemon::backoff_delay;
using sluice::daemon::jittered;
using sluice::daemon::millis;

TEST_CASE("backoff doubles from one second up to the cap") {
    // unit 0.5 is the middle of the jitter range: no jitter.
    CHECK(backoff_delay(1, 300s, 0.5) == 1s);
    CHECK(backoff_delay(2, 300s, 0.5) == 2s);
    CHECK(backoff_delay(3, 300s, 0.5) == 4s);
    CHECK(backoff_delay(9, 300s, 0.5) == 256s);
    CHECK(backoff_delay(10, 300s, 0.5) == 300s);
    CHECK(backoff_delay(1000, 300s, 0.5) == 300s);  // no overflow after many failures
}

TEST_CASE("backoff jitter stays within ±20% and never exceeds the cap") {
    CHECK(backoff_delay(3, 300s, 0.0) == 3200ms);
    CHECK(backoff_delay(3, 300s, 0.999999) <= 4800ms);
    CHECK(backoff_delay(3, 300s, 0.999999) > 4790ms);
    CHECK(backoff_delay(20, 300s, 0.999999) == 300s);
    CHECK(backoff_delay(20, 300s, 0.0) == 240s);
    CHECK(backoff_delay(1, 500ms, 0.5) == 500ms);  // a cap below 1s wins
}

TEST_CASE("poll interval jitter is ±spread") {
    CHECK(jittered(30s, 0.1, 0.0) == 27s);
    CHECK(jittered(30s, 0.1, 0.5) == 30s);
    CHECK(jittered(30s, 0.1, 1.0) == 33s);
}
