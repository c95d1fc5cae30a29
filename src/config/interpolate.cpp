#include "config/interpolate.hpp"

#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

namespace sluice::config::detail {

namespace {

bool valid_name(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

std::optional<std::string> process_env(const std::string& name) {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
}

}  // namespace

interpolated interpolate(std::string_view text, env_lookup env) {
    if (env == nullptr) env = &process_env;
    interpolated out;
    out.text.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '$' || i + 1 >= text.size()) {
            out.text += text[i];
        } else if (text[i + 1] == '$') {
            out.text += '$';
            ++i;
        } else if (text[i + 1] != '{') {
            out.text += '$';
        } else {
            const auto close = text.find('}', i + 2);
            if (close == std::string_view::npos) {
                out.errors.push_back("unterminated '${' (write '$$' for a literal '$')");
                return out;
            }
            const auto name = std::string(text.substr(i + 2, close - i - 2));
            if (!valid_name(name)) {
                out.errors.push_back(fmt::format("invalid environment variable name '{}'", name));
            } else if (auto value = env(name)) {
                out.text += *value;
                out.substituted.push_back(std::move(*value));
            } else {
                out.errors.push_back(fmt::format("environment variable '{}' is not set", name));
            }
            i = close;
        }
    }
    return out;
}

}  // namespace sluice::config::detail
