#pragma once
// sluice's error type: a message that already carries its context (source,
// table, what was being done), plus whether retrying can help.

#include <stdexcept>
#include <string>

namespace sluice {

enum class error_kind {
    transient,  // network, timeouts, 5xx, serialization failures: retry with backoff
    fatal,      // bad config, auth, bad data, missing table: retrying cannot help
};

class error : public std::runtime_error {
public:
    error(error_kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    error_kind kind() const noexcept { return kind_; }

private:
    error_kind kind_;
};

// A value that does not fit its declared type: names table, column and row key.
class data_error : public error {
public:
    using error::error;
    explicit data_error(const std::string& what) : error(error_kind::fatal, what) {}
};

}  // namespace sluice
