#pragma once
// Deterministic synthetic rows for benchmarks and demos (hbase-load generate).
// Row i is "row%010d"; its cells c0..c{n-1} mix value kinds:
//   c0 name-like text, c1 decimal integer text, c2 decimal double text,
//   c3 ISO-8601 UTC "2024-01-01T00:00:00.000Z" + i seconds (fixed width),
//   c4 8-byte big-endian int64, c5 "true"/"false", c6 JSON object text,
//   c7+ random printable ASCII.
// Everything derives from (seed, i), so reruns produce identical data.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hbase_emu {

std::string generated_row_key(int64_t i);
// ("family:cK", value) pairs in column order.
std::vector<std::pair<std::string, std::string>> generated_cells(int64_t seed, int64_t i, size_t cells,
                                                                 const std::string& family);

}  // namespace hbase_emu
