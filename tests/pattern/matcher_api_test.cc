// The Matcher API beyond match/no-match: metric value references, pattern
// sets, error values, and the promise that matching does not allocate.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "pattern/pattern.h"
#include "support/allocation_counter.h"

namespace tw::pattern {
namespace {

Matcher MustCompile(std::string_view text, CompileOptions options = {}) {
  auto m = Matcher::Compile(text, options);
  EXPECT_TRUE(m.ok()) << text << ": " << (m.ok() ? "" : m.error().ToString());
  return std::move(m).value();
}

TEST(MatcherApiTest, ErrorsCarryColumnFragmentAndAwsWording) {
  auto m = Matcher::Compile(R"({ $.eventName = "x" && status = 401 })");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().column, 24);
  EXPECT_EQ(m.error().fragment, "status = 401 }");
  EXPECT_EQ(m.error().ToString(),
            "Invalid metric filter pattern. Column 24: a JSON selector must start with '$' near "
            "\"status = 401 }\" (write $.status to select a member)");
  Status status = m.error().ToStatus();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
}

TEST(MatcherApiTest, LengthLimitIsInCharacters) {
  std::string ok(1024, 'a');
  EXPECT_TRUE(Matcher::Compile(ok).ok());
  std::string too_long(1025, 'a');
  auto m = Matcher::Compile(too_long);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().column, 1025);
  EXPECT_EQ(m.error().message, "pattern is 1025 characters long; the limit is 1024");
  // 1024 two-byte characters are still 1024 characters.
  std::string accents;
  for (int i = 0; i < 1024; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(Matcher::Compile(accents).ok());
}

TEST(MatcherApiTest, JsonReferences) {
  Matcher m = MustCompile(R"({ $.latency = * })");
  auto ref = m.CompileReference("$.latency");
  ASSERT_TRUE(ref.ok());
  event::EventView view;
  std::string number = R"({"latency":42.5})";
  view.Reset(number);
  EXPECT_EQ(m.ResolveNumber(*ref, view), 42.5);
  std::string text = R"({"latency":"17"})";
  view.Reset(text);
  EXPECT_EQ(m.ResolveNumber(*ref, view), 17);
  std::string words = R"({"latency":"slow"})";
  view.Reset(words);
  EXPECT_EQ(m.ResolveNumber(*ref, view), std::nullopt);
  std::array<char, event::kScalarTextCapacity> buffer;
  EXPECT_EQ(m.ResolveText(*ref, view, buffer), "slow");
  std::string missing = R"({"other":1})";
  view.Reset(missing);
  EXPECT_EQ(m.ResolveNumber(*ref, view), std::nullopt);

  auto nested = m.CompileReference("$.requestParameters.bucketName");
  ASSERT_TRUE(nested.ok());
  std::string bucket = R"({"requestParameters":{"bucketName":"logs"}})";
  view.Reset(bucket);
  EXPECT_EQ(m.ResolveText(*nested, view, buffer), "logs");

  EXPECT_FALSE(m.CompileReference("$.items[*]").ok());
  EXPECT_FALSE(m.CompileReference("$size").ok());
}

TEST(MatcherApiTest, LiteralReferences) {
  Matcher m = MustCompile("ERROR");
  auto one = m.CompileReference("1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->kind(), ValueReference::Kind::kLiteral);
  event::EventView view;
  std::string message = "ERROR";
  view.Reset(message);
  EXPECT_EQ(m.ResolveNumber(*one, view), 1);
  auto bad = m.CompileReference("abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "metric value 'abc' must be a number or a field reference");
  auto field = m.CompileReference("$.bytes");
  ASSERT_FALSE(field.ok());
  EXPECT_EQ(field.error().message,
            "field references such as $.bytes need a JSON or space-delimited pattern");
  EXPECT_FALSE(m.SupportsDimensions());
}

TEST(MatcherApiTest, DelimitedReferences) {
  Matcher m = MustCompile("[ip, user, ..., status, size]");
  EXPECT_TRUE(m.SupportsDimensions());
  event::EventView view;
  std::string line =
      R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 200 1534)";
  view.Reset(line);
  ASSERT_TRUE(m.Matches(view));
  auto size = m.CompileReference("$size");
  auto user = m.CompileReference("$user");
  auto fifth = m.CompileReference("$5");
  ASSERT_TRUE(size.ok() && user.ok() && fifth.ok());
  std::array<char, event::kScalarTextCapacity> buffer;
  EXPECT_EQ(m.ResolveNumber(*size, view), 1534);
  EXPECT_EQ(m.ResolveText(*user, view, buffer), "-");
  EXPECT_EQ(m.ResolveText(*fifth, view, buffer), "GET /a.gif HTTP/1.0");
  auto nine = m.CompileReference("$9");
  ASSERT_TRUE(nine.ok());
  EXPECT_EQ(m.ResolveText(*nine, view, buffer), std::nullopt);
  auto unknown = m.CompileReference("$bytes");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().hint, "named fields are $ip, $user, $status, $size");
  EXPECT_FALSE(m.CompileReference("$0").ok());
}

TEST(MatcherApiTest, PatternSetParsesOnceAndReportsEachMatcher) {
  std::vector<std::shared_ptr<const Matcher>> matchers;
  for (const char* text : {R"({ $.eventName = DeletePolicy })", R"({ $.eventSource = iam* })",
                           "DeletePolicy", R"({ $.eventName = CreateUser })", "[a, b]"}) {
    matchers.push_back(std::make_shared<const Matcher>(MustCompile(text)));
  }
  PatternSet set(std::move(matchers));
  event::EventView view;
  std::string message = R"({"eventName":"DeletePolicy","eventSource":"iam.amazonaws.com"})";
  view.Reset(message);
  bool hits[5];
  EXPECT_EQ(set.Match(view, hits), 3u);
  EXPECT_TRUE(hits[0]);
  EXPECT_TRUE(hits[1]);
  EXPECT_TRUE(hits[2]);
  EXPECT_FALSE(hits[3]);
  EXPECT_FALSE(hits[4]);  // one field only: fewer than the pattern's two
}

TEST(MatcherApiTest, MatchingAWarmEventViewDoesNotAllocate) {
  std::vector<Matcher> matchers;
  for (
      const char* text :
      {R"({($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=AttachUserPolicy)})",
       R"({ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" })",
       R"({ $.items[*].n > 2 || $.* = %^x% })", "?ERROR ?WARN -debug", "[a, b=*x* || b=%y$%, ...]",
       R"({ $.n = 1e3 })"}) {
    matchers.push_back(MustCompile(text));
  }
  std::vector<std::string> events = {
      R"({"eventName":"AttachUserPolicy","userIdentity":{"type":"Root"},"items":[{"n":1},{"n":3}],"n":1000})",
      R"({"eventName":"x","eventType":"AwsApiCall","userIdentity":{"type":"IAMUser","invokedBy":"s"}})",
      "plain ERROR line with x and y", "a bxb c d"};
  event::EventView view;
  for (const std::string& e : events) {  // warm-up: buffers reach their final size
    view.Reset(e);
    for (const Matcher& m : matchers) (void)m.Matches(view);
  }
  int hits = 0;
  testing::AllocationCounter counter;
  for (int round = 0; round < 10; ++round) {
    for (const std::string& e : events) {
      view.Reset(e);
      for (const Matcher& m : matchers) hits += m.Matches(view);
    }
  }
  EXPECT_EQ(counter.count(), 0);
  EXPECT_GT(hits, 0);
}

}  // namespace
}  // namespace tw::pattern
