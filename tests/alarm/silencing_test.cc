#include "alarm/silencing.h"

#include <gtest/gtest.h>

namespace tw::alarm {
namespace {

TimePoint At(const char* iso) { return *ParseTimestamp(iso); }

TEST(SilencingTest, ReadsItsTagsAndIgnoresOthers) {
  Result<Silencing> s = SilencingOf({{"team", "sec"},
                                     {"trailwatch:MutedUntil", "2026-12-06T18:00:00Z"},
                                     {"trailwatch:RemindEvery", "4h"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->muted_until, At("2026-12-06T18:00:00Z"));
  EXPECT_EQ(s->remind_every, Duration(std::chrono::hours(4)));
  EXPECT_TRUE(s->MutedAt(At("2026-12-06T17:59:59Z")));
  EXPECT_FALSE(s->MutedAt(At("2026-12-06T18:00:00Z")));
  EXPECT_EQ(*SilencingOf({}), Silencing{});
  EXPECT_EQ(SilencingOf({{"trailwatch:RemindEvery", "30m"}})->remind_every,
            Duration(std::chrono::minutes(30)));
  EXPECT_EQ(SilencingOf({{"trailwatch:RemindEvery", "7d"}})->remind_every,
            Duration(std::chrono::days(7)));
}

TEST(SilencingTest, RefusesMalformedValuesSayingWhatIsExpected) {
  EXPECT_EQ(SilencingOf({{"trailwatch:MutedUntil", "tomorrow"}}).status().message(),
            "The tag trailwatch:MutedUntil must be an ISO 8601 time such as "
            "2026-12-06T18:00:00Z, not 'tomorrow'.");
  for (const char* bad : {"4", "h", "4x", "-1h", "0m", "4m", "8d", "1.5h", " 4h", "99999999999d"}) {
    Result<Silencing> s = SilencingOf({{"trailwatch:RemindEvery", bad}});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().message(),
              "The tag trailwatch:RemindEvery must be an interval from 5m "
              "to 7d such as 30m, 4h or 1d, not '" +
                  std::string(bad) + "'.");
  }
}

TEST(SilencingTest, AMutedTransitionKeepsItsStateUpdateAndRunsNoAction) {
  AlarmState ok;
  AlarmState alarm{StateValue::kAlarm, "Threshold Crossed", "", At("2026-12-06T12:00:00Z")};
  Evaluation e = StateChange(ok, alarm, true, {"arn:aws:sns:us-east-1:1:ops"});
  MuteActions(At("2026-12-06T18:00:00Z"), &e);
  EXPECT_TRUE(e.actions.empty());
  ASSERT_EQ(e.history.size(), 2u);
  EXPECT_EQ(e.history[0].type, "StateUpdate");
  EXPECT_EQ(e.history[1].type, "Action");
  EXPECT_EQ(e.history[1].summary,
            "Muted until 2026-12-06T18:00:00Z: did not execute action arn:aws:sns:us-east-1:1:ops");
  EXPECT_EQ(e.history[1].data,
            R"({"actionState":"Muted","notificationResource":"arn:aws:sns:us-east-1:1:ops",)"
            R"("mutedUntil":"2026-12-06T18:00:00Z"})");
}

TEST(SilencingTest, ChangesOfSettingsAreConfigurationUpdates) {
  const TimePoint now = At("2026-12-06T12:00:00Z");
  Silencing muted{At("2026-12-06T18:00:00Z"), std::chrono::hours(4)};
  std::vector<HistoryItem> on = SilencingChanges({}, muted, now);
  ASSERT_EQ(on.size(), 2u);
  EXPECT_EQ(on[0].type, "ConfigurationUpdate");
  EXPECT_EQ(on[0].summary, "Notifications muted until 2026-12-06T18:00:00Z");
  EXPECT_EQ(on[0].data,
            R"({"version":"1.0","type":"Update","trailwatch":"Notifications muted until )"
            R"(2026-12-06T18:00:00Z"})");
  EXPECT_EQ(on[1].summary, "Reminders every 4h while in ALARM");
  std::vector<HistoryItem> off = SilencingChanges(muted, {}, now);
  ASSERT_EQ(off.size(), 2u);
  EXPECT_EQ(off[0].summary, "Notifications unmuted");
  EXPECT_EQ(off[1].summary, "Reminders off");
  EXPECT_TRUE(SilencingChanges(muted, muted, now).empty());
  EXPECT_EQ(IntervalText(std::chrono::minutes(90)), "90m");
  EXPECT_EQ(IntervalText(std::chrono::hours(48)), "2d");
}

TEST(SilencingTest, RemindersFallOnMultiplesOfTheIntervalOncePerMultiple) {
  const TimePoint since = At("2026-12-06T00:00:00Z");
  Silencing every4h{std::nullopt, std::chrono::hours(4)};
  EXPECT_EQ(ReminderDue(every4h, since, std::nullopt, At("2026-12-06T03:59:59Z")), std::nullopt);
  EXPECT_EQ(ReminderDue(every4h, since, std::nullopt, At("2026-12-06T04:00:00Z")),
            At("2026-12-06T04:00:00Z"));
  // Sent at 04:00:10: nothing more until 08:00.
  EXPECT_EQ(ReminderDue(every4h, since, At("2026-12-06T04:00:10Z"), At("2026-12-06T07:59:00Z")),
            std::nullopt);
  EXPECT_EQ(ReminderDue(every4h, since, At("2026-12-06T04:00:10Z"), At("2026-12-06T08:00:00Z")),
            At("2026-12-06T08:00:00Z"));
  // A server down from 05:00 to 13:30 sends one reminder, not two.
  EXPECT_EQ(ReminderDue(every4h, since, At("2026-12-06T04:00:10Z"), At("2026-12-06T13:30:00Z")),
            At("2026-12-06T12:00:00Z"));
  // Off, or muted: none.
  EXPECT_EQ(ReminderDue({}, since, std::nullopt, At("2026-12-07T00:00:00Z")), std::nullopt);
  Silencing muted{At("2026-12-06T09:00:00Z"), std::chrono::hours(4)};
  EXPECT_EQ(ReminderDue(muted, since, std::nullopt, At("2026-12-06T08:30:00Z")), std::nullopt);
  EXPECT_EQ(ReminderDue(muted, since, std::nullopt, At("2026-12-06T09:00:00Z")),
            At("2026-12-06T08:00:00Z"));
  HistoryItem item =
      ReminderHistory("arn:aws:sns:us-east-1:1:ops", since, At("2026-12-06T04:00:00Z"));
  EXPECT_EQ(item.type, "Action");
  EXPECT_EQ(item.summary,
            "Reminder (in ALARM since 2026-12-06T00:00:00Z): executed action "
            "arn:aws:sns:us-east-1:1:ops");
}

}  // namespace
}  // namespace tw::alarm
