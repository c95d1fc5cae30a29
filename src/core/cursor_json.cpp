#include "sluice/cursor_json.hpp"

#include <cstdint>

namespace sluice {

bool read_cursor_fields(std::string_view json,
                        const std::function<bool(std::string_view key, simdjson::ondemand::value v)>& on_field) {
    simdjson::ondemand::parser parser;
    const simdjson::padded_string text(json);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    if (parser.iterate(text).get(doc) || doc.get_object().get(obj)) return false;
    bool have_version = false;
    for (auto field : obj) {
        std::string_view key;
        simdjson::ondemand::value v;
        if (field.unescaped_key().get(key) || field.value().get(v)) return false;
        if (key == "v") {
            std::int64_t version = 0;
            if (v.get_int64().get(version) || version != 1) return false;
            have_version = true;
        } else if (!on_field(key, v)) {
            return false;
        }
    }
    return have_version;
}

}  // namespace sluice
