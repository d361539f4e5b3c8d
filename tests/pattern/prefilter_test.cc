// The literal prefilter (pattern/prefilter.h): which patterns get which
// literals and which give up, the multi-literal search against a naive one,
// and Matches() with it: escapes, literals in other fields, and events that
// must not be parsed. The differential test runs it against the reference on
// generated patterns and escaped events.

#include "pattern/prefilter.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event/event_view.h"
#include "pattern/pattern.h"
#include "support/cis_patterns.h"

namespace tw::pattern {
namespace {

// The prefilter of `text` as ToString() shows it, "none" without one.
std::string Derived(std::string_view text) {
  Result<Matcher, PatternError> matcher = Matcher::Compile(text);
  EXPECT_TRUE(matcher.ok()) << text;
  if (!matcher.ok()) return "(does not compile)";
  const Prefilter* prefilter = matcher->prefilter();
  return prefilter == nullptr ? "none" : prefilter->ToString();
}

TEST(PrefilterTest, LiteralsOfExactAndWildcardStrings) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({ $.eventName = "ConsoleLogin" })", R"(any{`"ConsoleLogin"`})"},
      {R"({ $.eventName = ConsoleLogin })", R"(any{`"ConsoleLogin"`})"},
      {R"({ $.a = "Access*" })", R"(any{`"Access`})"},
      {R"({ $.a = "*Denied" })", R"(any{`Denied"`})"},
      {R"({ $.a = "*cess*" })", R"(any{`cess`})"},
      {R"({ $.a = "Ev*ent" })", R"(any{`"Ev*ent"`})"},
      {R"({ $.a = "a b" })", R"(any{`"a b"`})"},
      {R"({ $.a = "café" })", R"(any{`"café"`})"},
      {R"({ $.a[*].b = "x" })", R"(any{`"x"`})"},
      {R"({ $.* = "x" })", R"(any{`"x"`})"},
      // A boolean's text is its unquoted token.
      {R"({ $.a = "true" })", R"(any{`true`})"},
      {R"({ $.a = fal* })", R"(any{`fal`})"},
      {R"({ $.a = "*rue" })", R"(any{`rue`})"},
      {R"({ $.a = "truer" })", R"(any{`"truer"`})"},
      {R"({ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" })",
       R"(any{`"AccessDenied` `UnauthorizedOperation"`})"},
      // A literal containing another is redundant.
      {R"({ $.a = "abc" || $.b = "*b*" })", R"(any{`b`})"},
      {R"({ $.a = "x" || $.a = "x" })", R"(any{`"x"`})"},
      // A set made only of common letters costs more to scan for than the parse.
      {R"({ $.a = "tr*" })", "none"},
  };
  for (const auto& [pattern, expected] : cases) EXPECT_EQ(Derived(pattern), expected) << pattern;
}

TEST(PrefilterTest, AndKeepsEverySetOrMergesOneFromEachBranch) {
  EXPECT_EQ(Derived(R"({ $.a = "x" && $.b != "y" })"), R"(any{`"x"`})");
  EXPECT_EQ(Derived(R"({ $.a = "xQ" && $.b = "yQ" })"), R"(any{`"xQ"`} && any{`"yQ"`})");
  // The cheapest three of the conjunction, cheapest first ('Q' and 'Z' are rare).
  EXPECT_EQ(Derived(R"({ $.a = "sss" && $.b = "Q" && $.c = "ooo" && $.d = "Z" })"),
            R"(any{`"Q"`} && any{`"Z"`} && any{`"ooo"`})");
  // OR of ANDs: one set from each branch.
  EXPECT_EQ(Derived(R"({ ($.a = "Q" && $.b = "e") || $.c = "Z" })"), R"(any{`"Q"` `"Z"`})");
  EXPECT_EQ(Derived(R"({ ($.a = "Q" && $.b != "e") || ($.c = "Z" && $.d NOT EXISTS) })"),
            R"(any{`"Q"` `"Z"`})");
}

TEST(PrefilterTest, CisPatterns) {
  std::string iam;
  for (std::string_view name :
       {"AttachGroupPolicy", "AttachRolePolicy", "AttachUserPolicy", "CreatePolicy",
        "CreatePolicyVersion", "DeleteGroupPolicy", "DeletePolicy", "DeletePolicyVersion",
        "DeleteRolePolicy", "DeleteUserPolicy", "DetachGroupPolicy", "DetachRolePolicy",
        "DetachUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy"}) {
    iam += std::string(iam.empty() ? "" : " ") + "`\"" + std::string(name) + "\"`";
  }
  EXPECT_EQ(Derived(testing::kIamPolicyChangePattern), "any{" + iam + "}");
  EXPECT_EQ(Derived(testing::FindCisPattern("CW.1")->text), R"(any{`"Root"`})");
  EXPECT_EQ(Derived(testing::FindCisPattern("CW.6")->text),
            R"(any{`"ConsoleLogin"`} && any{`"Failed authentication"`})");
  // The all-OR transcription has != branches: nothing is necessary.
  EXPECT_EQ(Derived(testing::FindCisPattern("CIS1.4-4.1-allor")->text), "none");
  // *UnauthorizedOperation || (AccessDenied* && != && !=)
  EXPECT_EQ(Derived(testing::FindCisPattern("CIS4.0-4.1")->text),
            R"(any{`"AccessDenied` `UnauthorizedOperation"`})");
  for (const testing::CisPattern& p : testing::kCisPatterns) {
    if (p.in_security_hub_set) {
      EXPECT_NE(Derived(p.text), "none") << p.id;
    }
  }
}

TEST(PrefilterTest, GivesUpWhereTheValueCanBeWrittenOtherwise) {
  for (std::string_view pattern : {
           // Not an exact string test.
           R"({ $.a != "x" })",
           R"({ $.a = 401 })",
           R"({ $.a > 1 })",
           R"({ $.a = * })",
           R"({ $.a = "*" })",
           R"({ $.a = %abc% })",
           R"({ $.a IS NULL })",
           R"({ $.a IS TRUE })",
           R"({ $.a NOT EXISTS })",
           // Digits and exponents: a number node renders its own text ("1e3" is 1000).
           R"({ $.a = "401" })",
           R"({ $.a = "1e3" })",
           R"({ $.a = "4*" })",
           R"({ $.a = "*.5" })",
           R"({ $.a = "inf" })",
           // Characters JSON escapes, or may.
           R"({ $.a = "a/b" })",
           R"({ $.a = "say \"hi\"" })",
           R"({ $.a = "back\\slash" })",
           // One branch of an OR without a literal.
           R"({ $.a = "x" || $.b != "y" })",
           R"({ $.a = "x" || $.b NOT EXISTS })",
           // Other kinds of pattern.
           "ERROR",
           "\"ConsoleLogin\"",
           "[a = x, b]",
           "",
       }) {
    EXPECT_EQ(Derived(pattern), "none") << pattern;
  }
}

// --------------------------------------------------------------- search --

bool NaiveFoundIn(const std::vector<std::string>& literals, std::string_view text) {
  for (const std::string& literal : literals) {
    if (text.find(literal) != std::string_view::npos) return true;
  }
  return false;
}

TEST(LiteralSetTest, FindsLiteralsAnywhereAndNotTheirPieces) {
  LiteralSet set({"\"DeleteGroupPolicy\"", "\"PutRolePolicy\"", "\"CreatePolicyVersion\""});
  EXPECT_TRUE(set.FoundIn("\"DeleteGroupPolicy\""));
  EXPECT_TRUE(set.FoundIn("{\"eventName\":\"PutRolePolicy\"}"));
  EXPECT_TRUE(set.FoundIn("x\"CreatePolicyVersion\""));
  EXPECT_FALSE(set.FoundIn(""));
  EXPECT_FALSE(set.FoundIn("\"DeleteGroupPolicy"));  // cut off at the end
  EXPECT_FALSE(set.FoundIn("DeleteGroupPolicy\""));  // cut off at the start
  EXPECT_FALSE(set.FoundIn("\"CreatePolicy\""));
  EXPECT_FALSE(set.FoundIn("\"PutRolePolicyX\" \"Policy\" PPPP"));
  LiteralSet short_ones({"a", "Zq", "\xc3\xa9"});
  EXPECT_TRUE(short_ones.FoundIn("xxa"));
  EXPECT_TRUE(short_ones.FoundIn("Zq"));
  EXPECT_TRUE(short_ones.FoundIn("caf\xc3\xa9"));
  EXPECT_FALSE(short_ones.FoundIn("Z q Q"));
}

// Random literal sets over a small alphabet (so that anchors, windows and
// partial matches collide often) against std::string_view::find.
TEST(LiteralSetTest, AgreesWithANaiveSearch) {
  std::mt19937 rng(20241213);
  const std::string alphabet = "abPy\"e";
  auto random_text = [&](int max_length) {
    std::string out(std::uniform_int_distribution<int>(0, max_length)(rng), ' ');
    for (char& c : out) c = alphabet[std::uniform_int_distribution<std::size_t>(0, 5)(rng)];
    return out;
  };
  int found = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> literals;
    const int count = std::uniform_int_distribution<int>(1, 6)(rng);
    while (static_cast<int>(literals.size()) < count) {
      std::string literal = random_text(12);
      if (!literal.empty()) literals.push_back(literal);
    }
    LiteralSet set(literals);
    for (int t = 0; t < 20; ++t) {
      const std::string text = random_text(40);
      const bool want = NaiveFoundIn(literals, text);
      found += want;
      ASSERT_EQ(set.FoundIn(text), want) << "text " << text << " literals " << [&] {
        std::string all;
        for (const std::string& l : literals) all += "[" + l + "]";
        return all;
      }();
    }
  }
  EXPECT_GT(found, 3000);  // both answers are well represented
  EXPECT_LT(found, 57000);
}

// ------------------------------------------------------------- matching --

struct MatchCase {
  std::string event;
  bool match;
  bool parsed;  // whether the decision needed the JSON parse
};

void ExpectMatches(std::string_view pattern, const std::vector<MatchCase>& cases) {
  Result<Matcher, PatternError> matcher = Matcher::Compile(pattern);
  ASSERT_TRUE(matcher.ok());
  ASSERT_NE(matcher->prefilter(), nullptr) << pattern;
  event::EventView view;
  for (const MatchCase& c : cases) {
    view.Reset(c.event);
    EXPECT_EQ(matcher->Matches(view), c.match) << pattern << " on " << c.event;
    EXPECT_EQ(view.json_parsed(), c.parsed) << pattern << " on " << c.event;
  }
}

TEST(PrefilterMatchTest, IamPatternThroughEscapesAndDecoys) {
  ExpectMatches(testing::kIamPolicyChangePattern,
                {
                    {R"({"eventName":"DeleteGroupPolicy"})", true, true},
                    {R"({"eventName" : "PutUserPolicy" , "x":1})", true, true},
                    {R"({"eventName":"ListPolicies"})", false, false},
                    {R"({"eventName":"DeleteGroupPolicyX"})", false, false},
                    {R"({"eventName":"XDeleteGroupPolicy"})", false, false},
                    // A \u escape can spell any character: parse.
                    {R"({"eventName":"\u0044eleteGroupPolicy"})", true, true},
                    {R"({"eventName":"Delete\u0047roupPolicy"})", true, true},
                    {R"({"eventName":"DeleteGroupPolic\u0079"})", true, true},
                    {R"({"eventName":"DeleteGroupPolic\u0059"})", false, true},
                    {R"({"eventName":"ListPolicies","n":"\u00e9"})", false, true},
                    // A lone escaped backslash before a u is treated the same way.
                    {R"({"eventName":"ListPolicies","n":"\\u"})", false, true},
                    // Other escapes cannot hide these letters.
                    {R"({"eventName":"ListPolicies","n":"a\"b\\c\/d\n"})", false, false},
                    // The literal in another field passes the prefilter, not the pattern.
                    {R"({"eventName":"ListPolicies","x":"DeleteGroupPolicy"})", false, true},
                    {R"({"eventName":"ListPolicies","DeleteGroupPolicy":1})", false, true},
                    {R"({"eventName":["DeleteGroupPolicy"]})", false, true},
                    {R"(DeleteGroupPolicy "DeleteGroupPolicy")", false, true},
                    {"", false, false},
                });
}

TEST(PrefilterMatchTest, WildcardsBooleansAndConjunctions) {
  ExpectMatches(R"({ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" })",
                {
                    {R"({"errorCode":"Client.UnauthorizedOperation"})", true, true},
                    {R"({"errorCode":"AccessDeniedException"})", true, true},
                    {R"({"errorCode":"NoSuchKey"})", false, false},
                    {R"({"errorCode":"xAccessDenied"})", false, false},
                    {R"({"errorCode":"Client.UnauthorizedOperation "})", false, false},
                });
  ExpectMatches(R"({ $.flag = "true" || $.flag = "*ue" })",
                {
                    {R"({"flag":true})", true, true},
                    {R"({"flag":"true"})", true, true},
                    {R"({"flag":"blue"})", true, true},
                    {R"({"b":"blue"})", false, true},
                    {R"({"flag":false})", false, false},
                });
  ExpectMatches(R"({ $.eventName = "ConsoleLogin" && $.userIdentity.type = "Root" })",
                {
                    {R"({"eventName":"ConsoleLogin","userIdentity":{"type":"Root"}})", true, true},
                    {R"({"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"}})", false,
                     false},
                    {R"({"eventName":"Other","userIdentity":{"type":"Root"}})", false, false},
                });
}

// The prefilter runs only before the event is parsed: once another pattern
// has parsed it, evaluating is cheaper than scanning.
TEST(PrefilterMatchTest, PatternSetParsesOnceAndSkipsScansAfterwards) {
  auto iam = std::make_shared<const Matcher>(
      std::move(Matcher::Compile(testing::kIamPolicyChangePattern)).value());
  auto any_name = std::make_shared<const Matcher>(
      std::move(Matcher::Compile("{ $.eventName = * }")).value());
  PatternSet set({iam, any_name, iam});
  event::EventView view;
  bool hits[3];
  view.Reset(R"({"eventName":"ListPolicies"})");
  EXPECT_EQ(set.Match(view, hits), 1u);
  EXPECT_FALSE(hits[0]);
  EXPECT_TRUE(hits[1]);
  EXPECT_FALSE(hits[2]);
  EXPECT_TRUE(view.json_parsed());
  // Every matcher has a prefilter: one scan for all of them.
  auto root = std::make_shared<const Matcher>(
      std::move(Matcher::Compile(R"({ $.userIdentity.type = "Root" && $.x NOT EXISTS })")).value());
  PatternSet prefiltered({iam, root, iam});
  hits[0] = hits[1] = hits[2] = true;
  view.Reset(R"({"eventName":"ListPolicies"})");
  EXPECT_EQ(prefiltered.Match(view, hits), 0u);
  EXPECT_FALSE(hits[0] || hits[1] || hits[2]);
  EXPECT_FALSE(view.json_parsed());
  view.Reset(R"({"eventName":"ListPolicies","userIdentity":{"type":"Root"}})");
  EXPECT_EQ(prefiltered.Match(view, hits), 1u);
  EXPECT_TRUE(!hits[0] && hits[1] && !hits[2]);
  EXPECT_TRUE(view.json_parsed());
  view.Reset(R"({"eventName":"\u0050utRolePolicy"})");
  EXPECT_EQ(prefiltered.Match(view, hits), 2u);
  EXPECT_TRUE(hits[0] && !hits[1] && hits[2]);
  view.Reset(R"({"eventName":"ListPolicies","n":"\u00e9"})");
  EXPECT_EQ(prefiltered.Match(view, hits), 0u);
  EXPECT_TRUE(view.json_parsed());
  // The 15 Security Hub patterns' literals need more scanning than a parse
  // costs: the set parses up front, and no matcher scans.
  std::vector<std::shared_ptr<const Matcher>> cis;
  for (const testing::CisPattern& p : testing::kCisPatterns) {
    if (!p.in_security_hub_set) continue;
    cis.push_back(std::make_shared<const Matcher>(std::move(Matcher::Compile(p.text)).value()));
  }
  PatternSet cis_set(cis);
  auto cis_hits = std::make_unique<bool[]>(cis.size());
  view.Reset(R"({"eventName":"ListPolicies"})");
  EXPECT_EQ(cis_set.Match(view, std::span<bool>(cis_hits.get(), cis.size())), 0u);
  EXPECT_TRUE(view.json_parsed());
}

}  // namespace
}  // namespace tw::pattern
