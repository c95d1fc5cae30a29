#pragma once
// Parses the JSON body of a QuestDB /exec response with simdjson On-Demand,
// streaming the "dataset" rows straight into a sluice::batch (no DOM of the page).
//
// Body kinds (all may arrive with HTTP 200, see questdb-rest.md §2–4):
//   rows:   {"query","columns":[{name,type}],"timestamp":i,"dataset":[[..]],"count":n,...}
//           (nm=true: only "dataset" and "count"; the caller supplies the columns)
//   ddl:    {"ddl":"OK"}   (7.4.2 also answers INSERT this way)
//   dml:    {"dml":"OK"[,"updated":n]}
//   error:  {"query","error":msg,"position":p}   p is a number, or a string in 9.x ("0")
//           and mid-stream after rows: ...,"count":n,"error":msg,"errorPos":p}
//   notice: {"notice":msg,...}   (version>=2 empty query)
// An error body is reported as kind error even when rows were appended before it:
// the caller must discard the batch.
//
// Failures: malformed JSON → sluice::error(transient); an unknown column type →
// error(fatal); a value that does not fit its column → data_error naming the
// column and the row index. The batch's pending row is abandoned first.
//
// Not thread-safe: one parser per coroutine (it owns simdjson's buffers, reused across pages).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "sluice/batch.hpp"
#include "sources/questdb/type_map.hpp"

namespace sluice::questdb {

struct exec_column {
    std::string name;
    std::string type;  // as QuestDB reports it ("TIMESTAMP", "IPv4", "GEOHASH(4c)")
    questdb_type mapped;
};

enum class exec_kind { rows, ddl, dml, error, notice };

struct exec_result {
    exec_kind kind = exec_kind::rows;
    std::vector<exec_column> columns;  // from the body, else the caller's known columns
    int timestamp_index = -1;           // designated timestamp column, -1 if none
    std::size_t rows = 0;               // rows in "dataset" (appended when a batch was given)
    std::optional<std::int64_t> count;  // "count": rows up to the last one sent, or the total with count=true
    std::optional<std::int64_t> updated;  // UPDATE row count
    std::string message;                  // error / notice text, or the ddl/dml word ("OK")
    std::optional<std::int64_t> position;  // error position ("position" or "errorPos")

    bool is_error() const noexcept { return kind == exec_kind::error; }
};

class exec_response_parser {
public:
    // Chooses where the rows go once the columns are known; nullptr → rows are
    // only counted. Its columns must match the response's, in order.
    using batch_selector = std::function<batch*(const std::vector<exec_column>&)>;
    // Completes a row after its cells were put (e.g. appends a synthetic key);
    // empty → batch::end_row().
    using row_finisher = std::function<void(batch&)>;

    // `body` must have simdjson::SIMDJSON_PADDING bytes of capacity beyond its
    // size (http_response::body does). `context` prefixes messages
    // ("questdb source 'qdb' table 'sensor'"). `known_columns` is used when the
    // body has no "columns" (nm=true).
    exec_result parse(const std::string& body, std::string_view context, const batch_selector& select = {},
                      const std::vector<exec_column>* known_columns = nullptr, const row_finisher& finish = {});

private:
    simdjson::ondemand::parser parser_;
};

}  // namespace sluice::questdb
