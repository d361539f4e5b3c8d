// libFuzzer target for the pattern front end: arbitrary text goes to
// Matcher::Compile(). Text that compiles is run against a fixed set of
// events (JSON, plain text, space-delimited) with Matches() and, for the
// events that match, Extract(). Nothing may crash, hang or trip a sanitizer,
// and the checks below abort on a broken contract:
//   - a rejected pattern reports a column inside the text (or just past it)
//     and a non-empty message;
//   - Compile() accepts nothing that Parse() rejects;
//   - matching the same event twice gives the same answer (EventView memo).
//
//   build-fuzz/fuzz/pattern_parser_fuzz -dict=fuzz/pattern.dict fuzz/corpus/pattern

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "event/event_view.h"
#include "pattern/ast.h"
#include "pattern/pattern.h"

namespace {

using tw::pattern::Matcher;
using tw::pattern::PatternError;

constexpr std::string_view kEvents[] = {
    R"({"eventName":"ConsoleLogin","errorCode":"AccessDenied","user":{"id":1,"name":"a.b"},)"
    R"("items":[1,2.5,"x",null,true,{"k":[]}],"k.x":1e3,"n":null,"b":false})",
    R"([{"a":1},[2,3],"s",-1.5e-3])",
    R"({"a":1,"a":"dup","":{"":[]}})",
    "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534",
    "ERROR Exiting with ERRORCODE: -1 \"unterminated [group",
    "",
    "   \t\n",
    "\"",
    "[",
    "12345678901234567890 -0 1e400 .5 5.",
};

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckError(const PatternError& error, std::string_view text) {
  Check(error.column >= 1);
  Check(static_cast<std::size_t>(error.column) <= text.size() + 1);
  Check(!error.message.empty());
  Check(!error.ToString().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto ast = tw::pattern::Parse(text);
  if (!ast.ok()) {
    CheckError(ast.error(), text);
  } else {
    Check(!tw::pattern::ToString(*ast).empty());
  }
  auto matcher = Matcher::Compile(text);
  if (!matcher.ok()) {
    CheckError(matcher.error(), text);
    return 0;
  }
  Check(ast.ok());
  tw::event::EventView view;
  for (std::string_view message : kEvents) {
    view.Reset(message);
    const bool hit = matcher->Matches(view);
    Check(matcher->Matches(view) == hit);
    if (hit) (void)matcher->Extract(view);
  }
  return 0;
}
