#pragma once
// The machinery every section parser shares: a problem list, the secrets found so far,
// and typed readers that interpolate ${ENV}, check the value and report problems with
// the key path and line instead of throwing, so that one pass finds every problem.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/interpolate.hpp"
#include "sluice/config.hpp"

namespace sluice::config::detail {

// One value in the document, with the key path and line its problems should name.
struct field {
    YAML::Node node;
    std::string path;
    int line = 0;  // 1-based, 0 when unknown
};

// How a secret's value becomes entries of config.secrets.
enum class secret_kind {
    password,  // the whole value
    dsn,       // only the embedded password and anything taken from the environment or a file
};

class context {
public:
    context(std::string file, std::string base_dir, env_lookup env);

    void report(int line, std::string path, std::string message);
    void report(const field& f, std::string message) { report(f.line, f.path, std::move(message)); }
    void add_secret(std::string value);

    // Every reader reports its own problem and returns nullopt when the value is unusable.
    // A `secret` value is never echoed in a message.
    std::optional<std::string> text(const field& f, bool secret = false);
    std::optional<std::string> non_empty_text(const field& f);
    std::optional<std::string> choice(const field& f, std::initializer_list<std::string_view> allowed);
    std::optional<int> positive_int(const field& f);
    std::optional<std::size_t> positive_count(const field& f);
    std::optional<std::size_t> count(const field& f);  // zero allowed
    std::optional<bool> boolean(const field& f);
    std::optional<duration> duration_value(const field& f, bool allow_zero);
    std::optional<std::size_t> size_value(const field& f);
    std::optional<std::vector<std::string>> string_list(const field& f);  // a list, or one string
    std::vector<field> items(const field& f);  // sequence items; reports when not a list

    // The content of a *_file secret (trailing newlines stripped); `f` is the *_file key.
    std::optional<std::string> read_secret_file(const field& f, const std::string& path_text);

    std::vector<problem> problems;
    std::vector<std::string> secrets;
    std::string file;

private:
    std::string base_dir_;
    env_lookup env_;
};

// A YAML mapping whose keys are checked against what the section allows.
class mapping {
public:
    // Reports a problem and behaves as empty when `f` is neither a mapping nor null.
    mapping(context& ctx, const field& f);

    const field& self() const { return self_; }
    bool has(std::string_view key) const;
    // nullopt when the key is absent or its value is null (`key:` or `key: ~`).
    std::optional<field> get(std::string_view key) const;
    // Reports "missing required key" when absent.
    std::optional<field> require(std::string_view key) const;
    std::string child_path(std::string_view key) const;

    // Reports every key that is not in `allowed`; keys listed in `foreign` are valid in
    // another kind of section and get "key 'k' is not valid for <foreign_what>".
    void check_keys(const std::vector<std::string_view>& allowed,
                    const std::vector<std::string_view>& foreign = {},
                    std::string_view foreign_what = {}) const;

    // A secret given as `key` or as `key_file` (never both).
    std::optional<std::string> secret(std::string_view key, secret_kind kind) const;

private:
    struct entry {
        std::string key;
        YAML::Node value;
        int line = 0;
    };
    const entry* find(std::string_view key) const;

    context& ctx_;
    field self_;
    std::vector<entry> entries_;
};

int line_of(const YAML::Node& node);

}  // namespace sluice::config::detail
