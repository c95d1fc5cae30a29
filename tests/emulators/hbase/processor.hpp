#pragma once
// The server's TProcessor: the generated HbaseProcessor plus the fault switches and a
// fast path for scannerGetList that serialises replies straight from the store.
#include <memory>
#include <string>

#include "Hbase.h"
#include "faults.hpp"
#include "handler.hpp"

namespace hbase_emu {

// Decides the fate of each scannerGetList before the handler runs: drop the
// connection (the scanner is left untouched), delay, fail, or swap the reply for garbage.
class EmulatorProcessor : public sluice::hbase::wire::HbaseProcessor {
 public:
  EmulatorProcessor(std::shared_ptr<Handler> handler, std::shared_ptr<Faults> faults)
      : HbaseProcessor(handler), handler_(std::move(handler)), faults_(std::move(faults)) {}

 protected:
  bool dispatchCall(apache::thrift::protocol::TProtocol* in, apache::thrift::protocol::TProtocol* out,
                    const std::string& fname, int32_t seqid, void* ctx) override;

 private:
  void scanner_get_list(apache::thrift::protocol::TProtocol* in, apache::thrift::protocol::TProtocol* out,
                        int32_t seqid);

  std::shared_ptr<Handler> handler_;
  std::shared_ptr<Faults> faults_;
};

}  // namespace hbase_emu
