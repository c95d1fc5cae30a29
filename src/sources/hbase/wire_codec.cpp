#include "sources/hbase/wire_codec.hpp"

#include <thrift/TConfiguration.h>

namespace sluice::hbase {

namespace tp = apache::thrift::protocol;
namespace tt = apache::thrift::transport;

namespace {

// Scan replies of many wide rows exceed Thrift's 100 MB default message limit
// long before they strain memory; the reply size is bounded by batch_size anyway.
std::shared_ptr<apache::thrift::TConfiguration> wire_configuration() {
    return std::make_shared<apache::thrift::TConfiguration>(1 << 30, 1 << 30);
}

std::shared_ptr<tp::TProtocol> make_protocol(bool compact, std::shared_ptr<tt::TMemoryBuffer> buf) {
    if (compact) return std::make_shared<tp::TCompactProtocolT<tt::TMemoryBuffer>>(std::move(buf));
    return std::make_shared<tp::TBinaryProtocolT<tt::TMemoryBuffer>>(std::move(buf));
}

}  // namespace

wire_codec::wire_codec(bool compact)
    : in_(std::make_shared<tt::TMemoryBuffer>(wire_configuration())),
      out_(std::make_shared<tt::TMemoryBuffer>(wire_configuration())),
      client_(std::make_unique<wire::HbaseClient>(make_protocol(compact, in_), make_protocol(compact, out_))) {}

}  // namespace sluice::hbase
