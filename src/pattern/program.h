// The compiled form of a pattern, private to the pattern module.
//
// Compile() turns the Ast into a Program: selectors become interned
// event::FieldPaths (so a pattern naming $.eventName sixteen times resolves
// it once per event), regexes become RE2 objects, and values become
// ValueTests that need no parsing at match time. A Program is immutable and
// shared by every thread that matches with it.

#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/event_view.h"
#include "event/field_path.h"
#include "pattern/ast.h"
#include "pattern/pattern.h"
#include "pattern/prefilter.h"

namespace tw::pattern {

// A precompiled right-hand side of = / != (and the number of < <= > >=).
struct ValueTest {
  enum class Kind { kAnyText, kExact, kPrefix, kSuffix, kContains, kNumber, kRegex };
  Kind kind = Kind::kExact;
  std::string text;                  // the literal (for kNumber, as written)
  double number = 0;                 // kNumber
  std::unique_ptr<const RE2> regex;  // kRegex
};

ValueTest BuildValueTest(const Value& value);
// Whether `text` equals / matches the test (the = relation).
bool TextSatisfies(const ValueTest& test, std::string_view text);
// Applies a comparison operator to the text of a space-delimited field.
bool FieldSatisfies(Op op, const ValueTest& test, std::string_view text);

struct CompiledCondition {
  Op op = Op::kEq;
  ValueTest test;
  // Without a wildcard: the whole selector. With one: the steps before it.
  const event::FieldPath* path = nullptr;
  bool wildcard = false;
  Segment::Kind wildcard_kind = Segment::Kind::kAnyMember;
  std::vector<event::FieldPath::Step> after_wildcard;  // steps after the wildcard
};

struct CompiledExpr {
  enum class Kind {
    kAnd,
    kOr,
    kCondition,
    // Several `PATH = "literal"` alternatives of one OR (the CIS eventName
    // lists): one lookup and a binary search instead of one test each.
    kAnyOf,
  };
  Kind kind = Kind::kCondition;
  std::vector<CompiledExpr> children;
  std::size_t condition = 0;               // kCondition: index into Program::conditions
  const event::FieldPath* path = nullptr;  // kAnyOf
  std::vector<std::string> sorted_texts;   // kAnyOf
};

struct CompiledTerm {
  Term::Role role = Term::Role::kRequired;
  bool always = false;  // a quoted all-whitespace phrase: AWS's "match everything"
  std::string text;
  std::unique_ptr<const RE2> regex;
};

struct CompiledField {
  DelimitedFieldSpec::Kind kind = DelimitedFieldSpec::Kind::kBlank;
  std::string name;
  struct Condition {
    Op op;
    ValueTest test;
  };
  std::vector<std::vector<Condition>> alternatives;
};

// One distinct selector of a JSON pattern, for extractedValues.
struct ExtractedSelector {
  std::string text;
  std::size_t condition = 0;  // a condition using it (for its path and wildcard)
};

struct Program {
  Ast ast;
  CompileOptions options;

  // Term patterns.
  std::vector<CompiledTerm> required;  // plain terms and regex terms: all must occur
  std::vector<CompiledTerm> excluded;  // none may occur
  std::vector<CompiledTerm> optional;  // used only when the two lists above are empty

  // JSON patterns.
  std::vector<std::shared_ptr<const event::FieldPath>> paths;  // interned, keeps them alive
  std::vector<CompiledCondition> conditions;
  CompiledExpr root;
  std::vector<ExtractedSelector> extracted;
  // Events without its literals skip the parse (prefilter.h); derived last.
  std::optional<Prefilter> prefilter;

  // Space-delimited patterns.
  std::vector<CompiledField> fields;
  int ellipsis = -1;  // index of '...' in fields, or -1

  bool Matches(event::EventView& event) const;
};

}  // namespace tw::pattern
