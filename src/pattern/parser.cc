#include "pattern/parser.h"

#include <cctype>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "pattern/regex.h"

namespace tw::pattern {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Counts characters (UTF-8 code points), the unit AWS's length limit uses.
std::size_t CountChars(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Ast, PatternError> ParsePattern();
  Result<Selector, PatternError> ParseStandaloneSelector();

 private:
  // --- error reporting ---
  bool Fail(std::size_t at, std::string message, std::string hint = "");
  PatternError TakeError() { return std::move(*error_); }

  // --- cursor ---
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool LookingAt(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }
  void SkipSpaces() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }
  std::string_view ReadName() {
    std::size_t start = pos_;
    while (!AtEnd() && IsNameChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // Upper-cased run of letters, for keywords (accepted in any case).
  std::string ReadKeyword() {
    std::string word;
    while (!AtEnd() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(text_[pos_++])));
    }
    return word;
  }

  // --- productions ---
  bool ParseTerms(Ast* ast);
  bool ParseQuoted(std::string* out);
  bool ParseRegex(std::string* source);
  bool ParseJson(Ast* ast);
  bool ParseOr(int depth, JsonExpr* out);
  bool ParseAnd(int depth, JsonExpr* out);
  bool ParsePrimary(int depth, JsonExpr* out);
  bool ParseCondition(JsonCondition* out);
  bool ParseSelectorAt(Selector* out);
  bool ParseQuotedKey(std::string* out);
  bool ParseComparisonOp(Op* op);
  bool ParseJsonValue(Value* out);
  bool ParseDelimited(Ast* ast);
  bool ParseField(bool seen_ellipsis, DelimitedFieldSpec* out);
  bool ParseDelimitedValue(Value* out);
  bool ClassifyBare(std::string_view bare, std::size_t at, Value* out);
  void ClassifyString(std::string text, bool quoted, Value* out);
  bool CheckOperand(Op op, const Value& value, std::size_t value_at);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;  // end of the trimmed pattern
  int regex_count_ = 0;
  int wildcard_selectors_ = 0;
  std::optional<PatternError> error_;
};

bool Parser::Fail(std::size_t at, std::string message, std::string hint) {
  if (error_) return false;  // keep the first, most precise error
  if (at > text_.size()) at = text_.size();
  PatternError error;
  error.column = static_cast<int>(CountChars(text_.substr(0, at))) + 1;
  std::string_view fragment = text_.substr(at, 24);
  // Do not cut a UTF-8 sequence in half.
  while (!fragment.empty() && at + fragment.size() < text_.size() &&
         (static_cast<unsigned char>(text_[at + fragment.size()]) & 0xC0) == 0x80) {
    fragment.remove_suffix(1);
  }
  error.fragment = std::string(fragment);
  error.message = std::move(message);
  error.hint = std::move(hint);
  error_ = std::move(error);
  return false;
}

Result<Ast, PatternError> Parser::ParsePattern() {
  Ast ast;
  if (CountChars(text_) > kMaxPatternLength) {
    Fail(kMaxPatternLength, "pattern is " + std::to_string(CountChars(text_)) +
                                " characters long; the limit is " +
                                std::to_string(kMaxPatternLength));
    return TakeError();
  }
  std::size_t begin = 0;
  while (begin < text_.size() && IsSpace(text_[begin])) ++begin;
  end_ = text_.size();
  while (end_ > begin && IsSpace(text_[end_ - 1])) --end_;
  pos_ = begin;
  bool ok = true;
  if (begin == end_) {
    ast.kind = PatternKind::kMatchAll;
  } else if (text_[begin] == '{') {
    ast.kind = PatternKind::kJson;
    ok = ParseJson(&ast);
  } else if (text_[begin] == '[') {
    ast.kind = PatternKind::kDelimited;
    ok = ParseDelimited(&ast);
  } else {
    ast.kind = PatternKind::kTerms;
    ok = ParseTerms(&ast);
  }
  if (!ok) return TakeError();
  return ast;
}

Result<Selector, PatternError> Parser::ParseStandaloneSelector() {
  Selector selector;
  end_ = text_.size();
  if (AtEnd() || Peek() != '$') {
    Fail(0, "a field reference must start with '$'", "e.g. $.requestParameters.bucketName");
    return TakeError();
  }
  if (!ParseSelectorAt(&selector)) return TakeError();
  if (!AtEnd()) {
    Fail(pos_, "unexpected text after the selector");
    return TakeError();
  }
  return selector;
}

// ---------------------------------------------------------------- terms --

bool Parser::ParseTerms(Ast* ast) {
  while (true) {
    SkipSpaces();
    if (pos_ >= end_) return true;
    Term term;
    char c = Peek();
    if (c == '?' || c == '-') {
      std::size_t prefix_at = pos_;
      term.role = c == '?' ? Term::Role::kOptional : Term::Role::kExcluded;
      ++pos_;
      SkipSpaces();  // a detached prefix binds to the next term
      if (pos_ >= end_) {
        return Fail(prefix_at, std::string("'") + c + "' must be followed by a term",
                    c == '-' ? "write -term to exclude events containing term" : "write ?term");
      }
      c = Peek();
    }
    std::size_t term_at = pos_;
    if (c == '"') {
      if (!ParseQuoted(&term.text)) return false;
    } else if (c == '%') {
      term.is_regex = true;
      if (!ParseRegex(&term.text)) return false;
    } else {
      while (pos_ < end_ && !IsSpace(text_[pos_])) ++pos_;
      term.text = std::string(text_.substr(term_at, pos_ - term_at));
    }
    if (pos_ < end_ && !IsSpace(Peek())) {
      return Fail(pos_, "expected a space between terms",
                  c == '"' ? "a quoted phrase ends at its closing quote" : "");
    }
    ast->terms.push_back(std::move(term));
  }
}

bool Parser::ParseQuoted(std::string* out) {
  std::size_t open = pos_;
  ++pos_;
  out->clear();
  while (!AtEnd()) {
    char c = text_[pos_];
    if (c == '\\' && (Peek(1) == '"' || Peek(1) == '\\')) {
      *out += Peek(1);
      pos_ += 2;
      continue;
    }
    if (c == '"') {
      ++pos_;
      return true;
    }
    *out += c;
    ++pos_;
  }
  return Fail(open, "unterminated quoted string",
              "close it with \" (write \\\" for a quote inside)");
}

bool Parser::ParseRegex(std::string* source) {
  std::size_t open = pos_;
  std::size_t close = text_.find('%', open + 1);
  if (close == std::string_view::npos) {
    return Fail(open, "unterminated regular expression", "a regex is written between two % signs");
  }
  if (++regex_count_ > kMaxRegexes) {
    return Fail(open, "a filter pattern may contain at most " + std::to_string(kMaxRegexes) +
                          " regular expressions");
  }
  std::string_view body = text_.substr(open + 1, close - open - 1);
  std::string translated;
  RegexProblem problem;
  if (!CheckAndTranslateRegex(body, &translated, &problem)) {
    return Fail(open + 1 + problem.offset, problem.message, problem.hint);
  }
  *source = std::string(body);
  pos_ = close + 1;
  return true;
}

// ----------------------------------------------------------------- json --

bool Parser::ParseJson(Ast* ast) {
  ++pos_;  // '{'
  SkipSpaces();
  if (Peek() == '}' || AtEnd()) {
    return Fail(pos_, "empty JSON pattern",
                "write at least one condition, e.g. { $.eventName = ConsoleLogin }");
  }
  if (!ParseOr(0, &ast->json)) return false;
  SkipSpaces();
  if (AtEnd()) return Fail(pos_, "JSON pattern is missing its closing '}'");
  if (Peek() == ')') return Fail(pos_, "unmatched ')'");
  if (Peek() != '}') {
    return Fail(pos_, "expected &&, || or '}' after the condition",
                LookingAt("&") || LookingAt("|") ? "write && or || (doubled)" : "");
  }
  ++pos_;
  SkipSpaces();
  if (!AtEnd()) return Fail(pos_, "unexpected text after the closing '}'");
  return true;
}

bool Parser::ParseOr(int depth, JsonExpr* out) {
  JsonExpr first;
  if (!ParseAnd(depth, &first)) return false;
  SkipSpaces();
  if (!LookingAt("||")) {
    *out = std::move(first);
    return true;
  }
  out->kind = JsonExpr::Kind::kOr;
  out->children.push_back(std::move(first));
  while (LookingAt("||")) {
    pos_ += 2;
    JsonExpr next;
    if (!ParseAnd(depth, &next)) return false;
    out->children.push_back(std::move(next));
    SkipSpaces();
  }
  return true;
}

bool Parser::ParseAnd(int depth, JsonExpr* out) {
  JsonExpr first;
  if (!ParsePrimary(depth, &first)) return false;
  SkipSpaces();
  if (!LookingAt("&&")) {
    *out = std::move(first);
    return true;
  }
  out->kind = JsonExpr::Kind::kAnd;
  out->children.push_back(std::move(first));
  while (LookingAt("&&")) {
    pos_ += 2;
    JsonExpr next;
    if (!ParsePrimary(depth, &next)) return false;
    out->children.push_back(std::move(next));
    SkipSpaces();
  }
  return true;
}

bool Parser::ParsePrimary(int depth, JsonExpr* out) {
  SkipSpaces();
  if (Peek() == '(') {
    std::size_t open = pos_;
    if (depth + 1 > kMaxNestingDepth) {
      return Fail(open,
                  "parentheses nested more than " + std::to_string(kMaxNestingDepth) + " deep");
    }
    ++pos_;
    if (!ParseOr(depth + 1, out)) return false;
    SkipSpaces();
    if (Peek() != ')') {
      if (AtEnd() || Peek() == '}') {
        return Fail(pos_, "expected ')' to close the '(' at column " +
                              std::to_string(CountChars(text_.substr(0, open)) + 1));
      }
      return Fail(pos_, "expected &&, || or ')' after the condition");
    }
    ++pos_;
    return true;
  }
  out->kind = JsonExpr::Kind::kCondition;
  return ParseCondition(&out->condition);
}

bool Parser::ParseCondition(JsonCondition* out) {
  SkipSpaces();
  std::size_t at = pos_;
  char c = Peek();
  if (c != '$') {
    if (AtEnd() || c == '}' || c == ')') return Fail(at, "expected a condition");
    if (IsNameChar(c)) {
      std::string_view name = text_.substr(at);
      name =
          name.substr(0, name.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"));
      return Fail(at, "a JSON selector must start with '$'",
                  "write $." + std::string(name) + " to select a member");
    }
    return Fail(at, "expected a selector such as $.eventName");
  }
  if (!ParseSelectorAt(&out->selector)) return false;
  SkipSpaces();
  std::size_t op_at = pos_;
  if (std::isalpha(static_cast<unsigned char>(Peek()))) {
    std::string word = ReadKeyword();
    if (word == "IS") {
      SkipSpaces();
      std::size_t what_at = pos_;
      std::string what = ReadKeyword();
      if (what == "NULL") {
        out->op = Op::kIsNull;
      } else if (what == "TRUE") {
        out->op = Op::kIsTrue;
      } else if (what == "FALSE") {
        out->op = Op::kIsFalse;
      } else if (what == "NOT") {
        return Fail(what_at, "IS NOT is not supported",
                    "use != to compare, or NOT EXISTS to test that a member is missing");
      } else {
        return Fail(what_at, "expected NULL, TRUE or FALSE after IS");
      }
    } else if (word == "NOT") {
      SkipSpaces();
      std::size_t what_at = pos_;
      if (ReadKeyword() != "EXISTS") return Fail(what_at, "expected EXISTS after NOT");
      out->op = Op::kNotExists;
    } else if (word == "EXISTS") {
      return Fail(op_at, "EXISTS is not supported",
                  "use NOT EXISTS to test that a member is missing, or = * to test that it is "
                  "present");
    } else {
      return Fail(op_at, "expected an operator after the selector",
                  "operators are = != < <= > >= IS NULL IS TRUE IS FALSE NOT EXISTS");
    }
    if (!AtEnd() && !IsSpace(Peek()) && Peek() != ')' && Peek() != '}' && Peek() != '&' &&
        Peek() != '|') {
      return Fail(pos_, "unexpected text after " + word);
    }
    return true;
  }
  if (!ParseComparisonOp(&out->op)) return false;
  SkipSpaces();
  std::size_t value_at = pos_;
  if (!ParseJsonValue(&out->value)) return false;
  return CheckOperand(out->op, out->value, value_at);
}

bool Parser::ParseComparisonOp(Op* op) {
  std::size_t at = pos_;
  if (LookingAt("!=")) {
    *op = Op::kNe;
    pos_ += 2;
  } else if (LookingAt("<=")) {
    *op = Op::kLe;
    pos_ += 2;
  } else if (LookingAt(">=")) {
    *op = Op::kGe;
    pos_ += 2;
  } else if (LookingAt("==")) {
    return Fail(at, "'==' is not an operator", "use = to test equality");
  } else if (LookingAt("=")) {
    *op = Op::kEq;
    pos_ += 1;
  } else if (LookingAt("<")) {
    *op = Op::kLt;
    pos_ += 1;
  } else if (LookingAt(">")) {
    *op = Op::kGt;
    pos_ += 1;
  } else {
    return Fail(at, "expected an operator",
                "operators are = != < <= > >= IS NULL IS TRUE IS FALSE NOT EXISTS");
  }
  return true;
}

bool Parser::CheckOperand(Op op, const Value& value, std::size_t value_at) {
  bool relational = op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
  if (!relational || value.kind == Value::Kind::kNumber) return true;
  std::string op_text = op == Op::kLt ? "<" : op == Op::kLe ? "<=" : op == Op::kGt ? ">" : ">=";
  double ignored;
  if (value.kind == Value::Kind::kString && value.quoted &&
      ParsePatternNumber(value.text, &ignored)) {
    return Fail(value_at,
                "operator " + op_text + " compares numbers, and a quoted value is a string",
                "remove the quotes to compare numerically");
  }
  return Fail(value_at, "operator " + op_text + " needs a number",
              "relational operators only compare numbers; use = or != for text");
}

bool Parser::ParseSelectorAt(Selector* out) {
  std::size_t at = pos_;
  ++pos_;  // '$'
  int wildcards = 0;
  std::size_t second_wildcard_at = 0;
  auto count_wildcard = [&](std::size_t where) {
    if (++wildcards == 2) second_wildcard_at = where;
  };
  while (!AtEnd()) {
    char c = Peek();
    if (c == '.') {
      ++pos_;
      char next = Peek();
      Segment segment;
      if (next == '*') {
        segment.kind = Segment::Kind::kAnyMember;
        count_wildcard(pos_ - 1);  // the segment starts at its '.'

        ++pos_;
      } else if (next == '[') {
        ++pos_;
        if (Peek() != '\'' && Peek() != '"') {
          return Fail(pos_, "expected a quoted member name after '.['", "e.g. $.['cluster.name']");
        }
        if (!ParseQuotedKey(&segment.name)) return false;
        if (Peek() != ']') return Fail(pos_, "expected ']' after the quoted member name");
        ++pos_;
      } else if (IsNameChar(next)) {
        segment.name = std::string(ReadName());
      } else {
        return Fail(pos_, "expected a member name after '.'",
                    "member names are letters, digits, _ and -; use $.['name'] for others");
      }
      out->segments.push_back(std::move(segment));
    } else if (c == '[') {
      ++pos_;
      Segment segment;
      if (IsDigit(Peek())) {
        std::size_t digits_at = pos_;
        while (IsDigit(Peek())) ++pos_;
        std::string_view digits = text_.substr(digits_at, pos_ - digits_at);
        if (digits.size() > 9) return Fail(digits_at, "array index is too large");
        segment.kind = Segment::Kind::kIndex;
        std::from_chars(digits.data(), digits.data() + digits.size(), segment.index);
      } else if (Peek() == '*') {
        segment.kind = Segment::Kind::kAnyIndex;
        count_wildcard(pos_ - 1);  // the segment starts at its '['

        ++pos_;
      } else if (Peek() == '\'' || Peek() == '"') {
        if (!ParseQuotedKey(&segment.name)) return false;
      } else {
        return Fail(pos_, "expected an index, * or a quoted name inside [ ]");
      }
      if (Peek() != ']') return Fail(pos_, "expected ']'");
      ++pos_;
      out->segments.push_back(std::move(segment));
    } else {
      break;
    }
  }
  if (!AtEnd()) {
    char c = Peek();
    if (!IsSpace(c) && c != '=' && c != '!' && c != '<' && c != '>' && c != ')' && c != '}' &&
        c != '&' && c != '|') {
      return Fail(pos_, std::string("unexpected character '") + c + "' in selector",
                  "member names are letters, digits, _ and -; use $.['name'] for others");
    }
  }
  out->text = std::string(text_.substr(at, pos_ - at));
  if (out->segments.empty()) {
    return Fail(at, "a selector needs at least one member", "e.g. $.eventName");
  }
  if (wildcards > 1) {
    return Fail(second_wildcard_at, "a selector may contain at most one wildcard");
  }
  if (wildcards == 1 && ++wildcard_selectors_ > kMaxWildcardSelectors) {
    return Fail(at, "a pattern may contain at most " + std::to_string(kMaxWildcardSelectors) +
                        " selectors with wildcards");
  }
  return true;
}

bool Parser::ParseQuotedKey(std::string* out) {
  std::size_t open = pos_;
  char quote = Peek();
  ++pos_;
  while (!AtEnd()) {
    char c = text_[pos_];
    if (c == '\\' && (Peek(1) == quote || Peek(1) == '\\')) {
      *out += Peek(1);
      pos_ += 2;
      continue;
    }
    if (c == quote) {
      ++pos_;
      return true;
    }
    *out += c;
    ++pos_;
  }
  return Fail(open, "unterminated quoted member name");
}

bool Parser::ParseJsonValue(Value* out) {
  std::size_t at = pos_;
  char c = Peek();
  if (AtEnd() || c == '}' || c == ')' || c == '&' || c == '|') {
    return Fail(at, "expected a value after the operator");
  }
  if (c == '"') {
    std::string text;
    if (!ParseQuoted(&text)) return false;
    ClassifyString(std::move(text), true, out);
    return true;
  }
  if (c == '%') {
    out->kind = Value::Kind::kRegex;
    return ParseRegex(&out->text);
  }
  std::size_t stop = pos_;
  while (stop < text_.size()) {
    char d = text_[stop];
    if (d == ')' || d == '}' || d == '(' || d == '&' || d == '|') break;
    ++stop;
  }
  std::size_t trimmed = stop;
  while (trimmed > at && IsSpace(text_[trimmed - 1])) --trimmed;
  std::string_view bare = text_.substr(at, trimmed - at);
  pos_ = stop;
  if (stop < text_.size() && text_[stop] == '(') {
    return Fail(stop, "unexpected '(' in a value", "quote values that contain parentheses");
  }
  // A bare value may contain spaces (CIS v4 writes `$.errorMessage = Failed
  // authentication`), but not what looks like a second condition.
  std::size_t space = bare.find_first_of(" \t\n\r");
  if (space != std::string_view::npos) {
    std::string_view rest = bare.substr(space);
    std::size_t odd = rest.find_first_of("=<>!$\"%");
    if (odd != std::string_view::npos) {
      std::size_t word = rest.find_first_not_of(" \t\n\r");
      return Fail(at + space + word, "expected && or || between conditions");
    }
  }
  return ClassifyBare(bare, at, out);
}

bool Parser::ClassifyBare(std::string_view bare, std::size_t at, Value* out) {
  std::size_t quote = bare.find('"');
  if (quote != std::string_view::npos) {
    return Fail(at + quote, "unexpected '\"' inside a value", "put the whole value in quotes");
  }
  std::size_t percent = bare.find('%');
  if (percent != std::string_view::npos) {
    return Fail(at + percent, "unexpected '%' inside a value",
                "a regex value is written %regex% on its own");
  }
  double number = 0;
  if (ParsePatternNumber(bare, &number)) {
    out->kind = Value::Kind::kNumber;
    out->text = std::string(bare);
    out->number = number;
    return true;
  }
  ClassifyString(std::string(bare), false, out);
  return true;
}

void Parser::ClassifyString(std::string text, bool quoted, Value* out) {
  out->quoted = quoted;
  if (text == "*") {
    out->kind = Value::Kind::kAnyScalar;
    return;
  }
  out->kind = Value::Kind::kString;
  if (text.size() >= 2 && text.front() == '*') {
    out->leading_star = true;
    text.erase(0, 1);
  }
  if (!text.empty() && text.back() == '*') {
    out->trailing_star = true;
    text.pop_back();
  }
  out->text = std::move(text);
}

// ------------------------------------------------------------ delimited --

bool Parser::ParseDelimited(Ast* ast) {
  ++pos_;  // '['
  SkipSpaces();
  if (Peek() == ']') {
    ++pos_;
  } else {
    bool seen_ellipsis = false;
    while (true) {
      DelimitedFieldSpec field;
      if (!ParseField(seen_ellipsis, &field)) return false;
      seen_ellipsis = seen_ellipsis || field.kind == DelimitedFieldSpec::Kind::kEllipsis;
      ast->fields.push_back(std::move(field));
      SkipSpaces();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        break;
      }
      if (AtEnd()) return Fail(pos_, "space-delimited pattern is missing its closing ']'");
      return Fail(pos_, "expected ',' or ']' after the field");
    }
  }
  SkipSpaces();
  if (!AtEnd()) return Fail(pos_, "unexpected text after the closing ']'");
  return true;
}

bool Parser::ParseField(bool seen_ellipsis, DelimitedFieldSpec* out) {
  SkipSpaces();
  std::size_t at = pos_;
  char c = Peek();
  if (c == ',' || c == ']' || AtEnd()) {
    out->kind = DelimitedFieldSpec::Kind::kBlank;
    return true;
  }
  if (LookingAt("...")) {
    if (seen_ellipsis) {
      return Fail(at, "a space-delimited pattern may contain only one '...'");
    }
    pos_ += 3;
    out->kind = DelimitedFieldSpec::Kind::kEllipsis;
    return true;
  }
  if (c == '(') {
    return Fail(at, "parentheses are not supported in a space-delimited field",
                "combine conditions with && and ||; && binds tighter");
  }
  if (!IsNameChar(c)) {
    return Fail(at, "expected a field name, '...' or ','",
                "field names are letters, digits, _ and -");
  }
  out->kind = DelimitedFieldSpec::Kind::kNamed;
  out->name = std::string(ReadName());
  SkipSpaces();
  if (Peek() == ',' || Peek() == ']' || AtEnd()) return true;
  out->alternatives.emplace_back();
  while (true) {
    FieldCondition condition;
    if (!ParseComparisonOp(&condition.op)) return false;
    SkipSpaces();
    std::size_t value_at = pos_;
    if (!ParseDelimitedValue(&condition.value)) return false;
    if (!CheckOperand(condition.op, condition.value, value_at)) return false;
    out->alternatives.back().push_back(std::move(condition));
    SkipSpaces();
    bool is_and = LookingAt("&&");
    bool is_or = LookingAt("||");
    if (!is_and && !is_or) return true;
    pos_ += 2;
    if (is_or) out->alternatives.emplace_back();
    SkipSpaces();
    std::size_t name_at = pos_;
    std::string_view name = ReadName();
    if (name != out->name) {
      if (name.empty()) return Fail(name_at, "expected the field name after && or ||");
      return Fail(name_at,
                  "a condition in field '" + out->name + "' must test '" + out->name + "', not '" +
                      std::string(name) + "'",
                  "all conditions inside one field test that field");
    }
    SkipSpaces();
  }
}

bool Parser::ParseDelimitedValue(Value* out) {
  std::size_t at = pos_;
  char c = Peek();
  if (AtEnd() || c == ',' || c == ']' || c == '&' || c == '|') {
    return Fail(at, "expected a value after the operator");
  }
  if (c == '"') {
    std::string text;
    if (!ParseQuoted(&text)) return false;
    ClassifyString(std::move(text), true, out);
    return true;
  }
  if (c == '%') {
    out->kind = Value::Kind::kRegex;
    return ParseRegex(&out->text);
  }
  while (!AtEnd()) {
    char d = Peek();
    if (IsSpace(d) || d == ',' || d == ']' || d == '&' || d == '|') break;
    if (d == '(' || d == ')') {
      return Fail(pos_, std::string("unexpected '") + d + "' in a value",
                  "quote values that contain parentheses");
    }
    ++pos_;
  }
  return ClassifyBare(text_.substr(at, pos_ - at), at, out);
}

}  // namespace

Result<Ast, PatternError> Parse(std::string_view text) { return Parser(text).ParsePattern(); }

Result<Selector, PatternError> ParseSelector(std::string_view text) {
  return Parser(text).ParseStandaloneSelector();
}

bool ParsePatternNumber(std::string_view text, double* value) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t int_digits = 0;
  while (i < n && IsDigit(text[i])) ++i, ++int_digits;
  std::size_t frac_digits = 0;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && IsDigit(text[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < n && IsDigit(text[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != n) return false;
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  double parsed = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
  if (ptr != digits.data() + digits.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Still a number (1e999, 1e-999). Saturate as EventView does for such
    // numbers in events: to the largest finite double, or to zero.
    parsed = std::strtod(std::string(digits).c_str(), nullptr);
    if (std::isinf(parsed)) parsed = std::copysign(DBL_MAX, parsed);
  } else if (ec != std::errc()) {
    return false;
  }
  *value = parsed;
  return true;
}

}  // namespace tw::pattern
