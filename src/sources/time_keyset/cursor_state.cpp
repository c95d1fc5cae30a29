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
        if (s.t) w.key("t").value(*s.t);
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
            // Older cursors: rows at t delivered. The group at t is now read again whole.
            std::int64_t k = 0;
            if (v.get_int64().get(k) || k < 0) return false;
        } else if (key == "done") {
            if (v.get_bool().get(s.done)) return false;
        }
        return true;
    });
    if (!read || !have_mode || (!s.full && !have_col)) return std::nullopt;
    // Fields of the other mode are dropped, so what is resumed from is exactly what the
    // next commit writes back (a full cursor has no position, an incremental one no `done`).
    if (s.full) {
        s.column.clear();
        s.t.reset();
    } else {
        s.done = false;
    }
    return s;
}

std::optional<std::int64_t> resume_point(const std::optional<cursor_state>& saved, std::int64_t lookback_us) {
    if (!saved || saved->full || !saved->t || *saved->t == null_cursor) return std::nullopt;
    if (lookback_us <= 0) return saved->t;
    if (*saved->t <= null_cursor + lookback_us) return std::nullopt;  // would underflow: from the start
    return *saved->t - lookback_us;
}

page_end end_of_page(const std::vector<std::int64_t>& page, std::int64_t limit) {
    page_end e;
    if (static_cast<std::int64_t>(page.size()) < limit || page.empty()) {
        e.keep = page.size();
        e.exhausted = true;
        return e;
    }
    const std::int64_t last = page.back();
    if (page.front() == last) {
        e.tie = last;
        return e;
    }
    e.keep = page.size();
    while (e.keep > 0 && page[e.keep - 1] == last) --e.keep;
    e.next = last;
    return e;
}

}  // namespace sluice::time_keyset
