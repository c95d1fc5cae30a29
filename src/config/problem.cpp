// problem / config_error: how configuration problems are rendered for people.
#include "sluice/config.hpp"

#include <fmt/format.h>

namespace sluice::config {

std::string problem::to_string() const {
    std::string out = where.file;
    if (where.line > 0) out += fmt::format(":{}", where.line);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    out += message;
    return out;
}

namespace {

std::string join_problems(const std::vector<problem>& problems) {
    if (problems.empty()) return "invalid configuration";
    std::string out;
    for (const auto& p : problems) {
        if (!out.empty()) out += '\n';
        out += p.to_string();
    }
    return out;
}

}  // namespace

config_error::config_error(std::vector<problem> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

}  // namespace sluice::config
