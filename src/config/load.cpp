// parse_config / load_config: the whole file, every problem at once.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "config/sections.hpp"

namespace sluice::config {

namespace {

using detail::context;
using detail::field;
using detail::mapping;

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return {};
    return slash == 0 ? "/" : path.substr(0, slash);
}

void read_sources(context& ctx, const mapping& root, config& out) {
    const auto sources = root.require("sources");
    if (!sources) return;
    if (!sources->node.IsSequence()) {
        ctx.report(*sources, "expected a list of sources");
        return;
    }
    if (sources->node.size() == 0) {
        ctx.report(*sources, "at least one source is required");
        return;
    }
    std::map<std::string, int> first_line_of_name;
    for (const auto& item : ctx.items(*sources)) {
        auto src = detail::parse_source(ctx, item, out.defaults);
        if (!src.name.empty()) {
            if (auto [it, inserted] = first_line_of_name.emplace(src.name, item.line); !inserted) {
                ctx.report(
                    item.line, item.path + ".name",
                    fmt::format("duplicate source name '{}' (first at line {})", src.name, it->second));
                continue;
            }
        }
        out.sources.push_back(std::move(src));
    }
}

[[noreturn]] void fail(context& ctx) {
    // Belt and braces: a secret that slipped into a message (a password typed under the wrong key,
    // say) is masked before anyone prints it.
    for (auto& p : ctx.problems) p.message = redact(p.message, ctx.secrets);
    std::stable_sort(ctx.problems.begin(), ctx.problems.end(), [](const problem& a, const problem& b) {
        return (a.where.line == 0 ? 0 : 1) < (b.where.line == 0 ? 0 : 1) ||
               ((a.where.line == 0) == (b.where.line == 0) && a.where.line < b.where.line);
    });
    throw config_error(std::move(ctx.problems));
}

}  // namespace

config parse_config(const std::string& yaml_text, const std::string& file_name,
                    std::optional<std::string> (*env)(const std::string&)) {
    context ctx(file_name, directory_of(file_name), env);
    YAML::Node document;
    try {
        document = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        ctx.report(e.mark.line >= 0 ? e.mark.line + 1 : 0, "", fmt::format("YAML syntax error: {}", e.msg));
        fail(ctx);
    }

    config out;
    out.file = file_name;
    mapping root(ctx, field{document, "", 0});
    root.check_keys({"destination", "defaults", "http", "log", "daemon", "sources"});
    if (auto f = root.get("destination")) out.destination = detail::parse_destination(ctx, *f);
    if (auto f = root.get("defaults")) out.defaults = detail::parse_defaults(ctx, *f);
    if (auto f = root.get("http")) out.http = detail::parse_http(ctx, *f);
    if (auto f = root.get("log")) out.log = detail::parse_log(ctx, *f);
    if (auto f = root.get("daemon")) out.daemon = detail::parse_daemon(ctx, *f);
    read_sources(ctx, root, out);

    if (!ctx.problems.empty()) fail(ctx);
    out.secrets = std::move(ctx.secrets);
    return out;
}

config load_config(const std::string& path) {
    const auto cannot_read = [&](const char* why) {
        return config_error(
            {problem{location{path, 0}, "", fmt::format("cannot read config file: {}", why)}});
    };
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw cannot_read(std::strerror(EISDIR));
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw cannot_read(std::strerror(errno != 0 ? errno : ENOENT));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw cannot_read(std::strerror(errno != 0 ? errno : EIO));
    return parse_config(text.str(), path);
}

}  // namespace sluice::config
