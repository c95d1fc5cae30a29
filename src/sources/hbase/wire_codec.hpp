#pragma once
// Thrift's generated Hbase client used purely as a codec: send_X() serialises a
// call into a memory buffer, recv_X() parses a reply from one. The gateway
// connection moves the bytes, so no Thrift transport ever touches a socket.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include "Hbase.h"

namespace sluice::hbase {

class wire_codec {
public:
    // `replies_walked`: replies arrive cut by the boundary walker (buffered transport on
    // a socket), so it has already accepted each one; otherwise reply() walks them too.
    explicit wire_codec(bool compact, bool replies_walked = false);

    // Serialises one call: `send` is e.g. [&](wire::HbaseClient& c) { c.send_getTableNames(); }.
    template <class Send>
    std::string request(Send&& send) {
        send(*client_);
        std::uint8_t* p = nullptr;
        std::uint32_t n = 0;
        out_->getBuffer(&p, &n);
        std::string bytes(reinterpret_cast<const char*>(p), n);
        out_->resetBuffer();
        return bytes;
    }

    // Parses one reply (exactly the bytes of one message) to the call `method`: `recv` is
    // e.g. [&](wire::HbaseClient& c) { c.recv_getTableNames(names); }.
    // Throws what the generated code throws: the declared exceptions (IOError,
    // IllegalArgument), TApplicationException, TProtocolException/TTransportException;
    // and TProtocolException for a reply named after another call, bytes left over, or
    // wire types the boundary walker reads differently.
    template <class Recv>
    void reply(std::string_view method, std::string_view bytes, Recv&& recv) {
        check_reply_name(method, bytes);
        observe(bytes);
        recv(*client_);
        check_consumed(method);
        if (!replies_walked_) check_walker_agrees(method, bytes);
    }

    // For a list-returning call (scannerGetList): the list's size when `bytes` is
    // a successful reply, nullopt for an exception or anything else. Reads only
    // the first few bytes, so a scan can decide whether to pipeline the next call
    // before paying for the decode.
    std::optional<std::uint32_t> peek_list_size(std::string_view bytes);

private:
    void observe(std::string_view bytes);
    // The generated recv_X() does not refuse a reply named after another call: it skips
    // one struct and reads the next as its result (found by fuzzing: the reply then spans
    // two structs, while the boundary walker delimits one). A reply to another call means
    // the stream is out of step, never data.
    void check_reply_name(std::string_view method, std::string_view bytes);
    void check_consumed(std::string_view method);
    // The generated code reads a container's elements as the IDL declares them, whatever
    // element types the wire states (found by fuzzing: a map declared with double keys
    // decoded as strings while the walker, following the wire, waited for more bytes). A
    // reply both read as one whole message is the only kind buffered transport could
    // delimit, so framed and HTTP replies must pass the walker as well.
    void check_walker_agrees(std::string_view method, std::string_view bytes) const;

    bool compact_;
    bool replies_walked_;
    std::shared_ptr<apache::thrift::transport::TMemoryBuffer> in_, out_;
    std::unique_ptr<wire::HbaseClient> client_;
    std::function<void(std::int32_t)> limit_input_;  // string and container sizes, per reply
};

}  // namespace sluice::hbase
