// A slow, obviously correct interpreter of filter patterns, for tests only.
//
// THIS CODE EXISTS ONLY FOR TESTING. It is the oracle that
// tests/pattern/differential_test.cc runs side by side with the compiled
// pattern::Matcher on generated patterns and events (the role re2's
// testing/backtrack.cc plays for RE2). It favours being easy to check
// against docs/pattern-syntax.md over speed: it re-parses the event for
// every call, copies strings freely and uses std::regex. Never use it in
// production.
//
// Independence: only the parser is shared with the engine. The reference
// walks the pattern::Ast directly and does its own event work:
//   - JSON with nlohmann::ordered_json built from nlohmann's SAX parser (the
//     engine uses simdjson); object members keep document order;
//   - its own split of space-delimited events;
//   - regexes with std::regex (ECMAScript) on a translation of the AWS
//     subset: `{,n}` becomes `{0,n}`, `.` becomes `[^\n]`, \s and \w keep
//     RE2's ASCII meanings, escaped symbols become \xhh;
//   - numbers rendered in shortest round-trip form with std::to_chars,
//     integers as integers.
//
// Readings of points docs/pattern-syntax.md leaves open (change them here if
// the docs decide otherwise):
//   - A wildcard selector whose NOT EXISTS is tested holds iff it selects
//     nothing. `.*` selects object members only, `[*]` array elements only.
//   - Duplicate keys: the last occurrence wins and the earlier ones are
//     ignored, so `.*` sees the key once, at the position of its last
//     occurrence (which decides the "first scalar" extracted for `$.*`).
//   - A number beyond the range of a double (1e400) makes the message
//     not JSON (nlohmann rejects it).
//   - Integers beyond 64 bits are JSON numbers compared as doubles
//     (filter-patterns.md §5.6).
//   - A delimited field "is a number" when it reads as a pattern number
//     literal, [+-]?(d+[.d*]|.d+)([eE][+-]?d+)?.
//   - When the last pattern field absorbs the rest of the line: a named field
//     is bound to the raw remainder, trimmed ($name); under a blank field the
//     absorbed event fields stay event fields, each reported as $N without
//     its grouping quotes or brackets.
//   - Text is treated as bytes; generated events are ASCII, so RE2's UTF-8
//     mode and std::regex agree.
//
// Every function is a pure function of its arguments and is thread-safe.
// Behaviour is undefined for an Ast that Parse() would not produce.
//
//   auto ast = pattern::Parse(R"({ $.a = 1 })");
//   bool hit = testing::ReferenceMatches(*ast, R"({"a": 1.0})");  // true

#pragma once

#include <string>
#include <string_view>

#include "pattern/ast.h"
#include "pattern/pattern.h"

namespace tw::testing {

// True iff `message` matches `ast` under the rules of docs/pattern-syntax.md.
// `alignment` only matters for space-delimited patterns.
bool ReferenceMatches(
    const pattern::Ast& ast, std::string_view message,
    pattern::DelimitedAlignment alignment = pattern::DelimitedAlignment::kLastFieldAbsorbs);

// TestMetricFilter's extractedValues for `message`, which should match
// `ast`: {} for term and match-all patterns; for JSON patterns one entry per
// distinct selector text in order of first appearance, valued with the text
// of the first scalar it selects ("null" for null); for space-delimited
// patterns every event field in event order, as $name or $N.
pattern::ExtractedValues ReferenceExtract(
    const pattern::Ast& ast, std::string_view message,
    pattern::DelimitedAlignment alignment = pattern::DelimitedAlignment::kLastFieldAbsorbs);

// The std::regex (ECMAScript) source equivalent to AWS regex `source`, which
// must already have been accepted by the parser. Exposed for tests.
std::string TranslateRegexForStdRegex(std::string_view source);

}  // namespace tw::testing
