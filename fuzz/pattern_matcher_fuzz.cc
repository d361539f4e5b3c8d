// libFuzzer target for matching: the input is a pattern and an event
// separated by the first '\n' (without one, the whole input is the pattern
// and a few fixed events stand in). A pattern that compiles, under both
// space-delimited alignments, is matched against the event with strict and
// scan-from-first-brace JSON views; matching events are extracted, and a few
// metric value references are compiled and resolved. Nothing may crash,
// hang or trip a sanitizer, and the literal prefilter may not change an
// answer: matching on a fresh view (prefilter first) must agree with matching
// on a view whose JSON was parsed first (prefilter skipped).
//
//   build-fuzz/fuzz/pattern_matcher_fuzz -dict=fuzz/pattern.dict fuzz/corpus/pattern

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "event/event_view.h"
#include "pattern/pattern.h"

namespace {

using tw::pattern::CompileOptions;
using tw::pattern::DelimitedAlignment;
using tw::pattern::Matcher;

constexpr std::string_view kFallbackEvents[] = {
    R"({"a":{"b":[1,"x",null]},"c":"ConsoleLogin","d":1e3,"e":true})",
    "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534",
    "ERROR Exiting with ERRORCODE: -1",
};

constexpr std::string_view kReferences[] = {
    "1",
    "-2.5e3",
    "$.a",
    "$.a.b[0]",
    "$.['k.x']",
    "$.a[*]",
    "$.*",
    "$1",
    "$3",
    "$0",
    "$99999999999999999999",
    "$ip",
    "$user",
    "$w1",
    "$",
    "$.",
    "x",
    "",
};

void Check(bool condition) {
  if (!condition) std::abort();
}

void Run(const Matcher& matcher, std::string_view message) {
  for (auto mode : {tw::event::JsonMode::kStrict, tw::event::JsonMode::kScanFromFirstBrace}) {
    tw::event::EventView view(mode);
    view.Reset(message);
    const bool hit = matcher.Matches(view);
    Check(matcher.Matches(view) == hit);
    tw::event::EventView parsed_first(mode);
    parsed_first.Reset(message);
    (void)parsed_first.Json();
    Check(matcher.Matches(parsed_first) == hit);
    if (!hit) continue;
    (void)matcher.Extract(view);
    for (std::string_view text : kReferences) {
      const auto ref = matcher.CompileReference(text);
      if (!ref.ok()) {
        Check(!ref.error().message.empty());
        continue;
      }
      std::array<char, tw::event::kScalarTextCapacity> buffer;
      (void)matcher.ResolveText(*ref, view, buffer);
      (void)matcher.ResolveNumber(*ref, view);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view pattern = input.substr(0, newline);
  for (auto alignment : {DelimitedAlignment::kLastFieldAbsorbs, DelimitedAlignment::kStrict}) {
    CompileOptions options;
    options.alignment = alignment;
    auto matcher = Matcher::Compile(pattern, options);
    if (!matcher.ok()) return 0;
    if (newline != std::string_view::npos) {
      Run(*matcher, input.substr(newline + 1));
    } else {
      for (std::string_view message : kFallbackEvents) Run(*matcher, message);
    }
  }
  return 0;
}
