#include "sources/postgres/cursor_state.hpp"

#include <simdjson.h>

#include "sluice/cursor_json.hpp"
#include "sluice/json.hpp"

namespace sluice::postgres {

namespace {

void write_optional(json::writer& w, const std::optional<std::string>& v) {
    if (v)
        w.value(*v);
    else
        w.null();
}

void write_texts(json::writer& w, const std::vector<std::optional<std::string>>& texts) {
    w.begin_array();
    for (const auto& v : texts) write_optional(w, v);
    w.end_array();
}

void write_load(json::writer& w, const parallel_load& load) {
    w.key("load").begin_object();
    if (load.has_end) {
        w.key("end").begin_object().key("c");
        write_optional(w, load.end_c);
        w.key("k");
        write_texts(w, load.end_k);
        w.end_object();
    }
    w.key("r").begin_array();
    for (const auto& r : load.ranges) {
        w.begin_object();
        if (r.lo) w.key("lo").value(*r.lo);
        if (r.hi) w.key("hi").value(*r.hi);
        if (r.last) w.key("l").value(*r.last);
        if (r.done) w.key("d").value(true);
        w.end_object();
    }
    w.end_array().end_object();
}

}  // namespace

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
        w.key("k");
        write_texts(w, s.k);
    }
    if (s.load) write_load(w, *s.load);
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

bool read_texts(value v, std::vector<std::optional<std::string>>& out) {
    simdjson::ondemand::array arr;
    if (v.get_array().get(arr)) return false;
    for (auto element : arr) {
        value ev;
        std::optional<std::string> item;
        if (element.get(ev) || !read_optional_string(ev, item)) return false;
        out.push_back(std::move(item));
    }
    return true;
}

bool read_range(simdjson::ondemand::object o, load_range& r) {
    for (auto field : o) {
        std::string_view key;
        value v;
        if (field.unescaped_key().get(key) || field.value().get(v)) return false;
        if (key == "lo") {
            if (!read_optional_string(v, r.lo)) return false;
        } else if (key == "hi") {
            if (!read_optional_string(v, r.hi)) return false;
        } else if (key == "l") {
            if (!read_optional_string(v, r.last)) return false;
        } else if (key == "d") {
            if (v.get_bool().get(r.done)) return false;
        }
    }
    return true;
}

bool read_load(value v, parallel_load& load) {
    simdjson::ondemand::object o;
    if (v.get_object().get(o)) return false;
    for (auto field : o) {
        std::string_view key;
        value fv;
        if (field.unescaped_key().get(key) || field.value().get(fv)) return false;
        if (key == "end") {
            simdjson::ondemand::object e;
            if (fv.get_object().get(e)) return false;
            load.has_end = true;
            for (auto ef : e) {
                std::string_view ek;
                value ev;
                if (ef.unescaped_key().get(ek) || ef.value().get(ev)) return false;
                if (ek == "c" && !read_optional_string(ev, load.end_c)) return false;
                if (ek == "k" && !read_texts(ev, load.end_k)) return false;
            }
        } else if (key == "r") {
            simdjson::ondemand::array arr;
            if (fv.get_array().get(arr)) return false;
            for (auto element : arr) {
                simdjson::ondemand::object ro;
                load_range r;
                if (element.get_object().get(ro) || !read_range(ro, r)) return false;
                load.ranges.push_back(std::move(r));
            }
        }
    }
    return !load.ranges.empty();
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
            if (!read_texts(v, s.k)) return false;
        } else if (key == "load") {
            parallel_load load;
            if (!read_load(v, load)) return false;
            s.load = std::move(load);
        } else if (key == "pass") {
            if (v.get_int64().get(s.pass)) return false;
        } else if (key == "done") {
            if (v.get_bool().get(s.done)) return false;
        }
        return true;
    });
    if (!read || !have_mode || (!s.full && !have_c)) return std::nullopt;
    // Only the cursor's own mode's fields count (encode_cursor writes no others): a stored
    // cursor carrying the other mode's too (found by fuzzing) resumes as what it re-encodes to.
    if (s.full) {
        s.column.clear();
        s.c.reset();
    } else {
        s.pass = 0;
        s.done = false;
    }
    if (s.done) s.k.clear();
    return s;
}

}  // namespace sluice::postgres
