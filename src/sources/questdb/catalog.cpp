#include "sources/questdb/catalog.hpp"

#include <simdjson.h>

#include "sluice/error.hpp"

namespace sluice::questdb {

std::optional<std::size_t> simple_result::column(std::string_view name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return i;
    return std::nullopt;
}

namespace {

std::optional<std::string> to_text(simdjson::dom::element e) {
    using simdjson::dom::element_type;
    switch (e.type()) {
        case element_type::NULL_VALUE:
            return std::nullopt;
        case element_type::STRING:
            return std::string(std::string_view(e.get_string()));
        case element_type::BOOL:
            return std::string(bool(e.get_bool()) ? "true" : "false");
        default:
            return simdjson::minify(e);
    }
}

}  // namespace

simple_result parse_simple(const std::string& body, std::string_view context, error_kind on_error) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto err = parser.parse(body.data(), body.size()).get(doc))
        throw error(error_kind::transient,
                    std::string(context) + ": malformed JSON from QuestDB: " + simdjson::error_message(err));
    simdjson::dom::object obj;
    if (doc.get_object().get(obj))
        throw error(error_kind::transient, std::string(context) + ": QuestDB answer is not a JSON object");
    std::string_view msg;
    if (!obj["error"].get_string().get(msg)) {
        std::string where;
        simdjson::dom::element pos;
        if (!obj["position"].get(pos) || !obj["errorPos"].get(pos)) {
            const auto p = to_text(pos);
            if (p) where = " (at position " + *p + ")";
        }
        throw error(on_error, std::string(context) + ": QuestDB error: " + std::string(msg) + where);
    }
    simple_result r;
    simdjson::dom::array cols;
    if (!obj["columns"].get_array().get(cols)) {
        for (auto c : cols) {
            std::string_view name;
            if (c["name"].get_string().get(name))
                throw error(error_kind::transient, std::string(context) + ": column without a name in QuestDB answer");
            r.columns.emplace_back(name);
        }
    }
    simdjson::dom::array data;
    if (!obj["dataset"].get_array().get(data)) {
        for (auto row : data) {
            simdjson::dom::array cells;
            if (row.get_array().get(cells))
                throw error(error_kind::transient, std::string(context) + ": dataset row is not an array");
            std::vector<std::optional<std::string>> out;
            for (auto cell : cells) out.push_back(to_text(cell));
            r.rows.push_back(std::move(out));
        }
    }
    return r;
}

std::vector<raw_table> parse_tables(const std::string& body, std::string_view context) {
    const auto r = parse_simple(body, context);
    auto name = r.column("table_name");
    if (!name) name = r.column("name");
    if (!name)
        throw error(error_kind::fatal, std::string(context) + ": tables() has no table_name/name column");
    const auto designated = r.column("designatedTimestamp");
    std::vector<raw_table> out;
    for (const auto& row : r.rows) {
        raw_table t;
        if (*name < row.size() && row[*name]) t.name = *row[*name];
        if (designated && *designated < row.size() && row[*designated]) t.designated = *row[*designated];
        if (!t.name.empty()) out.push_back(std::move(t));
    }
    return out;
}

std::vector<raw_column> parse_table_columns(const std::string& body, std::string_view context) {
    const auto r = parse_simple(body, context);
    const auto name = r.column("column");
    const auto type = r.column("type");
    if (!name || !type)
        throw error(error_kind::fatal, std::string(context) + ": table_columns() has no column/type columns");
    const auto designated = r.column("designated");
    const auto upsert = r.column("upsertKey");
    auto flag = [](const std::vector<std::optional<std::string>>& row, std::optional<std::size_t> i) {
        return i && *i < row.size() && row[*i] && *row[*i] == "true";
    };
    std::vector<raw_column> out;
    for (const auto& row : r.rows) {
        if (*name >= row.size() || *type >= row.size() || !row[*name] || !row[*type]) continue;
        out.push_back({*row[*name], *row[*type], flag(row, designated), flag(row, upsert)});
    }
    return out;
}

}  // namespace sluice::questdb
