#pragma once
// Finds rows of a batch whose key occurs again later in the same batch, so only
// the last occurrence is written: PostgreSQL rejects an INSERT ... ON CONFLICT
// that touches one row twice, and a direct COPY would hit the primary key.
// Keys compare by their cells (type and exact bytes), which is how sources
// produce them; an open-addressing table over reused vectors keeps it O(rows)
// without allocating once warmed up.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sluice/batch.hpp"

namespace sluice::pgdest {

class key_dedupe {
public:
    // Returns how many rows are kept.
    std::size_t run(const batch& b);
    bool keep(std::size_t row) const noexcept { return !dropped_[row]; }

private:
    std::vector<std::uint32_t> slots_;  // row + 1; 0 = empty
    std::vector<std::uint64_t> hashes_;
    std::vector<unsigned char> dropped_;
};

}  // namespace sluice::pgdest
