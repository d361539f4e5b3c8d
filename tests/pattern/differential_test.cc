// Differential test: the compiled pattern::Matcher against the test-only
// reference interpreter (tests/support/reference_matcher.h) on generated
// patterns and events.
//
// Patterns are generated as text, so the parser is exercised too; both sides
// see the same Ast (the parser is shared) but evaluate it independently.
// Generation is deterministic (fixed seeds). TW_DIFF_SEED and TW_DIFF_SCALE
// in the environment change the seed and multiply the number of cases, for
// longer local runs; TW_DIFF_MAX_REPORTS sets how many failures are printed:
//
//   TW_DIFF_SEED=7 TW_DIFF_SCALE=20 ./pattern_test --gtest_filter='Differential*'
//
// What is generated:
//   JSON     selectors over a small key vocabulary (.name, [N], [*], .*, ['k.x'],
//            ["q\"k"]), every operator, IS NULL/TRUE/FALSE and NOT EXISTS in
//            any letter case, quoted and bare strings with wildcard stars,
//            numbers (signs, exponents, 5., .5), *, small regexes; && and || with
//            random parentheses; within the quotas (2 regexes, 1 wildcard per
//            selector, 3 wildcard selectors). Events: objects, arrays, scalars,
//            non-JSON text, escapes, duplicate keys, integers beyond 64 bits, and
//            events "planted" with the pattern's own paths and values.
//   terms    words, quoted phrases (escapes, whitespace-only), ?, - (attached or
//            detached), %regex%; text lines with tabs and newlines.
//   delimited  named and blank fields, one '...', conditions joined by && and
//            ||, both alignments; events with quoted and bracketed groups,
//            unterminated groups and numeric-looking fields.
// Plus every kind of pattern against every kind of event, and randomly
// mutated patterns (which must be rejected cleanly or agree).
//
// When the two sides disagree, the test prints the pattern, its Ast, the
// event and both answers. Decide against docs/pattern-syntax.md which side is
// wrong; the reference's readings of points the docs leave open are listed
// in reference_matcher.h.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "event/event_view.h"
#include "pattern/ast.h"
#include "pattern/pattern.h"
#include "support/reference_matcher.h"

namespace tw::pattern {
namespace {

using testing::ReferenceExtract;
using testing::ReferenceMatches;

// Failures printed per test; TW_DIFF_MAX_REPORTS overrides.
int MaxReportedMismatches() {
  const char* text = std::getenv("TW_DIFF_MAX_REPORTS");
  return text == nullptr ? 25 : std::atoi(text);
}

std::uint32_t SeedFromEnv(std::uint32_t fallback) {
  const char* text = std::getenv("TW_DIFF_SEED");
  return text == nullptr ? fallback : static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10));
}

int Scale() {
  const char* text = std::getenv("TW_DIFF_SCALE");
  const int scale = text == nullptr ? 1 : std::atoi(text);
  return scale < 1 ? 1 : scale;
}

// Quotes `text` for failure messages, showing control characters.
std::string Show(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
        break;
    }
  }
  return out + "\"";
}

std::string Show(const ExtractedValues& values) {
  std::string out = "{";
  for (const auto& [key, value] : values) {
    if (out.size() > 1) out += ", ";
    out += Show(key) + ": " + Show(value);
  }
  return out + "}";
}

const char* AlignmentName(DelimitedAlignment alignment) {
  return alignment == DelimitedAlignment::kStrict ? "strict" : "last-field-absorbs";
}

// ---------------------------------------------------------------------------
// Random generation

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(Uniform(0, static_cast<int>(items.size()) - 1))];
  }

  std::string Spaces() { return Chance(0.6) ? " " : (Chance(0.5) ? "" : "  "); }

  // --- regexes -------------------------------------------------------------

  // A small regex in AWS's subset that RE2 and std::regex read alike.
  std::string Regex() {
    static const std::vector<std::string> kAtoms = {
        "a",     "b",      "c",     "E",     "R",     "O",      "1",   "4",     "0",
        "_",     "-",      ":",     "=",     "/",     " ",      "@",   ".",     "\\d",
        "\\w",   "\\s",    "\\D",   "\\W",   "\\S",   "\\.",    "\\-", "\\x41", "\\x20",
        "[a-c]", "[^0-9]", "[0-9]", "[A-Z]", "[ab_]", "[\\d.]", "\\*", "\\+",   "\\?",
        "\\|",   "\\[",    "\\]",   "\\{",   "\\}",   "\\^",    "\\$", "\\\\"};
    // Bounds are numbers, so leading zeros are allowed: {01} is {1}.
    static const std::vector<std::string> kQuantifiers = {
        "?", "*", "+", "{2}", "{1,3}", "{,2}", "{2,}", "{0,1}", "{,}", "{01}", "{1,02}"};
    std::string out;
    const int alternatives = Chance(0.2) ? 2 : 1;
    for (int alt = 0; alt < alternatives; ++alt) {
      if (alt > 0) out += '|';
      if (Chance(0.2)) out += '^';
      const int atoms = Uniform(1, 4);
      for (int i = 0; i < atoms; ++i) {
        out += Pick(kAtoms);
        if (Chance(0.3)) out += Pick(kQuantifiers);
      }
      if (Chance(0.2)) out += '$';
    }
    return out;
  }

  bool TakeRegex() {
    if (regexes_left_ == 0 || !Chance(0.15)) return false;
    --regexes_left_;
    return true;
  }

  // --- values shared by JSON and delimited conditions ------------------------

  static std::string Quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  std::string StringValue(bool allow_spaces) {
    static const std::vector<std::string> kWords = {
        "abc",       "ab",   "bc",         "xabcx", "401",          "1",
        "1.5",       "true", "false",      "null",  "ConsoleLogin", "AccessDenied",
        "x-y",       "k.x",  "GET",        "ERROR", "WARN",         "frank",
        "127.0.0.1", "-",    "index.html", "1e3",   "a_b",          "A"};
    static const std::vector<std::string> kQuotedOnly = {
        "a b", "", "say \"hi\"", "back\\slash", "Failed authentication", "x,y", "(p)", "a/b"};
    std::string text;
    const bool quoted = Chance(0.5);
    if (quoted && Chance(0.25)) {
      text = Pick(kQuotedOnly);
    } else if (!quoted && allow_spaces && Chance(0.05)) {
      text = "Failed authentication";
    } else {
      text = Pick(kWords);
    }
    // A star inside the text is literal; at either end it is a wildcard.
    if (Chance(0.05)) text.insert(text.size() / 2, "*");
    if (Chance(0.2)) text = "*" + text;
    if (Chance(0.2)) text += "*";
    if (text.empty() || text == "*" || text == "**") text = "abc";
    return quoted ? Quote(text) : text;
  }

  std::string NumberValue() {
    static const std::vector<std::string> kNumbers = {"0",     "1",
                                                      "-1",    "+1000",
                                                      "1000",  "1.5",
                                                      "-2.5",  "10e3",
                                                      "1e3",   "1e-3",
                                                      "401",   "2",
                                                      "1E3",   "0.001",
                                                      "1e21",  "3",
                                                      "1.0",   "5.",
                                                      ".5",    "200",
                                                      "404",   "12345678901234567890",
                                                      "-0",    "0.0",
                                                      "1e400", "4e2",
                                                      "00404", "+.5"};
    return Pick(kNumbers);
  }

  // Operator and value of a comparison.
  std::string Comparison(bool allow_spaces) {
    static const std::vector<std::string> kRelational = {"<", "<=", ">", ">="};
    if (Chance(0.3)) return Pick(kRelational) + Spaces() + NumberValue();
    const std::string op = Chance(0.7) ? "=" : "!=";
    std::string value;
    if (TakeRegex()) {
      value = "%" + Regex() + "%";
    } else {
      switch (Uniform(0, 9)) {
        case 0:
          value = Chance(0.5) ? "*" : "\"*\"";
          break;
        case 1:
        case 2:
        case 3:
          value = NumberValue();
          break;
        default:
          value = StringValue(allow_spaces);
          break;
      }
    }
    return op + Spaces() + value;
  }

  // --- JSON patterns -------------------------------------------------------

  static const std::vector<std::string>& Keys() {
    static const std::vector<std::string> kKeys = {"a",     "b",   "c",   "id", "user",
                                                   "items", "x-y", "k_1", "0"};
    return kKeys;
  }
  static const std::vector<std::string>& OddKeys() {
    static const std::vector<std::string> kOdd = {"k.x", "a b", "q\"k", "it's"};
    return kOdd;
  }

  std::string Selector() {
    if (!selectors_.empty() && Chance(0.3)) {
      const std::string& again = Pick(selectors_);
      if (again.find('*') == std::string::npos) return again;
      if (wildcard_selectors_left_ > 0) {
        --wildcard_selectors_left_;
        return again;
      }
    }
    std::string out = "$";
    bool wildcard = wildcard_selectors_left_ == 0;  // true: no wildcard allowed
    const int segments = Uniform(1, 3);
    for (int i = 0; i < segments; ++i) {
      const int choice = Uniform(0, 99);
      if (choice < 50) {
        out += "." + Pick(Keys());
      } else if (choice < 60) {
        const std::string& key = Chance(0.7) ? Pick(OddKeys()) : Pick(Keys());
        const char quote = Chance(0.5) ? '\'' : '"';
        std::string quoted(1, quote);
        for (char c : key) {
          if (c == quote || c == '\\') quoted += '\\';
          quoted += c;
        }
        quoted += quote;
        out += (Chance(0.5) ? ".[" : "[") + quoted + "]";
      } else if (choice < 80) {
        out += "[" + std::to_string(Uniform(0, 2)) + "]";
      } else if (!wildcard) {
        wildcard = true;
        --wildcard_selectors_left_;
        out += Chance(0.5) ? "[*]" : ".*";
      } else {
        out += "." + Pick(Keys());
      }
    }
    selectors_.push_back(out);
    return out;
  }

  std::string Keyword(std::string_view upper) {
    std::string out(upper);
    const int style = Uniform(0, 5);
    for (char& c : out) {
      if (style == 1 || (style == 2 && Chance(0.5))) c = static_cast<char>(std::tolower(c));
    }
    return out;
  }

  std::string JsonCondition() {
    std::string out = Selector();
    switch (Uniform(0, 11)) {
      case 0:
        return out + " " + Keyword("IS NULL");
      case 1:
        return out + " " + Keyword("IS TRUE");
      case 2:
        return out + " " + Keyword("IS FALSE");
      case 3:
        return out + " " + Keyword("NOT EXISTS");
      default:
        return out + Spaces() + Comparison(/*allow_spaces=*/true);
    }
  }

  // `parent` is the operator of the enclosing expression ('|' or '&'), or 0.
  std::string JsonExpression(int depth, char parent) {
    if (depth == 0 || Chance(0.45)) {
      std::string condition = JsonCondition();
      return Chance(0.1) ? "(" + Spaces() + condition + Spaces() + ")" : condition;
    }
    const char op = Chance(0.5) ? '&' : '|';
    const int children = Uniform(2, 3);
    std::string out;
    for (int i = 0; i < children; ++i) {
      if (i > 0) out += Spaces() + std::string(2, op) + Spaces();
      out += JsonExpression(depth - 1, op);
    }
    const bool needed = op == '|' && parent == '&';
    if (needed || Chance(0.2)) out = "(" + Spaces() + out + Spaces() + ")";
    return out;
  }

  std::string JsonPattern() {
    ResetQuotas();
    return "{" + Spaces() + JsonExpression(Uniform(0, 3), 0) + Spaces() + "}";
  }

  // --- JSON events -----------------------------------------------------------

  std::string JsonString() {
    static const std::vector<std::string> kStrings = {"abc",
                                                      "ab",
                                                      "xabcx",
                                                      "401",
                                                      "1",
                                                      "1.5",
                                                      "true",
                                                      "false",
                                                      "null",
                                                      "ConsoleLogin",
                                                      "AccessDenied",
                                                      "UserAccessDenied",
                                                      "x-y",
                                                      "k.x",
                                                      "",
                                                      "a b",
                                                      "Failed authentication",
                                                      "say \\\"hi\\\"",
                                                      "back\\\\slash",
                                                      "line\\nbreak",
                                                      "\\u0041BC",
                                                      "GET",
                                                      "*",
                                                      "abc*",
                                                      "1e3",
                                                      "1000",
                                                      "E1R",
                                                      "a:b=c",
                                                      "x,y",
                                                      "frank",
                                                      "a/b",
                                                      "a\\/b"};
    return "\"" + Pick(kStrings) + "\"";
  }

  std::string JsonNumber() {
    static const std::vector<std::string> kNumbers = {
        "1",     "1.0",   "1.5",   "-1",     "1000",
        "1e3",   "0.001", "401",   "2",      "-2.5",
        "1e21",  "0",     "3",     "10000",  "12345678901234567890",
        "3.0e0", "1E3",   "-1000", "0.5",    "200",
        "404",   "-0",    "-0.0",  "1e-400", "0.1",
        "2.50"};
    // Rarely, an integer beyond 64 bits: still JSON, compared as a double.
    if (Chance(0.005)) return Chance(0.5) ? "18446744073709551616" : "-9223372036854775809";
    return Pick(kNumbers);
  }

  std::string JsonValue(int depth) {
    const int choice = Uniform(0, 99);
    if (depth > 0 && choice < 15) return JsonObject(depth - 1);
    if (depth > 0 && choice < 27) {
      std::string out = "[";
      const int n = Uniform(0, 3);
      for (int i = 0; i < n; ++i) out += (i > 0 ? "," : "") + Spaces() + JsonValue(depth - 1);
      return out + "]";
    }
    if (choice < 55) return JsonString();
    if (choice < 80) return JsonNumber();
    if (choice < 87) return "true";
    if (choice < 93) return "false";
    return "null";
  }

  // `key` as a JSON string, sometimes with needless \u escapes.
  std::string JsonKey(const std::string& key) {
    std::string out = "\"";
    for (char c : key) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == 'a' && Chance(0.1)) {
        out += "\\u0061";
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

  std::string JsonObject(int depth) {
    std::vector<std::string> keys = Keys();
    keys.insert(keys.end(), OddKeys().begin(), OddKeys().end());
    std::shuffle(keys.begin(), keys.end(), rng_);
    keys.resize(static_cast<std::size_t>(Uniform(0, 5)));
    std::string out = "{";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) out += ",";
      out += Spaces() + JsonKey(keys[i]) + Spaces() + ":" + Spaces() + JsonValue(depth);
    }
    // Rarely, a duplicated key: the last occurrence wins.
    if (!keys.empty() && Chance(0.04)) {
      out += "," + JsonKey(Pick(keys)) + ":" + JsonValue(depth);
    }
    return out + Spaces() + "}";
  }

  std::string JsonEvent() {
    const int choice = Uniform(0, 99);
    std::string out;
    if (choice < 82) {
      out = JsonObject(3);
    } else if (choice < 88) {
      out = "[" + JsonValue(2) + "," + JsonObject(2) + "]";
    } else if (choice < 91) {
      out = JsonValue(0);
    } else {
      static const std::vector<std::string> kNotJson = {
          "abc",        "{\"a\":1", "{\"a\":1} x",           "x {\"a\":1}",        "",   "{a:1}",
          "{\"a\":1,}", "[1,2",     "ERROR {\"a\":\"abc\"}", "{\"a\":1}{\"b\":2}", "nul"};
      return Pick(kNotJson);
    }
    if (Chance(0.1)) out = " \t" + out + "\n ";
    return out;
  }

  // --- term patterns and text events ----------------------------------------

  std::string TermPattern() {
    ResetQuotas();
    static const std::vector<std::string> kWords = {
        "ERROR", "WARN",      "INFO",      "Exception", "REQUEST", "abc", "404",   "a.b",
        "x=1",   "user@host", "key:value", "ERRORCODE", "Exiting", "hi",  "slash", "1"};
    static const std::vector<std::string> kPhrases = {"Exiting with",
                                                      "a b",
                                                      "say \\\"hi\\\"",
                                                      "back\\\\slash",
                                                      " ",
                                                      "ERROR 404",
                                                      "[ERROR]",
                                                      "{x}",
                                                      "c:",
                                                      "",
                                                      "\t",
                                                      "with\tERRORCODE"};
    const int terms = Uniform(1, 4);
    std::string out;
    for (int i = 0; i < terms; ++i) {
      if (i > 0) out += Chance(0.8) ? " " : "  ";
      const int prefix = Uniform(0, 9);
      if (prefix < 2) out += "?";
      if (prefix >= 2 && prefix < 4) out += "-";
      if (prefix < 4 && Chance(0.2)) out += " ";
      if (TakeRegex()) {
        out += "%" + Regex() + "%";
      } else if (Chance(0.35)) {
        out += "\"" + Pick(kPhrases) + "\"";
      } else {
        out += Pick(kWords);
      }
    }
    if (Chance(0.1)) out = " " + out + " ";
    return out;
  }

  std::string TextEvent() {
    static const std::vector<std::string> kWords = {
        "ERROR",       "WARN",      "INFO",
        "Exiting",     "with",      "ERRORCODE:",
        "-1",          "Exception", "IllegalArgumentException",
        "BAD_REQUEST", "abc",       "a.b",
        "say",         "\"hi\"",    "back\\slash",
        "404",         "x=1",       "user@host",
        "key:value",   "[ERROR]",   "{x}",
        "c:",          "a",         "b",
        "E1R",         "AAA",       "__",
        "/x/y"};
    const int words = Uniform(0, 8);
    std::string out;
    for (int i = 0; i < words; ++i) {
      if (i > 0) out += Chance(0.85) ? " " : (Chance(0.5) ? "\t" : (Chance(0.5) ? "\n" : ""));
      out += Pick(kWords);
    }
    return out;
  }

  // --- space-delimited patterns and events ----------------------------------

  std::string DelimitedPattern() {
    ResetQuotas();
    static const std::vector<std::string> kNames = {"w1",     "w2",    "w3",  "ip",  "user",
                                                    "status", "bytes", "req", "x_1", "T"};
    std::vector<std::string> names = kNames;
    std::shuffle(names.begin(), names.end(), rng_);
    const int count = Uniform(0, 6);
    const int ellipsis = Chance(0.35) ? Uniform(0, count) : -1;
    std::string out = "[" + (Chance(0.3) ? std::string(" ") : "");
    for (int i = 0; i <= count; ++i) {
      if (i == count && ellipsis != count) break;
      if (i > 0) out += Spaces() + "," + Spaces();
      if (i == ellipsis) {
        out += "...";
        if (i == count) break;
        out += Spaces() + "," + Spaces();
      }
      if (Chance(0.12)) continue;  // blank field
      const std::string& name = names[static_cast<std::size_t>(i)];
      out += name;
      if (Chance(0.5)) {
        const int conditions = Uniform(1, 3);
        for (int c = 0; c < conditions; ++c) {
          if (c > 0) out += Spaces() + (Chance(0.5) ? "&&" : "||") + Spaces() + name;
          out += Spaces() + Comparison(/*allow_spaces=*/false);
        }
      }
    }
    return out + (Chance(0.3) ? " " : "") + "]";
  }

  std::string DelimitedEvent() {
    static const std::vector<std::string> kFields = {"127.0.0.1",
                                                     "frank",
                                                     "GET",
                                                     "ERROR",
                                                     "WARN",
                                                     "404",
                                                     "200",
                                                     "-",
                                                     "1534",
                                                     "+5",
                                                     "5.",
                                                     "0.5",
                                                     ".5",
                                                     "1e3",
                                                     "-2",
                                                     "index.html",
                                                     "x",
                                                     "abc",
                                                     "xabcx",
                                                     "401",
                                                     "1.5",
                                                     "true",
                                                     "\"GET /index.html HTTP/1.0\"",
                                                     "\"\"",
                                                     "\"a b\"",
                                                     "[10/Oct/2000:13:25:15 -0700]",
                                                     "[]",
                                                     "[x]",
                                                     "\"abc\"",
                                                     "1000",
                                                     "10e3",
                                                     "AccessDenied",
                                                     "Failed",
                                                     "ConsoleLogin",
                                                     "1e21",
                                                     "\" 5\"",
                                                     "\"5 \"",
                                                     "\"404\"",
                                                     "[200]",
                                                     "-0",
                                                     "0.0",
                                                     "inf",
                                                     "nan",
                                                     "0x10",
                                                     "+-1",
                                                     "1e",
                                                     ".",
                                                     "+.5",
                                                     "-.5e1",
                                                     "00404",
                                                     "4e2"};
    const int count = Uniform(0, 8);
    std::string out = Chance(0.1) ? " " : "";
    for (int i = 0; i < count; ++i) {
      if (i > 0) out += Chance(0.85) ? " " : (Chance(0.5) ? "\t" : "   ");
      out += Pick(kFields);
    }
    if (Chance(0.05)) out += " \"unterminated group";
    if (Chance(0.05)) out += " [open bracket";
    if (Chance(0.1)) out += " ";
    return out;
  }

 private:
  void ResetQuotas() {
    regexes_left_ = kMaxRegexes;
    wildcard_selectors_left_ = kMaxWildcardSelectors;
    selectors_.clear();
  }

  std::mt19937 rng_;
  int regexes_left_ = kMaxRegexes;
  int wildcard_selectors_left_ = kMaxWildcardSelectors;
  std::vector<std::string> selectors_;  // used in the current pattern
};

// A JSON event built so that the pattern's selectors find something: each
// selector's path is created (wildcards replaced by a concrete member or
// element) and given either a value taken from the condition or a random
// one. Raises the share of events that reach deep paths and wildcards.
std::string PlantedJsonEvent(Generator& gen, const std::string& pattern_text) {
  using Json = nlohmann::ordered_json;
  const Result<Ast, PatternError> ast = Parse(pattern_text);
  if (!ast.ok() || ast->kind != PatternKind::kJson) return gen.JsonEvent();
  std::vector<const JsonCondition*> conditions;
  std::vector<const JsonExpr*> stack = {&ast->json};
  while (!stack.empty()) {
    const JsonExpr* expr = stack.back();
    stack.pop_back();
    if (expr->kind == JsonExpr::Kind::kCondition) conditions.push_back(&expr->condition);
    for (const JsonExpr& child : expr->children) stack.push_back(&child);
  }
  auto random_value = [&gen](int depth) { return Json::parse(gen.JsonValue(depth)); };
  Json root = Json::parse(gen.JsonObject(1));
  for (const JsonCondition* condition : conditions) {
    if (condition->op == Op::kNotExists && gen.Chance(0.5)) continue;
    Json* node = &root;
    for (const Segment& segment : condition->selector.segments) {
      const bool member =
          segment.kind == Segment::Kind::kMember || segment.kind == Segment::Kind::kAnyMember;
      if (member && !node->is_object()) *node = Json::object();
      if (!member && !node->is_array()) *node = Json::array();
      switch (segment.kind) {
        case Segment::Kind::kMember:
          node = &(*node)[segment.name];
          break;
        case Segment::Kind::kAnyMember:
          node = &(*node)[gen.Pick(Generator::Keys())];
          break;
        case Segment::Kind::kIndex:
        case Segment::Kind::kAnyIndex: {
          const std::size_t index = segment.kind == Segment::Kind::kIndex
                                        ? segment.index
                                        : static_cast<std::size_t>(gen.Uniform(0, 2));
          while (node->size() <= index) node->push_back(random_value(0));
          node = &(*node)[index];
          break;
        }
      }
    }
    const Value& value = condition->value;
    if (gen.Chance(0.3)) {
      *node = random_value(1);
    } else if (condition->op == Op::kIsNull) {
      *node = nullptr;
    } else if (condition->op == Op::kIsTrue || condition->op == Op::kIsFalse) {
      *node = gen.Chance(0.8) ? condition->op == Op::kIsTrue : gen.Chance(0.5);
    } else if (value.kind == Value::Kind::kNumber) {
      const double nudge = gen.Chance(0.6) ? 0 : gen.Uniform(-1, 1);
      if (gen.Chance(0.2)) {
        *node = value.text;  // the literal as a string
      } else if (nudge == 0 && std::fabs(value.number) < 1e15 &&
                 value.number == std::floor(value.number)) {
        *node = static_cast<long long>(value.number);  // an integer node
      } else {
        *node = value.number + nudge;
      }
    } else if (value.kind == Value::Kind::kString) {
      std::string text = value.text;
      if (value.leading_star && gen.Chance(0.5)) text = "x" + text;
      if (value.trailing_star && gen.Chance(0.5)) text += "y";
      *node = text;
    } else {
      *node = random_value(0);
    }
  }
  return root.dump();
}

// `json` with characters inside its strings rewritten as JSON escapes: each
// ASCII character with probability `p` as \uXXXX (either hex case), '/' as
// "\/" half the time. The value is unchanged; only the raw bytes differ, so
// the literal prefilter must not lose a match over it.
std::string EscapeStrings(Generator& gen, const std::string& json, double p) {
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size();) {
    const char c = json[i];
    if (!in_string) {
      out += c;
      in_string = c == '"';
      ++i;
      continue;
    }
    if (c == '\\') {  // an escape already there is copied whole
      const std::size_t length = i + 1 < json.size() && json[i + 1] == 'u' ? 6 : 2;
      out += json.substr(i, length);
      i += length;
      continue;
    }
    if (c == '"') {
      out += c;
      in_string = false;
    } else if (static_cast<unsigned char>(c) < 0x80 && gen.Chance(p)) {
      char escape[8];
      std::snprintf(escape, sizeof escape, gen.Chance(0.5) ? "\\u%04x" : "\\u%04X",
                    static_cast<unsigned>(c));
      out += escape;
    } else if (c == '/' && gen.Chance(0.5)) {
      out += "\\/";
    } else {
      out += c;
    }
    ++i;
  }
  return out;
}

// A JSON event that holds the pattern's string values, but not where its
// selectors look: under other keys, in arrays, as keys, as numbers' text.
// The prefilter finds its literals in such events and must leave the
// decision to the evaluation.
std::string DecoyJsonEvent(Generator& gen, const std::string& pattern_text) {
  using Json = nlohmann::ordered_json;
  const Result<Ast, PatternError> ast = Parse(pattern_text);
  if (!ast.ok() || ast->kind != PatternKind::kJson) return gen.JsonEvent();
  Json root = Json::parse(gen.JsonObject(1));
  Json decoys = Json::array();
  std::vector<const JsonExpr*> stack = {&ast->json};
  while (!stack.empty()) {
    const JsonExpr* expr = stack.back();
    stack.pop_back();
    for (const JsonExpr& child : expr->children) stack.push_back(&child);
    if (expr->kind != JsonExpr::Kind::kCondition) continue;
    const Value& value = expr->condition.value;
    if (value.kind != Value::Kind::kString && value.kind != Value::Kind::kNumber) continue;
    std::string text = value.text;
    if (value.leading_star && gen.Chance(0.5)) text = "x" + text;
    if (value.trailing_star && gen.Chance(0.5)) text += "y";
    switch (gen.Uniform(0, 3)) {
      case 0:
        decoys.push_back(text);
        break;
      case 1:
        root["decoy"][text] = gen.Chance(0.5) ? Json(text) : Json(1);
        break;
      case 2:
        root[text] = Json::array({text});
        break;
      default:
        decoys.push_back(Json::object({{"deep", text}}));
        break;
    }
  }
  root["decoys"] = decoys;
  return root.dump();
}

// ---------------------------------------------------------------------------
// Running both sides

struct Tally {
  int patterns = 0;
  int cases = 0;
  int matched = 0;
  int mismatches = 0;

  std::string Summary() const {
    std::ostringstream out;
    out << patterns << " patterns, " << cases << " cases, " << matched << " matched, " << mismatches
        << " mismatches";
    return out.str();
  }
};

void Report(Tally* tally, const std::string& what) {
  ++tally->mismatches;
  if (tally->mismatches <= MaxReportedMismatches()) ADD_FAILURE() << what;
}

// Compiles `pattern_text`, then runs the matcher and the reference on each
// event. Returns false if the pattern did not compile.
bool RunCase(const std::string& pattern_text, const std::vector<std::string>& events,
             DelimitedAlignment alignment, Tally* tally) {
  ++tally->patterns;
  const Result<Ast, PatternError> ast = Parse(pattern_text);
  if (!ast.ok()) {
    Report(tally, "generated pattern does not parse: " + Show(pattern_text) + "\n  " +
                      ast.error().ToString());
    return false;
  }
  CompileOptions options;
  options.alignment = alignment;
  Result<Matcher, PatternError> matcher = Matcher::Compile(pattern_text, options);
  if (!matcher.ok()) {
    Report(tally, "generated pattern does not compile: " + Show(pattern_text) + "\n  " +
                      matcher.error().ToString());
    return false;
  }
  event::EventView view;  // reused across events, as in production
  for (const std::string& message : events) {
    ++tally->cases;
    const std::string context =
        "pattern:   " + Show(pattern_text) + "\nast:       " + ToString(*ast) +
        "\nalignment: " + AlignmentName(alignment) + "\nevent:     " + Show(message);
    bool want = false;
    try {
      want = ReferenceMatches(*ast, message, alignment);
    } catch (const std::regex_error& e) {
      Report(tally,
             "reference cannot evaluate (std::regex: " + std::string(e.what()) + ")\n" + context);
      continue;
    }
    view.Reset(message);
    const bool got = matcher->Matches(view);
    if (got != want) {
      Report(tally, "Matches() differs\n" + context +
                        "\nengine:    " + (got ? "match" : "no match") +
                        "\nreference: " + (want ? "match" : "no match"));
      continue;
    }
    if (!got) continue;
    ++tally->matched;
    const ExtractedValues engine_values = matcher->Extract(view);
    const ExtractedValues reference_values = ReferenceExtract(*ast, message, alignment);
    if (engine_values != reference_values) {
      Report(tally, "Extract() differs\n" + context + "\nengine:    " + Show(engine_values) +
                        "\nreference: " + Show(reference_values));
    }
  }
  return true;
}

// Runs `patterns` generated patterns, each against `events_per_pattern`
// events, for every alignment in `alignments`.
template <typename MakePattern, typename MakeEvent>
Tally RunGenerated(std::uint32_t seed, int patterns, int events_per_pattern,
                   std::vector<DelimitedAlignment> alignments, MakePattern make_pattern,
                   MakeEvent make_event) {
  Generator gen(SeedFromEnv(seed));
  Tally tally;
  const int total = patterns * Scale();
  for (int p = 0; p < total; ++p) {
    const std::string pattern_text = make_pattern(gen);
    std::vector<std::string> events;
    for (int e = 0; e < events_per_pattern; ++e) events.push_back(make_event(gen, pattern_text));
    for (DelimitedAlignment alignment : alignments) {
      RunCase(pattern_text, events, alignment, &tally);
    }
  }
  return tally;
}

const std::vector<DelimitedAlignment> kDefaultAlignment = {DelimitedAlignment::kLastFieldAbsorbs};

TEST(DifferentialTest, JsonPatterns) {
  const Tally tally = RunGenerated(
      20240601, 6000, 10, kDefaultAlignment, [](Generator& g) { return g.JsonPattern(); },
      [](Generator& g, const std::string& pattern_text) {
        return g.Chance(0.4) ? PlantedJsonEvent(g, pattern_text) : g.JsonEvent();
      });
  std::cout << "[json] " << tally.Summary() << "\n";
  EXPECT_EQ(tally.mismatches, 0) << tally.Summary();
  EXPECT_GT(tally.matched, tally.cases / 50) << "generator rarely produces matching events";
}

TEST(DifferentialTest, TermPatterns) {
  const Tally tally = RunGenerated(
      20240602, 3000, 10, kDefaultAlignment, [](Generator& g) { return g.TermPattern(); },
      [](Generator& g, const std::string&) { return g.TextEvent(); });
  std::cout << "[terms] " << tally.Summary() << "\n";
  EXPECT_EQ(tally.mismatches, 0) << tally.Summary();
  EXPECT_GT(tally.matched, tally.cases / 10) << "generator rarely produces matching events";
}

TEST(DifferentialTest, DelimitedPatterns) {
  const Tally tally = RunGenerated(
      20240603, 4000, 10, {DelimitedAlignment::kLastFieldAbsorbs, DelimitedAlignment::kStrict},
      [](Generator& g) { return g.DelimitedPattern(); },
      [](Generator& g, const std::string&) { return g.DelimitedEvent(); });
  std::cout << "[delimited] " << tally.Summary() << "\n";
  EXPECT_EQ(tally.mismatches, 0) << tally.Summary();
  EXPECT_GT(tally.matched, tally.cases / 20) << "generator rarely produces matching events";
}

// The literal prefilter (pattern/prefilter.h) must never lose a match: the
// same patterns on events whose strings are spelled with escapes (values
// split by \u escapes, "\/"), and on decoy events that hold the pattern's
// values in other places.
TEST(DifferentialTest, JsonPatternsOnEscapedAndDecoyEvents) {
  const Tally tally = RunGenerated(
      20240606, 4000, 10, kDefaultAlignment, [](Generator& g) { return g.JsonPattern(); },
      [](Generator& g, const std::string& pattern_text) {
        switch (g.Uniform(0, 3)) {
          case 0:
            return EscapeStrings(g, PlantedJsonEvent(g, pattern_text), 0.05);
          case 1:
            return EscapeStrings(g, PlantedJsonEvent(g, pattern_text), 0.4);
          case 2:
            return DecoyJsonEvent(g, pattern_text);
          default:
            return PlantedJsonEvent(g, pattern_text);
        }
      });
  std::cout << "[json, escaped and decoys] " << tally.Summary() << "\n";
  EXPECT_EQ(tally.mismatches, 0) << tally.Summary();
  EXPECT_GT(tally.matched, tally.cases / 50) << "generator rarely produces matching events";
}

// CIS-style lists of event names (the IAM pattern's shape, grouped into one
// lookup by the compiler) over names that share prefixes and suffixes, with
// escapes, decoys, and names cut or extended by a character.
TEST(DifferentialTest, EventNameListsOnEscapedAndDecoyEvents) {
  static const std::vector<std::string> kNames = {
      "DeleteGroupPolicy", "PutGroupPolicy", "GroupPolicy", "Policy", "CreatePolicy",
      "CreatePolicyVersion", "ConsoleLogin", "AttachRolePolicy", "UpdateTrail", "PutObject"};
  auto pattern = [](Generator& g) {
    std::string out = "{";
    const int count = g.Uniform(1, 6);
    for (int i = 0; i < count; ++i) {
      if (i > 0) out += " ||";
      std::string name = g.Pick(kNames);
      if (g.Chance(0.15)) name = g.Chance(0.5) ? "*" + name : name + "*";
      const bool parenthesised = g.Chance(0.5);
      out += std::string(parenthesised ? " ($" : " $") + ".eventName" + g.Spaces() + "=" +
             g.Spaces() + (g.Chance(0.5) ? "\"" + name + "\"" : name) +
             (parenthesised ? ")" : "");
    }
    if (g.Chance(0.2)) out += " && $.eventSource = \"iam.amazonaws.com\"";
    return out + " }";
  };
  auto event = [](Generator& g, const std::string&) {
    nlohmann::ordered_json root = nlohmann::ordered_json::parse(g.JsonObject(1));
    std::string name = g.Pick(kNames);
    if (g.Chance(0.1)) name.pop_back();
    if (g.Chance(0.1)) name = "x" + name;
    if (g.Chance(0.1)) name += "y";
    root[g.Chance(0.85) ? "eventName" : "otherName"] = name;
    if (g.Chance(0.3)) root["requestParameters"] = {{"policyName", g.Pick(kNames)}};
    if (g.Chance(0.5)) root["eventSource"] = g.Chance(0.7) ? "iam.amazonaws.com" : "s3.amazonaws.com";
    const std::string json = root.dump();
    return g.Chance(0.5) ? json : EscapeStrings(g, json, g.Chance(0.5) ? 0.02 : 0.2);
  };
  const Tally tally = RunGenerated(20240607, 3000, 10, kDefaultAlignment, pattern, event);
  std::cout << "[event-name lists] " << tally.Summary() << "\n";
  EXPECT_EQ(tally.mismatches, 0) << tally.Summary();
  EXPECT_GT(tally.matched, tally.cases / 20) << "generator rarely produces matching events";
}

// Every kind of pattern against every kind of event: a JSON pattern on a
// text line, a delimited pattern on JSON, and so on.
TEST(DifferentialTest, MixedKindsAndEvents) {
  auto any_pattern = [](Generator& g) {
    switch (g.Uniform(0, 3)) {
      case 0:
        return g.JsonPattern();
      case 1:
        return g.TermPattern();
      case 2:
        return g.DelimitedPattern();
      default:
        return std::string(g.Chance(0.5) ? "" : "  ");
    }
  };
  auto any_event = [](Generator& g, const std::string&) {
    switch (g.Uniform(0, 2)) {
      case 0:
        return g.JsonEvent();
      case 1:
        return g.TextEvent();
      default:
        return g.DelimitedEvent();
    }
  };
  const Tally tally = RunGenerated(20240604, 2000, 8, kDefaultAlignment, any_pattern, any_event);
  std::cout << "[mixed] " << tally.Summary() << "\n";
  EXPECT_EQ(tally.mismatches, 0) << tally.Summary();
}

// Valid patterns with random bytes deleted, duplicated or replaced: most no
// longer parse (and must be rejected without crashing); those that still
// compile must agree with the reference.
TEST(DifferentialTest, MutatedPatterns) {
  Generator gen(SeedFromEnv(20240605));
  static const std::string kAlphabet = "{}[]()$.*%\"'\\=!<>&|, -?abc01eE";
  Tally tally;
  int compiled = 0;
  const int total = 10000 * Scale();
  for (int p = 0; p < total; ++p) {
    std::string text;
    switch (gen.Uniform(0, 2)) {
      case 0:
        text = gen.JsonPattern();
        break;
      case 1:
        text = gen.TermPattern();
        break;
      default:
        text = gen.DelimitedPattern();
        break;
    }
    const int edits = gen.Uniform(1, 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const auto at = static_cast<std::size_t>(gen.Uniform(0, static_cast<int>(text.size()) - 1));
      const char c = kAlphabet[static_cast<std::size_t>(
          gen.Uniform(0, static_cast<int>(kAlphabet.size()) - 1))];
      switch (gen.Uniform(0, 2)) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(at, 1, c);
          break;
        default:
          text[at] = c;
          break;
      }
    }
    const Result<Ast, PatternError> ast = Parse(text);
    const Result<Matcher, PatternError> matcher = Matcher::Compile(text);
    if (matcher.ok() && !ast.ok()) {
      Report(&tally, "Compile() accepts what Parse() rejects: " + Show(text));
      continue;
    }
    for (const PatternError* error :
         {ast.ok() ? nullptr : &ast.error(), matcher.ok() ? nullptr : &matcher.error()}) {
      if (error == nullptr) continue;
      if (error->column < 1 || error->column > static_cast<int>(text.size()) + 1 ||
          error->message.empty()) {
        Report(&tally, "bad error for " + Show(text) + ": column " + std::to_string(error->column) +
                           ", " + error->ToString());
      }
    }
    if (!matcher.ok()) continue;
    ++compiled;
    std::vector<std::string> events;
    for (int e = 0; e < 4; ++e) {
      events.push_back(e % 3 == 0 ? gen.JsonEvent()
                                  : (e % 3 == 1 ? gen.TextEvent() : gen.DelimitedEvent()));
    }
    RunCase(text, events, DelimitedAlignment::kLastFieldAbsorbs, &tally);
  }
  std::cout << "[mutated] " << total << " mutants, " << compiled << " compiled; " << tally.Summary()
            << "\n";
  EXPECT_EQ(tally.mismatches, 0) << tally.Summary();
}

// ---------------------------------------------------------------------------
// Invalid patterns

struct InvalidCase {
  std::string text;
  bool syntax = true;  // false: only a quota is exceeded, which Compile() checks
};

std::vector<InvalidCase> InvalidPatterns() {
  std::vector<InvalidCase> cases = {
      {"{ $.a = 1"},
      {"{ a = 1 }"},
      {"{ $.a IS NOT NULL }"},
      {"{ $.a EXISTS }"},
      {"{ $.a IS }"},
      {"{ $.a IS MAYBE }"},
      {"{ $.a NOT }"},
      {"{ $.a = 1 && }"},
      {"{ && $.a = 1 }"},
      {"{ $.a = 1 || || $.b = 2 }"},
      {"{ $.a < \"1\" }"},
      {"{ $.a >= abc }"},
      {"{ $.a = 1 $.b = 2 }"},
      {"{ ($.a = 1 }"},
      {"{ $.a = 1) }"},
      {"{ () }"},
      {"{ $. = 1 }"},
      {"{ $.a[ = 1 }"},
      {"{ $.a[x = 1 }"},
      {"{ $.a['k = 1 }"},
      {"{ $.a = \"x }"},
      {"{ $.a = %x }"},
      {"{ $.a = %% }"},
      {"{ $.a = %a(b)% }"},
      {"{ $.a = %abc!% }"},
      {"{ $.a = %\\q% }"},
      {"{ $.a = %\\x4% }"},
      {"{ $.a = %\xc3\xa9% }"},
      {"{ $.a }"},
      {"{ $.a = }"},
      {"{ $.a = 1 } trailing"},
      {"{ $.a = 1 }}"},
      {"{ $ = 1 }"},
      {"{ $.a.b..c = 1 }"},
      {"%a(b)%"},
      {"%unterminated"},
      {"%abc!%"},
      {"\"unterminated phrase"},
      {"ERROR \"open"},
      {"[a, b"},
      {"[a] x"},
      {"[a, ..., b, ..., c]"},
      {"[a=1 && b=2]"},
      {"[a=]"},
      {"[a < x]"},
      {"[a = %(%]"},
      {"[a = \"x]"},
      {"[a b]"},
      {"[a=1 &&]"},
      {"{ $.a[*].b[*] = 1 }", false},
      {"{ $.*.*= 1 }", false},
      {"{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 && $.d[*] = 1 }", false},
      {"%a% %b% %c%", false},
      {"{ $.a = %x% || $.b = %y% || $.c = %z% }", false},
      {"[a=%x%, b=%y%, c=%z%]", false},
      {"{ $.a = \"" + std::string(kMaxPatternLength, 'x') + "\" }", false},
  };
  std::string deep = "{ ";
  for (int i = 0; i <= kMaxNestingDepth + 8; ++i) deep += "(";
  deep += "$.a = 1";
  for (int i = 0; i <= kMaxNestingDepth + 8; ++i) deep += ")";
  cases.push_back({deep + " }", false});
  std::string very_deep = "{ " + std::string(100000, '(') + "$.a = 1 }";
  cases.push_back({very_deep, false});
  return cases;
}

TEST(DifferentialTest, InvalidPatternsAreRejected) {
  for (const InvalidCase& invalid : InvalidPatterns()) {
    const std::string shown = Show(invalid.text.substr(0, 120));
    const Result<Ast, PatternError> ast = Parse(invalid.text);  // must not crash
    if (invalid.syntax) {
      EXPECT_FALSE(ast.ok()) << "Parse() accepts " << shown << " as " << ToString(*ast);
    }
    const Result<Matcher, PatternError> matcher = Matcher::Compile(invalid.text);
    if (matcher.ok()) {
      ADD_FAILURE() << "Compile() accepts " << shown << " as " << ToString(matcher->ast());
      continue;
    }
    const PatternError& error = matcher.error();
    EXPECT_GE(error.column, 1) << shown;
    EXPECT_LE(error.column, static_cast<int>(invalid.text.size()) + 1) << shown;
    EXPECT_FALSE(error.message.empty()) << shown;
  }
}

// The reference's regex translation, checked on its own so that a
// reference bug is not mistaken for an engine bug.
TEST(ReferenceMatcherTest, RegexTranslation) {
  const std::vector<std::pair<std::string, std::string>> cases = {{"a{,2}", "a{0,2}"},
                                                                  {"a.b", "a[^\\n]b"},
                                                                  {"\\d+", "[0-9]+"},
                                                                  {"\\.", "\\x2e"},
                                                                  {"[\\d.]", "[0-9.]"},
                                                                  {"\\x41", "\\x41"},
                                                                  {"a{2,}", "a{2,}"},
                                                                  {"[^0-9]{1,3}", "[^0-9]{1,3}"},
                                                                  {"^?a$*", "(?:^)?a(?:$)*"},
                                                                  {"a{x}", "a\\{x\\}"},
                                                                  {"a{,}", "a{0,}"},
                                                                  {"a{01}", "a{01}"},
                                                                  {"{}", "\\{\\}"}};
  for (const auto& [source, expected] : cases) {
    EXPECT_EQ(testing::TranslateRegexForStdRegex(source), expected) << source;
  }
}

TEST(ReferenceMatcherTest, SpotChecksAgainstTheDocs) {
  struct Spot {
    std::string pattern;
    std::string event;
    bool match;
  };
  const std::vector<Spot> spots = {
      {"ERROR", "Exiting with ERRORCODE: -1", true},
      {"?ERROR ?ARGUMENTS REQUEST", "BAD_REQUEST", true},
      {"?ERROR ?WARN", "INFO only", false},
      {"-ERROR", "all good", true},
      {"\" \"", "nospace", true},
      {"{ $.users = 1 }", R"({"users":[1,2,3]})", false},
      {"{ $.users != 1 }", R"({"users":[1,2,3]})", false},
      {"{ $.missing != 1 }", R"({"a":1})", false},
      {"{ $.missing NOT EXISTS }", R"({"a":1})", true},
      {"{ $.a NOT EXISTS }", R"({"a":null})", false},
      {"{ $.a IS NULL }", R"({"a":null})", true},
      {"{ $.a = * }", R"({"a":null})", false},
      {"{ $.a = * }", R"({"a":0})", true},
      {"{ $.a != * }", R"({"a":0})", false},
      {"{ $.a = 1e3 }", R"({"a":1000})", true},
      {"{ $.status = 401 }", R"({"status":"401"})", true},
      {"{ $.status > 400 }", R"({"status":"401"})", false},
      {"{ $.id = \"1\" }", R"({"id":1.0})", true},
      {"{ $.flag = true }", R"({"flag":true})", true},
      {"{ $.e = *Denied }", R"({"e":"AccessDenied"})", true},
      {"{ $.e = Ev*ent }", R"({"e":"Event"})", false},
      {"{ $.a[*] = 2 }", R"({"a":[1,2]})", true},
      {"{ $.['k.x'] = 1 }", R"({"k.x":1})", true},
      {"{ $[0] = 1 }", "[1,2]", true},
      {"{ $.a = 1 }", R"({"a":1,"a":2})", false},
      {"{ $.* = 1 }", R"({"a":1,"a":2})", false},
      {"{ $.a NOT EXISTS }", "1e400", false},
      {"{ $.a NOT EXISTS }", "not json", false},
      {"{ $.t = %Trail% }", R"({"t":"UpdateTrail"})", true},
      {"[w1=ERROR, w2]", "ERROR a b c", true},
      {"[w1=ERROR]", "ERROR a", false},
      {"[a, b, c]", "x y", false},
      {"[]", "anything at all", true},
      {"[..., size > 1000]", "a b 1534", true},
      {"[ip=%127\\.0\\.0\\.[1-9]%, ...]", "127.0.0.10 x", true},
      {"[code = 4*]", "404", true},
      {"[n = 5]", "5.0", true},
  };
  for (const Spot& spot : spots) {
    const Result<Ast, PatternError> ast = Parse(spot.pattern);
    ASSERT_TRUE(ast.ok()) << spot.pattern << ": " << ast.error().ToString();
    EXPECT_EQ(ReferenceMatches(*ast, spot.event), spot.match)
        << spot.pattern << " on " << spot.event;
  }
}

TEST(ReferenceMatcherTest, ExtractSpotChecks) {
  {
    const auto ast = Parse("{ $.a = * && $.b.* = 1 || $.a = 2 || $.none = 1 }");
    ASSERT_TRUE(ast.ok());
    EXPECT_EQ(ReferenceExtract(*ast, R"({"a":1.5,"b":{"x":[1],"y":null,"z":1}})"),
              (ExtractedValues{{"$.a", "1.5"}, {"$.b.*", "null"}}));
  }
  {
    // Duplicate keys: the last occurrence wins, in its own position.
    const auto ast = Parse("{ $.* = * }");
    ASSERT_TRUE(ast.ok());
    EXPECT_EQ(ReferenceExtract(*ast, R"({"a":{},"b":"x","a":2})"), (ExtractedValues{{"$.*", "x"}}));
    EXPECT_EQ(ReferenceExtract(*ast, R"({"a":1,"b":{},"a":{}})"), (ExtractedValues{}));
  }
  {
    const auto ast = Parse("[..., request=*.html*, status_code=4*,]");
    ASSERT_TRUE(ast.ok());
    EXPECT_EQ(ReferenceExtract(*ast,
                               "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "
                               "\"GET /index.html HTTP/1.0\" 404 1534"),
              (ExtractedValues{{"$1", "127.0.0.1"},
                               {"$2", "-"},
                               {"$3", "frank"},
                               {"$4", "10/Oct/2000:13:25:15 -0700"},
                               {"$request", "GET /index.html HTTP/1.0"},
                               {"$status_code", "404"},
                               {"$7", "1534"}}));
  }
  {
    const auto ast = Parse("[a, b]");
    ASSERT_TRUE(ast.ok());
    EXPECT_EQ(ReferenceExtract(*ast, "x \"y z\" w "),
              (ExtractedValues{{"$a", "x"}, {"$b", "\"y z\" w"}}));
  }
}

}  // namespace
}  // namespace tw::pattern
