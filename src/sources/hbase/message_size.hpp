#pragma once
// Where one Thrift message ends in a byte stream. Buffered (unframed) transport
// has no length prefix, so a reader must walk the message's structure to know
// whether a whole reply has arrived; this walk allocates nothing and is far
// cheaper than a trial decode (TOOLCHAIN.md §5: re-parsing cost 9 attempts for
// 3 replies).

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace sluice::hbase {

// A byte stream that cannot be a Thrift message (bad type id, negative length,
// nesting deeper than any HBase reply).
class malformed_message : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Size of the complete message at the start of `bytes`, or nullopt when more
// bytes are needed. Throws malformed_message.
std::optional<std::size_t> binary_message_size(std::string_view bytes);
std::optional<std::size_t> compact_message_size(std::string_view bytes);

}  // namespace sluice::hbase
