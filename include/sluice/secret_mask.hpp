#pragma once
// Masking one secret in a message (log line, /status error, problem report) by "***".

#include <string>
#include <string_view>

namespace sluice {

// Masks each occurrence of `secret` that stands as the secret itself: one that is not
// glued to identifier characters [A-Za-z0-9_] on either side (back-to-back repeats count
// as one run). So with the password "quest", "questdb" is left intact while " quest ",
// "'quest'", "u:quest@h" and "=quest" are masked; a long random password is masked
// wherever punctuation or whitespace delimits it. A byte of the secret may also appear
// percent-encoded ("p%40ss" for "p@ss"), as it does in URIs. An empty secret masks nothing.
void mask_secret(std::string& text, std::string_view secret);

}  // namespace sluice
