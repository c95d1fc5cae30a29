#include "processor.hpp"

#include <chrono>
#include <thread>

#include <thrift/TApplicationException.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

namespace hbase_emu {

namespace w = sluice::hbase::wire;
using apache::thrift::protocol::TProtocol;

namespace {

struct DecisionScope {
  explicit DecisionScope(const FaultDecision* d) { Faults::set_current(d); }
  ~DecisionScope() { Faults::set_current(nullptr); }
};

// Starts with 0xFF bytes: an invalid version for the binary protocol and an invalid
// protocol id for the compact one, so the client fails fast instead of waiting.
const uint8_t kGarbage[] = {0xff, 0xff, 0xff, 0xff, 'g', 'a', 'r', 'b', 'a', 'g', 'e', 0x00, 0x13, 0x37};

void write_result(TProtocol* out, int32_t seqid, const w::Hbase_scannerGetList_result& r) {
  out->writeMessageBegin("scannerGetList", apache::thrift::protocol::T_REPLY, seqid);
  r.write(out);
  out->writeMessageEnd();
  out->getTransport()->writeEnd();
  out->getTransport()->flush();
}

}  // namespace

void EmulatorProcessor::scanner_get_list(TProtocol* in, TProtocol* out, int32_t seqid) {
  w::Hbase_scannerGetList_args args;
  args.read(in);
  in->readMessageEnd();
  in->getTransport()->readEnd();
  // Same reply shapes as the generated process_scannerGetList.
  try {
    handler_->write_scanner_get_list(out, seqid, args.id, args.nbRows);
  } catch (const w::IOError& e) {
    w::Hbase_scannerGetList_result r;
    r.io = e;
    r.__isset.io = true;
    write_result(out, seqid, r);
  } catch (const w::IllegalArgument& e) {
    w::Hbase_scannerGetList_result r;
    r.ia = e;
    r.__isset.ia = true;
    write_result(out, seqid, r);
  } catch (const apache::thrift::transport::TTransportException&) {
    throw;
  } catch (const std::exception& e) {
    apache::thrift::TApplicationException x(e.what());
    out->writeMessageBegin("scannerGetList", apache::thrift::protocol::T_EXCEPTION, seqid);
    x.write(out);
    out->writeMessageEnd();
    out->getTransport()->writeEnd();
    out->getTransport()->flush();
  }
}

bool EmulatorProcessor::dispatchCall(TProtocol* in, TProtocol* out, const std::string& fname, int32_t seqid,
                                     void* ctx) {
  if (fname != "scannerGetList") return HbaseProcessor::dispatchCall(in, out, fname, seqid, ctx);
  FaultDecision d = faults_->next_get_list();
  // Returning false makes the server close the connection without a reply.
  if (d.drop) return false;
  if (faults_->config().delay_ms)
    std::this_thread::sleep_for(std::chrono::milliseconds(faults_->config().delay_ms));
  DecisionScope scope(&d);
  if (!d.garbage) {
    scanner_get_list(in, out, seqid);
    return true;
  }
  auto sink = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  apache::thrift::protocol::TBinaryProtocol discard(sink);
  scanner_get_list(in, &discard, seqid);
  auto t = out->getTransport();
  t->write(kGarbage, sizeof(kGarbage));
  t->writeEnd();
  t->flush();
  return true;
}

}  // namespace hbase_emu
