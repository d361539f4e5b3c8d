#include "common/random.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace tw {
namespace {

TEST(RandomTest, UuidsAreVersion4AndDistinct) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_TRUE(std::regex_match(id, shape)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RandomTest, HexHasTwoDigitsPerByte) {
  std::string a = RandomHex(32), b = RandomHex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_TRUE(std::regex_match(a, std::regex("[0-9a-f]{64}")));
  EXPECT_NE(a, b);
  EXPECT_EQ(RandomHex(0), "");
}

}  // namespace
}  // namespace tw
