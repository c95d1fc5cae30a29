#include "sources/time_keyset/dialect.hpp"

#include <stdexcept>

namespace sluice::time_keyset {

// Each dialect implements the half of the tie-group interface its ties() names;
// the reader never calls the other half, so reaching one of these is a bug.

std::string dialect::group_page_sql(std::string_view, const tie_group&, std::int64_t, std::int64_t) const {
    throw std::logic_error("group_page_sql called on a dialect that streams tie groups");
}

std::string dialect::offset_page_sql(std::int64_t, std::int64_t) const {
    throw std::logic_error("offset_page_sql called on a dialect that streams tie groups");
}

std::string dialect::group_sql(std::string_view, const tie_group&) const {
    throw std::logic_error("group_sql called on a dialect that pages tie groups in order");
}

std::string dialect::group_count_sql(std::string_view, const tie_group&) const {
    throw std::logic_error("group_count_sql called on a dialect that pages tie groups in order");
}

boost::asio::awaitable<void> dialect::stream_rows(const std::string&, const std::string&, row_stream&) {
    throw std::logic_error("stream_rows called on a dialect that pages tie groups in order");
    co_return;
}

}  // namespace sluice::time_keyset
