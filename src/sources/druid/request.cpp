#include "sources/druid/request.hpp"

#include <array>
#include <random>

#include <fmt/format.h>

#include "sluice/json.hpp"

namespace sluice::druid {

bool is_reserved_context_key(std::string_view key) {
    // sqlQueryId: cancellation must reach exactly this query; sqlTimeZone: the
    // TIMESTAMP literals and rendered timestamps must both be UTC;
    // sqlStringifyArrays: ARRAY columns are read as real JSON arrays.
    return key == "sqlQueryId" || key == "sqlTimeZone" || key == "sqlStringifyArrays";
}

std::string build_request_body(std::string_view sql, std::string_view query_id,
                               const std::map<std::string, std::string>& user_context, result_format format) {
    json::writer w;
    w.begin_object();
    w.key("query").value(sql);
    w.key("resultFormat").value(format == result_format::array ? "array" : "arrayLines");
    w.key("header").value(true);
    w.key("sqlTypesHeader").value(true);
    w.key("context").begin_object();
    for (const auto& [k, v] : user_context)
        if (!is_reserved_context_key(k)) w.key(k).raw(v);
    w.key("sqlQueryId").value(query_id);
    w.key("sqlTimeZone").value("Etc/UTC");
    w.key("sqlStringifyArrays").value(false);
    w.end_object();
    w.end_object();
    return w.take();
}

std::string new_query_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const std::uint64_t hi = rng(), lo = rng();
    std::array<unsigned char, 16> b{};
    for (int i = 0; i < 8; ++i) {
        b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(hi >> (56 - 8 * i));
        b[static_cast<std::size_t>(8 + i)] = static_cast<unsigned char>(lo >> (56 - 8 * i));
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    std::string hex;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) hex.push_back('-');
        hex += fmt::format("{:02x}", b[i]);
    }
    return hex;
}

}  // namespace sluice::druid
