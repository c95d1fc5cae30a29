#pragma once
// Reads the "dataset" array of a QuestDB /exec response row by row and puts each
// JSON value into a batch according to its column's type (type_map.hpp). Split
// from response_parser so the per-type rules live in one place.

#include <cstddef>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "sources/questdb/response_parser.hpp"

namespace sluice::questdb {

class dataset_reader {
public:
    // `target` null: rows are counted, values skipped. `json`: the buffer being parsed
    // (bounds what an error message may quote).
    dataset_reader(const std::vector<exec_column>& columns, std::string_view context, batch* target,
                   const exec_response_parser::row_finisher& finish, std::string_view json)
        : columns_(columns), context_(context), target_(target), finish_(finish), json_(json) {}

    // Returns the number of rows read. Throws data_error for a value that does
    // not fit its column or a row of the wrong width.
    std::size_t read(simdjson::ondemand::value dataset);

private:
    void put_value(simdjson::ondemand::value v, const exec_column& col, std::size_t row);
    [[noreturn]] void bad_value(const exec_column& col, std::size_t row, std::string_view what,
                                std::string_view raw) const;

    const std::vector<exec_column>& columns_;
    std::string_view context_;
    batch* target_;
    const exec_response_parser::row_finisher& finish_;
    std::string_view json_;
    std::string scratch_;  // bytes of a BINARY value
};

}  // namespace sluice::questdb
