#include "destinations/postgres/key_dedupe.hpp"

#include <bit>
#include <cstring>
#include <functional>
#include <string_view>

namespace sluice::pgdest {
namespace {

inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

std::uint64_t hash_key(const batch& b, std::size_t row) {
    std::uint64_t h = 0;
    for (std::size_t k : b.schema().key) {
        const value_view v = b.at(row, k);
        h = mix(h, static_cast<std::uint64_t>(v.type));
        if (is_text_like(v.type))
            h = mix(h, std::hash<std::string_view>{}(v.s));
        else if (v.type == value_type::float64)
            h = mix(h, std::bit_cast<std::uint64_t>(v.d));
        else
            h = mix(h, static_cast<std::uint64_t>(v.i));
    }
    return h;
}

bool same_key(const batch& b, std::size_t r1, std::size_t r2) {
    for (std::size_t k : b.schema().key) {
        const value_view a = b.at(r1, k), c = b.at(r2, k);
        if (a.type != c.type) return false;
        if (is_text_like(a.type)) {
            if (a.s != c.s) return false;
        } else if (a.type == value_type::float64) {
            if (std::bit_cast<std::uint64_t>(a.d) != std::bit_cast<std::uint64_t>(c.d)) return false;
        } else if (a.i != c.i) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::size_t key_dedupe::run(const batch& b) {
    const std::size_t n = b.rows();
    dropped_.assign(n, 0);
    if (n < 2) return n;
    const std::size_t cap = std::bit_ceil(n * 2);
    slots_.assign(cap, 0);
    hashes_.resize(n);
    std::size_t kept = n;
    for (std::size_t r = 0; r < n; ++r) {
        const std::uint64_t h = hashes_[r] = hash_key(b, r);
        for (std::size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
            std::uint32_t& slot = slots_[i];
            if (slot == 0) {
                slot = static_cast<std::uint32_t>(r + 1);
                break;
            }
            const std::size_t other = slot - 1;
            if (hashes_[other] == h && same_key(b, other, r)) {
                dropped_[other] = 1;  // the later row wins
                slot = static_cast<std::uint32_t>(r + 1);
                --kept;
                break;
            }
        }
    }
    return kept;
}

}  // namespace sluice::pgdest
