#include "event/event_view.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace tw::event {
namespace {

FieldPath Path(std::vector<std::string> members) {
  std::vector<FieldPath::Step> steps;
  for (auto& m : members) {
    FieldPath::Step step;
    step.member = m;
    steps.push_back(step);
  }
  return FieldPath(std::move(steps));
}

std::string Text(JsonValue value) {
  std::array<char, kScalarTextCapacity> buffer;
  bool has_text = false;
  std::string_view text = value.ScalarText(buffer, &has_text);
  return has_text ? std::string(text) : "<none>";
}

TEST(EventViewTest, ParsesJsonOnceAndResolvesPaths) {
  EventView view;
  std::string message = R"({"a":{"b":"x"},"n":401,"d":1.5,"t":true,"z":null,"arr":[1,2]})";
  view.Reset(message);
  ASSERT_TRUE(view.Json().valid());
  EXPECT_EQ(Text(view.Resolve(Path({"a", "b"}))), "x");
  EXPECT_EQ(Text(view.Resolve(Path({"n"}))), "401");
  EXPECT_EQ(Text(view.Resolve(Path({"d"}))), "1.5");
  EXPECT_EQ(Text(view.Resolve(Path({"t"}))), "true");
  EXPECT_EQ(Text(view.Resolve(Path({"z"}))), "<none>");
  EXPECT_EQ(Text(view.Resolve(Path({"arr"}))), "<none>");
  EXPECT_FALSE(view.Resolve(Path({"missing"})).valid());
  EXPECT_FALSE(view.Resolve(Path({"a", "b", "c"})).valid());
}

TEST(EventViewTest, MemoIsPerEvent) {
  EventView view;
  FieldPath name = Path({"eventName"});
  std::string first = R"({"eventName":"A"})";
  std::string second = R"({"eventName":"B"})";
  view.Reset(first);
  EXPECT_EQ(Text(view.Resolve(name)), "A");
  EXPECT_EQ(Text(view.Resolve(name)), "A");
  view.Reset(second);
  EXPECT_EQ(Text(view.Resolve(name)), "B");
  // An equal path built separately finds the same memo entry.
  EXPECT_EQ(Text(view.Resolve(Path({"eventName"}))), "B");
}

TEST(EventViewTest, ManyDistinctPathsStillResolve) {
  std::string message = "{";
  for (int i = 0; i < 100; ++i)
    message += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":" + std::to_string(i));
  message += "}";
  std::vector<FieldPath> paths;
  for (int i = 0; i < 100; ++i) paths.push_back(Path({"k" + std::to_string(i)}));
  EventView view;
  view.Reset(message);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) EXPECT_EQ(Text(view.Resolve(paths[i])), std::to_string(i));
  }
}

TEST(EventViewTest, DuplicateKeysLastOneWins) {
  EventView view;
  std::string message = R"({"k":"first","k":"last"})";
  view.Reset(message);
  EXPECT_EQ(Text(view.Resolve(Path({"k"}))), "last");
}

TEST(EventViewTest, NonJsonMessagesHaveNoRoot) {
  EventView view;
  for (std::string message : {"plain text", "{\"a\":1} trailing", "", "   ", "{broken", "[1,2"}) {
    view.Reset(message);
    EXPECT_FALSE(view.Json().valid()) << message;
  }
  std::string spaced = "  {\"a\":1}  ";
  view.Reset(spaced);
  EXPECT_TRUE(view.Json().valid());
}

TEST(EventViewTest, ScanFromFirstBraceModeSkipsAPrefix) {
  std::string lambda = "2023-01-01T00:00:00Z\tabc-123\tINFO\t{\"level\":\"warn\"}";
  EventView strict;
  strict.Reset(lambda);
  EXPECT_FALSE(strict.Json().valid());
  EventView lenient(JsonMode::kScanFromFirstBrace);
  lenient.Reset(lambda);
  EXPECT_EQ(Text(lenient.Resolve(Path({"level"}))), "warn");
}

TEST(EventViewTest, NumbersRenderInShortestForm) {
  EventView view;
  std::string message =
      R"({"a":1e3,"b":-0.25,"c":18446744073709551615,"d":-9007199254740993,"e":1E+21})";
  view.Reset(message);
  EXPECT_EQ(Text(view.Resolve(Path({"a"}))), "1000");
  EXPECT_EQ(Text(view.Resolve(Path({"b"}))), "-0.25");
  EXPECT_EQ(Text(view.Resolve(Path({"c"}))), "18446744073709551615");
  EXPECT_EQ(Text(view.Resolve(Path({"d"}))), "-9007199254740993");
  EXPECT_EQ(Text(view.Resolve(Path({"e"}))), "1e+21");
}

std::vector<std::string> Split(std::string_view message) {
  std::vector<DelimitedField> fields;
  SplitDelimited(message, &fields);
  std::vector<std::string> texts;
  for (const auto& f : fields) texts.emplace_back(f.text);
  return texts;
}

TEST(SplitDelimitedTest, GroupsQuotesAndBrackets) {
  EXPECT_EQ(
      Split(
          R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534)"),
      (std::vector<std::string>{"127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700",
                                "GET /apache_pb.gif HTTP/1.0", "200", "1534"}));
  EXPECT_EQ(Split("a\tb  c\n"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Split("a \"unterminated b c"), (std::vector<std::string>{"a", "unterminated b c"}));
  EXPECT_EQ(Split("\"\" [] x"), (std::vector<std::string>{"", "", "x"}));
  EXPECT_TRUE(Split("   ").empty());
}

TEST(SplitDelimitedTest, RecordsRawOffsets) {
  std::vector<DelimitedField> fields;
  std::string_view message = "ab \"c d\" e";
  SplitDelimited(message, &fields);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(message.substr(fields[1].begin, fields[1].end - fields[1].begin), "\"c d\"");
  EXPECT_EQ(fields[2].begin, 9u);
}

}  // namespace
}  // namespace tw::event

namespace tw::event {
namespace {

TEST(EventViewTest, NumbersBeyond64BitsStillParseAsDoubles) {
  EventView view;
  std::string message =
      R"({"big":-9223372036854775809,"huge":18446744073709551616,"inf":1e400,"s":"-99999999999999999999","ok":7})";
  view.Reset(message);
  ASSERT_TRUE(view.Json().valid());
  EXPECT_EQ(view.Resolve(Path({"big"})).AsDouble(), -9223372036854775809.0);
  EXPECT_EQ(view.Resolve(Path({"huge"})).AsDouble(), 18446744073709551616.0);
  EXPECT_EQ(view.Resolve(Path({"inf"})).AsDouble(), 1.7976931348623157e308);
  EXPECT_EQ(Text(view.Resolve(Path({"s"}))), "-99999999999999999999");  // strings untouched
  EXPECT_EQ(Text(view.Resolve(Path({"ok"}))), "7");
  std::string broken = R"({"a":-})";
  view.Reset(broken);
  EXPECT_FALSE(view.Json().valid());
}

// The prefilter's fallback: any `\u` means a literal may be spelled with escapes.
TEST(EventViewTest, HasUnicodeEscape) {
  EventView view;
  for (const auto& [message, expected] : std::vector<std::pair<std::string, bool>>{
           {"", false},
           {"abc", false},
           {R"("\u0041")", true},
           {R"("\\u")", true},
           {R"("\\")", false},
           {R"("\n\"\/")", false},
           {"\\", false},
           {"\\u", true},
           {"x\\", false},
       }) {
    view.Reset(message);
    EXPECT_EQ(view.HasUnicodeEscape(), expected) << message;
    EXPECT_EQ(view.HasUnicodeEscape(), expected) << message;  // memoized
  }
}

}  // namespace
}  // namespace tw::event
