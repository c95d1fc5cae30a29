#include "sources/hbase/key_range.hpp"

namespace sluice::hbase {

std::optional<std::string> bytes_increment(std::string_view prefix) {
    std::string s(prefix);
    for (std::size_t i = s.size(); i-- > 0;) {
        auto& c = reinterpret_cast<unsigned char&>(s[i]);
        if (c != 0xff) {
            ++c;
            s.resize(i + 1);
            return s;
        }
    }
    return std::nullopt;
}

key_range configured_range(const config::hbase_scan& scan) {
    if (scan.row_prefix.empty()) return {scan.row_start, scan.row_stop};
    const auto next = bytes_increment(scan.row_prefix).value_or("");
    if (scan.reverse) return {next, scan.row_prefix};
    return {scan.row_prefix, next};
}

std::vector<key_range> split_by_regions(const key_range& range, const std::vector<region_bounds>& regions) {
    // "" is -infinity as a start and +infinity as a stop.
    const auto max_start = [](const std::string& a, const std::string& b) { return a < b ? b : a; };
    const auto min_stop = [](const std::string& a, const std::string& b) {
        if (a.empty()) return b;
        if (b.empty()) return a;
        return a < b ? a : b;
    };
    std::vector<key_range> out;
    for (const auto& r : regions) {
        key_range piece{max_start(range.start, r.start), min_stop(range.stop, r.end)};
        if (piece.stop.empty() || piece.start < piece.stop) out.push_back(std::move(piece));
    }
    if (regions.empty()) out.push_back(range);
    return out;
}

}  // namespace sluice::hbase
