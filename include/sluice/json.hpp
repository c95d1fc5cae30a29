#pragma once
// Minimal JSON writing for cursors, /status and logs. Parsing uses simdjson.

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::json {

// Appends `text` as a quoted JSON string (escaping quotes, backslashes, control
// characters; invalid UTF-8 bytes become U+FFFD so the output is always valid).
void append_string(std::string& out, std::string_view text);
std::string quote(std::string_view text);

// Builds one JSON object or array incrementally: w.key("a").value(1)...
class writer {
public:
    writer& begin_object();
    writer& end_object();
    writer& begin_array();
    writer& end_array();
    writer& key(std::string_view k);
    writer& value(std::string_view s);
    writer& value(const char* s) { return value(std::string_view(s)); }
    writer& value(std::int64_t v);
    writer& value(std::uint64_t v);
    writer& value(int v) { return value(static_cast<std::int64_t>(v)); }
    writer& value(double v);
    writer& value(bool v);
    writer& null();
    writer& raw(std::string_view json);  // an already-encoded JSON value
    const std::string& str() const noexcept { return out_; }
    std::string take() noexcept { return std::move(out_); }

private:
    void separate();
    std::string out_;
    bool need_comma_ = false;
};

}  // namespace sluice::json
