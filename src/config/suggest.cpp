#include "config/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::config::detail {

namespace {

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, because
// "tabels" for "tables" is the most common typo and should cost one edit, not two.
std::size_t distance(std::string_view a, std::string_view b) {
    const auto n = a.size();
    const auto m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const auto ca = std::tolower(static_cast<unsigned char>(a[i - 1]));
            const auto cb = std::tolower(static_cast<unsigned char>(b[j - 1]));
            const std::size_t cost = ca == cb ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

}  // namespace

std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
    // Allow one edit per three characters, at most two: short words stay strict.
    const std::size_t budget = std::clamp<std::size_t>(word.size() / 3, 1, 2);
    std::optional<std::string_view> best;
    std::size_t best_distance = budget + 1;
    for (auto c : candidates) {
        const auto dist = distance(word, c);
        if (dist < best_distance) {
            best = c;
            best_distance = dist;
        }
    }
    return best;
}

}  // namespace sluice::config::detail
