#include "sluice/synthetic_key.hpp"

#include <cstring>

namespace sluice {

namespace {

// Two independent 64-bit streams (FNV-1a style mixing with different seeds and
// a final avalanche) give a 128-bit fingerprint: collisions between distinct
// rows are negligible even for billions of rows.
struct hasher128 {
    std::uint64_t a = 0xcbf29ce484222325ULL;
    std::uint64_t b = 0x84222325cbf29ce4ULL;

    void bytes(const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < n; ++i) {
            a = (a ^ p[i]) * 0x100000001b3ULL;
            b = (b ^ p[i]) * 0x00000100000001b3ULL + 0x9e3779b97f4a7c15ULL;
        }
    }
    void u64(std::uint64_t v) { bytes(&v, sizeof v); }

    static std::uint64_t fmix(std::uint64_t k) {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdULL;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53ULL;
        k ^= k >> 33;
        return k;
    }
    hash128 done() const { return {fmix(a ^ (b >> 7)), fmix(b ^ (a << 9))}; }
};

void hash_value(hasher128& h, const value_view& v) {
    h.u64(static_cast<std::uint64_t>(v.type));
    if (v.type == value_type::float64) {
        std::uint64_t bits;
        std::memcpy(&bits, &v.d, sizeof bits);
        h.u64(bits);
    } else if (is_text_like(v.type)) {
        h.u64(v.s.size());
        h.bytes(v.s.data(), v.s.size());
    } else {
        h.u64(static_cast<std::uint64_t>(v.i));
    }
}

}  // namespace

hash128 hash_pending_row(const batch& b, std::size_t ncols) {
    hasher128 h;
    for (std::size_t c = 0; c < ncols; ++c) hash_value(h, b.pending(c));
    return h.done();
}

hash128 hash_pending_columns(const batch& b, const std::vector<std::size_t>& columns) {
    hasher128 h;
    for (std::size_t c : columns) hash_value(h, b.pending(c));
    return h.done();
}

namespace {

void append_hex64(std::string& out, std::uint64_t v) {
    static constexpr char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) out.push_back(hex[(v >> (60 - 4 * i)) & 15]);
}

}  // namespace

// Keys are built in one string (one allocation per row: this runs for every row read).
std::string synthetic_keyer::next_key(const hash128& h, std::int64_t order) {
    std::string key;
    key.reserve(17 + 32 + 8);
    append_hex64(key, static_cast<std::uint64_t>(order) ^ (std::uint64_t(1) << 63));
    key.push_back('-');
    append_key(key, h);
    return key;
}

std::string synthetic_keyer::next_key(const hash128& h) {
    std::string key;
    key.reserve(32 + 8);
    append_key(key, h);
    return key;
}

void synthetic_keyer::append_key(std::string& key, const hash128& h) {
    append_hex64(key, h.hi);
    append_hex64(key, h.lo);
    const std::uint32_t n = seen_[h]++;
    if (n > 0) {
        key.push_back('#');
        key += std::to_string(n);
    }
}

}  // namespace sluice
