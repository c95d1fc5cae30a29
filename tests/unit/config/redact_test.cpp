#include <doctest/doctest.h>

#include "sluice/config.hpp"

using sluice::config::redact;

TEST_CASE("redact masks every occurrence of each secret") {
    CHECK(redact("token hunter2 and hunter2 again", {"hunter2"}) == "token *** and *** again");
    CHECK(redact("nothing to hide", {"", "absent"}) == "nothing to hide");
    // The longer secret wins when one contains the other.
    CHECK(redact("abc123", {"abc", "abc123"}) == "***");
}

TEST_CASE("redact scrubs libpq conninfo passwords it was not told about") {
    CHECK(redact("host=db password=s3cret user=u", {}) == "host=db password=*** user=u");
    CHECK(redact("host=db password='with space' user=u", {}) == "host=db password='***' user=u");
    CHECK(redact("host=db password = spaced dbname=x", {}) == "host=db password = *** dbname=x");
    CHECK(redact("PGPASSWORD=xyz", {}) == "PGPASSWORD=***");
    CHECK(redact(R"({"dsn":"host=db password=abc"})", {}) == R"({"dsn":"host=db password=***"})");
}

TEST_CASE("redact scrubs URI userinfo passwords") {
    CHECK(redact("postgres://sync:pa55@db:5432/app", {}) == "postgres://sync:***@db:5432/app");
    CHECK(redact("connect to postgresql://u:p%40ss@h/db failed", {}) ==
          "connect to postgresql://u:***@h/db failed");
    CHECK(redact("http://admin:quest@127.0.0.1:9000/exec", {}) == "http://admin:***@127.0.0.1:9000/exec");
    CHECK(redact("postgres://db/app?password=x&sslmode=require", {}) ==
          "postgres://db/app?password=***&sslmode=require");
    // No userinfo, nothing to scrub.
    CHECK(redact("http://127.0.0.1:9000/exec", {}) == "http://127.0.0.1:9000/exec");
}
