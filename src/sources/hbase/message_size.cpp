// Structural walk over Thrift binary and compact encodings (thrift-binary-protocol.md,
// thrift-compact-protocol.md). "Need more" is signalled by running off the end.
#include "sources/hbase/message_size.hpp"

#include <cstdint>
#include <cstring>

namespace sluice::hbase {

namespace {

constexpr int max_depth = 64;

struct need_more {};

class walker {
public:
    explicit walker(std::string_view b) : b_(b) {}
    std::size_t pos() const { return pos_; }

    void skip(std::size_t n) {
        if (b_.size() - pos_ < n) throw need_more{};
        pos_ += n;
    }
    std::uint8_t u8() {
        if (pos_ >= b_.size()) throw need_more{};
        return static_cast<std::uint8_t>(b_[pos_++]);
    }
    std::int32_t be32() {
        if (b_.size() - pos_ < 4) throw need_more{};
        std::uint32_t v;
        std::memcpy(&v, b_.data() + pos_, 4);
        pos_ += 4;
        return static_cast<std::int32_t>(__builtin_bswap32(v));
    }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            const auto byte = u8();
            v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return v;
        }
        throw malformed_message("varint longer than 10 bytes");
    }
    std::size_t length(std::int64_t n) {
        if (n < 0) throw malformed_message("negative length " + std::to_string(n));
        if (n > (1LL << 31)) throw malformed_message("length " + std::to_string(n) + " is too large");
        return static_cast<std::size_t>(n);
    }

private:
    std::string_view b_;
    std::size_t pos_ = 0;
};

// ---- binary protocol
void skip_binary(walker& w, std::uint8_t type, int depth);

void skip_binary_struct(walker& w, int depth) {
    for (;;) {
        const auto type = w.u8();
        if (type == 0) return;  // STOP
        w.skip(2);              // field id
        skip_binary(w, type, depth + 1);
    }
}

void skip_binary(walker& w, std::uint8_t type, int depth) {
    if (depth > max_depth) throw malformed_message("nesting deeper than " + std::to_string(max_depth));
    switch (type) {
    case 2: case 3: w.skip(1); return;            // bool, byte
    case 4: case 10: w.skip(8); return;           // double, i64
    case 6: w.skip(2); return;                    // i16
    case 8: w.skip(4); return;                    // i32
    case 11: w.skip(w.length(w.be32())); return;  // string / binary
    case 12: skip_binary_struct(w, depth); return;
    case 13: {                                    // map
        const auto k = w.u8(), v = w.u8();
        const auto n = w.length(w.be32());
        for (std::size_t i = 0; i < n; ++i) {
            skip_binary(w, k, depth + 1);
            skip_binary(w, v, depth + 1);
        }
        return;
    }
    case 14: case 15: {  // set, list
        const auto e = w.u8();
        const auto n = w.length(w.be32());
        for (std::size_t i = 0; i < n; ++i) skip_binary(w, e, depth + 1);
        return;
    }
    default: throw malformed_message("unknown binary field type " + std::to_string(type));
    }
}

// ---- compact protocol
void skip_compact(walker& w, std::uint8_t type, int depth, bool in_container);

void skip_compact_struct(walker& w, int depth) {
    for (;;) {
        const auto header = w.u8();
        const std::uint8_t type = header & 0x0f;
        if (type == 0) return;                   // STOP
        if ((header >> 4) == 0) (void)w.varint();  // long-form field id
        skip_compact(w, type, depth + 1, false);
    }
}

void skip_compact(walker& w, std::uint8_t type, int depth, bool in_container) {
    if (depth > max_depth) throw malformed_message("nesting deeper than " + std::to_string(max_depth));
    switch (type) {
    case 1: case 2:  // bool: in the field header, one byte inside containers
        if (in_container) w.skip(1);
        return;
    case 3: w.skip(1); return;
    case 4: case 5: case 6: (void)w.varint(); return;  // i16, i32, i64 (zigzag varints)
    case 7: w.skip(8); return;                         // double
    case 8: w.skip(w.length(static_cast<std::int64_t>(w.varint()))); return;
    case 12: skip_compact_struct(w, depth); return;
    case 9: case 10: {  // list, set
        const auto header = w.u8();
        std::size_t n = header >> 4;
        if (n == 15) n = w.length(static_cast<std::int64_t>(w.varint()));
        for (std::size_t i = 0; i < n; ++i) skip_compact(w, header & 0x0f, depth + 1, true);
        return;
    }
    case 11: {  // map
        const auto n = w.length(static_cast<std::int64_t>(w.varint()));
        if (n == 0) return;
        const auto kv = w.u8();
        for (std::size_t i = 0; i < n; ++i) {
            skip_compact(w, kv >> 4, depth + 1, true);
            skip_compact(w, kv & 0x0f, depth + 1, true);
        }
        return;
    }
    default: throw malformed_message("unknown compact field type " + std::to_string(type));
    }
}

}  // namespace

std::optional<std::size_t> message_scanner::feed(std::string_view bytes) {
    walker w(bytes);
    try {
        w.skip(pos_);
        for (;;) {
            switch (stage_) {
            case stage::header:
                if (compact_) {
                    if (w.u8() != 0x82)
                        throw malformed_message("not a compact protocol message (first byte is not 0x82)");
                    (void)w.u8();      // version and message type
                    (void)w.varint();  // seqid
                    w.skip(w.length(static_cast<std::int64_t>(w.varint())));
                } else {
                    const auto first = w.be32();
                    if (first < 0) {  // strict header: version | type, name, seqid
                        if ((static_cast<std::uint32_t>(first) & 0xffff0000u) != 0x80010000u)
                            throw malformed_message("bad binary protocol version");
                        w.skip(w.length(w.be32()));
                        w.skip(4);
                    } else {  // old header: name, type byte, seqid
                        w.skip(w.length(first));
                        w.skip(5);
                    }
                }
                stage_ = stage::fields;
                break;
            case stage::fields: {
                std::uint8_t type = w.u8();
                if (compact_) {
                    const auto header = type;
                    type = header & 0x0f;
                    if (type == 0) return w.pos();
                    if ((header >> 4) == 0) (void)w.varint();
                    if (type == 9 || type == 10) {  // list, set: walk element by element
                        const auto lh = w.u8();
                        std::size_t n = lh >> 4;
                        if (n == 15) n = w.length(static_cast<std::int64_t>(w.varint()));
                        element_type_ = lh & 0x0f;
                        remaining_ = n;
                        is_map_ = false;
                        stage_ = stage::elements;
                    } else {
                        skip_compact(w, type, 1, false);
                    }
                } else {
                    if (type == 0) return w.pos();
                    w.skip(2);
                    if (type == 14 || type == 15) {
                        element_type_ = w.u8();
                        remaining_ = w.length(w.be32());
                        is_map_ = false;
                        stage_ = stage::elements;
                    } else if (type == 13) {
                        element_type_ = w.u8();
                        map_value_type_ = w.u8();
                        remaining_ = w.length(w.be32());
                        is_map_ = true;
                        stage_ = stage::elements;
                    } else {
                        skip_binary(w, type, 1);
                    }
                }
                break;
            }
            case stage::elements:
                if (remaining_ == 0) {
                    stage_ = stage::fields;
                    break;
                }
                if (compact_) {
                    skip_compact(w, element_type_, 2, true);
                } else {
                    skip_binary(w, element_type_, 2);
                    if (is_map_) skip_binary(w, map_value_type_, 2);
                }
                --remaining_;
                break;
            }
            pos_ = w.pos();  // a unit is complete: never walk it again
        }
    } catch (const need_more&) {
        return std::nullopt;
    }
}

std::optional<std::size_t> binary_message_size(std::string_view bytes) {
    return message_scanner(false).feed(bytes);
}

std::optional<std::size_t> compact_message_size(std::string_view bytes) {
    return message_scanner(true).feed(bytes);
}

}  // namespace sluice::hbase
