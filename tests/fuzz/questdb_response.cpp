// Fuzz target: the QuestDB /exec response parser (src/sources/questdb/response_parser.*),
// which reads every page of a QuestDB source straight into a batch.
// First byte: bit 0 supplies a known column list (as for nm=true answers), bit 1 counts
// rows only (no batch). Invariants: only sluice::error (and data_error) escape; the batch
// holds exactly the rows the result reports, each cell of its column's type, no half row.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "sluice/error.hpp"
#include "sources/questdb/response_parser.hpp"

using namespace sluice;
using namespace sluice::questdb;

namespace {

// Every wire kind once (the column list of a known-columns page).
std::vector<exec_column> known_columns() {
    std::vector<exec_column> out;
    for (const char* t : {"TIMESTAMP", "SYMBOL", "DOUBLE", "LONG", "BOOLEAN", "DECIMAL(18,3)", "DOUBLE[]",
                          "BINARY", "DATE", "UUID"}) {
        exec_column c;
        c.name = std::string("c_") + t;
        c.type = t;
        c.mapped = *map_questdb_type(t);
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const std::uint8_t mode = in.byte();
    const std::string_view payload = in.rest();
    std::string body;
    body.reserve(payload.size() + 64);
    body.assign(payload);

    static const std::vector<exec_column> known = known_columns();
    std::unique_ptr<batch> target;
    const exec_response_parser::batch_selector select = [&](const std::vector<exec_column>& cols) -> batch* {
        if (mode & 2) return nullptr;
        std::vector<column> schema_cols;
        for (const auto& c : cols) schema_cols.push_back({c.name, c.mapped.model, c.type, true});
        if (schema_cols.empty()) return nullptr;  // a batch needs a column
        target = std::make_unique<batch>(fuzz::schema_of(schema_cols));
        return target.get();
    };
    exec_response_parser parser;
    exec_result r;
    try {
        r = parser.parse(body, "fuzz", select, (mode & 1) ? &known : nullptr);
    } catch (const sluice::error&) {
        return 0;
    }
    if (target) {
        FUZZ_CHECK(target->rows() == r.rows, std::to_string(target->rows()) + " rows in the batch, " +
                                                 std::to_string(r.rows) + " reported");
        fuzz::check_batch(*target);
    }
    return 0;
}
