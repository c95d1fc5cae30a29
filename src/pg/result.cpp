#include <libpq-fe.h>

#include "sluice/pg/connection.hpp"

namespace sluice::pg {

result& result::operator=(result&& o) noexcept {
    if (this != &o) {
        if (r_) PQclear(r_);
        r_ = o.r_;
        o.r_ = nullptr;
    }
    return *this;
}

result::~result() {
    if (r_) PQclear(r_);
}

int result::rows() const noexcept { return r_ ? PQntuples(r_) : 0; }
int result::columns() const noexcept { return r_ ? PQnfields(r_) : 0; }
bool result::is_null(int row, int col) const noexcept { return !r_ || PQgetisnull(r_, row, col); }

std::string_view result::get(int row, int col) const noexcept {
    if (!r_) return {};
    return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
}

std::string_view result::column_name(int col) const noexcept {
    if (!r_) return {};
    const char* n = PQfname(r_, col);
    return n ? std::string_view(n) : std::string_view();
}

unsigned result::column_type(int col) const noexcept { return r_ ? PQftype(r_, col) : 0; }

std::string_view result::command_tuples() const noexcept {
    if (!r_) return {};
    return PQcmdTuples(r_);
}

}  // namespace sluice::pg
