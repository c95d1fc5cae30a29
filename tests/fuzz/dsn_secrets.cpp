// Fuzz target: passwords embedded in a DSN (src/config/dsn_secrets.*: libpq keyword/value
// conninfo with quoting and escapes, URIs with userinfo and ?password=) and the redaction
// they feed (config::redact, which every log line and error passes through).
// Invariants: never throws; every password found is non-empty and distinct, and once
// they are secrets, redacting the DSN leaves none of them in it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/dsn_secrets.hpp"
#include "fuzz_common.hpp"
#include "sluice/config.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto passwords = config::detail::embedded_passwords(text);
    for (std::size_t i = 0; i < passwords.size(); ++i) {
        FUZZ_CHECK(!passwords[i].empty(), "an empty password");
        for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(passwords[i] != passwords[j], "a password twice");
    }
    const std::string redacted = config::redact(text, passwords);
    // A password's text may survive inside other words ("a" in "password": redaction masks
    // the secret itself, not every occurrence of its letters), so the check is that no
    // password remains where a DSN carries one: read again, the redacted DSN holds masks only.
    for (const auto& p : config::detail::embedded_passwords(redacted)) {
        if (p.find('*') != std::string::npos) continue;  // the "***" mask itself, maybe quoted
        for (const auto& secret : passwords)
            FUZZ_CHECK(p != secret, "password '" + p + "' survives in '" + redacted + "'");
    }
    (void)config::redact(text, {});
    return 0;
}
