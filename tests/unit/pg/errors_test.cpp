#include <doctest/doctest.h>

#include "pg/errors.hpp"

using namespace sluice::pg;
using sluice::error_kind;

TEST_CASE("SQLSTATE classification") {
    CHECK(classify_sqlstate("08006") == error_kind::transient);  // connection failure
    CHECK(classify_sqlstate("08001") == error_kind::transient);
    CHECK(classify_sqlstate("53300") == error_kind::transient);  // too many connections
    CHECK(classify_sqlstate("57P01") == error_kind::transient);  // admin shutdown
    CHECK(classify_sqlstate("57P02") == error_kind::transient);
    CHECK(classify_sqlstate("57P03") == error_kind::transient);
    CHECK(classify_sqlstate("40001") == error_kind::transient);  // serialization failure
    CHECK(classify_sqlstate("40P01") == error_kind::transient);  // deadlock
    CHECK(classify_sqlstate("57014") == error_kind::fatal);      // query_canceled by statement_timeout
    CHECK(classify_sqlstate("28P01") == error_kind::fatal);      // bad password
    CHECK(classify_sqlstate("28000") == error_kind::fatal);
    CHECK(classify_sqlstate("42P01") == error_kind::fatal);  // undefined table
    CHECK(classify_sqlstate("22P02") == error_kind::fatal);
    CHECK(classify_sqlstate("") == error_kind::fatal);
}

TEST_CASE("connect failure classification by libpq message") {
    CHECK(classify_connect_failure(
              "connection to server at \"127.0.0.1\", port 1 failed: Connection refused") ==
          error_kind::transient);
    CHECK(classify_connect_failure("could not translate host name \"nohost\" to address") ==
          error_kind::transient);
    CHECK(classify_connect_failure("connection to server at \"h\", port 5432 failed: FATAL:  password "
                                   "authentication failed for user \"sync\"") == error_kind::fatal);
    CHECK(classify_connect_failure("FATAL:  no pg_hba.conf entry for host") == error_kind::fatal);
    CHECK(classify_connect_failure("FATAL:  database \"nope\" does not exist") == error_kind::fatal);
    CHECK(classify_connect_failure("authentication method 13 not supported") == error_kind::fatal);
}

TEST_CASE("messages become one line without secrets") {
    CHECK(one_line("a failed: refused\n\tIs the server running?\n") ==
          "a failed: refused Is the server running?");
    CHECK(redact_secret("user=x password=hunter2 host=h", "hunter2") == "user=x password=*** host=h");
    CHECK(redact_secret("hunter2hunter2", "hunter2") == "******");
    CHECK(redact_secret("nothing", "") == "nothing");
    // A short password is masked as itself, not inside the host names libpq quotes.
    CHECK(redact_secret(R"(could not translate host name "questdb" to address)", "quest") ==
          R"(could not translate host name "questdb" to address)");
    CHECK(redact_secret(R"(password "quest" rejected)", "quest") == R"(password "***" rejected)");
}
