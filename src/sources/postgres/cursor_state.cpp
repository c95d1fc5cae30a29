#include "sources/postgres/cursor_state.hpp"

#include <simdjson.h>

#include "sluice/cursor_json.hpp"
#include "sluice/json.hpp"

namespace sluice::postgres {

std::string encode_cursor(const cursor_state& s) {
    json::writer w;
    w.begin_object().key("v").value(1).key("mode").value(s.full ? "full" : "incremental");
    if (s.full) {
        w.key("pass").value(s.pass);
        if (s.done) w.key("done").value(true);
    } else {
        w.key("col").value(s.column).key("c");
        if (s.c)
            w.value(*s.c);
        else
            w.null();
    }
    if (!s.k.empty() && !s.done) {
        w.key("k").begin_array();
        for (const auto& v : s.k) {
            if (v)
                w.value(*v);
            else
                w.null();
        }
        w.end_array();
    }
    w.end_object();
    return w.take();
}

namespace {

using simdjson::ondemand::value;

bool read_optional_string(value v, std::optional<std::string>& out) {
    bool is_null = false;
    if (v.is_null().get(is_null)) return false;
    if (is_null) {
        out.reset();
        return true;
    }
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out = std::string(s);
    return true;
}

}  // namespace

std::optional<cursor_state> decode_cursor(std::string_view json) {
    cursor_state s;
    bool have_mode = false, have_c = false;
    const bool read = read_cursor_fields(json, [&](std::string_view key, value v) {
        if (key == "mode") {
            std::string_view m;
            if (v.get_string().get(m) || (m != "full" && m != "incremental")) return false;
            s.full = m == "full";
            have_mode = true;
        } else if (key == "col") {
            std::string_view c;
            if (v.get_string().get(c)) return false;
            s.column = std::string(c);
        } else if (key == "c") {
            if (!read_optional_string(v, s.c)) return false;
            have_c = true;
        } else if (key == "k") {
            simdjson::ondemand::array arr;
            if (v.get_array().get(arr)) return false;
            for (auto element : arr) {
                value ev;
                std::optional<std::string> item;
                if (element.get(ev) || !read_optional_string(ev, item)) return false;
                s.k.push_back(std::move(item));
            }
        } else if (key == "pass") {
            if (v.get_int64().get(s.pass)) return false;
        } else if (key == "done") {
            if (v.get_bool().get(s.done)) return false;
        }
        return true;
    });
    if (!read || !have_mode || (!s.full && !have_c)) return std::nullopt;
    return s;
}

}  // namespace sluice::postgres
