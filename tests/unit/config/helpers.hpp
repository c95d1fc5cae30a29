#pragma once
// Shared by the config tests: parse text and look at the problems it produced.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sluice/config.hpp"

namespace sluice::config::test {

// A fake environment, so tests never depend on (or change) the real one.
inline std::map<std::string, std::string>& fake_environment() {
    static std::map<std::string, std::string> vars;
    return vars;
}

inline std::optional<std::string> fake_env(const std::string& name) {
    const auto& vars = fake_environment();
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
}

// The problems of a config that must fail; fails the test when it parses.
inline std::vector<problem> problems_of(const std::string& yaml) {
    try {
        parse_config(yaml, "test.yaml", &fake_env);
    } catch (const config_error& e) {
        return e.problems();
    }
    FAIL("expected config_error for:\n" << yaml);
    return {};
}

// The one problem of a config that must fail with exactly one problem.
inline problem only_problem(const std::string& yaml) {
    auto problems = problems_of(yaml);
    REQUIRE(problems.size() == 1);
    return problems.front();
}

inline config parse_ok(const std::string& yaml) {
    try {
        return parse_config(yaml, "test.yaml", &fake_env);
    } catch (const config_error& e) {
        FAIL("unexpected config_error:\n" << e.what());
    }
    return {};
}

inline bool has_problem(const std::vector<problem>& problems, int line, const std::string& path,
                        const std::string& message_part) {
    for (const auto& p : problems)
        if (p.where.line == line && p.path == path && p.message.find(message_part) != std::string::npos)
            return true;
    return false;
}

// A valid minimal source block, for tests that only care about another section.
inline const char* const minimal_sources = R"(sources:
  - name: pg
    type: postgres
    dsn: "host=db dbname=app"
)";

}  // namespace sluice::config::test
