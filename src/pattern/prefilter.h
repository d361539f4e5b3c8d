// The literal prefilter: a necessary condition on an event's raw bytes,
// derived from a JSON pattern when it is compiled, so that events which cannot
// match are rejected without the JSON parse (the role re2's FilteredRE2 and
// falco's event-type index play). Private to the pattern module; Matcher
// applies it inside Matches(), so every caller gets it.
//
// The condition is a conjunction of LiteralSets: for each set, at least one of
// its literals must occur in the message. Only these tests contribute a
// literal, each as the bytes its value must be written with in JSON:
//
//   $.x = "L"     ->  "L"      (the whole JSON string token, quotes included)
//   $.x = "L*"    ->  "L       $.x = "*L"  ->  L"       $.x = "*L*"  ->  L
//
// A test gives up ("may match", no literal) when its value could be written
// otherwise: L empty; L holding '"', '\', '/' or a control character (JSON
// escapes those, or may: "\/"); L made only of characters of a number's
// rendering ("401" also equals the node 4.01e2); and any other operator or
// value: !=, < <= > >=, numbers, `*`, %regex%, IS NULL/TRUE/FALSE, NOT EXISTS.
// When L could be (part of) the text of a boolean ("true", "fa*"), the quotes
// are left off, since a boolean is written without them.
//
// Combining: AND keeps every child's sets (any one failing rejects); OR
// needs a literal from every child, and merges one set from each into one
// set; a child that gives up makes the OR give up.
//
// Soundness: outside \u escapes, JSON writes a character that is not '"', '\',
// '/' or a control character only as itself, so a string value containing L
// puts L's bytes in the message. A \u escape can spell any character
// ("\u0044eleteGroupPolicy"), so when a literal set is absent and the message
// contains the bytes `\u` anywhere, the answer is "may match" and the event is
// parsed. A "cannot match" answer is therefore exact: Matches() returns false
// exactly when the full evaluation would.
//
// Thread safety: immutable after construction; shared by every thread.

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/event_view.h"

namespace tw::pattern {

struct Program;

// A scan whose LiteralSet::cost() is above this costs about as much as the
// DOM parse it could save (a memchr pass over a kilobyte is ~4, the parse of
// a kilobyte of CloudTrail ~35 in the same units), so such sets are dropped.
inline constexpr double kMaxScanCost = 32;

// Finds whether any of a fixed list of literals occurs in a text. Each
// literal is assigned an anchor byte, rare in CloudTrail JSON, that it
// contains; the search is one memchr pass per distinct anchor byte (one for
// the 16 IAM policy names: 'P'), and each anchor hit is checked with one
// 8-byte load per group of literals that share the window's position
// relative to the anchor, then a memcmp.
class LiteralSet {
 public:
  // `literals` must not be empty, nor contain an empty literal.
  explicit LiteralSet(std::vector<std::string> literals);

  bool FoundIn(std::string_view text) const;

  // Sorted, without duplicates; a literal containing another is dropped,
  // since the shorter one occurs wherever it does.
  const std::vector<std::string>& literals() const { return literals_; }
  // Expected work per kilobyte of CloudTrail JSON, in anchor hits (for ordering).
  double cost() const { return cost_; }

 private:
  struct Candidate {
    std::uint64_t window = 0;  // the literal's window bytes, loaded as by LoadWindow
    std::uint32_t literal = 0;
    std::int32_t start = 0;  // where the literal starts, relative to the anchor hit
  };
  struct Group {
    std::int32_t window = 0;  // where the window starts, relative to the anchor hit
    std::uint32_t window_size = 0;  // 1..8
    std::vector<Candidate> candidates;
  };
  struct Anchor {
    unsigned char byte = 0;
    std::vector<Group> groups;
  };

  std::vector<std::string> literals_;
  std::vector<Anchor> anchors_;
  double cost_ = 0;
};

class Prefilter {
 public:
  explicit Prefilter(std::vector<LiteralSet> all_of);

  // False only if the pattern cannot match `event` (see Soundness above).
  // Reads event.message() and, when a set is absent, event.HasUnicodeEscape();
  // never parses.
  bool MayMatch(event::EventView& event) const;

  // Cheapest first.
  const std::vector<LiteralSet>& all_of() const { return all_of_; }

  // For tests: any{`"A"` `"B"`} && any{`C"`}, each set's literals sorted.
  std::string ToString() const;

 private:
  std::vector<LiteralSet> all_of_;
};

// The prefilter of a compiled JSON pattern, or nullopt when no literal is
// necessary (other pattern kinds, or every branch gave up).
std::optional<Prefilter> DerivePrefilter(const Program& program);

}  // namespace tw::pattern
