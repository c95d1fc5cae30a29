// Fuzz target: the decimal text → numeric_send converter of the PostgreSQL
// destination's binary COPY (src/destinations/postgres/binary_copy_encoder.cpp),
// fed by decimal cells from every source.
// Invariants: never throws; an accepted text yields a well-formed numeric (length,
// sign word, digits < 10000, no leading or trailing zero groups, dscale ≤ 0x3FFF) whose
// value, sign and scale equal the text's as read by a plain reference reader here;
// a plain [+-]digits[.digits] text of up to 60 digits is always accepted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "destinations/postgres/binary_copy_encoder.hpp"
#include "fuzz_common.hpp"

namespace {

struct canonical {
    bool negative = false;
    std::string digits;  // no leading or trailing zeros; empty = zero
    long exp10 = 0;      // value = digits x 10^exp10
    long dscale = 0;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

void normalize(canonical& c) {
    std::size_t lead = 0;
    while (lead < c.digits.size() && c.digits[lead] == '0') ++lead;
    c.digits.erase(0, lead);
    while (!c.digits.empty() && c.digits.back() == '0') {
        c.digits.pop_back();
        ++c.exp10;
    }
    if (c.digits.empty()) c.exp10 = 0;
}

// The reference reader: only plain digits with an optional point and exponent.
bool read_text(std::string_view s, canonical& out) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) out.negative = s[i++] == '-';
    long fraction = 0;
    bool point = false, any = false;
    for (; i < s.size(); ++i) {
        if (s[i] >= '0' && s[i] <= '9') {
            out.digits.push_back(s[i]);
            any = true;
            if (point) ++fraction;
        } else if (s[i] == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (!any) return false;
    long exponent = 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool neg = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
        const std::size_t start = i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
            if ((exponent = exponent * 10 + (s[i] - '0')) > 100000) return false;
        if (i == start) return false;
        if (neg) exponent = -exponent;
    }
    if (i != s.size()) return false;
    out.exp10 = exponent - fraction;
    out.dscale = fraction - exponent > 0 ? fraction - exponent : 0;
    normalize(out);
    return true;
}

unsigned u16(const std::string& b, std::size_t at) {
    return static_cast<unsigned>(static_cast<unsigned char>(b[at])) << 8 | static_cast<unsigned char>(b[at + 1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string bin;
    const bool accepted = sluice::pgdest::numeric_binary(text, bin);

    canonical want;
    const bool plain = read_text(text, want);
    if (plain && text.size() <= 60 && text.find_first_of("eE \t\n\r\v\f") == std::string_view::npos)
        FUZZ_CHECK(accepted, "a plain decimal was declined: " + std::string(text));
    if (!accepted) return 0;

    FUZZ_CHECK(bin.size() >= 8, "numeric shorter than its header");
    const unsigned ndigits = u16(bin, 0), sign = u16(bin, 4), dscale = u16(bin, 6);
    const long weight = static_cast<std::int16_t>(u16(bin, 2));
    FUZZ_CHECK(bin.size() == 8 + 2 * ndigits, "length does not match ndigits");
    FUZZ_CHECK(dscale <= 0x3FFF, "dscale too large");
    if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000) {
        FUZZ_CHECK(ndigits == 0 && !plain, "a special value with digits, or a number read as special");
        return 0;
    }
    FUZZ_CHECK(sign == 0x0000 || sign == 0x4000, "unknown sign word");
    FUZZ_CHECK(plain, "accepted what the reference reader does not read: " + std::string(text));

    canonical got;
    got.negative = sign == 0x4000;
    got.dscale = dscale;
    for (unsigned g = 0; g < ndigits; ++g) {
        const unsigned d = u16(bin, 8 + 2 * g);
        FUZZ_CHECK(d < 10000, "digit group out of range");
        FUZZ_CHECK(!((g == 0 || g + 1 == ndigits) && d == 0), "leading or trailing zero group");
        char four[5];
        std::snprintf(four, sizeof four, "%04u", d);
        got.digits += four;
    }
    got.exp10 = 4 * (weight - static_cast<long>(ndigits) + 1);
    normalize(got);
    FUZZ_CHECK(got.digits == want.digits && got.exp10 == want.exp10, "value differs from the text: " + std::string(text));
    FUZZ_CHECK(got.dscale == want.dscale, "scale differs from the text: " + std::string(text));
    if (!want.digits.empty()) FUZZ_CHECK(got.negative == want.negative, "sign differs: " + std::string(text));
    else FUZZ_CHECK(sign == 0x0000, "zero must be positive");
    return 0;
}
