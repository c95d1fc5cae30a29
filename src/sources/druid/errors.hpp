#pragma once
// Druid's error bodies (protocol §5.1), all three generations:
//   {"error":"druidException","errorCode":"invalidInput","category":"INVALID_INPUT",
//    "errorMessage":"…","context":{"line":"1","column":"15",…}}
//   {"error":"Query timeout","errorCode":"legacyQueryException","category":"TIMEOUT",
//    "errorMessage":"…","context":{"errorClass":"…","legacyErrorCode":"Query timeout",…}}
//   {"error":"SQL parse failed","errorMessage":"…","errorClass":"java…","host":"…"}
// "druidException" is only a discriminator: the code is errorCode, the text errorMessage.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::druid {

struct druid_error {
    std::string code;      // "invalidInput", "Query timeout", "SQL parse failed"
    std::string category;  // "INVALID_INPUT" (current shape only)
    std::string message;   // errorMessage; the code when absent
    std::string error_class;
    std::optional<std::string> line, column;  // of the SQL, when Druid names them

    // "invalidInput: Column 'x' not found (line 1, column 8)"
    std::string describe() const;
};

// nullopt when `body` is not a JSON object with an "error" or "errorMessage" (an
// HTML page from a proxy, an empty body).
std::optional<druid_error> parse_error_body(std::string_view body);

}  // namespace sluice::druid
