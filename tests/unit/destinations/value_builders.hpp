#pragma once
// One value_view of each kind, for the encoder tests of the destinations.

#include <cstdint>
#include <string_view>

#include "sluice/value.hpp"

namespace dest_test {

inline sluice::value_view of(sluice::value_type t, std::int64_t i) {
    sluice::value_view v;
    v.type = t;
    v.i = i;
    return v;
}

inline sluice::value_view dbl(double d) {
    sluice::value_view v;
    v.type = sluice::value_type::float64;
    v.d = d;
    return v;
}

inline sluice::value_view txt(sluice::value_type t, std::string_view s) {
    sluice::value_view v;
    v.type = t;
    v.s = s;
    return v;
}

}  // namespace dest_test
