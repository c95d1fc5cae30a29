#include "sluice/json.hpp"

#include <charconv>
#include <cmath>

#include "sluice/value.hpp"

namespace sluice::json {

void append_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    const bool valid = is_valid_utf8(text);
    out.push_back('"');
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out.push_back(hex[c >> 4]);
                    out.push_back(hex[c & 15]);
                } else if (c >= 0x80 && !valid) {
                    // Keep the output valid JSON even for binary input.
                    out += "\\ufffd";
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

std::string quote(std::string_view text) {
    std::string out;
    append_string(out, text);
    return out;
}

void writer::separate() {
    if (need_comma_) out_.push_back(',');
    need_comma_ = true;
}

writer& writer::begin_object() {
    separate();
    out_.push_back('{');
    need_comma_ = false;
    return *this;
}
writer& writer::end_object() {
    out_.push_back('}');
    need_comma_ = true;
    return *this;
}
writer& writer::begin_array() {
    separate();
    out_.push_back('[');
    need_comma_ = false;
    return *this;
}
writer& writer::end_array() {
    out_.push_back(']');
    need_comma_ = true;
    return *this;
}
writer& writer::key(std::string_view k) {
    separate();
    append_string(out_, k);
    out_.push_back(':');
    need_comma_ = false;
    return *this;
}
writer& writer::value(std::string_view s) {
    separate();
    append_string(out_, s);
    return *this;
}
writer& writer::value(std::int64_t v) {
    separate();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
    return *this;
}
writer& writer::value(std::uint64_t v) {
    separate();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
    return *this;
}
writer& writer::value(double v) {
    separate();
    if (!std::isfinite(v)) {
        out_ += "null";  // JSON has no NaN/Infinity
        return *this;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
    return *this;
}
writer& writer::value(bool v) {
    separate();
    out_ += v ? "true" : "false";
    return *this;
}
writer& writer::null() {
    separate();
    out_ += "null";
    return *this;
}
writer& writer::raw(std::string_view j) {
    separate();
    out_.append(j);
    return *this;
}

}  // namespace sluice::json
