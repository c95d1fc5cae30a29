#pragma once
// Where one Thrift message ends in a byte stream. Buffered (unframed) transport
// has no length prefix, so a reader must walk the message's structure to know
// whether a whole reply has arrived; this walk allocates nothing and is far
// cheaper than a trial decode (TOOLCHAIN.md §5: re-parsing cost 9 attempts for
// 3 replies).

#include <cstddef>
#include <cstdint>
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

// Finds the end of one message in a growing buffer without re-walking what it
// already walked: the reply's top-level fields and the elements of a top-level
// list (the rows of a scannerGetList reply) are checkpoints, so feeding a reply
// chunk by chunk costs O(reply size) in total.
class message_scanner {
public:
    explicit message_scanner(bool compact) : compact_(compact) {}

    // `bytes` starts at the message and extends the bytes of the previous call
    // (same prefix). Returns the message size once complete; throws malformed_message.
    std::optional<std::size_t> feed(std::string_view bytes);
    // Forget the progress: the next feed() starts a new message.
    void reset() noexcept { *this = message_scanner(compact_); }

private:
    enum class stage { header, fields, elements };
    bool compact_;
    stage stage_ = stage::header;
    std::size_t pos_ = 0;        // first byte not yet accounted for
    std::uint64_t remaining_ = 0;  // stage::elements: elements left in the list
    std::uint8_t element_type_ = 0;
    std::uint8_t map_value_type_ = 0;
    bool is_map_ = false;
};

// Size of the complete message at the start of `bytes`, or nullopt when more
// bytes are needed. Throws malformed_message.
std::optional<std::size_t> binary_message_size(std::string_view bytes);
std::optional<std::size_t> compact_message_size(std::string_view bytes);

}  // namespace sluice::hbase
