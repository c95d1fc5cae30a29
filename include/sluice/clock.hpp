#pragma once
// Wall-clock time in the unit of every status timestamp and stored cursor time
// (microseconds since the epoch), so all of them read the same clock the same way.

#include <chrono>
#include <cstdint>

namespace sluice {

inline std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace sluice
