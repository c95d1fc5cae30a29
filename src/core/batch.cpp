#include "sluice/batch.hpp"

#include <cassert>
#include <stdexcept>

namespace sluice {

batch::batch(table_schema_ptr schema, std::size_t expected_rows)
    : schema_(std::move(schema)), ncols_(schema_->columns.size()) {
    cells_.reserve(expected_rows * ncols_);
}

void batch::put_text(value_type t, std::string_view v) {
    if (v.size() > UINT32_MAX) throw std::length_error("value larger than 4 GiB");
    const auto offset = static_cast<std::int64_t>(arena_.size());
    arena_.append(v);
    push(t, offset, static_cast<std::uint32_t>(v.size()));
}

void batch::end_row() {
    assert(cells_.size() == (rows_ + 1) * ncols_);
    ++rows_;
}

void batch::abandon_row() { drop_cells_from(rows_ * ncols_); }

void batch::append_rows(const batch& other) {
    assert(other.ncols_ == ncols_ && cells_.size() == rows_ * ncols_);
    const auto shift = static_cast<std::int64_t>(arena_.size());
    arena_.append(other.arena_);
    const std::size_t first = cells_.size();
    cells_.insert(cells_.end(), other.cells_.begin(),
                  other.cells_.begin() + static_cast<std::ptrdiff_t>(other.rows_ * ncols_));
    for (std::size_t i = first; i < cells_.size(); ++i)
        if (is_text_like(cells_[i].type)) cells_[i].i += shift;
    rows_ += other.rows_;
}

void batch::truncate(std::size_t rows) {
    if (rows >= rows_) return;
    drop_cells_from(rows * ncols_);
    rows_ = rows;
}

void batch::drop_cells_from(std::size_t keep) {
    if (cells_.size() <= keep) return;
    // Text cells after `keep` are the arena's tail; give the space back.
    for (std::size_t i = keep; i < cells_.size(); ++i) {
        if (is_text_like(cells_[i].type)) {
            arena_.resize(static_cast<std::size_t>(cells_[i].i));
            break;
        }
    }
    cells_.resize(keep);
}

static value_view view_of(const std::string& arena, std::int64_t i, std::uint32_t len, value_type t) noexcept {
    value_view v;
    v.type = t;
    if (t == value_type::float64) {
        std::memcpy(&v.d, &i, sizeof v.d);
    } else if (is_text_like(t)) {
        v.s = std::string_view(arena.data() + i, len);
    } else {
        v.i = i;
    }
    return v;
}

value_view batch::at(std::size_t row, std::size_t col) const noexcept {
    const cell& c = cells_[row * ncols_ + col];
    return view_of(arena_, c.i, c.len, c.type);
}

value_view batch::pending(std::size_t col) const noexcept {
    const cell& c = cells_[rows_ * ncols_ + col];
    return view_of(arena_, c.i, c.len, c.type);
}

void batch::clear() noexcept {
    cells_.clear();
    arena_.clear();
    rows_ = 0;
    cursor.clear();
    soft_delete_unseen_before.reset();
    soft_delete_range.reset();
    cursor_time.reset();
}

}  // namespace sluice
