// Fuzz target: the YAML config loader (parse_config: the whole file, every problem at
// once), the same entry point `sluice check/run` and SIGHUP reloads use.
// Invariants: it returns a config or throws config_error and nothing else; every problem
// renders; a config that loads redacts its own text without throwing, and the redacted
// text holds none of its secrets where they stand as themselves (the last defence that
// keeps passwords out of logs). A secret's text glued to a word ("$-qdb0" in
// "$-qdb0dsn_file") is not the secret and stays, by design (sluice/secret_mask.hpp): so
// the check is that masking the redacted text again changes nothing.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_common.hpp"
#include "sluice/config.hpp"
#include "sluice/secret_mask.hpp"

namespace {

// ${NAME} resolves to a fixed value for FUZZ_* and is unset otherwise: deterministic,
// and independent of the fuzzing machine's environment.
std::optional<std::string> fuzz_env(const std::string& name) {
    if (name.rfind("FUZZ_", 0) == 0) return "env-" + name.substr(5);
    return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    sluice::config::config cfg;
    try {
        // A directory that does not exist: relative *_file paths resolve to nothing.
        cfg = sluice::config::parse_config(text, "/nonexistent/sluice-fuzz/sluice.yaml", &fuzz_env);
    } catch (const sluice::config::config_error& e) {
        FUZZ_CHECK(!e.problems().empty(), text);
        for (const auto& p : e.problems()) (void)p.to_string();
        return 0;
    }
    const std::string redacted = sluice::config::redact(text, cfg.secrets);
    for (const auto& secret : cfg.secrets) {
        // A secret made of '*' may legitimately reappear inside the "***" mask.
        if (secret.empty() || secret.find('*') != std::string::npos) continue;
        std::string again = redacted;
        sluice::mask_secret(again, secret);
        FUZZ_CHECK(again == redacted, "secret '" + secret + "' survives redaction in '" + redacted + "'");
    }
    return 0;
}
