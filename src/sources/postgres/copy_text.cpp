#include "sources/postgres/copy_text.hpp"

#include <fmt/format.h>

#include "sluice/error.hpp"

namespace sluice::postgres {

namespace {

int octal(char c) { return c >= '0' && c <= '7' ? c - '0' : -1; }

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

[[noreturn]] void malformed(std::string_view context, std::string_view why) {
    throw data_error(fmt::format("{}: malformed COPY row: {}", context, why));
}

}  // namespace

void copy_text_row::parse(std::string_view line, std::size_t fields, std::string_view context) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    values_.clear();
    null_.clear();
    unescaped_.clear();
    // Unescaped text is never longer than the line: reserving it once keeps the
    // views into it valid while later fields are appended.
    unescaped_.reserve(line.size());
    std::size_t start = 0;
    for (;;) {
        std::size_t end = start;
        bool escaped = false;
        while (end < line.size() && line[end] != '\t') {
            if (line[end] == '\\') {
                escaped = true;
                if (++end == line.size()) malformed(context, "a backslash ends the line");
            }
            ++end;
        }
        const std::string_view raw = line.substr(start, end - start);
        if (raw == "\\N") {
            values_.emplace_back();
            null_.push_back(true);
        } else if (!escaped) {
            values_.push_back(raw);
            null_.push_back(false);
        } else {
            const std::size_t from = unescaped_.size();
            for (std::size_t i = 0; i < raw.size(); ++i) {
                char c = raw[i];
                if (c != '\\') {
                    unescaped_.push_back(c);
                    continue;
                }
                c = raw[++i];
                switch (c) {
                    case 'b': unescaped_.push_back('\b'); break;
                    case 'f': unescaped_.push_back('\f'); break;
                    case 'n': unescaped_.push_back('\n'); break;
                    case 'r': unescaped_.push_back('\r'); break;
                    case 't': unescaped_.push_back('\t'); break;
                    case 'v': unescaped_.push_back('\v'); break;
                    case 'x':
                        if (i + 1 < raw.size() && hex(raw[i + 1]) >= 0) {
                            int v = hex(raw[++i]);
                            if (i + 1 < raw.size() && hex(raw[i + 1]) >= 0) v = v * 16 + hex(raw[++i]);
                            unescaped_.push_back(static_cast<char>(v));
                        } else {
                            unescaped_.push_back('x');
                        }
                        break;
                    default:
                        if (octal(c) >= 0) {
                            int v = octal(c);
                            for (int k = 0; k < 2 && i + 1 < raw.size() && octal(raw[i + 1]) >= 0; ++k)
                                v = v * 8 + octal(raw[++i]);
                            unescaped_.push_back(static_cast<char>(v & 0xff));
                        } else {
                            unescaped_.push_back(c);  // \\ and any other character stand for themselves
                        }
                }
            }
            values_.emplace_back(unescaped_.data() + from, unescaped_.size() - from);
            null_.push_back(false);
        }
        if (end == line.size()) break;
        start = end + 1;
    }
    if (values_.size() != fields)
        malformed(context, fmt::format("{} fields where {} columns were selected", values_.size(), fields));
}

}  // namespace sluice::postgres
