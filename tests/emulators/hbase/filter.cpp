#include "filter.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <stdexcept>

namespace hbase_emu {
namespace {

enum class Op { LT, LE, EQ, NE, GE, GT };

bool op_holds(Op op, int cmp) {
  switch (op) {
    case Op::LT: return cmp < 0;
    case Op::LE: return cmp <= 0;
    case Op::EQ: return cmp == 0;
    case Op::NE: return cmp != 0;
    case Op::GE: return cmp >= 0;
    case Op::GT: return cmp > 0;
  }
  return false;
}

struct Comparator {
  enum Kind { Binary, BinaryPrefix, Substring, Regex } kind;
  std::string arg;
  std::regex re;

  // Compares `value` against the argument the way the filter op reads: value <op> arg.
  bool matches(Op op, const std::string& value) const {
    switch (kind) {
      case Binary: return op_holds(op, sign(value.compare(arg)));
      case BinaryPrefix: return op_holds(op, sign(value.compare(0, arg.size(), arg)));
      case Substring: {
        std::string v = value, a = arg;
        for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        for (auto& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        bool found = v.find(a) != std::string::npos;
        return op == Op::EQ ? found : !found;
      }
      case Regex: {
        bool found = std::regex_search(value, re);
        return op == Op::EQ ? found : !found;
      }
    }
    return false;
  }
  static int sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }
};

struct Token {
  enum Kind { Name, String, Number, OpTok, LParen, RParen, Comma, End } kind;
  std::string text;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}
  Token next() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ >= s_.size()) return {Token::End, {}};
    char c = s_[pos_];
    if (c == '(') { ++pos_; return {Token::LParen, "("}; }
    if (c == ')') { ++pos_; return {Token::RParen, ")"}; }
    if (c == ',') { ++pos_; return {Token::Comma, ","}; }
    if (c == '\'') {
      std::string out;
      ++pos_;
      for (;;) {
        if (pos_ >= s_.size()) throw std::runtime_error("unterminated quoted string");
        if (s_[pos_] == '\'') {
          if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') { out += '\''; pos_ += 2; continue; }
          ++pos_;
          return {Token::String, out};
        }
        out += s_[pos_++];
      }
    }
    if (c == '<' || c == '>' || c == '=' || c == '!') {
      std::string op(1, c);
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] == '=') { op += '='; ++pos_; }
      if (op == "!") throw std::runtime_error("invalid operator '!'");
      return {Token::OpTok, op};
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      size_t b = pos_++;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      return {Token::Number, std::string(s_.substr(b, pos_ - b))};
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t b = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
      return {Token::Name, std::string(s_.substr(b, pos_ - b))};
    }
    throw std::runtime_error(std::string("unexpected character '") + c + "' at offset " + std::to_string(pos_));
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// ---- filters ----

struct RowPredicate : Filter {
  enum Kind { Prefix, RowCmp } kind;
  Op op = Op::EQ;
  std::string prefix;
  std::shared_ptr<Comparator> cmp;
  bool apply(const std::string& row, std::vector<CellRef>&) const override {
    if (kind == Prefix) return row.compare(0, prefix.size(), prefix) == 0;
    return cmp->matches(op, row);
  }
};

struct SingleColumnValue : Filter {
  std::string column;  // "cf:q"
  Op op = Op::EQ;
  std::shared_ptr<Comparator> cmp;
  bool filter_if_missing = false;
  bool latest_only = true;
  bool exclude = false;
  bool apply(const std::string&, std::vector<CellRef>& cells) const override {
    bool seen = false, pass = false;
    for (auto& c : cells) {
      if (c.cell->column != column) continue;
      if (latest_only && seen) break;
      seen = true;
      if (cmp->matches(op, c.cell->value)) { pass = true; break; }
    }
    if (!seen) pass = !filter_if_missing;
    if (pass && exclude)
      std::erase_if(cells, [&](const CellRef& c) { return c.cell->column == column; });
    return pass;
  }
};

struct Timestamps : Filter {
  std::set<int64_t> ts;
  bool apply(const std::string&, std::vector<CellRef>& cells) const override {
    std::erase_if(cells, [&](const CellRef& c) { return !ts.count(c.cell->ts); });
    return true;
  }
};

struct KeyOnly : Filter {
  bool apply(const std::string&, std::vector<CellRef>& cells) const override {
    for (auto& c : cells) c.key_only = true;
    return true;
  }
};

struct FirstKeyOnly : Filter {
  bool apply(const std::string&, std::vector<CellRef>& cells) const override {
    if (cells.size() > 1) cells.resize(1);
    return true;
  }
};

struct And : Filter {
  std::unique_ptr<Filter> a, b;
  bool apply(const std::string& row, std::vector<CellRef>& cells) const override {
    return a->apply(row, cells) && b->apply(row, cells);
  }
};

struct Or : Filter {
  std::unique_ptr<Filter> a, b;
  // A cell survives if either passing branch keeps it; a row passes if either branch does.
  bool apply(const std::string& row, std::vector<CellRef>& cells) const override {
    std::vector<CellRef> ca = cells, cb = cells;
    bool pa = a->apply(row, ca), pb = b->apply(row, cb);
    if (!pa && !pb) return false;
    std::vector<CellRef> out;
    size_t i = 0, j = 0;
    if (!pa) ca.clear();
    if (!pb) cb.clear();
    while (i < ca.size() || j < cb.size()) {
      if (j == cb.size() || (i < ca.size() && ca[i].index < cb[j].index)) out.push_back(ca[i++]);
      else if (i == ca.size() || cb[j].index < ca[i].index) out.push_back(cb[j++]);
      else { CellRef m = ca[i++]; m.key_only = m.key_only && cb[j++].key_only; out.push_back(m); }
    }
    cells = std::move(out);
    return true;
  }
};

// ---- parser: expr := and ('OR' and)* ; and := prim ('AND' prim)* ; prim := '(' expr ')' | call ----

class Parser {
 public:
  explicit Parser(std::string_view s) : lex_(s) { tok_ = lex_.next(); }

  std::unique_ptr<Filter> parse() {
    auto f = parse_or();
    if (tok_.kind != Token::End) throw std::runtime_error("unexpected token '" + tok_.text + "'");
    return f;
  }

 private:
  void advance() { tok_ = lex_.next(); }
  bool is_keyword(const char* kw) const { return tok_.kind == Token::Name && tok_.text == kw; }

  std::unique_ptr<Filter> parse_or() {
    auto left = parse_and();
    while (is_keyword("OR")) {
      advance();
      auto f = std::make_unique<Or>();
      f->a = std::move(left);
      f->b = parse_and();
      left = std::move(f);
    }
    return left;
  }

  std::unique_ptr<Filter> parse_and() {
    auto left = parse_primary();
    while (is_keyword("AND")) {
      advance();
      auto f = std::make_unique<And>();
      f->a = std::move(left);
      f->b = parse_primary();
      left = std::move(f);
    }
    return left;
  }

  std::unique_ptr<Filter> parse_primary() {
    if (tok_.kind == Token::LParen) {
      advance();
      auto f = parse_or();
      if (tok_.kind != Token::RParen) throw std::runtime_error("expected ')'");
      advance();
      return f;
    }
    if (tok_.kind != Token::Name) throw std::runtime_error("expected a filter name, got '" + tok_.text + "'");
    if (tok_.text == "SKIP" || tok_.text == "WHILE")
      throw std::runtime_error(tok_.text + " is not supported by the emulator");
    std::string name = tok_.text;
    advance();
    if (tok_.kind != Token::LParen) throw std::runtime_error("expected '(' after " + name);
    advance();
    std::vector<Token> args;
    while (tok_.kind != Token::RParen) {
      if (tok_.kind == Token::End) throw std::runtime_error("unterminated argument list of " + name);
      if (tok_.kind == Token::Comma || tok_.kind == Token::LParen)
        throw std::runtime_error("malformed argument list of " + name);
      args.push_back(tok_);
      advance();
      if (tok_.kind == Token::Comma) {
        advance();
        if (tok_.kind == Token::RParen) throw std::runtime_error("trailing ',' in " + name);
      } else if (tok_.kind != Token::RParen) {
        throw std::runtime_error("expected ',' or ')' in " + name);
      }
    }
    advance();
    return build(name, args);
  }

  static void want_args(const std::string& name, const std::vector<Token>& args, size_t n) {
    if (args.size() != n)
      throw std::runtime_error(name + " expects " + std::to_string(n) + " arguments, got " +
                               std::to_string(args.size()));
  }
  static std::string str_arg(const std::string& name, const Token& t) {
    if (t.kind != Token::String) throw std::runtime_error(name + ": expected a quoted string, got '" + t.text + "'");
    return t.text;
  }
  static bool bool_arg(const std::string& name, const Token& t) {
    if (t.kind == Token::Name && t.text == "true") return true;
    if (t.kind == Token::Name && t.text == "false") return false;
    throw std::runtime_error(name + ": expected true or false, got '" + t.text + "'");
  }
  static Op op_arg(const std::string& name, const Token& t) {
    if (t.kind == Token::OpTok) {
      if (t.text == "<") return Op::LT;
      if (t.text == "<=") return Op::LE;
      if (t.text == "=") return Op::EQ;
      if (t.text == "!=") return Op::NE;
      if (t.text == ">=") return Op::GE;
      if (t.text == ">") return Op::GT;
    }
    throw std::runtime_error(name + ": invalid compare operator '" + t.text + "'");
  }
  static std::shared_ptr<Comparator> cmp_arg(const std::string& name, const Token& t, Op op) {
    std::string s = str_arg(name, t);
    auto colon = s.find(':');
    if (colon == std::string::npos) throw std::runtime_error(name + ": comparator without type: '" + s + "'");
    std::string type = s.substr(0, colon);
    auto c = std::make_shared<Comparator>();
    c->arg = s.substr(colon + 1);
    if (type == "binary") c->kind = Comparator::Binary;
    else if (type == "binaryprefix") c->kind = Comparator::BinaryPrefix;
    else if (type == "substring") c->kind = Comparator::Substring;
    else if (type == "regexstring") {
      c->kind = Comparator::Regex;
      c->re = std::regex(c->arg);
    } else throw std::runtime_error(name + ": unknown comparator type '" + type + "'");
    if ((c->kind == Comparator::Substring || c->kind == Comparator::Regex) && op != Op::EQ && op != Op::NE)
      throw std::runtime_error(name + ": " + type + " only supports = and !=");
    return c;
  }

  static std::unique_ptr<Filter> build(const std::string& name, const std::vector<Token>& args) {
    if (name == "KeyOnlyFilter") { want_args(name, args, 0); return std::make_unique<KeyOnly>(); }
    if (name == "FirstKeyOnlyFilter") { want_args(name, args, 0); return std::make_unique<FirstKeyOnly>(); }
    if (name == "PrefixFilter") {
      want_args(name, args, 1);
      auto f = std::make_unique<RowPredicate>();
      f->kind = RowPredicate::Prefix;
      f->prefix = str_arg(name, args[0]);
      return f;
    }
    if (name == "RowFilter") {
      want_args(name, args, 2);
      auto f = std::make_unique<RowPredicate>();
      f->kind = RowPredicate::RowCmp;
      f->op = op_arg(name, args[0]);
      f->cmp = cmp_arg(name, args[1], f->op);
      return f;
    }
    if (name == "TimestampsFilter") {
      auto f = std::make_unique<Timestamps>();
      for (auto& a : args) {
        if (a.kind != Token::Number) throw std::runtime_error(name + ": expected a number, got '" + a.text + "'");
        f->ts.insert(std::stoll(a.text));
      }
      return f;
    }
    if (name == "SingleColumnValueFilter" || name == "SingleColumnValueExcludeFilter") {
      if (args.size() != 4 && args.size() != 6)
        throw std::runtime_error(name + " expects 4 or 6 arguments, got " + std::to_string(args.size()));
      auto f = std::make_unique<SingleColumnValue>();
      f->column = str_arg(name, args[0]) + ":" + str_arg(name, args[1]);
      f->op = op_arg(name, args[2]);
      f->cmp = cmp_arg(name, args[3], f->op);
      if (args.size() == 6) {
        f->filter_if_missing = bool_arg(name, args[4]);
        f->latest_only = bool_arg(name, args[5]);
      }
      f->exclude = name == "SingleColumnValueExcludeFilter";
      return f;
    }
    throw std::runtime_error("unknown filter '" + name + "'");
  }

  Lexer lex_;
  Token tok_;
};

}  // namespace

std::unique_ptr<Filter> parse_filter(std::string_view text) {
  try {
    return Parser(text).parse();
  } catch (const std::regex_error& e) {
    throw std::runtime_error(std::string("invalid regex: ") + e.what());
  }
}

}  // namespace hbase_emu
