#pragma once
// A destination that records every write (one entry per transaction) instead
// of storing it: what the writer and lane tests look at.
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "sluice/batch.hpp"

#include "sluice/destination.hpp"

namespace sluice::testing {

namespace asio = boost::asio;

struct written {
    std::string table;
    std::vector<std::int64_t> ids;
    std::string cursor;
    bool sweep = false;
};

// Records every write: one entry per transaction.
class recording_destination final : public destination {
public:
    std::vector<written> writes;

    asio::awaitable<void> connect() override { co_return; }
    asio::awaitable<void> prepare_table(const table_schema&) override { co_return; }
    asio::awaitable<std::optional<std::string>> read_cursor(const std::string&, const std::string&) override {
        co_return std::nullopt;
    }
    asio::awaitable<void> write(const batch& b) override {
        written w{b.schema().table, {}, b.cursor, b.soft_delete_unseen_before.has_value()};
        for (std::size_t r = 0; r < b.rows(); ++r) w.ids.push_back(b.at(r, 0).i);
        writes.push_back(std::move(w));
        co_return;
    }
    asio::awaitable<std::vector<state_row>> list_state() override { co_return std::vector<state_row>{}; }
    asio::awaitable<bool> reset_state(const std::string&, const std::string&) override { co_return false; }
    asio::awaitable<std::vector<bucket_stats>> summarize(const table_schema&, const bucket_query&) override {
        co_return std::vector<bucket_stats>{};
    }
    asio::awaitable<void> ping() override { co_return; }
    void close() override {}
    std::string describe() const override { return "recording"; }
};

}  // namespace sluice::testing
