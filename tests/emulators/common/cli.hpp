#pragma once
// Command-line handling shared by the emulators and their loaders: one message
// format ("program: why", then the usage) and one exit code (2) for bad
// arguments, and strict integer flags ("12x" and "-1" are errors, not 12 and 2^64-1).
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

namespace emu_cli {

struct program {
  const char* name;
  const char* usage;

  // Exit code 2 is a usage error and prints the usage; other codes are runtime failures.
  [[noreturn]] void fail(const std::string& why, int code = 2) const {
    std::cerr << name << ": " << why << "\n";
    if (code == 2) std::cerr << usage;
    std::exit(code);
  }

  uint64_t u64(const std::string& flag, const std::string& v) const {
    try {
      size_t used = 0;
      unsigned long long n = std::stoull(v, &used);
      if (used != v.size() || (!v.empty() && v[0] == '-')) throw std::invalid_argument(v);
      return n;
    } catch (const std::exception&) {
      fail(flag + " expects a non-negative integer, got '" + v + "'");
    }
  }

  int64_t i64(const std::string& flag, const std::string& v) const {
    try {
      size_t used = 0;
      long long n = std::stoll(v, &used);
      if (used != v.size()) throw std::invalid_argument(v);
      return n;
    } catch (const std::exception&) {
      fail(flag + " expects an integer, got '" + v + "'");
    }
  }
};

}  // namespace emu_cli
