#include "sources/hbase/wire_codec.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <type_traits>

#include <thrift/TConfiguration.h>

#include "sources/hbase/message_size.hpp"

namespace sluice::hbase {

namespace tp = apache::thrift::protocol;
namespace tt = apache::thrift::transport;

namespace {

// Scan replies of many wide rows exceed Thrift's 100 MB default message limit
// long before they strain memory; the reply size is bounded by batch_size anyway.
std::shared_ptr<apache::thrift::TConfiguration> wire_configuration() {
    return std::make_shared<apache::thrift::TConfiguration>(1 << 30, 1 << 30);
}

// Thrift sizes a string or a list's vector from the length the message declares
// before reading a byte of it, checked only against the 1 GiB message limit (and a
// list of structs not at all: their minimum size counts as 0). A 42-byte reply
// declaring 0x0f00000c rows made it allocate 30 GB (found by fuzzing). A reply is
// exactly the bytes received, and every element takes at least one, so no length may
// exceed the reply's size. The limits are protected members of both protocols.
template <class Protocol>
class bounded_protocol : public Protocol {
public:
    using Protocol::Protocol;
    void limit(std::int32_t n) {
        this->string_limit_ = n;
        this->container_limit_ = n;
    }
};

template <class Protocol>
std::shared_ptr<tp::TProtocol> make_input(std::shared_ptr<tt::TMemoryBuffer> buf,
                                          std::function<void(std::int32_t)>& limit) {
    auto p = std::make_shared<bounded_protocol<Protocol>>(std::move(buf));
    limit = [raw = p.get()](std::int32_t n) { raw->limit(n); };
    return p;
}

std::shared_ptr<tp::TProtocol> make_output(bool compact, std::shared_ptr<tt::TMemoryBuffer> buf) {
    if (compact) return std::make_shared<tp::TCompactProtocolT<tt::TMemoryBuffer>>(std::move(buf));
    return std::make_shared<tp::TBinaryProtocolT<tt::TMemoryBuffer>>(std::move(buf));
}

// Thrift stores the wire's type byte in its enums unchecked, so a malformed reply leaves
// an out-of-range value there: loading it as the enum is undefined (UBSan `enum`, found
// by fuzzing peek_list_size), so the peek compares the stored bytes instead.
template <class Enum>
auto wire_value(const Enum& stored) {
    std::underlying_type_t<Enum> raw;
    static_assert(sizeof raw == sizeof stored);
    std::memcpy(&raw, &stored, sizeof raw);
    return raw;
}

}  // namespace

wire_codec::wire_codec(bool compact, bool replies_walked)
    : compact_(compact),
      replies_walked_(replies_walked),
      in_(std::make_shared<tt::TMemoryBuffer>(wire_configuration())),
      out_(std::make_shared<tt::TMemoryBuffer>(wire_configuration())) {
    auto input = compact ? make_input<tp::TCompactProtocolT<tt::TMemoryBuffer>>(in_, limit_input_)
                         : make_input<tp::TBinaryProtocolT<tt::TMemoryBuffer>>(in_, limit_input_);
    client_ = std::make_unique<wire::HbaseClient>(std::move(input), make_output(compact, out_));
}

void wire_codec::observe(std::string_view bytes) {
    in_->resetBuffer(reinterpret_cast<std::uint8_t*>(const_cast<char*>(bytes.data())),
                     static_cast<std::uint32_t>(bytes.size()), tt::TMemoryBuffer::OBSERVE);
    // At least 1: 0 means "no limit" to Thrift.
    limit_input_(static_cast<std::int32_t>(std::clamp<std::size_t>(bytes.size(), 1, INT32_MAX)));
}

void wire_codec::check_reply_name(std::string_view method, std::string_view bytes) {
    observe(bytes);
    std::string name;
    tp::TMessageType type;
    std::int32_t seqid = 0;
    client_->getInputProtocol()->readMessageBegin(name, type, seqid);
    if (name != method)
        throw tp::TProtocolException(tp::TProtocolException::INVALID_DATA,
                                     "a reply to '" + name.substr(0, 64) + "' where '" + std::string(method) +
                                         "' was called");
}

void wire_codec::check_consumed(std::string_view method) {
    if (const auto left = in_->available_read(); left != 0)
        throw tp::TProtocolException(tp::TProtocolException::INVALID_DATA,
                                     std::to_string(left) + " bytes after the reply to '" + std::string(method) + "'");
}

void wire_codec::check_walker_agrees(std::string_view method, std::string_view bytes) const {
    std::optional<std::size_t> walked;
    try {
        walked = compact_ ? compact_message_size(bytes) : binary_message_size(bytes);
    } catch (const malformed_message& e) {
        throw tp::TProtocolException(tp::TProtocolException::INVALID_DATA,
                                     "the reply to '" + std::string(method) + "' is malformed: " + e.what());
    }
    if (walked != bytes.size())
        throw tp::TProtocolException(tp::TProtocolException::INVALID_DATA,
                                     "the reply to '" + std::string(method) +
                                         "' declares element types other than the call returns");
}

std::optional<std::uint32_t> wire_codec::peek_list_size(std::string_view bytes) {
    observe(bytes);
    auto p = client_->getInputProtocol();
    try {
        std::string name;
        tp::TMessageType type;
        std::int32_t seqid = 0;
        p->readMessageBegin(name, type, seqid);
        if (wire_value(type) != tp::T_REPLY) return std::nullopt;
        p->readStructBegin(name);
        tp::TType field_type;
        std::int16_t field_id = 0;
        p->readFieldBegin(name, field_type, field_id);
        if (field_id != 0 || wire_value(field_type) != tp::T_LIST) return std::nullopt;  // a declared exception
        tp::TType element_type;
        std::uint32_t size = 0;
        p->readListBegin(element_type, size);
        return size;
    } catch (const apache::thrift::TException&) {
        return std::nullopt;  // the full decode reports what is wrong
    }
}

}  // namespace sluice::hbase
