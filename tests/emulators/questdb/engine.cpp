#include "engine.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace questdb_emu {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// days since 1970-01-01 -> y/m/d (Howard Hinnant's algorithm)
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
  y += (m <= 2);
}
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string format_fraction(int64_t units, int64_t per_sec, int digits) {
  int64_t secs = floor_div(units, per_sec);
  int64_t frac = units - secs * per_sec;
  int64_t days = floor_div(secs, 86400);
  int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%0*lldZ", static_cast<long long>(y), m, d,
                static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60), digits,
                static_cast<long long>(frac));
  return buf;
}

const std::vector<std::string> kTypes = {"TIMESTAMP", "DATE",   "SYMBOL", "STRING", "VARCHAR", "CHAR",
                                         "UUID",      "IPV4",   "LONG256", "GEOHASH", "LONG",   "INT",
                                         "SHORT",     "BYTE",   "DOUBLE", "FLOAT",   "BOOLEAN"};
bool is_int_type(const std::string& t) { return t == "LONG" || t == "INT" || t == "SHORT" || t == "BYTE"; }
bool is_real_type(const std::string& t) { return t == "DOUBLE" || t == "FLOAT"; }
bool is_text_type(const std::string& t) {
  return t == "SYMBOL" || t == "STRING" || t == "VARCHAR" || t == "CHAR" || t == "UUID" || t == "IPv4" ||
         t == "LONG256" || t.rfind("GEOHASH", 0) == 0;
}

// ---------------------------------------------------------------- tokenizer
struct Tok {
  enum K { Ident, QIdent, Str, Num, Punct, End } k = End;
  std::string text;
  size_t pos = 0;
};

std::vector<Tok> tokenize(const std::string& s) {
  std::vector<Tok> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) { ++i; continue; }
    Tok t;
    t.pos = i;
    if (std::isalpha(c) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      t.k = Tok::Ident;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                              ((s[j] == '-' || s[j] == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
        ++j;
      t.k = Tok::Num;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (c == '\'' || c == '"') {
      char q = static_cast<char>(c);
      size_t j = i + 1;
      std::string v;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == q) {
          if (j + 1 < s.size() && s[j + 1] == q) { v += q; j += 2; continue; }
          closed = true;
          ++j;
          break;
        }
        v += s[j++];
      }
      if (!closed) throw SqlError{"unclosed quoted string or identifier", i};
      t.k = q == '\'' ? Tok::Str : Tok::QIdent;
      t.text = v;
      i = j;
    } else {
      static const char* two[] = {"!=", "<>", "<=", ">=", "::"};
      t.k = Tok::Punct;
      t.text = std::string(1, static_cast<char>(c));
      for (auto* p : two)
        if (s.compare(i, 2, p) == 0) t.text = p;
      i += t.text.size();
    }
    out.push_back(t);
  }
  Tok end;
  end.pos = s.size();
  out.push_back(end);
  return out;
}

// A literal value in SQL text.
struct Lit {
  enum K { Null, Str, Int, Real, Bool, NaN } k = Null;
  std::string s;
  int64_t i = 0;
  double d = 0;
  size_t pos = 0;
};

}  // namespace

// ---------------------------------------------------------------- helpers (public)
std::string json_escape(const std::string& s) {
  std::string o = "\"";
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
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

std::string format_ts_us(int64_t us) { return format_fraction(us, 1000000, 6); }
std::string format_date_ms(int64_t ms) { return format_fraction(ms, 1000, 3); }

std::optional<int64_t> parse_iso_us(const std::string& in) {
  // yyyy[-MM[-dd[(T| )HH[:mm[:ss[.f{1,9}]]]]]][Z|±HH[:mm]]
  const char* p = in.c_str();
  auto num = [&](int n, int& out) {
    out = 0;
    for (int k = 0; k < n; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(*p))) return false;
      out = out * 10 + (*p++ - '0');
    }
    return true;
  };
  int y, mo = 1, d = 1, h = 0, mi = 0, se = 0;
  int64_t frac = 0;
  if (!num(4, y)) return std::nullopt;
  if (*p == '-') {
    ++p;
    if (!num(2, mo)) return std::nullopt;
    if (*p == '-') {
      ++p;
      if (!num(2, d)) return std::nullopt;
      if (*p == 'T' || *p == ' ') {
        ++p;
        if (!num(2, h)) return std::nullopt;
        if (*p == ':') {
          ++p;
          if (!num(2, mi)) return std::nullopt;
          if (*p == ':') {
            ++p;
            if (!num(2, se)) return std::nullopt;
            if (*p == '.') {
              ++p;
              int digits = 0;
              while (std::isdigit(static_cast<unsigned char>(*p))) {
                if (digits < 6) frac = frac * 10 + (*p - '0');
                ++digits;
                ++p;
              }
              if (digits == 0) return std::nullopt;
              for (int k = digits; k < 6; ++k) frac *= 10;
            }
          }
        }
      }
    }
  }
  int64_t offset_min = 0;
  if (*p == 'Z') {
    ++p;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1;
    ++p;
    int oh, om = 0;
    if (!num(2, oh)) return std::nullopt;
    if (*p == ':') ++p;
    if (*p) { if (!num(2, om)) return std::nullopt; }
    offset_min = sign * (oh * 60 + om);
  }
  if (*p) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return std::nullopt;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
  return secs * 1000000 + frac;
}

std::string java_double(double v) {
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
  double a = std::fabs(v);
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

// ---------------------------------------------------------------- parser / executor
class Parser {
 public:
  Parser(Engine& e, const std::string& q) : e_(e), q_(q), t_(tokenize(q)) {}

  Result run(std::string* translated_only);

 private:
  Engine& e_;
  const std::string& q_;
  std::vector<Tok> t_;
  size_t i_ = 0;

  const Tok& peek(size_t o = 0) const { return t_[std::min(i_ + o, t_.size() - 1)]; }
  const Tok& next() {
    const Tok& t = peek();
    if (i_ < t_.size() - 1) ++i_;
    return t;
  }
  bool kw(const char* k, size_t o = 0) const { return peek(o).k == Tok::Ident && lower(peek(o).text) == k; }
  bool accept_kw(const char* k) {
    if (!kw(k)) return false;
    next();
    return true;
  }
  void expect_kw(const char* k) {
    if (!accept_kw(k)) throw SqlError{std::string("'") + k + "' expected", peek().pos};
  }
  bool punct(const char* p) const { return peek().k == Tok::Punct && peek().text == p; }
  bool accept(const char* p) {
    if (!punct(p)) return false;
    next();
    return true;
  }
  void expect(const char* p) {
    if (!accept(p)) throw SqlError{std::string("'") + p + "' expected", peek().pos};
  }
  std::string ident(const char* what = "identifier") {
    const Tok& t = peek();
    if (t.k != Tok::Ident && t.k != Tok::QIdent) throw SqlError{std::string(what) + " expected", t.pos};
    next();
    return t.text;
  }
  void expect_end() {
    accept(";");
    if (peek().k != Tok::End) throw SqlError{"unexpected token [" + peek().text + "]", peek().pos};
  }
  int64_t signed_int() {
    bool neg = accept("-");
    const Tok& t = peek();
    if (t.k != Tok::Num) throw SqlError{"integer expected", t.pos};
    next();
    int64_t v = 0;
    auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (r.ec != std::errc() || r.ptr != t.text.data() + t.text.size()) throw SqlError{"integer expected", t.pos};
    return neg ? -v : v;
  }
  Lit literal();
  Engine::Table& table_ref();
  int col_index(Engine::Table& tb, const Tok& t) {
    std::string n = lower(t.text);
    for (size_t k = 0; k < tb.cols.size(); ++k)
      if (lower(tb.cols[k].name) == n) return static_cast<int>(k);
    throw SqlError{"Invalid column: " + t.text, t.pos};
  }
  void bind(sqlite3_stmt* st, int idx, const Column& c, const Lit& l);
  std::string where_expr(Engine::Table& tb, std::vector<std::pair<Column, Lit>>& params);
  std::string where_and(Engine::Table& tb, std::vector<std::pair<Column, Lit>>& params);
  std::string where_primary(Engine::Table& tb, std::vector<std::pair<Column, Lit>>& params);

  Result create();
  Result insert();
  Result select(std::string* translated_only);
  Result tables();
  Result table_columns(const std::string& name, size_t pos);
  Result drop_or_truncate(bool drop);
  std::string render(sqlite3_stmt* st, int i, const std::string& type);
};

Lit Parser::literal() {
  Lit l;
  l.pos = peek().pos;
  bool neg = false;
  if (accept("-")) neg = true;
  const Tok& t = peek();
  if (t.k == Tok::Str && !neg) {
    next();
    l.k = Lit::Str;
    l.s = t.text;
  } else if (t.k == Tok::Num) {
    next();
    std::string txt = t.text;
    bool long_suffix = !txt.empty() && (txt.back() == 'L' || txt.back() == 'l');
    if (long_suffix) txt.pop_back();
    int64_t v = 0;
    auto r = std::from_chars(txt.data(), txt.data() + txt.size(), v);
    if (r.ec == std::errc() && r.ptr == txt.data() + txt.size()) {
      l.k = Lit::Int;
      l.i = neg ? -v : v;
      l.d = static_cast<double>(l.i);
    } else {
      char* endp = nullptr;
      double d = std::strtod(txt.c_str(), &endp);
      if (!endp || *endp) throw SqlError{"invalid number: " + t.text, t.pos};
      l.k = Lit::Real;
      l.d = neg ? -d : d;
    }
  } else if (t.k == Tok::Ident && !neg) {
    std::string k = lower(t.text);
    next();
    if (k == "null") l.k = Lit::Null;
    else if (k == "true" || k == "false") { l.k = Lit::Bool; l.i = k == "true"; }
    else if (k == "nan") l.k = Lit::NaN;
    else throw SqlError{"literal expected, found [" + t.text + "]", t.pos};
  } else {
    throw SqlError{"literal expected", t.pos};
  }
  return l;
}

Engine::Table& Parser::table_ref() {
  const Tok& t = peek();
  std::string n = ident("table name");
  auto* tb = e_.find(n);
  if (!tb) throw SqlError{"table does not exist [table=" + n + "]", t.pos};
  return *tb;
}

void Parser::bind(sqlite3_stmt* st, int idx, const Column& c, const Lit& l) {
  const std::string& ty = c.type;
  auto fail = [&](const std::string& from) {
    throw SqlError{"inconvertible value: " + from + " [" + (l.k == Lit::Str ? "STRING" : "NUMBER") + " -> " + ty + "]",
                   l.pos};
  };
  if (l.k == Lit::Null || (l.k == Lit::NaN && !is_text_type(ty))) { sqlite3_bind_null(st, idx); return; }
  if (ty == "TIMESTAMP" || ty == "DATE") {
    int64_t div = ty == "DATE" ? 1000 : 1;
    if (l.k == Lit::Str) {
      auto v = parse_iso_us(l.s);
      if (!v) fail("`" + l.s + "`");
      sqlite3_bind_int64(st, idx, floor_div(*v, div));
    } else if (l.k == Lit::Int) {
      sqlite3_bind_int64(st, idx, l.i);
    } else {
      fail(std::to_string(l.d));
    }
  } else if (is_int_type(ty)) {
    if (l.k == Lit::Int) sqlite3_bind_int64(st, idx, l.i);
    else if (l.k == Lit::Str) {
      int64_t v = 0;
      auto r = std::from_chars(l.s.data(), l.s.data() + l.s.size(), v);
      if (r.ec != std::errc() || r.ptr != l.s.data() + l.s.size()) fail("`" + l.s + "`");
      sqlite3_bind_int64(st, idx, v);
    } else if (l.k == Lit::Real) sqlite3_bind_int64(st, idx, static_cast<int64_t>(l.d));
    else fail("bool");
  } else if (is_real_type(ty)) {
    if (l.k == Lit::Int || l.k == Lit::Real) {
      if (std::isfinite(l.d)) sqlite3_bind_double(st, idx, l.d);
      else sqlite3_bind_null(st, idx);
    } else if (l.k == Lit::Str) {
      char* endp = nullptr;
      double d = std::strtod(l.s.c_str(), &endp);
      if (l.s.empty() || *endp) fail("`" + l.s + "`");
      if (std::isfinite(d)) sqlite3_bind_double(st, idx, d);
      else sqlite3_bind_null(st, idx);
    } else fail("bool");
  } else if (ty == "BOOLEAN") {
    if (l.k == Lit::Bool || l.k == Lit::Int) sqlite3_bind_int64(st, idx, l.i != 0);
    else if (l.k == Lit::Str && (lower(l.s) == "true" || lower(l.s) == "false")) sqlite3_bind_int64(st, idx, lower(l.s) == "true");
    else fail("value");
  } else {  // text types
    std::string v;
    if (l.k == Lit::Str) v = l.s;
    else if (l.k == Lit::Int) v = std::to_string(l.i);
    else if (l.k == Lit::Real) v = java_double(l.d);
    else if (l.k == Lit::Bool) v = l.i ? "true" : "false";
    else if (l.k == Lit::NaN) v = "NaN";
    sqlite3_bind_text(st, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
}

namespace {
struct Stmt {
  sqlite3_stmt* st = nullptr;
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw SqlError{std::string("internal error: ") + sqlite3_errmsg(db), 0};
  }
  ~Stmt() { sqlite3_finalize(st); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
};
std::string q_ident(const std::string& s) {
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}
std::string store_name(const std::string& table) { return q_ident("qdb_" + lower(table)); }
std::string col_name(size_t i) { return "c" + std::to_string(i); }
}  // namespace

std::string Parser::render(sqlite3_stmt* st, int i, const std::string& ty) {
  bool null = sqlite3_column_type(st, i) == SQLITE_NULL;
  if (ty == "BOOLEAN") return !null && sqlite3_column_int64(st, i) ? "true" : "false";
  if (null) {
    if (ty == "BYTE" || ty == "SHORT") return "0";
    if (ty == "CHAR") return "\"\"";
    return "null";
  }
  if (ty == "TIMESTAMP") return "\"" + format_ts_us(sqlite3_column_int64(st, i)) + "\"";
  if (ty == "DATE") return "\"" + format_date_ms(sqlite3_column_int64(st, i)) + "\"";
  if (is_int_type(ty)) return std::to_string(sqlite3_column_int64(st, i));
  if (is_real_type(ty)) {
    double d = sqlite3_column_double(st, i);
    if (!std::isfinite(d)) return "null";
    if (e_.version() == "7.4.2") {
      if (ty == "FLOAT") {
        char b[64];
        std::snprintf(b, sizeof b, "%.4f", d);
        return b;
      }
      std::string j = java_double(d);
      auto dot = j.find('.');
      if (j.find('E') == std::string::npos && dot != std::string::npos && j.size() - dot - 1 > 12) {
        char b[64];
        std::snprintf(b, sizeof b, "%.12f", d);
        return b;
      }
      return j;
    }
    return java_double(d);
  }
  const unsigned char* txt = sqlite3_column_text(st, i);
  return json_escape(std::string(reinterpret_cast<const char*>(txt), static_cast<size_t>(sqlite3_column_bytes(st, i))));
}

Result Parser::run(std::string* translated_only) {
  if (translated_only) return select(translated_only);
  if (kw("create")) return create();
  if (kw("insert")) return insert();
  if (kw("select")) return select(nullptr);
  if (kw("tables") && peek(1).text == "(") {
    next(); next(); expect(")"); expect_end();
    return tables();
  }
  if (kw("table_columns") && peek(1).text == "(") {
    next(); next();
    const Tok& t = peek();
    if (t.k != Tok::Str) throw SqlError{"table name expected", t.pos};
    next();
    expect(")");
    expect_end();
    return table_columns(t.text, t.pos);
  }
  if (kw("show")) {
    next();
    if (accept_kw("tables")) {
      expect_end();
      Result r;
      r.kind = Result::Select;
      r.columns = {{"table_name", "STRING"}};
      for (auto& [k, tb] : e_.tables_) r.rows.push_back({json_escape(tb.name)});
      return r;
    }
    expect_kw("columns");
    expect_kw("from");
    const Tok& t = peek();
    std::string n = ident("table name");
    expect_end();
    return table_columns(n, t.pos);
  }
  if (kw("drop")) return drop_or_truncate(true);
  if (kw("truncate")) return drop_or_truncate(false);
  if (kw("delete") || kw("update"))
    throw SqlError{"'" + lower(peek().text) + "' is not supported by this emulator", peek().pos};
  if (peek().k == Tok::End) throw SqlError{"empty query", 0};
  throw SqlError{"table and column names that are SQL keywords have to be enclosed in double quotes, such as \"from\"",
                 peek().pos};
}

Result Parser::create() {
  expect_kw("create");
  expect_kw("table");
  bool if_not_exists = false;
  if (accept_kw("if")) { expect_kw("not"); expect_kw("exists"); if_not_exists = true; }
  const Tok& nt = peek();
  std::string name = ident("table name");
  Engine::Table tb;
  tb.name = name;
  expect("(");
  do {
    const Tok& ct = peek();
    Column c;
    c.name = ident("column name");
    const Tok& tt = peek();
    std::string ty = upper(ident("column type"));
    if (ty == "IPV4") ty = "IPv4";
    if (std::find(kTypes.begin(), kTypes.end(), upper(ty)) == kTypes.end())
      throw SqlError{"unsupported column type: " + tt.text, tt.pos};
    if (ty == "GEOHASH") {  // GEOHASH(nc)
      expect("(");
      ty += "(" + next().text + ")";
      expect(")");
      std::string g = ty;
      ty = upper(g);
    }
    c.type = ty;
    // optional SYMBOL options / INDEX are skipped
    while (accept_kw("capacity") || accept_kw("cache") || accept_kw("nocache") || accept_kw("index")) {
      if (peek().k == Tok::Num) next();
    }
    for (auto& o : tb.cols)
      if (lower(o.name) == lower(c.name)) throw SqlError{"Duplicate column [name=" + c.name + "]", ct.pos};
    tb.cols.push_back(c);
  } while (accept(","));
  expect(")");
  bool bypass_wal = false, wal = false;
  while (peek().k != Tok::End && !punct(";")) {
    if (accept_kw("timestamp")) {
      expect("(");
      const Tok& t = peek();
      ident("column name");
      int idx = col_index(tb, t);
      if (tb.cols[static_cast<size_t>(idx)].type != "TIMESTAMP")
        throw SqlError{"TIMESTAMP column expected [actual=" + tb.cols[static_cast<size_t>(idx)].type + "]", t.pos};
      tb.ts = idx;
      expect(")");
    } else if (accept_kw("partition")) {
      expect_kw("by");
      const Tok& t = peek();
      std::string p = upper(ident("partition unit"));
      static const std::vector<std::string> units = {"NONE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR"};
      if (std::find(units.begin(), units.end(), p) == units.end())
        throw SqlError{"'NONE', 'HOUR', 'DAY', 'WEEK', 'MONTH' or 'YEAR' expected", t.pos};
      if (p != "NONE" && tb.ts < 0) throw SqlError{"partitioning is possible only on tables with designated timestamps", t.pos};
      tb.partition = p;
    } else if (accept_kw("wal")) {
      wal = true;
    } else if (accept_kw("bypass")) {
      expect_kw("wal");
      bypass_wal = true;
    } else if (accept_kw("dedup")) {
      expect_kw("upsert");
      expect_kw("keys");
      expect("(");
      bool has_ts = false;
      do {
        const Tok& t = peek();
        ident("column name");
        int idx = col_index(tb, t);
        if (idx == tb.ts) has_ts = true;
        tb.dedup.push_back(idx);
      } while (accept(","));
      expect(")");
      if (!has_ts) throw SqlError{"deduplicate key list must include dedicated timestamp column", peek().pos};
    } else {
      throw SqlError{"unexpected token [" + peek().text + "]", peek().pos};
    }
  }
  expect_end();
  if (wal && tb.partition == "NONE") throw SqlError{"WAL Write Mode can only be used on partitioned tables", 0};
  if (!tb.dedup.empty() && !(wal || (tb.partition != "NONE" && !bypass_wal)))
    throw SqlError{"deduplication is possible only on WAL tables", 0};
  tb.wal = !bypass_wal && tb.partition != "NONE";
  if (e_.find(name)) {
    if (if_not_exists) return Result{};
    throw SqlError{"table already exists", nt.pos};
  }
  tb.id = e_.next_id_++;
  std::string ddl = "CREATE TABLE " + store_name(name) + "(";
  for (size_t k = 0; k < tb.cols.size(); ++k) ddl += (k ? ", " : "") + col_name(k);
  ddl += ")";
  e_.sql(ddl);
  if (tb.ts >= 0) e_.sql("CREATE INDEX " + q_ident("qdbts_" + lower(name)) + " ON " + store_name(name) + "(" + col_name(static_cast<size_t>(tb.ts)) + ")");
  std::string dedup;
  if (!tb.dedup.empty()) {
    std::string cols;
    for (int d : tb.dedup) {
      cols += (cols.empty() ? "" : ", ") + col_name(static_cast<size_t>(d));
      dedup += (dedup.empty() ? "" : ",") + std::to_string(d);
    }
    e_.sql("CREATE UNIQUE INDEX " + q_ident("qdbdd_" + lower(name)) + " ON " + store_name(name) + "(" + cols + ")");
  }
  {
    Stmt st(e_.db_, "INSERT INTO _qdb_tables(name, id, ts_col, partition_by, wal, dedup) VALUES (?,?,?,?,?,?)");
    sqlite3_bind_text(st.st, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st.st, 2, tb.id);
    sqlite3_bind_int(st.st, 3, tb.ts);
    sqlite3_bind_text(st.st, 4, tb.partition.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st.st, 5, tb.wal);
    sqlite3_bind_text(st.st, 6, dedup.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(st.st);
  }
  for (size_t k = 0; k < tb.cols.size(); ++k) {
    Stmt st(e_.db_, "INSERT INTO _qdb_columns(tname, pos, name, type) VALUES (?,?,?,?)");
    sqlite3_bind_text(st.st, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st.st, 2, static_cast<int>(k));
    sqlite3_bind_text(st.st, 3, tb.cols[k].name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.st, 4, tb.cols[k].type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(st.st);
  }
  e_.tables_[lower(name)] = tb;
  return Result{};
}

Result Parser::insert() {
  expect_kw("insert");
  expect_kw("into");
  Engine::Table& tb = table_ref();
  std::vector<int> cols;
  if (accept("(")) {
    do {
      const Tok& t = peek();
      ident("column name");
      cols.push_back(col_index(tb, t));
    } while (accept(","));
    expect(")");
  } else {
    for (size_t k = 0; k < tb.cols.size(); ++k) cols.push_back(static_cast<int>(k));
  }
  expect_kw("values");
  std::vector<std::vector<Lit>> rows;
  do {
    const Tok& rt = peek();
    expect("(");
    std::vector<Lit> row;
    do { row.push_back(literal()); } while (accept(","));
    expect(")");
    if (row.size() != cols.size()) throw SqlError{"row value count does not match column count [expected=" + std::to_string(cols.size()) + ", actual=" + std::to_string(row.size()) + ", tuple=" + std::to_string(rows.size() + 1) + "]", rt.pos};
    rows.push_back(std::move(row));
  } while (accept(","));
  expect_end();
  if (tb.ts >= 0 && std::find(cols.begin(), cols.end(), tb.ts) == cols.end())
    throw SqlError{"designated timestamp column must be set", 0};
  std::string sql = std::string(tb.dedup.empty() ? "INSERT" : "INSERT OR REPLACE") + " INTO " + store_name(tb.name) + "(";
  for (size_t k = 0; k < cols.size(); ++k) sql += (k ? ", " : "") + col_name(static_cast<size_t>(cols[k]));
  sql += ") VALUES (";
  for (size_t k = 0; k < cols.size(); ++k) sql += k ? ", ?" : "?";
  sql += ")";
  e_.sql("BEGIN");
  try {
    Stmt st(e_.db_, sql);
    for (auto& row : rows) {
      sqlite3_reset(st.st);
      for (size_t k = 0; k < cols.size(); ++k) {
        const Column& c = tb.cols[static_cast<size_t>(cols[k])];
        if (cols[k] == tb.ts && (row[k].k == Lit::Null || row[k].k == Lit::NaN))
          throw SqlError{"designated timestamp column cannot be NULL", row[k].pos};
        bind(st.st, static_cast<int>(k + 1), c, row[k]);
      }
      if (sqlite3_step(st.st) != SQLITE_DONE) throw SqlError{std::string("insert failed: ") + sqlite3_errmsg(e_.db_), 0};
    }
    e_.sql("COMMIT");
  } catch (...) {
    e_.sql("ROLLBACK");
    throw;
  }
  Result r;
  r.kind = Result::Dml;
  return r;
}

std::string Parser::where_expr(Engine::Table& tb, std::vector<std::pair<Column, Lit>>& params) {
  std::string s = where_and(tb, params);
  while (accept_kw("or")) s = "(" + s + " OR " + where_and(tb, params) + ")";
  return s;
}
std::string Parser::where_and(Engine::Table& tb, std::vector<std::pair<Column, Lit>>& params) {
  std::string s = where_primary(tb, params);
  while (accept_kw("and")) s = "(" + s + " AND " + where_primary(tb, params) + ")";
  return s;
}
std::string Parser::where_primary(Engine::Table& tb, std::vector<std::pair<Column, Lit>>& params) {
  if (accept("(")) {
    std::string s = where_expr(tb, params);
    expect(")");
    return "(" + s + ")";
  }
  if (accept_kw("not")) return "(NOT " + where_primary(tb, params) + ")";
  const Tok& ct = peek();
  if (ct.k != Tok::Ident && ct.k != Tok::QIdent) throw SqlError{"column name expected", ct.pos};
  next();
  int idx = col_index(tb, ct);
  const Column& c = tb.cols[static_cast<size_t>(idx)];
  std::string cn = col_name(static_cast<size_t>(idx));
  if (accept_kw("is")) {
    bool neg = accept_kw("not");
    expect_kw("null");
    if (c.type == "BOOLEAN") return neg ? "1" : "0";
    return cn + (neg ? " IS NOT NULL" : " IS NULL");
  }
  if (accept_kw("between")) {
    Lit a = literal();
    expect_kw("and");
    Lit b = literal();
    params.push_back({c, a});
    params.push_back({c, b});
    return "(" + cn + " >= ? AND " + cn + " <= ?)";
  }
  const Tok& op = peek();
  static const std::vector<std::string> ops = {"=", "!=", "<>", "<", "<=", ">", ">="};
  if (op.k != Tok::Punct || std::find(ops.begin(), ops.end(), op.text) == ops.end())
    throw SqlError{"comparison operator expected", op.pos};
  next();
  Lit l = literal();
  std::string o = op.text == "<>" ? "!=" : op.text;
  if (l.k == Lit::Null || (l.k == Lit::NaN && is_real_type(c.type))) {
    if (o == "=") return cn + " IS NULL";
    if (o == "!=") return cn + " IS NOT NULL";
    return "0";
  }
  params.push_back({c, l});
  if (c.type == "BOOLEAN") return "coalesce(" + cn + ",0) " + o + " ?";
  if (o == "!=") return "(" + cn + " IS NOT ?)";
  return cn + " " + o + " ?";
}

Result Parser::select(std::string* translated_only) {
  expect_kw("select");
  if (!translated_only && (peek().k == Tok::Num || peek().k == Tok::Str || punct("-"))) {
    // constant select list without FROM, e.g. "select 1"
    Result r;
    r.kind = Result::Select;
    std::vector<std::string> row;
    do {
      size_t from = peek().pos;
      Lit l = literal();
      std::string name = q_.substr(from, peek().pos - from);
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
      if (accept_kw("as")) name = ident("alias");
      else if (peek().k == Tok::Ident || peek().k == Tok::QIdent) name = ident("alias");
      std::string type, v;
      if (l.k == Lit::Int) {
        bool is_long = name.back() == 'L' || name.back() == 'l' || l.i > INT32_MAX || l.i < -INT32_MAX;
        type = is_long ? "LONG" : "INT";
        v = std::to_string(l.i);
      } else if (l.k == Lit::Real) {
        type = "DOUBLE";
        v = java_double(l.d);
      } else {
        type = "STRING";
        v = json_escape(l.s);
      }
      r.columns.push_back({name, type});
      row.push_back(v);
    } while (accept(","));
    expect_end();
    r.rows.push_back(row);
    return r;
  }
  struct Item { enum K { Col, Count, Min, Max } k; int col = -1; Tok tok; std::string alias; };
  std::vector<Item> items;
  bool star = false;
  if (accept("*")) {
    star = true;
  } else {
    do {
      Item it{Item::Col, -1, peek(), ""};
      const Tok& t = peek();
      if (t.k != Tok::Ident && t.k != Tok::QIdent) throw SqlError{"column name expected", t.pos};
      next();
      std::string fn = lower(t.text);
      if (t.k == Tok::Ident && punct("(") && (fn == "count" || fn == "min" || fn == "max")) {
        next();
        if (fn == "count") {
          it.k = Item::Count;
          accept("*");
        } else {
          it.k = fn == "min" ? Item::Min : Item::Max;
          it.tok = peek();
          ident("column name");
        }
        expect(")");
      }
      if (accept_kw("as")) it.alias = ident("alias");
      else if ((peek().k == Tok::Ident && !kw("from")) || peek().k == Tok::QIdent) it.alias = ident("alias");
      if (it.k == Item::Col && t.k == Tok::Ident && punct("(")) throw SqlError{"unknown function name: " + t.text, t.pos};
      it.tok = it.k == Item::Count ? t : it.tok;
      if (it.k == Item::Col) it.tok = t;
      items.push_back(it);
    } while (accept(","));
  }
  if (!kw("from")) {
    if (peek().k == Tok::End) throw SqlError{"only SELECT ... FROM table is supported by this emulator", peek().pos};
    throw SqlError{"',', 'from' or 'over' expected", peek().pos};
  }
  next();
  Engine::Table& tb = table_ref();
  Result r;
  r.kind = Result::Select;
  bool agg = false, plain = star;
  std::string proj;
  std::vector<std::string> types;
  if (star) {
    for (size_t k = 0; k < tb.cols.size(); ++k) {
      r.columns.push_back(tb.cols[k]);
      types.push_back(tb.cols[k].type);
      proj += (k ? ", " : "") + col_name(k);
    }
    r.ts_index = tb.ts;
  }
  const bool v9 = e_.version() != "7.4.2";
  for (auto& it : items) {
    if (it.k == Item::Col) {
      plain = true;
      int idx = col_index(tb, it.tok);
      if (idx == tb.ts && r.ts_index < 0) r.ts_index = static_cast<int>(r.columns.size());
      r.columns.push_back({it.alias.empty() ? tb.cols[static_cast<size_t>(idx)].name : it.alias, tb.cols[static_cast<size_t>(idx)].type});
      proj += (proj.empty() ? "" : ", ") + col_name(static_cast<size_t>(idx));
    } else if (it.k == Item::Count) {
      agg = true;
      r.columns.push_back({it.alias.empty() ? (v9 ? "count()" : "count") : it.alias, "LONG"});
      proj += std::string(proj.empty() ? "" : ", ") + "count(*)";
    } else {
      agg = true;
      int idx = col_index(tb, it.tok);
      const char* f = it.k == Item::Min ? "min" : "max";
      std::string def = v9 ? std::string(f) + "(" + it.tok.text + ")" : std::string(f);
      r.columns.push_back({it.alias.empty() ? def : it.alias, tb.cols[static_cast<size_t>(idx)].type});
      proj += (proj.empty() ? "" : ", ") + std::string(f) + "(" + col_name(static_cast<size_t>(idx)) + ")";
    }
    types.push_back(r.columns.back().type);
  }
  if (agg && plain) throw SqlError{"mixing aggregates and columns without SAMPLE BY/GROUP BY is not supported by this emulator", 0};
  if (agg) r.ts_index = -1;
  std::vector<std::pair<Column, Lit>> params;
  std::string where, order;
  if (accept_kw("where")) where = " WHERE " + where_expr(tb, params);
  if (accept_kw("order")) {
    expect_kw("by");
    do {
      const Tok& t = peek();
      ident("column name");
      int idx = col_index(tb, t);
      std::string dir = " ASC";
      if (accept_kw("desc")) dir = " DESC";
      else accept_kw("asc");
      order += (order.empty() ? " ORDER BY " : ", ") + col_name(static_cast<size_t>(idx)) + dir;
    } while (accept(","));
  }
  bool has_limit = false, has_hi = false;
  int64_t lo = 0, hi = 0;
  if (accept_kw("limit")) {
    has_limit = true;
    lo = signed_int();
    if (accept(",")) { has_hi = true; hi = signed_int(); }
  }
  expect_end();
  if (!agg) {
    const std::string ties = e_.shuffle_ties_ ? ", random()" : ", rowid";
    if (order.empty() && tb.ts >= 0) order = " ORDER BY " + col_name(static_cast<size_t>(tb.ts)) + ties;
    else if (!order.empty()) order += ties;
  } else {
    order.clear();
  }
  // Row range [from, to) over the full result; negative bounds need the row count.
  std::string sqlite_limit;
  bool slice_in_cpp = false;
  if (has_limit && !agg) {
    if (!has_hi) {
      if (lo >= 0) sqlite_limit = " LIMIT " + std::to_string(lo);
      else slice_in_cpp = true;
    } else {
      if (lo >= 0 && hi >= 0) {
        if (lo > hi) std::swap(lo, hi);
        sqlite_limit = " LIMIT " + std::to_string(hi - lo) + " OFFSET " + std::to_string(lo);
      } else {
        slice_in_cpp = true;
      }
    }
  }
  std::string sql = "SELECT " + proj + " FROM " + store_name(tb.name) + where + order + sqlite_limit;
  if (translated_only) {
    *translated_only = sql;
    return r;
  }
  Stmt st(e_.db_, sql);
  for (size_t k = 0; k < params.size(); ++k) bind(st.st, static_cast<int>(k + 1), params[k].first, params[k].second);
  int rc;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (size_t k = 0; k < types.size(); ++k) row.push_back(render(st.st, static_cast<int>(k), types[k]));
    r.rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) throw SqlError{std::string("query failed: ") + sqlite3_errmsg(e_.db_), 0};
  if (slice_in_cpp) {
    int64_t n = static_cast<int64_t>(r.rows.size());
    int64_t from, to;
    if (!has_hi) { from = n + lo; to = n; }
    else {
      from = lo < 0 ? n + lo : lo;
      to = hi < 0 ? n + hi : hi;
      if (lo < 0 && hi < 0 && from > to) std::swap(from, to);
    }
    from = std::clamp<int64_t>(from, 0, n);
    to = std::clamp<int64_t>(to, 0, n);
    if (to < from) to = from;
    r.rows = std::vector<std::vector<std::string>>(r.rows.begin() + from, r.rows.begin() + to);
  }
  return r;
}

Result Parser::tables() {
  Result r;
  r.kind = Result::Select;
  const bool v9 = e_.version() != "7.4.2";
  static const std::vector<Column> cols9 = {
      {"id", "INT"}, {"table_name", "STRING"}, {"designatedTimestamp", "STRING"}, {"partitionBy", "STRING"},
      {"walEnabled", "BOOLEAN"}, {"dedup", "BOOLEAN"}, {"ttlValue", "INT"}, {"ttlUnit", "STRING"},
      {"matView", "BOOLEAN"}, {"directoryName", "STRING"}, {"maxUncommittedRows", "INT"}, {"o3MaxLag", "LONG"},
      {"table_suspended", "BOOLEAN"}, {"table_type", "CHAR"}, {"table_row_count", "LONG"},
      {"table_min_timestamp", "TIMESTAMP"}, {"table_max_timestamp", "TIMESTAMP"},
      {"table_last_write_timestamp", "TIMESTAMP"}, {"table_txn", "LONG"}, {"table_memory_pressure_level", "INT"},
      {"table_write_amp_count", "LONG"}, {"table_write_amp_p50", "DOUBLE"}, {"table_write_amp_p90", "DOUBLE"},
      {"table_write_amp_p99", "DOUBLE"}, {"table_write_amp_max", "DOUBLE"}, {"table_merge_rate_count", "LONG"},
      {"table_merge_rate_p50", "LONG"}, {"table_merge_rate_p90", "LONG"}, {"table_merge_rate_p99", "LONG"},
      {"table_merge_rate_max", "LONG"}, {"wal_pending_row_count", "LONG"},
      {"wal_dedup_row_count_since_start", "LONG"}, {"wal_txn", "LONG"}, {"wal_max_timestamp", "TIMESTAMP"},
      {"wal_tx_count", "LONG"}, {"wal_tx_size_p50", "LONG"}, {"wal_tx_size_p90", "LONG"},
      {"wal_tx_size_p99", "LONG"}, {"wal_tx_size_max", "LONG"}, {"replica_batch_count", "LONG"},
      {"replica_batch_size_p50", "LONG"}, {"replica_batch_size_p90", "LONG"}, {"replica_batch_size_p99", "LONG"},
      {"replica_batch_size_max", "LONG"}, {"replica_more_pending", "BOOLEAN"}};
  static const std::vector<Column> cols7 = {
      {"id", "INT"}, {"table_name", "STRING"}, {"designatedTimestamp", "STRING"}, {"partitionBy", "STRING"},
      {"maxUncommittedRows", "INT"}, {"o3MaxLag", "LONG"}, {"walEnabled", "BOOLEAN"}, {"directoryName", "STRING"},
      {"dedup", "BOOLEAN"}};
  r.columns = v9 ? cols9 : cols7;
  std::vector<const Engine::Table*> list;
  for (auto& [k, tb] : e_.tables_) list.push_back(&tb);
  std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (auto* tb : list) {
    int64_t cnt = 0;
    std::string mn = "null", mx = "null";
    {
      std::string tsc = tb->ts >= 0 ? col_name(static_cast<size_t>(tb->ts)) : "NULL";
      Stmt st(e_.db_, "SELECT count(*), min(" + tsc + "), max(" + tsc + ") FROM " + store_name(tb->name));
      if (sqlite3_step(st.st) == SQLITE_ROW) {
        cnt = sqlite3_column_int64(st.st, 0);
        if (sqlite3_column_type(st.st, 1) != SQLITE_NULL) mn = "\"" + format_ts_us(sqlite3_column_int64(st.st, 1)) + "\"";
        if (sqlite3_column_type(st.st, 2) != SQLITE_NULL) mx = "\"" + format_ts_us(sqlite3_column_int64(st.st, 2)) + "\"";
      }
    }
    std::vector<std::string> row;
    for (auto& c : r.columns) {
      const std::string& n = c.name;
      if (n == "id") row.push_back(std::to_string(tb->id));
      else if (n == "table_name") row.push_back(json_escape(tb->name));
      else if (n == "designatedTimestamp") row.push_back(tb->ts >= 0 ? json_escape(tb->cols[static_cast<size_t>(tb->ts)].name) : "null");
      else if (n == "partitionBy") row.push_back(json_escape(tb->partition));
      else if (n == "walEnabled") row.push_back(tb->wal ? "true" : "false");
      else if (n == "dedup") row.push_back(tb->dedup.empty() ? "false" : "true");
      else if (n == "ttlUnit") row.push_back("\"HOUR\"");
      else if (n == "directoryName") row.push_back(json_escape(tb->name + "~" + std::to_string(tb->id)));
      else if (n == "maxUncommittedRows") row.push_back("500000");
      else if (n == "o3MaxLag") row.push_back("600000000");
      else if (n == "table_type") row.push_back("\"T\"");
      else if (n == "table_row_count") row.push_back(std::to_string(cnt));
      else if (n == "table_min_timestamp") row.push_back(mn);
      else if (n == "table_max_timestamp" || n == "wal_max_timestamp") row.push_back(mx);
      else if (c.type == "TIMESTAMP") row.push_back("null");
      else if (c.type == "BOOLEAN") row.push_back("false");
      else if (c.type == "DOUBLE") row.push_back("0.0");
      else row.push_back("0");
    }
    r.rows.push_back(std::move(row));
  }
  return r;
}

Result Parser::table_columns(const std::string& name, size_t pos) {
  auto* tb = e_.find(name);
  if (!tb) throw SqlError{"table does not exist [table=" + name + "]", pos};
  const bool v9 = e_.version() != "7.4.2";
  Result r;
  r.kind = Result::Select;
  r.columns = {{"column", "STRING"}, {"type", "STRING"}, {"indexed", "BOOLEAN"}, {"indexBlockCapacity", "INT"},
               {"symbolCached", "BOOLEAN"}, {"symbolCapacity", "INT"}};
  if (v9) r.columns.push_back({"symbolTableSize", "INT"});
  r.columns.push_back({"designated", "BOOLEAN"});
  r.columns.push_back({"upsertKey", "BOOLEAN"});
  for (size_t k = 0; k < tb->cols.size(); ++k) {
    const Column& c = tb->cols[k];
    bool sym = c.type == "SYMBOL";
    std::vector<std::string> row = {json_escape(c.name), json_escape(c.type), "false", sym ? "256" : "0",
                                    sym ? "true" : "false", sym ? "256" : "0"};
    if (v9) {
      int64_t n = 0;
      if (sym) {
        Stmt st(e_.db_, "SELECT count(DISTINCT " + col_name(k) + ") + max(" + col_name(k) + " IS NULL) FROM " + store_name(tb->name));
        if (sqlite3_step(st.st) == SQLITE_ROW) n = sqlite3_column_int64(st.st, 0);
      }
      row.push_back(std::to_string(n));
    }
    row.push_back(static_cast<int>(k) == tb->ts ? "true" : "false");
    row.push_back(std::find(tb->dedup.begin(), tb->dedup.end(), static_cast<int>(k)) != tb->dedup.end() ? "true" : "false");
    r.rows.push_back(std::move(row));
  }
  return r;
}

Result Parser::drop_or_truncate(bool drop) {
  next();
  expect_kw("table");
  bool if_exists = false;
  if (drop && accept_kw("if")) { expect_kw("exists"); if_exists = true; }
  const Tok& t = peek();
  std::string name = ident("table name");
  expect_end();
  auto* tb = e_.find(name);
  if (!tb) {
    if (if_exists) return Result{};
    throw SqlError{"table does not exist [table=" + name + "]", t.pos};
  }
  if (drop) {
    e_.sql("DROP TABLE " + store_name(tb->name));
    Stmt a(e_.db_, "DELETE FROM _qdb_tables WHERE lower(name) = ?");
    sqlite3_bind_text(a.st, 1, lower(name).c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(a.st);
    Stmt b(e_.db_, "DELETE FROM _qdb_columns WHERE lower(tname) = ?");
    sqlite3_bind_text(b.st, 1, lower(name).c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(b.st);
    e_.tables_.erase(lower(name));
  } else {
    e_.sql("DELETE FROM " + store_name(tb->name));
  }
  return Result{};
}

// ---------------------------------------------------------------- Engine
Engine::Engine(const std::string& path, std::string version) : version_(std::move(version)) {
  if (sqlite3_open(path.empty() ? ":memory:" : path.c_str(), &db_) != SQLITE_OK)
    throw std::runtime_error("cannot open sqlite database " + path);
  sql("PRAGMA journal_mode=WAL");
  sql("PRAGMA synchronous=OFF");
  sql("CREATE TABLE IF NOT EXISTS _qdb_tables(name TEXT PRIMARY KEY, id INTEGER, ts_col INTEGER, partition_by TEXT, wal INTEGER, dedup TEXT)");
  sql("CREATE TABLE IF NOT EXISTS _qdb_columns(tname TEXT, pos INTEGER, name TEXT, type TEXT)");
  load_meta();
}

Engine::~Engine() { sqlite3_close(db_); }

void Engine::sql(const std::string& s) {
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "?";
    sqlite3_free(err);
    throw SqlError{"storage error: " + m, 0};
  }
}

void Engine::load_meta() {
  tables_.clear();
  Stmt st(db_, "SELECT name, id, ts_col, partition_by, wal, dedup FROM _qdb_tables");
  while (sqlite3_step(st.st) == SQLITE_ROW) {
    Table t;
    t.name = reinterpret_cast<const char*>(sqlite3_column_text(st.st, 0));
    t.id = sqlite3_column_int(st.st, 1);
    t.ts = sqlite3_column_int(st.st, 2);
    t.partition = reinterpret_cast<const char*>(sqlite3_column_text(st.st, 3));
    t.wal = sqlite3_column_int(st.st, 4) != 0;
    std::string d = reinterpret_cast<const char*>(sqlite3_column_text(st.st, 5));
    size_t p = 0;
    while (p < d.size()) {
      size_t c = d.find(',', p);
      if (c == std::string::npos) c = d.size();
      t.dedup.push_back(std::atoi(d.substr(p, c - p).c_str()));
      p = c + 1;
    }
    next_id_ = std::max(next_id_, t.id + 1);
    Stmt cs(db_, "SELECT name, type FROM _qdb_columns WHERE tname = ? ORDER BY pos");
    sqlite3_bind_text(cs.st, 1, t.name.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(cs.st) == SQLITE_ROW)
      t.cols.push_back({reinterpret_cast<const char*>(sqlite3_column_text(cs.st, 0)),
                        reinterpret_cast<const char*>(sqlite3_column_text(cs.st, 1))});
    tables_[lower(t.name)] = t;
  }
}

Engine::Table* Engine::find(const std::string& name) {
  auto it = tables_.find(lower(name));
  return it == tables_.end() ? nullptr : &it->second;
}

Result Engine::exec_locked(const std::string& q, std::string* translated_only) {
  Parser p(*this, q);
  return p.run(translated_only);
}

Result Engine::execute(const std::string& q) {
  std::lock_guard<std::mutex> g(mu_);
  return exec_locked(q, nullptr);
}

std::string Engine::translate_select(const std::string& q) {
  std::lock_guard<std::mutex> g(mu_);
  std::string out;
  exec_locked(q, &out);
  return out;
}

std::pair<int, std::string> Engine::exec_http(const ExecParams& p) {
  auto t0 = std::chrono::steady_clock::now();
  std::string q = p.query;
  bool blank = q.find_first_not_of(" \t\r\n;") == std::string::npos;
  if (blank) {
    if (version_ == "7.4.2") return {400, "{\"query\":\"\",\"error\":\"No query text\",\"position\":0}"};
    return {200, "{\"error\":\"empty query\",\"query\":\"\",\"position\":\"0\"}"};
  }
  Result r;
  try {
    r = execute(q);
  } catch (const SqlError& e) {
    return {400, "{\"query\":" + json_escape(q) + ",\"error\":" + json_escape(e.msg) + ",\"position\":" + std::to_string(e.pos) + "}"};
  }
  if (r.kind == Result::Ddl) return {200, "{\"ddl\":\"OK\"}"};
  if (r.kind == Result::Dml) return {200, version_ == "7.4.2" ? "{\"ddl\":\"OK\"}" : "{\"dml\":\"OK\"}"};
  // URL limit: "N" -> first N; "lo,hi" -> 1-based inclusive lo..hi (skip = lo-1, stop = hi)
  int64_t skip = 0, stop = INT64_MAX;
  if (!p.limit.empty()) {
    auto comma = p.limit.find(',');
    auto parse = [](const std::string& s, int64_t dflt) {
      int64_t v = 0;
      auto res = std::from_chars(s.data(), s.data() + s.size(), v);
      return res.ec == std::errc() ? std::max<int64_t>(v, 0) : dflt;
    };
    if (comma == std::string::npos) {
      stop = parse(p.limit, INT64_MAX);
    } else {
      skip = std::max<int64_t>(parse(p.limit.substr(0, comma), 0) - 1, 0);
      stop = parse(p.limit.substr(comma + 1), INT64_MAX);
    }
  }
  int64_t total = static_cast<int64_t>(r.rows.size());
  int64_t end = std::min(stop, total);
  std::string b = "{";
  if (!p.nm) {
    b += "\"query\":" + json_escape(q) + ",\"columns\":[";
    for (size_t k = 0; k < r.columns.size(); ++k)
      b += (k ? ",{\"name\":" : "{\"name\":") + json_escape(r.columns[k].name) + ",\"type\":" + json_escape(r.columns[k].type) + "}";
    b += "],\"timestamp\":" + std::to_string(r.ts_index) + ",";
  }
  b += "\"dataset\":[";
  bool first = true;
  for (int64_t i = skip; i < end; ++i) {
    b += first ? "[" : ",[";
    first = false;
    auto& row = r.rows[static_cast<size_t>(i)];
    for (size_t k = 0; k < row.size(); ++k) {
      if (k) b += ",";
      if (p.quote_large && r.columns[k].type == "LONG" && row[k] != "null") b += "\"" + row[k] + "\"";
      else b += row[k];
    }
    b += "]";
  }
  int64_t count = p.count ? total : std::max<int64_t>(end, skip);
  if (!p.count && end < skip) count = skip;
  b += "],\"count\":" + std::to_string(count);
  if (p.timings) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    b += ",\"timings\":{\"authentication\":0,\"compiler\":0,\"execute\":" + std::to_string(ns) + ",\"count\":0}";
  }
  b += "}";
  return {200, b};
}

}  // namespace questdb_emu
