// The parsed form of a CloudWatch Logs filter pattern.
//
// Plain data produced by Parse() (parser.h) and consumed by the compiler
// (program.h) and by the test-only reference interpreter. ToString() gives
// the compact canonical text used in golden tests, e.g.
//
//   { $.errorCode = "*Denied" }    ->  json{eq{$.errorCode glob"*Denied"}}
//   ?ERROR ?WARN -debug            ->  terms{opt"ERROR" opt"WARN" exc"debug"}
//   [ip, , user=frank, ...]        ->  delim{field{ip} blank field{user eq{str"frank"}} ellipsis}
//
// Canonical forms:
//   all                                  empty / whitespace-only pattern
//   terms{ROLE"text" ROLE%regex% ...}    ROLE is req, opt or exc
//   json{EXPR}    EXPR := and{EXPR EXPR...} | or{EXPR EXPR...} | COND
//   COND := OP{SELECTOR VALUE} | isnull{SELECTOR} | istrue{..} | isfalse{..} | notexists{..}
//   OP   := eq | ne | lt | le | gt | ge
//   VALUE := str"text" | glob"*te*xt*" | num"literal" | re"regex" | any
//   delim{FIELD ...}   FIELD := ellipsis | blank | field{name} | field{name ALT|ALT}
//   ALT := OP{VALUE}&OP{VALUE}...       (&& binds tighter than ||)

#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tw::pattern {

enum class PatternKind {
  kMatchAll,   // empty or whitespace-only: every event matches
  kTerms,      // unstructured terms, quoted phrases, ?/- prefixes, %regex%
  kJson,       // { ... }
  kDelimited,  // [ ... ]
};

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kIsTrue, kIsFalse, kNotExists };

// Right-hand side of a comparison.
struct Value {
  enum class Kind {
    kString,     // text compared exactly, or by prefix/suffix/contains with wildcards
    kNumber,     // an unquoted numeric literal
    kRegex,      // %...%: unanchored search
    kAnyScalar,  // a lone * : "present with a value"
  };
  Kind kind = Kind::kString;
  std::string text;  // string: without the wildcard stars; number: as written; regex: source
  bool leading_star = false;   // "*abc": the text must end with "abc"
  bool trailing_star = false;  // "abc*": the text must start with "abc"
  bool quoted = false;
  double number = 0;  // kNumber only
};

struct Segment {
  enum class Kind { kMember, kIndex, kAnyMember, kAnyIndex };
  Kind kind = Kind::kMember;
  std::string name;       // kMember
  std::size_t index = 0;  // kIndex
};

struct Selector {
  std::string text;  // exactly as written in the pattern; the extractedValues key
  std::vector<Segment> segments;
  bool has_wildcard() const;
};

struct JsonCondition {
  Selector selector;
  Op op = Op::kEq;
  Value value;  // unused for IS NULL / IS TRUE / IS FALSE / NOT EXISTS
};

struct JsonExpr {
  enum class Kind { kAnd, kOr, kCondition };
  Kind kind = Kind::kCondition;
  std::vector<JsonExpr> children;  // kAnd, kOr: two or more
  JsonCondition condition;         // kCondition
};

struct Term {
  enum class Role { kRequired, kOptional, kExcluded };
  Role role = Role::kRequired;
  bool is_regex = false;
  std::string text;  // unescaped phrase, or regex source
};

struct FieldCondition {
  Op op = Op::kEq;  // one of = != < <= > >=
  Value value;
};

struct DelimitedFieldSpec {
  enum class Kind { kEllipsis, kBlank, kNamed };
  Kind kind = Kind::kBlank;
  std::string name;  // kNamed
  // Disjunction of conjunctions: the field matches if every condition of
  // any one alternative holds. Empty: no condition.
  std::vector<std::vector<FieldCondition>> alternatives;
};

struct Ast {
  PatternKind kind = PatternKind::kMatchAll;
  std::vector<Term> terms;                 // kTerms
  JsonExpr json;                           // kJson
  std::vector<DelimitedFieldSpec> fields;  // kDelimited
};

std::string ToString(const Ast& ast);
std::string ToString(const JsonExpr& expr);
std::string ToString(const Value& value);
const char* OpName(Op op);  // "eq", "ne", ..., "notexists"

}  // namespace tw::pattern
