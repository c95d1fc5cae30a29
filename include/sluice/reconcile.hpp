#pragma once
// Delete and drift detection ("reconcile"): rows deleted at the source (Druid
// drops segments, PostgreSQL deletes rows, QuestDB drops partitions) never show
// up in an incremental read, and a row changed without moving its cursor is
// never re-read. Reconcile compares source and destination per bucket of the
// table's timestamp cursor, drills down where they differ, and re-reads only
// the mismatched buckets: their rows are upserted again (a deleted row that
// reappeared is restored) and destination rows of the bucket that the re-read
// did not deliver are marked `_sluice_deleted`.
//
// Both sides compute, per bucket, the same two numbers in SQL:
//   rows         count(*)
//   fingerprint  Σ over rows of  mod(epoch_ms(t), P) + Σ_c mod(c, P)
//                for every int64 column c (NULL counts 0), P = fingerprint_modulus
// where epoch_ms is the cursor instant in whole milliseconds (floor) and
// bucket = floor(epoch_ms / width_ms). Modular sums are exact integers in every
// engine (no floating point, no overflow below ~9e12 rows), order-independent,
// and need no hash function the source may lack (Druid SQL has none). They
// catch deletions, insertions and changes of times or integers; a change of a
// text or floating-point value alone is not seen (documented limitation).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct table_schema;

inline constexpr std::int64_t fingerprint_modulus = 1000003;

// One summary query: buckets of `width_ms` over lo <= t < hi (epoch ms).
struct bucket_query {
    std::size_t time_column = 0;           // index of the timestamp cursor column
    std::vector<std::size_t> int_columns;  // int64 columns folded into the fingerprint
    std::optional<std::int64_t> lo_ms;     // inclusive; nullopt = from the first row
    std::int64_t hi_ms = 0;                // exclusive
    std::int64_t width_ms = 86'400'000;
};

struct bucket_stats {
    std::int64_t bucket = 0;  // floor(epoch_ms / width_ms)
    std::int64_t rows = 0;
    std::int64_t fingerprint = 0;
    bool operator==(const bucket_stats&) const = default;
};

// The int64 columns of a schema that enter the fingerprint (not a synthetic key).
std::vector<std::size_t> fingerprint_columns(const table_schema& schema);

// SQL fragments shared by the engines whose `%` and `/` truncate toward zero
// (PostgreSQL, SQLite, Druid): floor division and a non-negative-safe modulus.
//   floor_div_sql("x", 3600000) -> "((x) - ((((x) % 3600000) + 3600000) % 3600000)) / 3600000"
std::string floor_div_sql(const std::string& x, std::int64_t width);

}  // namespace sluice
