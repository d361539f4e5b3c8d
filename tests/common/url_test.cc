#include "common/url.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(UrlTest, EncodesAllButUnreservedAndKept) {
  EXPECT_EQ(PercentEncode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("arn:aws:sns:us-east-1:1:t", ":"), "arn:aws:sns:us-east-1:1:t");
  EXPECT_EQ(PercentEncode("\xc3\xa9+*"), "%C3%A9%2B%2A");
  EXPECT_EQ(PercentEncode(std::string("\0", 1)), "%00");
}

TEST(UrlTest, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(PercentDecode("a%20b%2fc"), "a b/c");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%C3%A9"), "\xc3\xa9");
  EXPECT_EQ(PercentDecode("%"), std::nullopt);
  EXPECT_EQ(PercentDecode("%4"), std::nullopt);
  EXPECT_EQ(PercentDecode("%zz"), std::nullopt);
  EXPECT_EQ(PercentDecode("100%25"), "100%");
  for (std::string s : {"", "x", "a b&c=d/é", "%%%"}) {
    EXPECT_EQ(PercentDecode(PercentEncode(s)), s);
  }
}

}  // namespace
}  // namespace tw
