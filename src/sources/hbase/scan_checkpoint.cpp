#include "sources/hbase/scan_checkpoint.hpp"

#include <simdjson.h>

#include "sluice/base64.hpp"
#include "sluice/cursor_json.hpp"
#include "sluice/json.hpp"

namespace sluice::hbase {

std::string scan_checkpoint::encode() const {
    json::writer w;
    w.begin_object().key("v").value(1).key("mode").value(mode);
    if (hw) w.key("hw").value(base64_encode(*hw));
    if (wm) w.key("wm").value(*wm);
    if (pass) {
        w.key("pass").begin_object().key("t").value(pass->started_ms);
        if (pass->lower) w.key("lower").value(base64_encode(*pass->lower));
        if (pass->max) w.key("max").value(base64_encode(*pass->max));
        w.key("n").value(static_cast<std::uint64_t>(pass->rows));
        w.key("r").begin_array();
        for (const auto& r : pass->ranges) {
            w.begin_object().key("s").value(base64_encode(r.range.start)).key("e").value(base64_encode(r.range.stop));
            if (r.last) w.key("l").value(base64_encode(*r.last));
            if (r.done) w.key("d").value(true);
            w.end_object();
        }
        w.end_array().end_object();
    }
    w.end_object();
    return w.take();
}

namespace {

using simdjson::ondemand::object;
using simdjson::ondemand::value;

bool read_b64(value v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    auto d = base64_decode(s);
    if (!d) return false;
    out = std::move(*d);
    return true;
}

bool read_b64(value v, std::optional<std::string>& out) {
    std::string s;
    if (!read_b64(v, s)) return false;
    out = std::move(s);
    return true;
}

bool read_range(object o, range_progress& r) {
    for (auto field : o) {
        std::string_view key;
        value v;
        if (field.unescaped_key().get(key) || field.value().get(v)) return false;
        if (key == "s") {
            if (!read_b64(v, r.range.start)) return false;
        } else if (key == "e") {
            if (!read_b64(v, r.range.stop)) return false;
        } else if (key == "l") {
            if (!read_b64(v, r.last)) return false;
        } else if (key == "d") {
            if (v.get_bool().get(r.done)) return false;
        }
    }
    return true;
}

bool read_pass(object o, pass_progress& p) {
    for (auto field : o) {
        std::string_view key;
        value v;
        if (field.unescaped_key().get(key) || field.value().get(v)) return false;
        if (key == "t") {
            if (v.get_int64().get(p.started_ms)) return false;
        } else if (key == "lower") {
            if (!read_b64(v, p.lower)) return false;
        } else if (key == "max") {
            if (!read_b64(v, p.max)) return false;
        } else if (key == "n") {
            if (v.get_uint64().get(p.rows)) return false;
        } else if (key == "r") {
            simdjson::ondemand::array arr;
            if (v.get_array().get(arr)) return false;
            for (auto element : arr) {
                object ro;
                range_progress r;
                if (element.get_object().get(ro) || !read_range(ro, r)) return false;
                p.ranges.push_back(std::move(r));
            }
        }
    }
    return true;
}

}  // namespace

std::optional<scan_checkpoint> scan_checkpoint::decode(std::string_view json) {
    scan_checkpoint c;
    const bool read = read_cursor_fields(json, [&](std::string_view key, value v) {
        if (key == "mode") {
            std::string_view m;
            if (v.get_string().get(m)) return false;
            c.mode = std::string(m);
        } else if (key == "hw") {
            if (!read_b64(v, c.hw)) return false;
        } else if (key == "wm") {
            std::int64_t wm = 0;
            if (v.get_int64().get(wm)) return false;
            c.wm = wm;
        } else if (key == "pass") {
            object po;
            pass_progress p;
            if (v.get_object().get(po) || !read_pass(po, p)) return false;
            c.pass = std::move(p);
        }
        return true;
    });
    if (!read || (c.mode != "cursor_column" && c.mode != "cell_timestamp" && c.mode != "full")) return std::nullopt;
    return c;
}

}  // namespace sluice::hbase
