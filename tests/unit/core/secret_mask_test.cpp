#include <doctest/doctest.h>

#include <string>

#include "sluice/secret_mask.hpp"

namespace {

std::string masked(std::string text, std::string_view secret) {
    sluice::mask_secret(text, secret);
    return text;
}

}  // namespace

TEST_CASE("mask_secret masks standalone occurrences, not pieces of words") {
    CHECK(masked("quest questdb quest_x xquest 9quest quest", "quest") == "*** questdb quest_x xquest 9quest ***");
    CHECK(masked("a:quest@b", "quest") == "a:***@b");
    CHECK(masked("", "quest") == "");
    CHECK(masked("quest", "") == "quest");
}

TEST_CASE("mask_secret treats back-to-back repeats as one run") {
    CHECK(masked("hunter2hunter2", "hunter2") == "******");
    CHECK(masked("xhunter2hunter2", "hunter2") == "xhunter2hunter2");
}

TEST_CASE("mask_secret: an edge that is not an identifier character needs no boundary") {
    // Punctuation at the secret's edge already delimits it; a word next to it cannot hide it.
    CHECK(masked("user@p@ss", "@p@ss") == "user***");
    CHECK(masked("a-x-b", "-x-") == "a***b");
}

TEST_CASE("mask_secret matches %XX-encoded bytes in either hex case, mixed with plain ones") {
    CHECK(masked("pw=p%40ss%2Fx&", "p@ss/x") == "pw=***&");
    CHECK(masked("pw=p@ss%2fx&", "p@ss/x") == "pw=***&");
    CHECK(masked("pw=%71uest", "quest") == "pw=***");
    CHECK(masked("100%", "%") == "100***");
    CHECK(masked("p%4", "p@") == "p%4");  // a truncated escape is not a match
}
