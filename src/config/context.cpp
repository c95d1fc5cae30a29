#include "config/context.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "config/dsn_secrets.hpp"
#include "config/suggest.hpp"

namespace sluice::config::detail {

namespace {

std::string_view kind_name(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Scalar:
            return "a scalar";
        default:
            return "nothing";
    }
}

std::string join(std::initializer_list<std::string_view> words) {
    std::string out;
    for (auto w : words) {
        if (!out.empty()) out += ", ";
        out += w;
    }
    return out;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

}  // namespace

int line_of(const YAML::Node& node) {
    if (!node.IsDefined()) return 0;
    const auto mark = node.Mark();
    return mark.line >= 0 ? mark.line + 1 : 0;
}

context::context(std::string file_name, std::string base_dir, env_lookup env)
    : file(std::move(file_name)), base_dir_(std::move(base_dir)), env_(env) {}

void context::report(int line, std::string path, std::string message) {
    problems.push_back(problem{location{file, line}, std::move(path), std::move(message)});
}

void context::add_secret(std::string value) {
    if (value.empty() || std::find(secrets.begin(), secrets.end(), value) != secrets.end()) return;
    secrets.push_back(std::move(value));
}

std::optional<std::string> context::text(const field& f, bool secret) {
    if (!f.node.IsScalar()) {
        report(f, fmt::format("expected a string, got {}", kind_name(f.node)));
        return std::nullopt;
    }
    auto result = interpolate(f.node.Scalar(), env_);
    for (auto& error : result.errors) report(f, std::move(error));
    if (secret)
        for (auto& value : result.substituted) add_secret(std::move(value));
    if (!result.errors.empty()) return std::nullopt;
    return std::move(result.text);
}

std::optional<std::string> context::non_empty_text(const field& f) {
    auto value = text(f);
    if (value && value->empty()) {
        report(f, "must not be empty");
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> context::choice(const field& f, std::initializer_list<std::string_view> allowed) {
    auto value = text(f);
    if (!value) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *value) != allowed.end()) return value;
    report(f, fmt::format("invalid value '{}' (expected one of: {})", *value, join(allowed)));
    return std::nullopt;
}

std::optional<std::size_t> context::count(const field& f) {
    auto value = text(f);
    if (!value) return std::nullopt;
    auto n = parse_unsigned(*value);
    if (!n) {
        report(f, fmt::format("expected a non-negative integer, got '{}'", *value));
        return std::nullopt;
    }
    return static_cast<std::size_t>(*n);
}

std::optional<std::size_t> context::positive_count(const field& f) {
    auto value = text(f);
    if (!value) return std::nullopt;
    auto n = parse_unsigned(*value);
    if (!n || *n == 0) {
        report(f, fmt::format("expected a positive integer, got '{}'", *value));
        return std::nullopt;
    }
    return static_cast<std::size_t>(*n);
}

std::optional<int> context::positive_int(const field& f) {
    auto n = positive_count(f);
    if (!n) return std::nullopt;
    if (*n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        report(f, fmt::format("{} is too large", *n));
        return std::nullopt;
    }
    return static_cast<int>(*n);
}

std::optional<bool> context::boolean(const field& f) {
    auto value = text(f);
    if (!value) return std::nullopt;
    std::string lower;
    for (char c : *value) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "false" || lower == "no" || lower == "off") return false;
    report(f, fmt::format("expected true or false, got '{}'", *value));
    return std::nullopt;
}

std::optional<duration> context::duration_value(const field& f, bool allow_zero) {
    auto value = text(f);
    if (!value) return std::nullopt;
    auto d = parse_duration(*value);
    if (!d) {
        report(f, fmt::format("invalid duration '{}' (expected a number with a unit: 500ms, 30s, 5m, 1h, 2d)",
                              *value));
        return std::nullopt;
    }
    if (!allow_zero && d->count() == 0) {
        report(f, "must be greater than 0");
        return std::nullopt;
    }
    return d;
}

std::optional<std::size_t> context::size_value(const field& f) {
    auto value = text(f);
    if (!value) return std::nullopt;
    auto n = parse_size(*value);
    if (!n) {
        report(f, fmt::format("invalid size '{}' (expected bytes or a unit: 4096, 512KiB, 16MiB, 10MB)",
                              *value));
        return std::nullopt;
    }
    if (*n == 0) {
        report(f, "must be greater than 0");
        return std::nullopt;
    }
    return n;
}

std::vector<field> context::items(const field& f) {
    std::vector<field> out;
    if (!f.node.IsSequence()) {
        report(f, fmt::format("expected a list, got {}", kind_name(f.node)));
        return out;
    }
    std::size_t i = 0;
    for (auto it = f.node.begin(); it != f.node.end(); ++it, ++i) {
        const int line = line_of(*it);
        out.push_back(field{*it, fmt::format("{}[{}]", f.path, i), line > 0 ? line : f.line});
    }
    return out;
}

std::optional<std::vector<std::string>> context::string_list(const field& f) {
    if (f.node.IsScalar()) {
        auto one = text(f);
        if (!one) return std::nullopt;
        return std::vector<std::string>{std::move(*one)};
    }
    if (!f.node.IsSequence()) {
        report(f, fmt::format("expected a list of strings, got {}", kind_name(f.node)));
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& item : items(f)) {
        auto value = non_empty_text(item);
        if (value)
            out.push_back(std::move(*value));
        else
            ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<std::string> context::read_secret_file(const field& f, const std::string& path_text) {
    // Relative paths are relative to the config file, so a config and its secrets can move together.
    const std::string path = path_text.empty() || path_text[0] == '/' || base_dir_.empty()
                                 ? path_text
                                 : base_dir_ + "/" + path_text;
    std::FILE* in = std::fopen(path.c_str(), "rb");
    if (in == nullptr) {
        report(f, fmt::format("cannot read secret file '{}': {}", path, std::strerror(errno)));
        return std::nullopt;
    }
    std::string content;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) content.append(buffer, n);
    const bool failed = std::ferror(in) != 0;
    const int saved_errno = errno;
    std::fclose(in);
    if (failed) {
        report(f, fmt::format("cannot read secret file '{}': {}", path, std::strerror(saved_errno)));
        return std::nullopt;
    }
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    if (content.empty()) {
        report(f, fmt::format("secret file '{}' is empty", path));
        return std::nullopt;
    }
    return content;
}

mapping::mapping(context& ctx, const field& f) : ctx_(ctx), self_(f) {
    if (!f.node.IsDefined() || f.node.IsNull()) return;
    if (!f.node.IsMap()) {
        ctx_.report(f, fmt::format("expected a mapping, got {}", kind_name(f.node)));
        return;
    }
    for (auto it = f.node.begin(); it != f.node.end(); ++it) {
        const int line = line_of(it->first);
        if (!it->first.IsScalar()) {
            ctx_.report(line, f.path, "mapping keys must be plain strings");
            continue;
        }
        auto key = it->first.Scalar();
        if (const auto* first = find(key)) {
            ctx_.report(line, child_path(key),
                        fmt::format("duplicate key '{}' (first at line {})", key, first->line));
            continue;
        }
        entries_.push_back(entry{std::move(key), it->second, line});
    }
}

const mapping::entry* mapping::find(std::string_view key) const {
    for (const auto& e : entries_)
        if (e.key == key) return &e;
    return nullptr;
}

bool mapping::has(std::string_view key) const {
    return get(key).has_value();
}

std::optional<field> mapping::get(std::string_view key) const {
    const auto* e = find(key);
    if (e == nullptr || e->value.IsNull()) return std::nullopt;
    return field{e->value, child_path(key), e->line};
}

std::optional<field> mapping::require(std::string_view key) const {
    auto f = get(key);
    if (!f) ctx_.report(self_.line, child_path(key), fmt::format("missing required key '{}'", key));
    return f;
}

std::string mapping::child_path(std::string_view key) const {
    return self_.path.empty() ? std::string(key) : fmt::format("{}.{}", self_.path, key);
}

void mapping::check_keys(const std::vector<std::string_view>& allowed,
                         const std::vector<std::string_view>& foreign, std::string_view foreign_what) const {
    for (const auto& e : entries_) {
        if (std::find(allowed.begin(), allowed.end(), e.key) != allowed.end()) continue;
        if (std::find(foreign.begin(), foreign.end(), e.key) != foreign.end()) {
            ctx_.report(e.line, child_path(e.key),
                        fmt::format("key '{}' is not valid for {}", e.key, foreign_what));
            continue;
        }
        std::string message = fmt::format("unknown key '{}'", e.key);
        if (auto guess = closest(e.key, allowed)) message += fmt::format(" (did you mean '{}'?)", *guess);
        ctx_.report(e.line, child_path(e.key), std::move(message));
    }
}

std::optional<std::string> mapping::secret(std::string_view key, secret_kind kind) const {
    const auto file_key = std::string(key) + "_file";
    const auto plain = get(key);
    const auto file = get(file_key);
    if (plain && file)
        ctx_.report(*file, fmt::format("both '{}' and '{}' are set; use only one", key, file_key));
    std::optional<std::string> value;
    if (plain) {
        value = ctx_.text(*plain, true);
        if (value && kind == secret_kind::password) ctx_.add_secret(*value);
    } else if (file) {
        if (auto path = ctx_.text(*file)) value = ctx_.read_secret_file(*file, *path);
        if (value) ctx_.add_secret(*value);
    }
    if (value && kind == secret_kind::dsn)
        for (auto& p : embedded_passwords(*value)) ctx_.add_secret(std::move(p));
    return value;
}

}  // namespace sluice::config::detail
