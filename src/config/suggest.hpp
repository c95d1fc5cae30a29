#pragma once
// "did you mean ...?" for misspelled keys.

#include <optional>
#include <string_view>
#include <vector>

namespace sluice::config::detail {

// The candidate closest to `word` when it is close enough to be a likely typo.
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates);

}  // namespace sluice::config::detail
