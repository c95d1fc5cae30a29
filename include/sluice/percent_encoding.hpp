#pragma once
// %XX decoding of URL parts (userinfo of postgres:// and http:// URLs). A '%'
// not followed by two hex digits is kept as is, as libpq does.

#include <string>
#include <string_view>

namespace sluice {

std::string percent_decode(std::string_view s);

}  // namespace sluice
