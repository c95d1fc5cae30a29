#include "sources/questdb/value_decoder.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sources/time_keyset/raw_value.hpp"

namespace sluice::questdb {

namespace od = simdjson::ondemand;
using time_keyset::is_non_finite_text;
using time_keyset::trim_raw;
using time_keyset::within;

namespace {

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

void dataset_reader::bad_value(const exec_column& col, std::size_t row, std::string_view what,
                               std::string_view raw) const {
    if (target_) target_->abandon_row();
    std::string shown(trim_raw(raw).substr(0, 80));
    throw data_error(fmt::format("{}: column '{}' ({}) at row {} of the response: {}: {}", context_, col.name,
                                 col.type, row, what, shown));
}

std::size_t dataset_reader::read(od::value dataset) {
    od::array rows;
    if (dataset.get_array().get(rows))
        throw error(error_kind::transient, fmt::format("{}: malformed QuestDB response: dataset is not an array", context_));
    std::size_t row_index = 0;
    for (auto row_result : rows) {
        od::array row;
        if (row_result.get_array().get(row))
            throw error(error_kind::transient,
                        fmt::format("{}: malformed QuestDB response: dataset row {} is not an array", context_,
                                    row_index));
        std::size_t col = 0;
        for (auto cell_result : row) {
            od::value cell;
            if (cell_result.get(cell)) {
                if (target_) target_->abandon_row();
                throw error(error_kind::transient,
                            fmt::format("{}: malformed QuestDB response in dataset row {}", context_, row_index));
            }
            if (col >= columns_.size()) {
                if (target_) target_->abandon_row();
                throw data_error(fmt::format("{}: row {} of the response has more than the {} columns listed",
                                             context_, row_index, columns_.size()));
            }
            if (target_) put_value(cell, columns_[col], row_index);
            ++col;
        }
        if (col != columns_.size()) {
            if (target_) target_->abandon_row();
            throw data_error(fmt::format("{}: row {} of the response has {} values but {} columns are listed",
                                         context_, row_index, col, columns_.size()));
        }
        if (target_) {
            if (finish_)
                finish_(*target_);
            else
                target_->end_row();
        }
        ++row_index;
    }
    return row_index;
}

void dataset_reader::put_value(od::value v, const exec_column& col, std::size_t row) {
    batch& b = *target_;
    const std::string_view raw = within(v.raw_json_token(), json_);
    od::json_type type = od::json_type::null;
    if (v.type().get(type)) {
        // Not a JSON value at all: only tolerated for the bare NaN/Infinity of old servers.
        if (col.mapped.wire == wire_kind::floating && is_non_finite_text(trim_raw(raw))) return b.put_null();
        bad_value(col, row, "invalid JSON value", raw);
    }
    if (type == od::json_type::null) {
        if (!time_keyset::consume_null(v)) bad_value(col, row, "invalid JSON value", raw);
        return b.put_null();
    }

    switch (col.mapped.wire) {
    case wire_kind::integer: {
        if (type == od::json_type::number) {
            std::int64_t x = 0;
            // Parsed as an integer, never through double: Long.MAX (2^63-1) must stay exact.
            if (v.get_int64().get(x)) bad_value(col, row, "not a 64-bit integer", raw);
            return b.put_int64(x);
        }
        if (type == od::json_type::string) {  // quoteLargeNum=true
            std::string_view s;
            if (!v.get_string().get(s))
                if (auto x = parse_int(s)) return b.put_int64(*x);
        }
        bad_value(col, row, "not an integer", raw);
    }
    case wire_kind::floating: {
        if (type == od::json_type::number) {
            double x = 0;
            if (v.get_double().get(x)) bad_value(col, row, "not a number", raw);
            return b.put_float64(x);
        }
        if (type == od::json_type::string && is_non_finite_text(trim_raw(raw))) return b.put_null();
        bad_value(col, row, "not a number", raw);
    }
    case wire_kind::boolean: {
        bool x = false;
        if (type != od::json_type::boolean || v.get_bool().get(x)) bad_value(col, row, "not a boolean", raw);
        return b.put_bool(x);
    }
    case wire_kind::timestamp: {
        std::string_view s;
        if (type != od::json_type::string || v.get_string().get(s)) bad_value(col, row, "not a timestamp", raw);
        const auto micros = parse_timestamp_micros(s);
        if (!micros) bad_value(col, row, "not an ISO-8601 timestamp", raw);
        return b.put_timestamp(*micros);
    }
    case wire_kind::text:
    case wire_kind::decimal: {
        const value_type model = col.mapped.model;
        if (type == od::json_type::string) {
            std::string_view s;
            if (v.get_string().get(s)) bad_value(col, row, "invalid string", raw);
            return b.put_text(model, s);
        }
        // A number where text is declared (e.g. a DECIMAL written bare): keep its exact text.
        if (type == od::json_type::number || (type == od::json_type::boolean && model == value_type::string))
            return b.put_text(model, trim_raw(raw));
        bad_value(col, row, "not a string", raw);
    }
    case wire_kind::json: {
        if (type == od::json_type::array || type == od::json_type::object) {
            const auto text = time_keyset::composite_json(v, type);
            if (!text) bad_value(col, row, type == od::json_type::array ? "invalid array" : "invalid object", raw);
            return b.put_text(value_type::json, trim_raw(*text));
        }
        return b.put_text(value_type::json, trim_raw(raw));
    }
    case wire_kind::binary: {
        // QuestDB sends [] for every BINARY value (content is not exported): NULL.
        od::array a;
        if (type != od::json_type::array || v.get_array().get(a)) bad_value(col, row, "not a byte array", raw);
        scratch_.clear();
        for (auto item : a) {
            std::int64_t x = 0;
            if (item.get_int64().get(x) || x < -128 || x > 255) bad_value(col, row, "not a byte array", raw);
            scratch_.push_back(static_cast<char>(x));
        }
        if (scratch_.empty()) return b.put_null();
        return b.put_text(value_type::bytes, scratch_);
    }
    }
    bad_value(col, row, "unhandled type", raw);
}

}  // namespace sluice::questdb
