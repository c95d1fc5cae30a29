#include "sluice/reconcile.hpp"

#include <fmt/format.h>

#include "sluice/schema.hpp"

namespace sluice {

std::vector<std::size_t> fingerprint_columns(const table_schema& schema) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < schema.columns.size(); ++i) {
        // The synthetic key hashes the row itself: folding it in adds nothing, and
        // a source that summarizes in SQL cannot compute it.
        if (schema.synthetic_key && i + 1 == schema.columns.size()) continue;
        if (schema.columns[i].type == value_type::int64) out.push_back(i);
    }
    return out;
}

std::string floor_div_sql(const std::string& x, std::int64_t width) {
    return fmt::format("(({0}) - (((({0}) % {1}) + {1}) % {1})) / {1}", x, width);
}

}  // namespace sluice
