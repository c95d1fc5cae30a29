#pragma once
// Standard base64 (RFC 4648, padded), for raw bytes inside JSON: HBase row keys
// in cursors, non-UTF-8 cell values in the `_cells` column.

#include <optional>
#include <string>
#include <string_view>

namespace sluice {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sluice
