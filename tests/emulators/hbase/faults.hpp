#pragma once
// Fault switches for client robustness tests. Every counter counts scannerGetList
// calls only (server-wide), so table setup and loading are never disturbed.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace hbase_emu {

struct FaultConfig {
  uint64_t expire_scanner_after = 0;  // enforced by ScannerRegistry
  uint64_t ioerror_every = 0;
  uint64_t drop_every = 0;
  uint64_t delay_ms = 0;
  uint64_t garbage_every = 0;
};

struct FaultDecision {
  uint64_t call_no = 0;  // 1-based scannerGetList call number
  bool drop = false;
  bool ioerror = false;
  bool garbage = false;
};

class Faults {
 public:
  explicit Faults(FaultConfig c) : cfg_(c) {}
  const FaultConfig& config() const { return cfg_; }
  FaultDecision next_get_list();
  // The decision for the scannerGetList call this thread is serving, or nullptr
  // (e.g. when the handler runs without the wrapping processor, as in unit tests).
  static const FaultDecision* current();
  static void set_current(const FaultDecision* d);

 private:
  FaultConfig cfg_;
  std::atomic<uint64_t> calls_{0};
};

}  // namespace hbase_emu
