#include <doctest/doctest.h>

#include "config/dsn_secrets.hpp"
#include "sluice/config.hpp"

using sluice::config::redact;

TEST_CASE("redact masks every standalone occurrence of each secret") {
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

TEST_CASE("redact masks double-quoted and backslash-escaped password values whole (found by fuzzing)") {
    CHECK(redact(R"(password="with space" user=u)", {}) == R"(password="***" user=u)");
    CHECK(redact(R"(Pssword="\xAS password="\x)", {}) == R"(Pssword="\xAS password="***)");
    CHECK(redact(R"(host=db password=a\ b user=u)", {}) == "host=db password=*** user=u");
}

TEST_CASE("redact masks a value that starts with a JSON or query delimiter (found by fuzzing)") {
    // libpq reads "password=}:5" as "}:5"; the scan that stops at `}` for JSON had masked nothing.
    CHECK(redact("password=}:5 user=u", {}) == "password=*** user=u");
    CHECK(redact(R"(host=h password=,x\ y)", {}) == "host=h password=***");
    CHECK(redact(std::string("password=}:5\0\0p3\0=q\"\\X", 22), {}) == "password=***");
    // libpq reads `password=""x` as `""x`: the value goes on after the closing quote.
    CHECK(redact(R"(password=""\x\xAS host=h)", {}) == R"(password="*** host=h)");
    CHECK(redact(R"(password="ab"cd)", {}) == R"(password="***)");
    CHECK(redact(R"(password=""&p%=\S host=h)", {}) == R"(password="*** host=h)");
    CHECK(redact(R"(password="",x host=h)", {}) == R"(password="*** host=h)");
    CHECK(redact(R"({"a":"password=\"x\"","b":1})", {}) == R"({"a":"password=***","b":1})");
    CHECK(redact(R"(password="with space" user=u)", {}) == R"(password="***" user=u)");
    // An empty value does not hide the assignment right after it.
    // (libpq reads `""` unquoted as a two-character password: the safety net masks it.)
    CHECK(redact("password=\"\"\rpassword=\"ASx\\ y", {}) == "password=***\rpassword=\"***");
    CHECK(redact("password=''\npassword=abc", {}) == "password=''\npassword=***");
    // A value that merely ends at a delimiter keeps the text around it.
    CHECK(redact(R"({"dsn":"password=abc","x":1})", {}) == R"({"dsn":"password=***","x":1})");
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

TEST_CASE("redact leaves words that merely contain a short password intact") {
    // QuestDB's default password is "quest": its own name must survive in messages.
    CHECK(redact("connecting to questdb at http://questdb:9000", {"quest"}) ==
          "connecting to questdb at http://questdb:9000");
    CHECK(redact("QuestDB table quest_ticks, request 5", {"quest"}) == "QuestDB table quest_ticks, request 5");
    CHECK(redact("http://admin:quest@questdb:9000/exec", {"quest"}) == "http://admin:***@questdb:9000/exec");
}

TEST_CASE("redact masks a password wherever it stands as the secret itself") {
    CHECK(redact("host=q password=quest user=u", {"quest"}) == "host=q password=*** user=u");
    CHECK(redact("host=q password='quest' dbname=questdb", {"quest"}) == "host=q password='***' dbname=questdb");
    CHECK(redact("GET http://u:quest@h/exec", {"quest"}) == "GET http://u:***@h/exec");
    CHECK(redact("env PGPASSWORD=quest QDB_HOST=questdb", {"quest"}) == "env PGPASSWORD=*** QDB_HOST=questdb");
    CHECK(redact("login with quest failed", {"quest"}) == "login with *** failed");
    CHECK(redact("quest", {"quest"}) == "***");
    CHECK(redact("bad credentials ('quest'): (quest), quest.", {"quest"}) == "bad credentials ('***'): (***), ***.");
}

TEST_CASE("redact masks a percent-encoded password") {
    CHECK(redact("GET /exec?user=admin&pw=p%40ss%3Aw%2Frd HTTP/1.1", {"p@ss:w/rd"}) ==
          "GET /exec?user=admin&pw=*** HTTP/1.1");
    CHECK(redact("GET /exec?pw=p%40ss%3aw%2frd", {"p@ss:w/rd"}) == "GET /exec?pw=***");  // lowercase hex
    CHECK(redact("postgres://u:p%40ss%3Aw%2Frd@h/db", {"p@ss:w/rd"}) == "postgres://u:***@h/db");
}

TEST_CASE("redact masks passwords made of special characters") {
    CHECK(redact("auth failed for p@ss:w/rd.", {"p@ss:w/rd"}) == "auth failed for ***.");
    // Unencoded, the '/' would end the URI authority: the secret itself is still masked.
    CHECK(redact("http://u:p@ss:w/rd@h/x", {"p@ss:w/rd"}) == "http://u:***@h/x");
    CHECK(redact(R"(rejected a'b"c for "sync")", {R"(a'b"c)"}) == R"(rejected *** for "sync")");
    CHECK(redact(R"(host=h password='a\'b"c' user=u)", {R"(a'b"c)"}) == R"(host=h password='***' user=u)");
}

TEST_CASE("redact masks a password that is a prefix or suffix of a longer secret") {
    CHECK(redact("questpass and quest and questdb", {"quest", "questpass"}) == "*** and *** and questdb");
    CHECK(redact("questpass, pass, passport", {"pass", "questpass"}) == "***, ***, passport");
}

TEST_CASE("redact masks a password after any whitespace following '='") {
    // libpq reads "password=\r\n\vs3cret" as s3cret (fuzz finding of dsn_secrets).
    CHECK(redact("host=h password=\r\n\vs3cret user=u", {}) == "host=h password=\r\n\v*** user=u");
    CHECK(redact(std::string("password=\r\x01\0\\\r", 14), {}) == "password=\r***");
}

TEST_CASE("redact: whatever libpq would read as a password is masked, whatever the heuristics missed") {
    using sluice::config::detail::embedded_passwords;
    for (const std::string& text : {std::string("password=\"\"&p%=\\S host=h"), std::string("password='a b'c"),
                                   std::string("host=x password=\\}\\ y"), std::string("postgres://u:p w@h/db"),
                                   std::string("postgresql://h/db?password=\"q\"&x=1")}) {
        CAPTURE(text);
        const auto secrets = embedded_passwords(text);
        REQUIRE_FALSE(secrets.empty());
        const auto red = redact(text, {});
        for (const auto& p : embedded_passwords(red)) CHECK(p.find('*') != std::string::npos);
    }
}

TEST_CASE("redact: an empty password never masks anything") {
    CHECK(redact("", {""}) == "");
    CHECK(redact("any text at all", {""}) == "any text at all");
    CHECK(redact("user=u host=h", {"", ""}) == "user=u host=h");
}
