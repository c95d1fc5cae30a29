// Fuzz target: Druid's error bodies (src/sources/druid/errors.*), all three shapes
// (druidException, legacyQueryException, legacy {error, errorMessage}), which the
// source parses from any non-2xx answer, whatever a proxy put in it.
// Invariants: never throws; a recognised body describes itself, and the description
// carries its message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "sources/druid/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    const auto e = sluice::druid::parse_error_body(body);
    if (!e) return 0;
    const std::string text = e->describe();
    FUZZ_CHECK(text.find(e->message) != std::string::npos, "description '" + text + "' lacks the message");
    return 0;
}
