#include "sources/time_keyset/cursor_state.hpp"

#include <simdjson.h>

#include "sluice/cursor_json.hpp"
#include "sluice/json.hpp"

namespace sluice::time_keyset {

std::string encode_cursor(const cursor_state& s) {
    json::writer w;
    w.begin_object().key("v").value(1).key("mode").value(s.full ? "full" : "incremental");
    if (s.full) {
        if (s.done) w.key("done").value(true);
    } else {
        w.key("col").value(s.column);
        if (s.t) w.key("t").value(*s.t).key("k").value(s.k);
    }
    w.end_object();
    return w.take();
}

std::optional<cursor_state> decode_cursor(std::string_view json) {
    cursor_state s;
    bool have_mode = false, have_col = false;
    const bool read = read_cursor_fields(json, [&](std::string_view key, simdjson::ondemand::value v) {
        if (key == "mode") {
            std::string_view m;
            if (v.get_string().get(m) || (m != "full" && m != "incremental")) return false;
            s.full = m == "full";
            have_mode = true;
        } else if (key == "col") {
            std::string_view c;
            if (v.get_string().get(c)) return false;
            s.column = std::string(c);
            have_col = true;
        } else if (key == "t") {
            std::int64_t t = 0;
            if (v.get_int64().get(t)) return false;
            s.t = t;
        } else if (key == "k") {
            if (v.get_int64().get(s.k) || s.k < 0) return false;
        } else if (key == "done") {
            if (v.get_bool().get(s.done)) return false;
        }
        return true;
    });
    if (!read || !have_mode || (!s.full && !have_col)) return std::nullopt;
    if (!s.t) s.k = 0;
    return s;
}

boundary resume_point(const std::optional<cursor_state>& saved, bool synthetic_key, std::int64_t lookback_us) {
    if (!saved || saved->full || !saved->t) return {};
    if (lookback_us > 0) return {*saved->t - lookback_us, 0};
    if (synthetic_key) return {saved->t, 0};
    return {saved->t, saved->k};
}

boundary advance_past(const boundary& b, const std::vector<std::int64_t>& page) {
    if (page.empty()) return b;
    const std::int64_t last = page.back();
    std::int64_t trailing = 0;
    for (auto it = page.rbegin(); it != page.rend() && *it == last; ++it) ++trailing;
    if (trailing == static_cast<std::int64_t>(page.size()) && b.start && *b.start == last)
        return {last, b.skip + trailing};
    return {last, trailing};
}

bool beyond(const boundary& a, const cursor_state& b) {
    if (!a.start) return false;
    if (!b.t) return true;
    if (*a.start != *b.t) return *a.start > *b.t;
    return a.skip > b.k;
}

}  // namespace sluice::time_keyset
