#include "faults.hpp"

namespace hbase_emu {

namespace {
thread_local const FaultDecision* tl_decision = nullptr;
}  // namespace

const FaultDecision* Faults::current() { return tl_decision; }
void Faults::set_current(const FaultDecision* d) { tl_decision = d; }

FaultDecision Faults::next_get_list() {
  FaultDecision d;
  d.call_no = ++calls_;
  auto hit = [&](uint64_t every) { return every != 0 && d.call_no % every == 0; };
  d.drop = hit(cfg_.drop_every);
  d.ioerror = !d.drop && hit(cfg_.ioerror_every);
  d.garbage = !d.drop && !d.ioerror && hit(cfg_.garbage_every);
  return d;
}

}  // namespace hbase_emu
