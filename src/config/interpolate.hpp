#pragma once
// ${NAME} substitution in config scalars ("$$" is a literal "$").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config::detail {

using env_lookup = std::optional<std::string> (*)(const std::string&);

struct interpolated {
    std::string text;
    std::vector<std::string> substituted;  // the values taken from the environment
    std::vector<std::string> errors;       // one per unset variable or malformed reference
};

// A "$" not followed by "{" or "$" is kept as is, so that passwords containing a
// lone "$" need no escaping.
interpolated interpolate(std::string_view text, env_lookup env);

}  // namespace sluice::config::detail
