#include "sources/hbase/table_layout.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "sluice/error.hpp"

namespace sluice::hbase {

const mapped_cell* table_layout::find(std::string_view cell) const {
    auto it = std::lower_bound(cells.begin(), cells.end(), cell,
                               [](const mapped_cell& m, std::string_view c) { return m.cell < c; });
    return it != cells.end() && it->cell == cell ? &*it : nullptr;
}

std::string_view mode_name(scan_mode m) {
    switch (m) {
    case scan_mode::cursor_column: return "cursor_column";
    case scan_mode::cell_timestamp: return "cell_timestamp";
    case scan_mode::full: return "full";
    }
    return "full";
}

namespace {

scan_mode choose_mode(const config::table_config& t) {
    // Unset: a cursor cell means incremental by it; otherwise full passes, which
    // also notice deleted rows. "incremental" without a cursor means cell timestamps.
    if (t.mode == "cursor_column") return scan_mode::cursor_column;
    if (t.mode == "cell_timestamp") return scan_mode::cell_timestamp;
    if (t.mode == "full") return scan_mode::full;
    if (t.cursor) return scan_mode::cursor_column;
    return t.mode == "incremental" ? scan_mode::cell_timestamp : scan_mode::full;
}

}  // namespace

table_plan plan_table(const config::source_config& src, const config::table_config& t) {
    const std::string where = fmt::format("source {} table {}", src.name, t.name);
    table_layout l;
    l.hbase_table = src.table_prefix.empty() ? t.name : src.table_prefix + src.table_prefix_separator + t.name;
    l.mode = choose_mode(t);
    l.scan = t.scan;
    l.mapping = t.cells;
    l.settings = t.settings;
    l.row_key_bytes = t.cells.row_key_type == "bytes";

    auto s = std::make_shared<table_schema>();
    s->source = src.name;
    s->table = t.name;
    s->source_table = l.hbase_table;
    s->dest_table = t.destination.value_or(t.name);
    s->mode = l.mode == scan_mode::full ? sync_mode::full : sync_mode::incremental;

    std::set<std::string> names;
    const auto add_column = [&](std::string name, value_type type, std::string source_type) {
        if (!names.insert(name).second)
            throw error(error_kind::fatal, fmt::format("{}: two columns are named \"{}\"", where, name));
        s->columns.push_back(column{std::move(name), type, std::move(source_type), true});
        return s->columns.size() - 1;
    };
    add_column(row_key_column, l.row_key_bytes ? value_type::bytes : value_type::string, "row key");
    s->columns[0].nullable = false;
    s->key = {0};
    for (const auto& c : t.columns) {
        mapped_cell m{c.cell, c.type, add_column(c.name, c.type, "cell " + c.cell), std::nullopt};
        if (t.scan.include_timestamp) m.ts_column = add_column(c.name + "_ts", value_type::timestamp, "timestamp of " + c.cell);
        l.cells.push_back(std::move(m));
    }
    std::sort(l.cells.begin(), l.cells.end(), [](const auto& a, const auto& b) { return a.cell < b.cell; });
    for (std::size_t i = 1; i < l.cells.size(); ++i)
        if (l.cells[i].cell == l.cells[i - 1].cell)
            throw error(error_kind::fatal, fmt::format("{}: cell {} is mapped twice", where, l.cells[i].cell));
    if (t.cells.other_cells) l.other_cells = add_column(other_cells_column, value_type::json, "unmapped cells");

    if (l.mode == scan_mode::cursor_column) {
        if (!t.cursor)
            throw error(error_kind::fatal, fmt::format("{}: mode cursor_column needs `cursor: family:qualifier`", where));
        const auto colon = t.cursor->find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == t.cursor->size())
            throw error(error_kind::fatal,
                        fmt::format("{}: cursor \"{}\" is not a family:qualifier cell", where, *t.cursor));
        l.cursor_cell = *t.cursor;
        if (const auto* m = l.find(*t.cursor)) {
            l.cursor_type = m->type;
            s->cursor_column = m->column;
        }
    }
    return table_plan{std::move(s), std::move(l)};
}

}  // namespace sluice::hbase
