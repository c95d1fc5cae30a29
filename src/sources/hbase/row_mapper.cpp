#include "sources/hbase/row_mapper.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sluice/base64.hpp"
#include "sluice/error.hpp"
#include "sluice/json.hpp"
#include "sources/hbase/cell_decoder.hpp"

namespace sluice::hbase {

void collect_cells(const wire::TRowResult& r, std::vector<cell_view>& out) {
    // The gateway fills exactly one of the two, depending on sortColumns.
    if (r.__isset.sortedColumns) {
        for (const auto& c : r.sortedColumns) out.push_back({c.columnName, c.cell.value, c.cell.timestamp});
    } else {
        for (const auto& [name, cell] : r.columns) out.push_back({name, cell.value, cell.timestamp});
    }
}

std::string printable_key(std::string_view key) {
    bool printable = is_valid_utf8(key);
    for (unsigned char c : key)
        if (c < 0x20 || c == 0x7f) printable = false;
    if (printable) return fmt::format("'{}'", key);
    std::string hex = "0x";
    for (unsigned char c : key) hex += fmt::format("{:02x}", c);
    return hex;
}

row_mapper::row_mapper(table_schema_ptr schema, const table_layout& layout)
    : schema_(std::move(schema)), layout_(layout), slots_(layout.cells.size()) {
    // layout.cells is sorted by cell name for lookup; columns go out in schema order.
    for (std::size_t i = 0; i < layout.cells.size(); ++i) in_column_order_.push_back(i);
    std::sort(in_column_order_.begin(), in_column_order_.end(),
              [&](std::size_t a, std::size_t b) { return layout.cells[a].column < layout.cells[b].column; });
}

void row_mapper::fail(std::string_view row_key, std::string_view cell, std::string_view why) const {
    throw data_error(fmt::format("{}: row {} cell {}: {}", schema_->qualified_name(), printable_key(row_key), cell, why));
}

namespace {

void append_cell_json(std::string& out, const cell_view& c, bool with_ts) {
    json::append_string(out, c.column);
    out += ':';
    if (with_ts) out += "{\"value\":";
    if (is_text(c.value)) {
        json::append_string(out, c.value);
    } else {
        out += "{\"b64\":\"";
        out += base64_encode(c.value);
        out += "\"}";
    }
    if (with_ts) out += fmt::format(",\"ts\":{}}}", c.timestamp);
}

}  // namespace

void row_mapper::append(std::string_view row_key, const std::vector<cell_view>& cells, batch& out) {
    if (layout_.row_key_bytes) {
        out.put_text(value_type::bytes, row_key);
    } else {
        if (!is_text(row_key))
            throw data_error(fmt::format("{}: row key {} is not UTF-8 text; set `row_key_type: bytes` for binary keys",
                                         schema_->qualified_name(), printable_key(row_key)));
        out.put_text(value_type::string, row_key);
    }

    std::fill(slots_.begin(), slots_.end(), nullptr);
    others_.clear();
    const bool with_ts = layout_.scan.include_timestamp;
    for (const auto& c : cells) {
        if (const auto* m = layout_.find(c.column)) {
            slots_[static_cast<std::size_t>(m - layout_.cells.data())] = &c;
        } else if (layout_.other_cells) {
            others_ += others_.empty() ? '{' : ',';
            append_cell_json(others_, c, with_ts);
        }
    }

    for (const std::size_t i : in_column_order_) {
        const mapped_cell& m = layout_.cells[i];
        const cell_view* c = slots_[i];
        if (!c) {
            out.put_null();
        } else if (!decode_cell(m.type, c->value, out)) {
            const auto why = fmt::format("{} bytes {} do not decode as {} (expected {})", c->value.size(),
                                         printable_key(c->value.substr(0, 64)), to_string(m.type),
                                         expected_encoding(m.type));
            if (!layout_.mapping.null_on_decode_error) fail(row_key, m.cell, why);
            if (decode_warnings_++ < 5)
                spdlog::warn("{}: stored NULL: row {} cell {}: {}", schema_->qualified_name(), printable_key(row_key),
                             m.cell, why);
            out.put_null();
        }
        if (m.ts_column) {
            // A cell timestamp beyond what µs hold is as undecodable as a bad cell value.
            const auto micros = c ? millis_to_micros(c->timestamp) : std::nullopt;
            if (micros) {
                out.put_timestamp(*micros);
            } else if (!c) {
                out.put_null();
            } else {
                const auto why = fmt::format("cell timestamp {} ms is out of range", c->timestamp);
                if (!layout_.mapping.null_on_decode_error) fail(row_key, m.cell, why);
                if (decode_warnings_++ < 5)
                    spdlog::warn("{}: stored NULL: row {} cell {}: {}", schema_->qualified_name(),
                                 printable_key(row_key), m.cell, why);
                out.put_null();
            }
        }
    }
    if (layout_.other_cells) {
        if (others_.empty())
            out.put_null();
        else {
            others_ += '}';
            out.put_text(value_type::json, others_);
        }
    }
    out.end_row();
}

}  // namespace sluice::hbase
