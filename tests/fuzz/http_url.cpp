// Fuzz target: the base URL of an HTTP source (src/http/url.*: scheme, userinfo, host,
// IPv6 literals, port, path prefix) and percent coding (src/core/percent_encoding.cpp,
// url_encode). Invariants: never throws; an accepted URL has a host and a port in
// 1..65535; a password it would send is one the config redacts (embedded_passwords);
// url_encode output decodes back to the input.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/dsn_secrets.hpp"
#include "fuzz_common.hpp"
#include "http/url.hpp"
#include "sluice/http/client.hpp"
#include "sluice/percent_encoding.hpp"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    FUZZ_CHECK(percent_decode(url_encode(text)) == text, "url_encode does not decode back");
    (void)percent_decode(text);

    std::string why;
    const auto url = http_detail::parse_base_url(text, why);
    if (!url) {
        FUZZ_CHECK(!why.empty(), "rejected without a reason");
        return 0;
    }
    FUZZ_CHECK(!url->host.empty(), "accepted without a host");
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(url->port.data(), url->port.data() + url->port.size(), port);
    FUZZ_CHECK(ec == std::errc{} && end == url->port.data() + url->port.size() && port >= 1 && port <= 65535,
               "port '" + url->port + "'");
    (void)url->host_header();
    (void)url->origin();
    if (!url->password.empty()) {
        const auto secrets = config::detail::embedded_passwords(text);
        bool known = false;
        for (const auto& s : secrets) known = known || s == url->password;
        FUZZ_CHECK(known, "password '" + url->password + "' would be sent but is not a redacted secret");
    }
    return 0;
}
