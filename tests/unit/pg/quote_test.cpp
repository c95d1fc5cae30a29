#include <doctest/doctest.h>

#include "sluice/pg/connection.hpp"

using sluice::pg::connection;

TEST_CASE("pg quote_ident doubles double quotes") {
    CHECK(connection::quote_ident("orders") == "\"orders\"");
    CHECK(connection::quote_ident("we\"ird; drop table x;--") == "\"we\"\"ird; drop table x;--\"");
    CHECK(connection::quote_ident("with space") == "\"with space\"");
    CHECK(connection::quote_ident("Ünïcödé") == "\"Ünïcödé\"");
    CHECK(connection::quote_ident("") == "\"\"");
}

TEST_CASE("pg quote_literal doubles quotes and escapes backslashes with E''") {
    CHECK(connection::quote_literal("abc") == "'abc'");
    CHECK(connection::quote_literal("it's") == "'it''s'");
    CHECK(connection::quote_literal("a\\b") == "E'a\\\\b'");
    CHECK(connection::quote_literal("'\\'") == "E'''\\\\'''");
    CHECK(connection::quote_literal("") == "''");
}
