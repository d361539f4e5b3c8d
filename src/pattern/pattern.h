// Front door of the pattern engine: compile CloudWatch Logs filter patterns
// and run them against log events, with AWS's semantics
// (../shared/spec/filter-patterns.md; docs/pattern-syntax.md for users).
//
// A Matcher is built once from pattern text and then run against many events.
// It is immutable after Compile() and may be shared between threads without
// locking. Matching never fails: every error surfaces in Compile(), with the
// column of the problem.
//
//   auto m = pattern::Matcher::Compile(R"({ $.eventName = "ConsoleLogin" })");
//   if (!m.ok()) return m.error().ToStatus();
//   event::EventView view;           // one per thread, reused for every event
//   view.Reset(message);
//   bool hit = m->Matches(view);     // does not allocate
//
// Many patterns over one event: call Matches() on each with the same
// EventView (or use PatternSet); the JSON is parsed once and each distinct
// field path is resolved once per event, however many patterns name it.

#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "event/event_view.h"
#include "pattern/ast.h"

namespace tw::pattern {

// AWS's limits on a pattern (filter-patterns.md §1, §4, §5.2).
inline constexpr std::size_t kMaxPatternLength = 1024;  // characters
inline constexpr int kMaxRegexes = 2;
inline constexpr int kMaxWildcardSelectors = 3;
inline constexpr int kMaxNestingDepth = 32;  // parentheses; ours, to bound recursion

// Why a pattern (or a metric value reference) was rejected.
struct PatternError {
  int column = 1;        // 1-based, in characters of the text given to Compile()
  std::string fragment;  // the offending text, at most a few dozen characters
  std::string message;   // what is wrong, e.g. "expected ']' to close the pattern"
  std::string hint;      // how to fix it, or empty

  // AWS's sentence, then where and why: "Invalid metric filter pattern.
  // Column 14: expected ']' ... near "x" (hint: ...)". FilterLogEvents
  // leads with AWS's "Invalid filter pattern" instead.
  std::string ToString(std::string_view lead = "Invalid metric filter pattern") const;
  // kInvalidArgument with ToString(lead): the API maps it to InvalidParameterException.
  Status ToStatus(std::string_view lead = "Invalid metric filter pattern") const;
};

// How space-delimited pattern fields align with the event's fields when the
// event has more fields than the pattern and no '...' absorbs them
// (filter-patterns.md §6.3).
enum class DelimitedAlignment {
  kLastFieldAbsorbs,  // recommended: the last pattern field takes the rest of the line
  kStrict,            // the field counts must be equal
};

struct CompileOptions {
  DelimitedAlignment alignment = DelimitedAlignment::kLastFieldAbsorbs;
};

// Parses `text` into its AST without compiling it (for tools and tests).
Result<Ast, PatternError> Parse(std::string_view text);

// Extracted values as TestMetricFilter reports them: ordered (key, value)
// pairs, e.g. ("$.eventName", "DeleteRolePolicy") or ("$status_code", "404").
using ExtractedValues = std::vector<std::pair<std::string, std::string>>;

// A metric value or dimension value: a literal number, or a reference into
// the matching event ($.field for JSON patterns, $name / $N for
// space-delimited ones). Built by Matcher::CompileReference().
class ValueReference {
 public:
  enum class Kind { kLiteral, kJsonPath, kNamedField, kPosition };
  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  double literal() const { return literal_; }

 private:
  friend class Matcher;
  Kind kind_ = Kind::kLiteral;
  std::string text_;
  double literal_ = 0;
  std::shared_ptr<const event::FieldPath> path_;  // kJsonPath (interned)
  std::size_t position_ = 0;  // kNamedField: pattern field index; kPosition: 1-based event field
};

struct Program;    // The compiled form; see program.h.
class Prefilter;  // Literals an event must contain to match; see prefilter.h.
class LiteralSet;

class Matcher {
 public:
  static Result<Matcher, PatternError> Compile(std::string_view text,
                                               const CompileOptions& options = {});

  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;
  ~Matcher();

  // True iff the event matches. Does not allocate once `event` is warm. A
  // JSON pattern first looks for the literals a match needs in the raw
  // message (prefilter.h) and, without them, answers false without parsing.
  bool Matches(event::EventView& event) const;

  // The values TestMetricFilter reports for a matching event: {} for term
  // patterns, one entry per distinct selector for JSON patterns (selectors
  // that resolve to nothing or to an object/array are left out), every event
  // field as $name or $N for space-delimited patterns. Allocates; call it
  // only for events that matched.
  ExtractedValues Extract(event::EventView& event) const;

  // Validates a metricValue / dimension value against this pattern: a
  // literal number always; $.selector (no wildcards) only for JSON patterns;
  // $name (a named field) or $N only for space-delimited patterns.
  Result<ValueReference, PatternError> CompileReference(std::string_view text) const;

  // The referenced value's text in a matching event, or nullopt when it is
  // missing or not a scalar. Numbers are rendered into `buffer`.
  std::optional<std::string_view> ResolveText(
      const ValueReference& ref, event::EventView& event,
      std::span<char, event::kScalarTextCapacity> buffer) const;
  // The referenced value as a number, or nullopt when missing or not numeric.
  std::optional<double> ResolveNumber(const ValueReference& ref, event::EventView& event) const;

  PatternKind kind() const;
  const Ast& ast() const;
  // The literal prefilter Matches() applies before parsing, or null when the
  // pattern has none (terms, space-delimited, or no literal is necessary).
  const Prefilter* prefilter() const;
  // True for JSON and space-delimited patterns, the ones that may carry dimensions.
  bool SupportsDimensions() const {
    return kind() == PatternKind::kJson || kind() == PatternKind::kDelimited;
  }
  // The pattern exactly as given to Compile().
  const std::string& source() const { return source_; }

 private:
  Matcher(std::unique_ptr<const Program> program, std::string source);

  std::unique_ptr<const Program> program_;  // never null
  std::string source_;
};

// A fixed list of matchers evaluated together against each event.
// Immutable after construction; shareable between threads.
class PatternSet {
 public:
  explicit PatternSet(std::vector<std::shared_ptr<const Matcher>> matchers);

  std::size_t size() const { return matchers_.size(); }
  const Matcher& at(std::size_t i) const { return *matchers_[i]; }

  // Sets hits[i] to whether matcher i matches; returns the number of hits.
  // hits.size() must be size(). Parses the event at most once. When every
  // JSON matcher has a prefilter and the union of one literal set of each is
  // cheap to scan for, one scan decides whether any of them can match: if
  // none can, nothing is parsed; if one may, the event is parsed and no
  // matcher scans it again. Otherwise the event is parsed up front (the scans
  // would cost more than the parse they might save).
  std::size_t Match(event::EventView& event, std::span<bool> hits) const;

 private:
  std::vector<std::shared_ptr<const Matcher>> matchers_;
  std::shared_ptr<const LiteralSet> any_literal_;  // null: no set-wide scan
  bool parse_first_ = false;
};

}  // namespace tw::pattern
