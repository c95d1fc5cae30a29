// Core of the Druid SQL API emulator; see engine.hpp and README.md.
#include "engine.hpp"


#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <regex>
#include <set>

namespace druid_emu {

// ================================================================ rendering helpers
std::string json_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 2);
  o += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      case '\b': o += "\\b"; break;
      case '\f': o += "\\f"; break;
      default:
        if (c < 0x20) {  // Jackson: \u00XX with upper-case hex digits
          static const char* hex = "0123456789ABCDEF";
          o += "\\u00";
          o += hex[c >> 4];
          o += hex[c & 15];
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  o += '"';
  return o;
}

namespace {
// Java's Double/Float.toString layout over the shortest round-trip digits.
template <typename F>
std::string java_fp(F v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // e.g. -1.2345e+11
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  auto e = sci.find('e');
  int exp = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (size_t k = 0; k < e; ++k)
    if (sci[k] != '.') digits += sci[k];
  std::string out;
  double a = std::fabs(static_cast<double>(v));
  if (a >= 1e-3 && a < 1e7) {
    if (exp >= 0) {
      std::string ip = digits.substr(0, std::min<size_t>(digits.size(), exp + 1));
      while (ip.size() < static_cast<size_t>(exp + 1)) ip += '0';
      std::string fp = digits.size() > static_cast<size_t>(exp + 1) ? digits.substr(exp + 1) : "0";
      out = ip + "." + fp;
    } else {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out = digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" + std::to_string(exp);
  }
  return neg ? "-" + out : out;
}
}  // namespace

std::string java_double(double d) { return java_fp(d); }
std::string java_float(float f) { return java_fp(f); }

std::string csv_field(std::string_view s) {
  // opencsv CSVWriter (applyQuotesToAll=false): quote when the value holds the quote
  // char, the separator, CR or LF; quotes are doubled.
  if (s.find_first_of("\",\r\n") == std::string_view::npos) return std::string(s);
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string minify_json(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  bool in_str = false, esc = false;
  for (char c : s) {
    if (in_str) {
      o += c;
      if (esc) esc = false;
      else if (c == '\\') esc = true;
      else if (c == '"') in_str = false;
    } else if (c == '"') {
      in_str = true;
      o += c;
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      o += c;
    }
  }
  return o;
}

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// days since 1970-01-01 <-> civil date (H. Hinnant's algorithms)
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

void split_ms(int64_t ms, int64_t& y, unsigned& mo, unsigned& d, int& h, int& mi, int& s, int& frac) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rem = ms - days * 86400000;
  civil_from_days(days, y, mo, d);
  h = static_cast<int>(rem / 3600000);
  mi = static_cast<int>(rem / 60000 % 60);
  s = static_cast<int>(rem / 1000 % 60);
  frac = static_cast<int>(rem % 1000);
}
}  // namespace

std::optional<std::string> pg_ts_to_iso(std::string_view pg) {
  // YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH[:MM[:SS]]]  (DateStyle ISO, TimeZone UTC)
  size_t p = pg.find('-', 1);
  if (p == std::string_view::npos || p < 4) return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(pg, 0, p, y) || pg.size() < p + 6 || !digits(pg, p + 1, 2, mo) || pg[p + 3] != '-' ||
      !digits(pg, p + 4, 2, d))
    return std::nullopt;
  size_t i = p + 6;
  std::string frac = "000";
  if (i < pg.size()) {
    if (pg[i] != ' ' && pg[i] != 'T') return std::nullopt;
    if (!digits(pg, i + 1, 2, h) || pg.size() < i + 9 || pg[i + 3] != ':' || !digits(pg, i + 4, 2, mi) ||
        pg[i + 6] != ':' || !digits(pg, i + 7, 2, s))
      return std::nullopt;
    i += 9;
    if (i < pg.size() && pg[i] == '.') {
      ++i;
      size_t k = 0;
      while (i < pg.size() && pg[i] >= '0' && pg[i] <= '9') {
        if (k < 3) frac[k] = pg[i];
        ++k;
        ++i;
      }
    }
    if (i < pg.size()) {
      // the session runs in UTC, so only +00 is expected; honour other offsets anyway
      if (pg[i] != '+' && pg[i] != '-') return std::nullopt;
      int sign = pg[i] == '-' ? -1 : 1, oh = 0, om = 0, os = 0;
      if (!digits(pg, i + 1, 2, oh)) return std::nullopt;
      size_t j = i + 3;
      if (j < pg.size() && pg[j] == ':' && digits(pg, j + 1, 2, om)) j += 3;
      if (j < pg.size() && pg[j] == ':' && digits(pg, j + 1, 2, os)) j += 3;
      if (j != pg.size()) return std::nullopt;  // " BC" and friends
      if (oh || om || os) {
        int64_t ms = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
                      sign * (oh * 3600 + om * 60 + os)) * 1000 + std::atoi(frac.c_str());
        return millis_to_iso(ms);
      }
    }
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%sZ", y, mo, d, h, mi, s, frac.c_str());
  return std::string(buf);
}

std::string millis_to_pg(int64_t ms) {
  int64_t y;
  unsigned mo, d;
  int h, mi, s, f;
  split_ms(ms, y, mo, d, h, mi, s, f);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02d:%02d:%02d.%03d+00", static_cast<long long>(y), mo, d, h, mi,
                s, f);
  return buf;
}

std::string millis_to_iso(int64_t ms) {
  int64_t y;
  unsigned mo, d;
  int h, mi, s, f;
  split_ms(ms, y, mo, d, h, mi, s, f);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), mo, d, h, mi, s,
                f);
  return buf;
}

std::optional<std::vector<std::optional<std::string>>> parse_pg_array(std::string_view s) {
  std::vector<std::optional<std::string>> out;
  // optional dimension decoration: [1:2]={...}
  if (!s.empty() && s[0] == '[') {
    auto eq = s.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    s.remove_prefix(eq + 1);
  }
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return std::nullopt;
  size_t i = 1, end = s.size() - 1;
  if (i == end) return out;
  for (;;) {
    if (i >= end) return std::nullopt;
    if (s[i] == '{') return std::nullopt;  // multi-dimensional: not supported
    if (s[i] == '"') {
      std::string v;
      ++i;
      while (i < end && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < end) ++i;
        v += s[i++];
      }
      if (i >= end) return std::nullopt;
      ++i;
      out.emplace_back(std::move(v));
    } else {
      size_t j = i;
      while (j < end && s[j] != ',') ++j;
      std::string_view v = s.substr(i, j - i);
      if (v == "NULL") out.emplace_back(std::nullopt);
      else out.emplace_back(std::string(v));
      i = j;
    }
    if (i == end) break;
    if (s[i] != ',') return std::nullopt;
    ++i;
  }
  return out;
}

std::string random_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32)};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

// ================================================================ types
ColType map_pg_type(unsigned oid, bool from_table) {
  switch (oid) {
    case 1184:  // timestamptz
    case 1114:  // timestamp
      return {Kind::Timestamp, "LONG", "TIMESTAMP"};
    case 1082: return {Kind::Date, "LONG", "DATE"};
    case 20: case 23: case 21: case 26:  // int8 int4 int2 oid
      return {Kind::Long, "LONG", "BIGINT"};
    case 16:
      return from_table ? ColType{Kind::Bool, "LONG", "BIGINT"} : ColType{Kind::Bool, "LONG", "BOOLEAN"};
    case 701: return {Kind::Double, "DOUBLE", "DOUBLE"};
    case 700: return {Kind::Float, "FLOAT", "FLOAT"};
    case 1700: return {Kind::Numeric, "DOUBLE", "DOUBLE"};
    case 3802: case 114: return {Kind::Json, "COMPLEX<json>", "COMPLEX<json>"};
    case 1009: case 1015: return {Kind::ArrayString, "ARRAY<STRING>", "ARRAY"};
    case 1016: case 1007: case 1005: return {Kind::ArrayLong, "ARRAY<LONG>", "ARRAY"};
    case 1022: case 1021: return {Kind::ArrayDouble, "ARRAY<DOUBLE>", "ARRAY"};
    case 1000: return {Kind::ArrayBool, "ARRAY<LONG>", "ARRAY"};
    default: return {Kind::String, "STRING", "VARCHAR"};
  }
}

std::optional<std::string> druid_to_pg_type(std::string_view t) {
  std::string u;
  for (char c : t)
    if (c != ' ') u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (u == "VARCHAR" || u == "STRING" || u == "CHAR") return "text";
  if (u == "BIGINT" || u == "LONG" || u == "INTEGER" || u == "INT" || u == "SMALLINT" || u == "TINYINT")
    return "bigint";
  if (u == "DOUBLE" || u == "DECIMAL" || u == "REAL") return "double precision";
  if (u == "FLOAT") return "real";
  if (u == "BOOLEAN") return "boolean";
  if (u == "TIMESTAMP") return "timestamptz";
  if (u == "COMPLEX<JSON>" || u == "JSON") return "jsonb";
  if (u == "ARRAY<STRING>" || u == "ARRAY<VARCHAR>" || u == "VARCHARARRAY") return "text[]";
  if (u == "ARRAY<LONG>" || u == "ARRAY<BIGINT>" || u == "BIGINTARRAY") return "bigint[]";
  if (u == "ARRAY<DOUBLE>" || u == "DOUBLEARRAY") return "double precision[]";
  return std::nullopt;
}

// ================================================================ SQL translation
std::string quote_ident(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string quote_literal(std::string_view s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'') o += '\'';
    o += c;
  }
  return o + "'";
}

std::pair<int, int> line_col(std::string_view sql, size_t pos) {
  int line = 1, col = 1;
  for (size_t i = 0; i < pos && i < sql.size(); ++i) {
    if (sql[i] == '\n') { ++line; col = 1; }
    else ++col;
  }
  return {line, col};
}

namespace {
enum class T { Word, QIdent, String, Placeholder, Punct, Space };
struct Tok {
  T t;
  std::string text;   // original text
  std::string value;  // unquoted identifier value for QIdent
};

std::vector<Tok> tokenize(std::string_view s) {
  std::vector<Tok> out;
  size_t i = 0, n = s.size();
  while (i < n) {
    char c = s[i];
    size_t st = i;
    if (c == '\'') {
      ++i;
      while (i < n) {
        if (s[i] == '\'') {
          if (i + 1 < n && s[i + 1] == '\'') { i += 2; continue; }
          ++i;
          break;
        }
        ++i;
      }
      out.push_back({T::String, std::string(s.substr(st, i - st)), {}});
    } else if (c == '"') {
      std::string v;
      ++i;
      while (i < n) {
        if (s[i] == '"') {
          if (i + 1 < n && s[i + 1] == '"') { v += '"'; i += 2; continue; }
          ++i;
          break;
        }
        v += s[i++];
      }
      out.push_back({T::QIdent, std::string(s.substr(st, i - st)), v});
    } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') ++i;
      out.push_back({T::Space, std::string(s.substr(st, i - st)), {}});
    } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      auto e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? n : e + 2;
      out.push_back({T::Space, std::string(s.substr(st, i - st)), {}});
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      out.push_back({T::Space, std::string(s.substr(st, i - st)), {}});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80) {
      while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$' ||
                       static_cast<unsigned char>(s[i]) >= 0x80))
        ++i;
      out.push_back({T::Word, std::string(s.substr(st, i - st)), {}});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      // numbers (incl. 1.5e10) as one punct-ish token so "1e5" is not a word
      while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({T::Punct, std::string(s.substr(st, i - st)), {}});
    } else if (c == '?') {
      ++i;
      out.push_back({T::Placeholder, "?", {}});
    } else {
      ++i;
      out.push_back({T::Punct, std::string(1, c), {}});
    }
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

const std::set<std::string>& is_columns() {
  static const std::set<std::string> s = {
      "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "IS_JOINABLE", "IS_BROADCAST",
      "COLUMN_NAME", "ORDINAL_POSITION", "COLUMN_DEFAULT", "IS_NULLABLE", "DATA_TYPE",
      "CHARACTER_MAXIMUM_LENGTH", "CHARACTER_OCTET_LENGTH", "NUMERIC_PRECISION", "NUMERIC_PRECISION_RADIX",
      "NUMERIC_SCALE", "DATETIME_PRECISION", "CHARACTER_SET_NAME", "COLLATION_NAME", "JDBC_TYPE",
      "CATALOG_NAME", "SCHEMA_NAME", "SCHEMA_OWNER", "DEFAULT_CHARACTER_SET_CATALOG",
      "DEFAULT_CHARACTER_SET_SCHEMA", "DEFAULT_CHARACTER_SET_NAME", "SQL_PATH"};
  return s;
}

std::string cast_type(const std::string& u) {
  if (u == "DOUBLE") return "double precision";
  if (u == "FLOAT" || u == "REAL") return "real";
  if (u == "TINYINT") return "smallint";
  if (u == "STRING") return "text";
  std::string l = u;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l;
}
}  // namespace

std::optional<TieOrder> parse_tie_order(std::string_view s) {
  if (s == "physical") return TieOrder::Physical;
  if (s == "shuffle") return TieOrder::Shuffle;
  if (s == "segments") return TieOrder::Segments;
  return std::nullopt;
}

namespace {
// What breaks ties of a plain scan (see TieOrder), as ORDER BY terms.
std::string tie_breaker(TieOrder ties, uint32_t seed, const std::string& dir) {
  switch (ties) {
    case TieOrder::Physical: return "ctid" + dir;
    case TieOrder::Shuffle: return "random()";
    case TieOrder::Segments:
      return "(abs(hashtext(ctid::text)) % 4 + " + std::to_string(seed % 4) + ") % 4, ctid";
  }
  return "ctid";
}
}  // namespace

Translation translate(std::string_view druid_sql, const std::string& schema, const std::string& helper,
                      TieOrder ties, uint32_t seed) {
  Translation tr;
  // a trailing semicolon is tolerated
  while (!druid_sql.empty() &&
         (druid_sql.back() == ';' || std::isspace(static_cast<unsigned char>(druid_sql.back()))))
    druid_sql.remove_suffix(1);
  std::vector<Tok> toks = tokenize(druid_sql);
  auto next_sig = [&](size_t i) {
    for (size_t j = i + 1; j < toks.size(); ++j)
      if (toks[j].t != T::Space) return j;
    return toks.size();
  };
  auto prev_sig = [&](size_t i) -> size_t {
    for (size_t j = i; j-- > 0;)
      if (toks[j].t != T::Space) return j;
    return toks.size();
  };
  auto is_name = [&](const Tok& t, const char* name, bool ci) {
    if (t.t == T::QIdent) return t.value == name;
    if (t.t == T::Word) return ci ? upper(t.text) == upper(name) : t.text == name;
    return false;
  };
  auto followed_by_dot = [&](size_t i) {
    size_t j = next_sig(i);
    return j < toks.size() && toks[j].t == T::Punct && toks[j].text == ".";
  };
  auto preceded_by_dot = [&](size_t i) {
    size_t j = prev_sig(i);
    return j < toks.size() && toks[j].t == T::Punct && toks[j].text == ".";
  };
  for (size_t i = 0; i < toks.size(); ++i)
    if (is_name(toks[i], "INFORMATION_SCHEMA", true) && followed_by_dot(i) && !preceded_by_dot(i))
      tr.information_schema = true;

  std::vector<int> cast_depths;
  int depth = 0;
  bool after_is_dot = false;  // next word is INFORMATION_SCHEMA.<table>
  std::string& o = tr.sql;
  for (size_t i = 0; i < toks.size(); ++i) {
    Tok& t = toks[i];
    switch (t.t) {
      case T::Space: o += t.text.front() == '-' || t.text.front() == '/' ? " " : t.text; break;
      case T::String: o += t.text; break;
      case T::Placeholder: o += "$" + std::to_string(++tr.placeholders); break;
      case T::Punct:
        if (t.text == "(") {
          ++depth;
          size_t p = prev_sig(i);
          if (p < toks.size() && toks[p].t == T::Word &&
              (upper(toks[p].text) == "CAST" || upper(toks[p].text) == "TRY_CAST"))
            cast_depths.push_back(depth);
        } else if (t.text == ")") {
          if (!cast_depths.empty() && cast_depths.back() == depth) cast_depths.pop_back();
          --depth;
        }
        o += t.text;
        break;
      case T::Word:
      case T::QIdent: {
        if (after_is_dot) {
          after_is_dot = false;
          o += quote_ident(t.t == T::QIdent ? t.value : upper(t.text));
          break;
        }
        if (is_name(t, "INFORMATION_SCHEMA", true) && followed_by_dot(i) && !preceded_by_dot(i)) {
          o += quote_ident(helper);
          size_t j = next_sig(i);  // the dot
          o += ".";
          i = j;
          after_is_dot = true;
          // skip spaces after the dot
          while (i + 1 < toks.size() && toks[i + 1].t == T::Space) ++i;
          break;
        }
        if (is_name(t, "druid", false) && followed_by_dot(i) && !preceded_by_dot(i)) {
          o += quote_ident(schema);
          break;
        }
        if (t.t == T::Word && upper(t.text) == "AS") {
          o += t.text;
          size_t j = next_sig(i);
          if (j < toks.size() && toks[j].t == T::Word) {
            for (size_t k = i + 1; k < j; ++k) o += toks[k].text;
            if (!cast_depths.empty() && cast_depths.back() == depth) {
              o += cast_type(upper(toks[j].text));
            } else {
              o += quote_ident(toks[j].text);
              tr.aliases.push_back(toks[j].text);
            }
            i = j;
          } else if (j < toks.size() && toks[j].t == T::QIdent) {
            tr.aliases.push_back(toks[j].value);
          }
          break;
        }
        if (t.t == T::Word && tr.information_schema && is_columns().count(upper(t.text))) {
          o += quote_ident(upper(t.text));
          break;
        }
        if (t.t == T::Word && upper(t.text) == "TRY_CAST") {
          o += "CAST";
          break;
        }
        o += t.text;
        break;
      }
    }
  }
  // PostgreSQL's top-N sort leaves ties in an order that changes with LIMIT; the
  // tie order is made explicit instead (TieOrder): physical makes paging through
  // a run of equal timestamps behave like one replica of immutable segments,
  // shuffle and segments like a real cluster merging them differently each time.
  static const std::regex order_by_time(R"re(ORDER\s+BY\s+("__time"|__time)(\s+(ASC|DESC))?)re",
                                        std::regex::icase);
  static const std::regex not_a_scan(
      R"re(\bGROUP\s+BY\b|\bJOIN\b|\bUNION\b|\bDISTINCT\b|\b(COUNT|SUM|MIN|MAX|AVG)\s*\(|\bORDER\s+BY\b)re",
      std::regex::icase);
  static const std::regex grouped(R"re(\bGROUP\s+BY\b|\bJOIN\b)re", std::regex::icase);
  static const std::regex limit_clause(R"re(\s+LIMIT\s+\d+(\s+OFFSET\s+\d+)?\s*$)re", std::regex::icase);
  if (!tr.information_schema) {
    std::smatch m;
    if (std::regex_search(o, m, order_by_time) && !std::regex_search(o, grouped)) {
      const std::string dir = m[2].matched ? m[2].str() : "";
      o = m.prefix().str() + m[0].str() + ", " + tie_breaker(ties, seed, dir) + m.suffix().str();
    } else if (ties != TieOrder::Physical && !std::regex_search(o, not_a_scan)) {
      // An unordered scan: Druid answers segment by segment, in no fixed order.
      const std::string order = " ORDER BY " + tie_breaker(ties, seed, "");
      if (std::regex_search(o, m, limit_clause)) o = m.prefix().str() + order + m[0].str();
      else o += order;
    }
  }
  return tr;
}

// ================================================================ result formats
std::optional<Format> parse_format(std::string_view s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "object") return Format::Object;
  if (l == "array") return Format::Array;
  if (l == "objectlines") return Format::ObjectLines;
  if (l == "arraylines") return Format::ArrayLines;
  if (l == "csv") return Format::Csv;
  return std::nullopt;
}

const char* content_type(Format f) {
  switch (f) {
    case Format::Object:
    case Format::Array: return "application/json";
    case Format::ObjectLines:
    case Format::ArrayLines: return "text/plain";
    case Format::Csv: return "text/csv";
  }
  return "application/json";
}

namespace {
bool is_int64_text(std::string_view v) {
  if (v.empty()) return false;
  size_t i = v[0] == '-' ? 1 : 0;
  if (i == v.size()) return false;
  for (; i < v.size(); ++i)
    if (v[i] < '0' || v[i] > '9') return false;
  return true;
}
std::string render_double_text(std::string_view v) {
  std::string s(v);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return "null";
  return java_double(d);
}
}  // namespace

std::string ResultWriter::json_value(const ColType& t, std::optional<std::string_view> v) const {
  if (!v) return "null";
  switch (t.kind) {
    case Kind::Timestamp:
    case Kind::Date: {
      auto iso = pg_ts_to_iso(*v);
      return iso ? json_escape(*iso) : "null";
    }
    case Kind::Long: return is_int64_text(*v) ? std::string(*v) : json_escape(*v);
    case Kind::Bool:
      if (t.sql == "BOOLEAN") return *v == "t" ? "true" : "false";
      return *v == "t" ? "1" : "0";
    case Kind::Double:
    case Kind::Numeric: return render_double_text(*v);
    case Kind::Float: {
      std::string s(*v);
      char* end = nullptr;
      float f = std::strtof(s.c_str(), &end);
      return end == s.c_str() ? "null" : java_float(f);
    }
    case Kind::String: return json_escape(*v);
    case Kind::Json: return minify_json(*v);
    case Kind::ArrayString:
    case Kind::ArrayLong:
    case Kind::ArrayDouble:
    case Kind::ArrayBool: {
      auto arr = parse_pg_array(*v);
      if (!arr) return json_escape(*v);
      std::string a = "[";
      for (size_t i = 0; i < arr->size(); ++i) {
        if (i) a += ',';
        const auto& e = (*arr)[i];
        if (!e) a += "null";
        else if (t.kind == Kind::ArrayString) a += json_escape(*e);
        else if (t.kind == Kind::ArrayLong) a += is_int64_text(*e) ? *e : json_escape(*e);
        else if (t.kind == Kind::ArrayBool) a += *e == "t" ? "1" : "0";
        else a += render_double_text(*e);
      }
      a += ']';
      return stringify_ ? json_escape(a) : a;
    }
  }
  return json_escape(*v);
}

std::string ResultWriter::csv_value(const ColType& t, std::optional<std::string_view> v) const {
  if (!v) return "";
  std::string j = json_value(t, v);
  if (j == "null") return "";
  bool quoted_string = t.kind == Kind::String || t.kind == Kind::Timestamp || t.kind == Kind::Date ||
                       ((t.kind == Kind::ArrayString || t.kind == Kind::ArrayLong || t.kind == Kind::ArrayDouble ||
                         t.kind == Kind::ArrayBool) &&
                        stringify_);
  if (quoted_string) {
    // undo the JSON string encoding: for strings the raw value, for arrays the JSON text
    if (t.kind == Kind::String) return csv_field(*v);
    if (t.kind == Kind::Timestamp || t.kind == Kind::Date) return csv_field(j.substr(1, j.size() - 2));
    ResultWriter raw(f_, false, false, false, false);
    return csv_field(raw.json_value(t, v));
  }
  return csv_field(j);
}

void ResultWriter::sep(std::string& out) {
  if (f_ == Format::Object || f_ == Format::Array) {
    if (!first_) out += ',';
  }
  first_ = false;
}

void ResultWriter::begin(const std::vector<Column>& cols, std::string& out) {
  cols_ = cols;
  first_ = true;
  if (f_ == Format::Object || f_ == Format::Array) out += '[';
  if (!header_) return;
  const char* eol = (f_ == Format::Object || f_ == Format::Array) ? "" : "\n";
  if (f_ == Format::Object || f_ == Format::ObjectLines) {
    sep(out);
    out += '{';
    for (size_t i = 0; i < cols_.size(); ++i) {
      if (i) out += ',';
      out += json_escape(cols_[i].name);
      out += ':';
      if (!types_ && !sql_types_) {
        out += "null";
      } else {
        out += '{';
        if (types_) out += "\"type\":" + json_escape(cols_[i].type.druid);
        if (sql_types_) out += std::string(types_ ? "," : "") + "\"sqlType\":" + json_escape(cols_[i].type.sql);
        out += '}';
      }
    }
    out += '}';
    out += eol;
    return;
  }
  auto header_row = [&](auto get) {
    if (f_ == Format::Csv) {
      for (size_t i = 0; i < cols_.size(); ++i) {
        if (i) out += ',';
        out += csv_field(get(cols_[i]));
      }
      out += '\n';
    } else {
      sep(out);
      out += '[';
      for (size_t i = 0; i < cols_.size(); ++i) {
        if (i) out += ',';
        out += json_escape(get(cols_[i]));
      }
      out += ']';
      out += eol;
    }
  };
  header_row([](const Column& c) { return c.name; });
  if (types_) header_row([](const Column& c) { return c.type.druid; });
  if (sql_types_) header_row([](const Column& c) { return c.type.sql; });
}

void ResultWriter::row(const std::vector<std::optional<std::string_view>>& vals, std::string& out) {
  switch (f_) {
    case Format::Object:
    case Format::ObjectLines:
      sep(out);
      out += '{';
      for (size_t i = 0; i < cols_.size(); ++i) {
        if (i) out += ',';
        out += json_escape(cols_[i].name);
        out += ':';
        out += json_value(cols_[i].type, vals[i]);
      }
      out += '}';
      if (f_ == Format::ObjectLines) out += '\n';
      break;
    case Format::Array:
    case Format::ArrayLines:
      sep(out);
      out += '[';
      for (size_t i = 0; i < cols_.size(); ++i) {
        if (i) out += ',';
        out += json_value(cols_[i].type, vals[i]);
      }
      out += ']';
      if (f_ == Format::ArrayLines) out += '\n';
      break;
    case Format::Csv:
      for (size_t i = 0; i < cols_.size(); ++i) {
        if (i) out += ',';
        out += csv_value(cols_[i].type, vals[i]);
      }
      out += '\n';
      break;
  }
}

void ResultWriter::end(std::string& out) {
  if (f_ == Format::Object || f_ == Format::Array) out += "]\n";
  else out += '\n';
}

// ================================================================ errors
std::string druid_error(const std::string& error_code, const std::string& category, const std::string& persona,
                        const std::string& message, const std::string& context_json) {
  return "{\"error\":\"druidException\",\"errorCode\":" + json_escape(error_code) + ",\"persona\":" +
         json_escape(persona) + ",\"category\":" + json_escape(category) + ",\"errorMessage\":" +
         json_escape(message) + ",\"context\":" + context_json + "}";
}

std::string legacy_wrapped_error(const std::string& legacy_code, const std::string& category,
                                 const std::string& message, const std::string& error_class) {
  return "{\"error\":" + json_escape(legacy_code) +
         ",\"errorCode\":\"legacyQueryException\",\"persona\":\"OPERATOR\",\"category\":" + json_escape(category) +
         ",\"errorMessage\":" + json_escape(message) + ",\"context\":{\"errorClass\":" + json_escape(error_class) +
         ",\"legacyErrorCode\":" + json_escape(legacy_code) + ",\"host\":null}}";
}

std::string legacy_error(const std::string& code, const std::string& message, const std::string& error_class) {
  return "{\"error\":" + json_escape(code) + ",\"errorMessage\":" + json_escape(message) +
         ",\"errorClass\":" + json_escape(error_class) + ",\"host\":null}";
}

namespace {
// the text between the first pair of double quotes of a PostgreSQL message
std::string quoted_part(const std::string& m) {
  auto a = m.find('"');
  if (a == std::string::npos) return m;
  auto b = m.find('"', a + 1);
  return b == std::string::npos ? m.substr(a + 1) : m.substr(a + 1, b - a - 1);
}
}  // namespace

HttpError map_pg_error(const std::string& sqlstate, const std::string& message, int position, std::string_view sql,
                       const std::string& query_id, bool cancelled) {
  if (sqlstate == "57014") {
    if (cancelled)
      return {500, legacy_wrapped_error("Query cancelled", "CANCELED", "Query [" + query_id + "] was cancelled.",
                                        "org.apache.druid.query.QueryInterruptedException")};
    return {504, legacy_wrapped_error("Query timeout", "TIMEOUT", "Query [" + query_id + "] timed out.",
                                      "org.apache.druid.query.QueryTimeoutException")};
  }
  bool user = sqlstate.rfind("42", 0) == 0 || sqlstate == "22P02" || sqlstate == "22007" || sqlstate == "22008" ||
              sqlstate == "22023" || sqlstate == "2201X" || sqlstate == "2201W" || sqlstate == "25006" ||
              sqlstate == "0A000" || sqlstate == "08P01";
  if (!user)
    return {500, legacy_wrapped_error("Unknown exception", "RUNTIME_FAILURE", message, "java.lang.RuntimeException")};
  auto [line, col] = line_col(sql, position > 0 ? static_cast<size_t>(position - 1) : 0);
  std::string msg = message;
  if (sqlstate == "42P01") {
    std::string name = quoted_part(message);
    std::string within = "druid";
    auto dot = name.rfind('.');
    if (dot != std::string::npos) {
      within = name.substr(0, dot);
      name = name.substr(dot + 1);
    }
    msg = "Object '" + name + "' not found within '" + within + "'";
  } else if (sqlstate == "42703") {
    msg = "Column '" + quoted_part(message) + "' not found in any table";
  } else if (sqlstate == "42601") {
    std::string near = quoted_part(message);
    if (near == message) near = "<EOF>";
    msg = "Received an unexpected token [" + near + "] (line [" + std::to_string(line) + "], column [" +
          std::to_string(col) + "])";
  } else if (sqlstate == "42883") {
    std::string sig = message;
    if (sig.rfind("function ", 0) == 0) sig = sig.substr(9);
    auto dne = sig.find(" does not exist");
    if (dne != std::string::npos) sig = sig.substr(0, dne);
    msg = "No match found for function signature " + sig;
  } else if (sqlstate == "25006") {
    msg = "Druid SQL is read-only: " + message;
  }
  std::string ctx = "{\"sourceType\":\"sql\",\"line\":\"" + std::to_string(line) + "\",\"column\":\"" +
                    std::to_string(col) + "\"}";
  return {400, druid_error("invalidInput", "INVALID_INPUT", "USER", msg, ctx)};
}

}  // namespace druid_emu
