#pragma once
// Pure helpers behind pg::connection's errors: which failures are worth a retry,
// and how libpq's multi-line messages become one secret-free line.

#include <string>
#include <string_view>

#include "sluice/error.hpp"

namespace sluice::pg {

// Classifies a server error by SQLSTATE. Connection exceptions (08), insufficient
// resources (53), shutdown/crash (57P01..57P03), serialization failures (40001)
// and deadlocks (40P01) are transient; everything else (syntax, permissions,
// authentication 28xxx, bad data) cannot get better by retrying.
error_kind classify_sqlstate(std::string_view sqlstate) noexcept;

// Classifies a connection attempt that failed without a SQLSTATE (libpq only
// reports text then). Refused, unreachable, timeouts and DNS are transient;
// rejected credentials, unknown roles/databases and pg_hba rejections are fatal.
error_kind classify_connect_failure(std::string_view libpq_message) noexcept;

// Joins libpq's lines ("...failed: Connection refused\n\tIs the server...") into
// one line and trims it.
std::string one_line(std::string_view message);

// Masks `secret` (when non-empty) by "***" where it stands as itself (sluice::mask_secret).
std::string redact_secret(std::string_view text, std::string_view secret);

}  // namespace sluice::pg
