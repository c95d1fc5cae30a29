#include "generate.hpp"

#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace hbase_emu {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct Rng {
  uint64_t state;
  uint64_t next() { return state = splitmix64(state); }
};

std::string cell_value(size_t col, int64_t i, Rng& rng) {
  static const char* first[] = {"Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Edsger", "Margaret", "Dennis", "Frances"};
  static const char* last[] = {"Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Dijkstra", "Hamilton", "Ritchie", "Allen"};
  char buf[128];
  // Draws are named before use: the order of two rng.next() in one expression is
  // unspecified (g++ evaluates these right to left, clang left to right, so the data
  // differed by compiler). The order below is g++'s, which generated the expected values.
  switch (col) {
    case 0: {
      const auto l = rng.next() % 10;
      const auto f = rng.next() % 10;
      return std::string(first[f]) + " " + last[l];
    }
    case 1:
      return std::to_string(static_cast<int64_t>(rng.next() % 2000001) - 1000000);
    case 2:
      std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(rng.next() % 10000000) / 100.0 - 50000.0);
      return buf;
    case 3: {
      std::time_t t = 1704067200 + static_cast<std::time_t>(i);  // 2024-01-01T00:00:00Z
      std::tm tm{};
      gmtime_r(&t, &tm);
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
      return buf;
    }
    case 4: {
      uint64_t v = static_cast<uint64_t>(i) * 1000 + rng.next() % 1000;
      std::string out(8, '\0');
      for (int k = 7; k >= 0; --k, v >>= 8) out[static_cast<size_t>(k)] = static_cast<char>(v & 0xff);
      return out;
    }
    case 5:
      return rng.next() % 2 ? "true" : "false";
    case 6: {
      const auto score = static_cast<unsigned>(rng.next() % 1000);
      const auto tag = static_cast<unsigned>(rng.next() % 100);
      std::snprintf(buf, sizeof buf, "{\"id\":%" PRId64 ",\"tag\":\"t%u\",\"score\":%u}", i, tag, score);
      return buf;
    }
    default: {
      size_t len = 8 + rng.next() % 17;
      std::string out(len, ' ');
      for (auto& ch : out) ch = static_cast<char>(' ' + 1 + rng.next() % 94);
      return out;
    }
  }
}

}  // namespace

std::string generated_row_key(int64_t i) {
  char key[32];
  std::snprintf(key, sizeof key, "row%010" PRId64, i);
  return key;
}

std::vector<std::pair<std::string, std::string>> generated_cells(int64_t seed, int64_t i, size_t cells,
                                                                 const std::string& family) {
  // Seeding from (seed, i) alone makes any row reproducible without generating its predecessors.
  Rng rng{splitmix64(static_cast<uint64_t>(seed) * 0x100000001B3ULL ^ static_cast<uint64_t>(i))};
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(cells);
  for (size_t col = 0; col < cells; ++col)
    out.emplace_back(family + ":c" + std::to_string(col), cell_value(col, i, rng));
  return out;
}

}  // namespace hbase_emu
