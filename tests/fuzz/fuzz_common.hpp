#pragma once
// Helpers shared by the libFuzzer targets of tests/fuzz (one target per .cpp file).
// A target throws nothing but the exceptions its parser documents; anything else (and
// every broken invariant) aborts, which libFuzzer records as a crash with its input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace sluice::fuzz {

[[noreturn]] inline void invariant_failed(const char* what, std::string_view detail, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n  %.*s\n", file, line, what,
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

// Like assert(), but also in NDEBUG builds and with a detail line (the values involved).
#define FUZZ_CHECK(cond, detail)                                                          \
    do {                                                                                  \
        if (!(cond)) ::sluice::fuzz::invariant_failed(#cond, (detail), __FILE__, __LINE__); \
    } while (0)

// The input as text with simdjson's padding as spare capacity (what http_response::body
// guarantees the parsers).
inline std::string padded_text(const std::uint8_t* data, std::size_t size) {
    std::string s;
    s.reserve(size + 64);
    s.assign(reinterpret_cast<const char*>(data), size);
    return s;
}

// Control bytes taken from the front of the input (which variant to run, where to cut);
// 0 once the input is used up. The rest of the input is the payload.
class input {
public:
    input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint8_t byte() {
        if (pos_ >= size_) return 0;
        return data_[pos_++];
    }
    std::string_view rest() const {
        return {reinterpret_cast<const char*>(data_ + pos_), size_ - pos_};
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

}  // namespace sluice::fuzz

// ---- batches the parsers fill
#include <memory>

#include "sluice/batch.hpp"

namespace sluice::fuzz {

// Every complete row holds cells of its column's type (or NULL), with string cells valid
// UTF-8 (the value model's promise to the destinations), and no half row is left pending:
// appending one more row of NULLs must line up (batch::end_row asserts that).
inline void check_batch(batch& b) {
    const auto& cols = b.schema().columns;
    for (std::size_t r = 0; r < b.rows(); ++r) {
        for (std::size_t c = 0; c < cols.size(); ++c) {
            const value_view v = b.at(r, c);
            if (v.is_null()) continue;
            FUZZ_CHECK(v.type == cols[c].type, "cell of type " + std::string(to_string(v.type)) + " in a " +
                                                   std::string(to_string(cols[c].type)) + " column");
            if (v.type == value_type::string) FUZZ_CHECK(is_valid_utf8(v.s), "string cell is not UTF-8");
        }
    }
    const std::size_t before = b.rows();
    for (std::size_t c = 0; c < cols.size(); ++c) b.put_null();
    b.end_row();
    FUZZ_CHECK(b.rows() == before + 1, "row count after one more row");
    for (std::size_t c = 0; c < cols.size(); ++c)
        FUZZ_CHECK(b.at(before, c).is_null(), "a half row was left pending before the NULL row");
    b.truncate(before);
}

inline table_schema_ptr schema_of(const std::vector<column>& columns) {
    auto s = std::make_shared<table_schema>();
    s->source = "fuzz";
    s->table = "t";
    s->columns = columns;
    s->key = {0};
    return s;
}

}  // namespace sluice::fuzz
