#pragma once
// SQL text for the QuestDB source. Only the subset the source needs (and the
// test emulator understands): SELECT * | count() | max(col) FROM t
// [WHERE col >= 'iso' [AND col < 'iso'] | col = 'iso' | col IS NULL]
// [ORDER BY col, ...] [LIMIT n | LIMIT lo,hi].
// Identifiers are always double-quoted (embedded quotes doubled); timestamps are
// ISO literals with six fraction digits and 'Z'. LIMIT lo,hi is QuestDB's row
// range [lo, hi).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/sql_quote.hpp"
#include <vector>

#include "sources/time_keyset/dialect.hpp"
#include "sources/time_keyset/time_range.hpp"

namespace sluice::questdb {

std::string timestamp_literal(std::int64_t micros);

using time_keyset::time_range;

// SELECT <select_list> FROM "t" [WHERE ...] ORDER BY "c" LIMIT n
std::string page_query(std::string_view table, std::string_view select_list, std::string_view cursor,
                       const time_range& range, std::int64_t limit);
// One tie group in a total order of its rows:
// SELECT <select_list> FROM "t" WHERE "c" = 'iso' | "c" IS NULL ORDER BY "a", "b", ... LIMIT lo,hi
std::string group_page_query(std::string_view table, std::string_view select_list, std::string_view cursor,
                             const time_keyset::tie_group& g, const std::vector<std::string>& order_by,
                             std::int64_t lo, std::int64_t hi);
// SELECT count() FROM "t" [WHERE ...]
std::string count_query(std::string_view table, std::string_view cursor, const time_range& range);
// SELECT max("c") FROM "t" [WHERE ...]
std::string max_query(std::string_view table, std::string_view cursor, const time_range& range);
// Full mode: SELECT <select_list> FROM "t" LIMIT lo,hi
std::string full_page_query(std::string_view table, std::string_view select_list, std::int64_t lo,
                            std::int64_t hi);
std::string table_columns_query(std::string_view table);

// "/exec?query=<url-encoded sql>"
std::string exec_target(std::string_view sql);

}  // namespace sluice::questdb
