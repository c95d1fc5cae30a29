#include "sources/druid/result_parser.hpp"

#include <fmt/format.h>

#include "sluice/error.hpp"
#include "sources/druid/value_decoder.hpp"
#include "sources/time_keyset/raw_value.hpp"

namespace sluice::druid {

namespace od = simdjson::ondemand;

namespace {

void check(simdjson::error_code e, std::string_view context, std::string_view where) {
    if (e != simdjson::SUCCESS)
        throw error(error_kind::transient, fmt::format("{}: malformed Druid response ({}): {}", context, where,
                                                       simdjson::error_message(e)));
}

// The end-of-stream marker Druid writes after the last row: without it the
// query failed after the 200 was sent, whatever the rows before look like.
void check_terminator(const std::string& body, result_format format, std::string_view context) {
    bool ok = false;
    if (format == result_format::array) {
        const auto last = body.find_last_not_of(" \t\r\n");
        ok = last != std::string::npos && body[last] == ']';
    } else {
        ok = body.ends_with("\n\n");
    }
    if (!ok)
        throw error(error_kind::transient,
                    fmt::format("{}: Druid response ended without its terminator after {} bytes (the query failed "
                                "mid-stream)",
                                context, body.size()));
}

bool header_included(const http_response& resp) {
    const auto h = resp.header("X-Druid-SQL-Header-Included");
    return h.size() == 3 && (h[0] == 'y' || h[0] == 'Y');
}

std::vector<std::string> read_strings(od::array row, std::string_view context, std::string_view what) {
    std::vector<std::string> out;
    for (auto item : row) {
        std::string_view s;
        check(item.get_string().get(s), context, what);
        out.emplace_back(s);
    }
    return out;
}

// Without the response header: a second row of only SQL type names is the
// types row (a data row of a real table never looks like that: __time is an
// ISO timestamp).
bool looks_like_types(const std::vector<std::string>& row, std::size_t width) {
    if (row.size() != width || row.empty()) return false;
    for (const auto& t : row)
        if (map_druid_type(t).verdict == type_verdict::unknown) return false;
    return true;
}

// Whether `row` (consumed) holds nothing but SQL type names, `width` of them.
bool is_types_row(od::array row, std::size_t width) {
    std::vector<std::string> strings;
    for (auto item : row) {
        std::string_view s;
        if (item.get_string().get(s)) return false;
        strings.emplace_back(s);
    }
    return looks_like_types(strings, width);
}

// One data row into `out` (cells per `layout`, then `finish`); a row of the
// wrong width or a value that does not fit is a data_error naming the row.
void decode_row(od::array row, const row_layout& layout, batch& out, const time_keyset::row_finisher& finish,
                std::size_t row_index, std::string_view context, std::string_view json) {
    std::size_t col = 0;
    for (auto cell : row) {
        od::value v;
        if (cell.get(v)) {
            out.abandon_row();
            check(cell.error(), context, "value");
        }
        if (col >= layout.types.size()) {
            out.abandon_row();
            throw data_error(fmt::format("{}: row {} of the response has more than the {} columns asked for",
                                         context, row_index, layout.types.size()));
        }
        put_value(out, v, layout.types[col], layout.names[col], row_index, context, json);
        ++col;
    }
    if (col != layout.types.size()) {
        out.abandon_row();
        throw data_error(fmt::format("{}: row {} of the response has {} values but {} columns were asked for",
                                     context, row_index, col, layout.types.size()));
    }
    finish(out);
}

// The header row must name the discovered columns, in order.
void check_names(od::array row, const row_layout& layout, std::string_view context) {
    const auto names = read_strings(row, context, "header row");
    if (names != layout.names)
        throw error(error_kind::fatal, fmt::format("{}: the datasource's columns changed since discovery "
                                                   "(Druid answered [{}]); run discovery again (restart "
                                                   "or reload)",
                                                   context, fmt::join(names, ", ")));
}

// Calls on_row(od::array, index) for every top-level row of the body.
template <class F>
void for_each_row(od::parser& parser, const std::string& body, result_format format, std::string_view context,
                  F&& on_row) {
    check_terminator(body, format, context);
    std::size_t index = 0;
    if (format == result_format::array) {
        const simdjson::padded_string_view json(body.data(), body.size(), body.capacity());
        od::document doc;
        check(parser.iterate(json).get(doc), context, "document");
        od::array rows;
        check(doc.get_array().get(rows), context, "top level is not an array");
        for (auto r : rows) {
            od::array row;
            check(r.get_array().get(row), context, "row is not an array");
            on_row(row, index++);
        }
        return;
    }
    std::size_t start = 0;
    while (start < body.size()) {
        auto end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        if (end > start) {
            // The rest of the body (and its spare capacity) pads each line for simdjson.
            const simdjson::padded_string_view line(body.data() + start, end - start, body.capacity() - start);
            od::document doc;
            check(parser.iterate(line).get(doc), context, "line");
            od::array row;
            check(doc.get_array().get(row), context, "line is not an array");
            on_row(row, index++);
        }
        start = end + 1;
    }
}

// Whether the body is complete JSON (error path only: a value that fails to
// decode may just be cut off, e.g. an object inside a row that ends in ']').
bool well_formed(const std::string& body, result_format format) {
    simdjson::dom::parser dom;
    simdjson::dom::element e;
    if (format == result_format::array) return !dom.parse(body.data(), body.size(), true).get(e);
    std::size_t start = 0;
    while (start < body.size()) {
        auto end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        if (end > start && dom.parse(body.data() + start, end - start, true).get(e)) return false;
        start = end + 1;
    }
    return true;
}

}  // namespace

std::size_t result_parser::parse_rows(const http_response& resp, result_format format, const row_layout& layout,
                                      batch& out, const time_keyset::row_finisher& finish, std::string_view context) {
    const bool types_row = header_included(resp);
    std::size_t rows = 0;
    try {
        read_rows(resp, format, layout, out, finish, context, types_row, rows);
    } catch (const data_error&) {
        if (!well_formed(resp.body, format))
            throw error(error_kind::transient,
                        fmt::format("{}: Druid response is cut off (the query failed mid-stream)", context));
        throw;
    }
    return rows;
}

void result_parser::read_rows(const http_response& resp, result_format format, const row_layout& layout, batch& out,
                              const time_keyset::row_finisher& finish, std::string_view context, bool types_row,
                              std::size_t& rows) {
    bool second_checked = false;
    const auto decode = [&](od::array row, std::size_t row_index) {
        decode_row(row, layout, out, finish, row_index, context, resp.body);
        ++rows;
    };
    for_each_row(parser_, resp.body, format, context, [&](od::array row, std::size_t index) {
        if (index == 0) {
            check_names(row, layout, context);
            return;
        }
        if (index == 1 && types_row) {
            // Read, not skipped: On-Demand does not validate what it skips, and a body
            // that does not parse is a failed query, never rows.
            (void)read_strings(row, context, "types row");
            return;
        }
        if (index == 1 && !second_checked) {
            second_checked = true;
            std::string_view raw;
            check(row.raw_json().get(raw), context, "second row");
            // Re-read the row on its own: On-Demand cannot rewind into it. It lies
            // inside the body, whose spare capacity pads it.
            const auto offset = static_cast<std::size_t>(raw.data() - resp.body.data());
            const simdjson::padded_string_view json(raw.data(), raw.size(), resp.body.capacity() - offset);
            od::document doc;
            check(row_parser_.iterate(json).get(doc), context, "second row");
            od::array again;
            check(doc.get_array().get(again), context, "second row");
            if (is_types_row(again, layout.names.size())) return;
            check(row_parser_.iterate(json).get(doc), context, "second row");
            check(doc.get_array().get(again), context, "second row");
            decode(again, 0);
            return;
        }
        decode(row, rows);
    });
}

text_result result_parser::parse_text(const http_response& resp, result_format format, std::string_view context) {
    const bool types_row = header_included(resp);
    text_result out;
    for_each_row(parser_, resp.body, format, context, [&](od::array row, std::size_t index) {
        if (index == 0) {
            out.columns = read_strings(row, context, "header row");
            return;
        }
        std::vector<std::optional<std::string>> cells;
        for (auto item : row) {
            od::value v;
            check(item.get(v), context, "value");
            od::json_type t = od::json_type::null;
            check(v.type().get(t), context, "value");
            if (t == od::json_type::null) {
                if (!time_keyset::consume_null(v)) check(simdjson::INCORRECT_TYPE, context, "null");
                cells.emplace_back(std::nullopt);
            } else if (t == od::json_type::string) {
                std::string_view s;
                check(v.get_string().get(s), context, "string");
                cells.emplace_back(std::string(s));
            } else if (t == od::json_type::array || t == od::json_type::object) {
                const auto s = time_keyset::composite_json(v, t);
                if (!s) check(simdjson::TAPE_ERROR, context, t == od::json_type::array ? "array" : "object");
                cells.emplace_back(std::string(*s));
            } else {
                const auto raw = time_keyset::trim_raw(time_keyset::within(v.raw_json_token(), resp.body));
                if (!time_keyset::valid_scalar(v, t)) check(simdjson::NUMBER_ERROR, context, "value");
                cells.emplace_back(std::string(raw));
            }
        }
        if (index == 1 && out.types.empty()) {
            std::vector<std::string> strings;
            for (const auto& c : cells) {
                if (!c) break;
                strings.push_back(*c);
            }
            if (types_row || (strings.size() == cells.size() && looks_like_types(strings, out.columns.size()))) {
                out.types = std::move(strings);
                return;
            }
        }
        out.rows.push_back(std::move(cells));
    });
    return out;
}

void lines_stream_parser::feed(const http_response& head, std::string_view piece, batch& out,
                               const time_keyset::row_finisher& finish) {
    bytes_ += piece.size();
    pending_.append(piece);
    // simdjson reads up to SIMDJSON_PADDING bytes past a line: the rest of the
    // buffer and its spare capacity pad it.
    pending_.reserve(pending_.size() + simdjson::SIMDJSON_PADDING);
    std::size_t start = 0;
    for (auto end = pending_.find('\n'); end != std::string::npos; end = pending_.find('\n', start)) {
        line(head, start, end - start, out, finish);
        start = end + 1;
    }
    pending_.erase(0, start);
}

void lines_stream_parser::line(const http_response& head, std::size_t start, std::size_t length, batch& out,
                               const time_keyset::row_finisher& finish) {
    if (ended_)
        throw error(error_kind::transient,
                    fmt::format("{}: malformed Druid response: data after the blank line that ends it", context_));
    if (length == 0) {
        ended_ = true;
        return;
    }
    od::document doc;  // outlives the arrays iterate() returns, which point into it
    const auto iterate = [&]() {
        const simdjson::padded_string_view json(pending_.data() + start, length, pending_.capacity() - start);
        check(parser_.iterate(json).get(doc), context_, "line");
        od::array row;
        check(doc.get_array().get(row), context_, "line is not an array");
        return row;
    };
    const std::size_t index = lines_++;
    if (index == 0) {
        check_names(iterate(), layout_, context_);
        return;
    }
    if (index == 1) {
        if (header_included(head)) {
            (void)read_strings(iterate(), context_, "types row");  // validated, not skipped
            return;
        }
        // No header saying so: a row of nothing but SQL type names is the types row.
        if (is_types_row(iterate(), layout_.names.size())) return;
    }
    decode_row(iterate(), layout_, out, finish, rows_, context_, pending_);
    ++rows_;
}

void lines_stream_parser::finish() const {
    if (!ended_ || !pending_.empty())
        throw error(error_kind::transient,
                    fmt::format("{}: Druid response ended without its terminator after {} bytes (the query failed "
                                "mid-stream)",
                                context_, bytes_));
}

}  // namespace sluice::druid
