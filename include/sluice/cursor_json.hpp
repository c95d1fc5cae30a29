#pragma once
// Reading a source's cursor: every source writes a JSON object {"v":1,...}
// (the version lets a future format be told apart). This walks the object,
// checks the version and hands each other field to the source's own reader.

#include <functional>
#include <string_view>

#include <simdjson.h>

namespace sluice {

// False when `json` is not an object, "v" is missing or not 1, a field cannot be
// read, or `on_field` returns false (a field the source finds malformed).
bool read_cursor_fields(std::string_view json,
                        const std::function<bool(std::string_view key, simdjson::ondemand::value v)>& on_field);

}  // namespace sluice
