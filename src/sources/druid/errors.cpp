#include "sources/druid/errors.hpp"

#include <simdjson.h>

namespace sluice::druid {

namespace {

std::optional<std::string> text_of(simdjson::dom::element e) {
    std::string_view s;
    if (!e.get_string().get(s)) return std::string(s);
    std::int64_t i = 0;
    if (!e.get_int64().get(i)) return std::to_string(i);
    return std::nullopt;
}

std::optional<std::string> field(simdjson::dom::object o, std::string_view key) {
    simdjson::dom::element e;
    if (o[key].get(e)) return std::nullopt;
    return text_of(e);
}

}  // namespace

std::string druid_error::describe() const {
    std::string out = code.empty() ? message : code + ": " + message;
    if (line && column)
        out += " (line " + *line + ", column " + *column + ")";
    else if (line)
        out += " (line " + *line + ")";
    return out;
}

std::optional<druid_error> parse_error_body(std::string_view body) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    const simdjson::padded_string padded(body);
    if (parser.parse(padded).get(doc)) return std::nullopt;
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return std::nullopt;
    const auto error = field(obj, "error");
    const auto message = field(obj, "errorMessage");
    if (!error && !message) return std::nullopt;

    druid_error out;
    out.category = field(obj, "category").value_or("");
    out.error_class = field(obj, "errorClass").value_or("");
    simdjson::dom::object ctx;
    const bool have_ctx = !obj["context"].get_object().get(ctx);
    const auto error_code = field(obj, "errorCode");
    if (error == "druidException") {
        out.code = error_code.value_or(out.category);
    } else if (error_code == "legacyQueryException") {
        out.code = (have_ctx ? field(ctx, "legacyErrorCode") : std::nullopt).value_or(error.value_or(""));
    } else {
        out.code = error.value_or(error_code.value_or(""));
    }
    if (have_ctx) {
        out.line = field(ctx, "line");
        out.column = field(ctx, "column");
        if (out.error_class.empty()) out.error_class = field(ctx, "errorClass").value_or("");
    }
    out.message = message.value_or(out.code.empty() ? "unknown Druid error" : out.code);
    if (out.message == out.code) out.code.clear();  // never "Query timeout: Query timeout"
    return out;
}

}  // namespace sluice::druid
