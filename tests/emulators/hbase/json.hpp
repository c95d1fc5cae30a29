#pragma once
// JSON line helpers for hbase-load: raw bytes travel as JSON strings when they are
// valid UTF-8, else as {"b64": "..."}, in both directions.
#include <string>
#include <string_view>

#include <simdjson.h>

namespace hbase_emu::json {

std::string base64_encode(std::string_view in);
std::string base64_decode(std::string_view in);  // throws std::runtime_error on bad input

// Appends `s` as a quoted JSON string (input must be valid UTF-8).
void append_string(std::string& out, std::string_view s);
// Appends bytes as a JSON string, or as {"b64":"..."} when they are not valid UTF-8.
void append_bytes(std::string& out, std::string_view bytes);
// Reads a JSON string or {"b64": "..."} as raw bytes; throws std::runtime_error otherwise.
std::string read_bytes(simdjson::ondemand::value v);

}  // namespace hbase_emu::json
