#include "common/time.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

std::int64_t Ms(std::string_view text) {
  auto t = ParseTimestamp(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t ? ToEpochMillis(*t) : -1;
}

TEST(TimeTest, ParsesEveryCloudTrailForm) {
  const std::int64_t base = 1688989512000;  // 2023-07-10T11:45:12Z
  EXPECT_EQ(Ms("2023-07-10T11:45:12Z"), base);
  EXPECT_EQ(Ms("2023-07-10T11:45:12.250Z"), base + 250);
  EXPECT_EQ(Ms("2023-07-10 11:45:12"), base);
  EXPECT_EQ(Ms("2023-07-10T11:45:12.5"), base + 500);
  EXPECT_EQ(Ms("2023-07-10T11:45:12.123456789Z"), base + 123);
  EXPECT_EQ(Ms("2023-07-10T13:45:12+02:00"), base);
  EXPECT_EQ(Ms("2023-07-10T11:45:12.000+0000"), base);
  EXPECT_EQ(Ms("2023-07-10T06:45:12-0500"), base);
}

TEST(TimeTest, RejectsWhatIsNotATimestamp) {
  for (std::string_view bad : {"", "2023-07-10", "2023-13-10T00:00:00Z", "2023-02-30T00:00:00Z",
                               "2023-07-10T11:45:12Q", "2023-07-10T11:45:12Z junk",
                               "2023-07-10T25:00:00Z", "2023-07-10T11:45:12.Z", "yesterday"}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
}

TEST(TimeTest, FormatsAndFloors) {
  TimePoint t = *ParseTimestamp("2023-07-10T11:45:12.250Z");
  EXPECT_EQ(FormatIso8601(t), "2023-07-10T11:45:12.250Z");
  EXPECT_EQ(FormatIso8601(FloorTo(t, std::chrono::minutes(1))), "2023-07-10T11:45:00Z");
  EXPECT_EQ(FormatAwsMillis(t), "2023-07-10T11:45:12.250+0000");
  EXPECT_EQ(FormatAwsMillis(FloorTo(t, std::chrono::minutes(1))), "2023-07-10T11:45:00.000+0000");
  EXPECT_EQ(FormatIso8601Millis(t), "2023-07-10T11:45:12.250Z");
  EXPECT_EQ(FormatIso8601Millis(FloorTo(t, std::chrono::minutes(1))), "2023-07-10T11:45:00.000Z");
  EXPECT_EQ(FormatIso8601(FloorTo(t, std::chrono::minutes(5))), "2023-07-10T11:45:00Z");
  TimePoint before_epoch = FromEpochMillis(-1);
  EXPECT_EQ(ToEpochMillis(FloorTo(before_epoch, std::chrono::minutes(1))), -60000);
}

TEST(TimeTest, ManualClockIsDrivenByItsOwner) {
  ManualClock clock(FromEpochMillis(0));
  clock.Advance(std::chrono::minutes(2));
  EXPECT_EQ(ToEpochMillis(clock.Now()), 120000);
  clock.Set(FromEpochMillis(5));
  EXPECT_EQ(ToEpochMillis(clock.Now()), 5);
}

}  // namespace
}  // namespace tw
