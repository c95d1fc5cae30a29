#include "sources/questdb/response_parser.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sources/questdb/value_decoder.hpp"

namespace sluice::questdb {

namespace od = simdjson::ondemand;

namespace {

// Throws a transient error for a simdjson failure: a malformed body is most
// likely truncated or mangled on the way and may be fine on the next request.
void check(simdjson::error_code e, std::string_view context, std::string_view where) {
    if (e != simdjson::SUCCESS)
        throw error(error_kind::transient,
                    fmt::format("{}: malformed QuestDB response ({}): {}", context, where, simdjson::error_message(e)));
}

std::int64_t read_int(od::value v, std::string_view context, std::string_view key) {
    std::int64_t out = 0;
    check(v.get_int64().get(out), context, key);
    return out;
}

std::string read_string(od::value v, std::string_view context, std::string_view key) {
    std::string_view s;
    check(v.get_string().get(s), context, key);
    return std::string(s);
}

// "position" is a number for SQL errors but the string "0" for 9.x's empty query.
std::optional<std::int64_t> read_position(od::value v, std::string_view context) {
    od::json_type t = od::json_type::null;
    check(v.type().get(t), context, "position");
    if (t == od::json_type::number) return read_int(v, context, "position");
    if (t == od::json_type::string) {
        const std::string s = read_string(v, context, "position");
        std::int64_t out = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc{} && end == s.data() + s.size()) return out;
    }
    return std::nullopt;
}

std::vector<exec_column> read_columns(od::value v, std::string_view context) {
    std::vector<exec_column> out;
    od::array arr;
    check(v.get_array().get(arr), context, "columns");
    for (auto item : arr) {
        od::object obj;
        check(item.get_object().get(obj), context, "columns[]");
        exec_column col;
        for (auto field : obj) {
            std::string_view key;
            check(field.unescaped_key().get(key), context, "columns[] key");
            if (key == "name")
                col.name = read_string(field.value(), context, "columns[].name");
            else if (key == "type")
                col.type = read_string(field.value(), context, "columns[].type");
        }
        col.mapped = map_column_type(col.name, col.type);
        out.push_back(std::move(col));
    }
    return out;
}

}  // namespace

exec_result exec_response_parser::parse(const std::string& body, std::string_view context,
                                        const batch_selector& select, const std::vector<exec_column>* known_columns,
                                        const row_finisher& finish) {
    exec_result out;
    const simdjson::padded_string_view json(body.data(), body.size(), body.capacity());
    od::document doc;
    check(parser_.iterate(json).get(doc), context, "document");
    od::object root;
    check(doc.get_object().get(root), context, "top level is not an object");

    bool have_columns = false;
    for (auto field : root) {
        std::string_view key;
        check(field.unescaped_key().get(key), context, "key");
        od::value v;
        check(field.value().get(v), context, key);
        if (key == "columns") {
            out.columns = read_columns(v, context);
            have_columns = true;
        } else if (key == "timestamp") {
            out.timestamp_index = static_cast<int>(read_int(v, context, key));
        } else if (key == "dataset") {
            if (!have_columns) {
                if (!known_columns)
                    throw error(error_kind::fatal,
                                fmt::format("{}: QuestDB response has a dataset but no columns (nm=true?) and no "
                                            "column list was supplied",
                                            context));
                out.columns = *known_columns;
                have_columns = true;
            }
            batch* target = select ? select(out.columns) : nullptr;
            dataset_reader reader(out.columns, context, target, finish, body);
            out.rows = reader.read(v);
        } else if (key == "count") {
            out.count = read_int(v, context, key);
        } else if (key == "updated") {
            out.updated = read_int(v, context, key);
        } else if (key == "ddl" || key == "dml") {
            // An "error" may have been seen first; it wins.
            if (out.kind != exec_kind::error) out.kind = key == "ddl" ? exec_kind::ddl : exec_kind::dml;
            if (out.message.empty()) out.message = read_string(v, context, key);
        } else if (key == "error") {
            out.kind = exec_kind::error;
            out.message = read_string(v, context, key);
        } else if (key == "notice") {
            if (out.kind != exec_kind::error) out.kind = exec_kind::notice;
            out.message = read_string(v, context, key);
        } else if (key == "position" || key == "errorPos") {
            out.position = read_position(v, context);
        }
        // query, timings, explain and anything newer: skipped unread.
    }
    if (!have_columns && known_columns && out.kind == exec_kind::rows) out.columns = *known_columns;
    return out;
}

}  // namespace sluice::questdb
