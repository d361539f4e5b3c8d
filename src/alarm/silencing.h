// Silencing and reminders: trailwatch's own alarm settings, kept as alarm
// tags so that every way of changing an alarm sets them the same way
// (TagResource/UntagResource with the aws CLI, Tags in templates and in
// PutMetricAlarm, the console), and so that AWS tools see ordinary tags.
//
//   trailwatch:MutedUntil   an ISO 8601 time: until then the alarm changes
//                           state and keeps its history as always, but its
//                           actions are not executed (a maintenance window).
//   trailwatch:RemindEvery  "30m", "4h", "1d" (5 minutes to 7 days): while
//                           the alarm stays in ALARM, its ALARM actions run
//                           again every so often. Off when absent.
//
// Pure functions, like the evaluator: the engine supplies the tags and the
// time.

#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "alarm/alarm.h"
#include "common/status.h"
#include "common/time.h"

namespace tw::alarm {

inline constexpr std::string_view kMutedUntilTag = "trailwatch:MutedUntil";
inline constexpr std::string_view kRemindEveryTag = "trailwatch:RemindEvery";

struct Silencing {
  std::optional<TimePoint> muted_until;
  std::optional<Duration> remind_every;

  bool MutedAt(TimePoint now) const { return muted_until && now < *muted_until; }
  bool operator==(const Silencing&) const = default;
};

// The settings in an alarm's tags; kInvalidArgument naming the tag, the
// value and the form expected when one is malformed. Other tags are ignored.
Result<Silencing> SilencingOf(const std::map<std::string, std::string>& tags);

// "4h", "90m", "1d" for a reminder interval (the form RemindEvery takes).
std::string IntervalText(Duration interval);

// Mutes a transition (muted at its time): its actions are not executed,
// and each Action history item says so: "Muted until <time>: did not
// execute action <arn>" with actionState "Muted". The StateUpdate stays.
void MuteActions(TimePoint muted_until, Evaluation* evaluation);

// The ConfigurationUpdate history items of a change of settings from
// `before` to `after` at `now` ("Notifications muted until ...", "Reminders
// every 4h", and their ends); none when nothing changed.
std::vector<HistoryItem> SilencingChanges(const Silencing& before, const Silencing& after,
                                          TimePoint now);

// The reminder due at `now` for an alarm in ALARM since `in_alarm_since`
// whose last reminder was at `last_reminder` (nullopt: none since then):
// the latest multiple of the interval after the transition, when no
// reminder was sent since it. nullopt when none is due, reminders are off
// or the alarm is muted.
std::optional<TimePoint> ReminderDue(const Silencing& silencing, TimePoint in_alarm_since,
                                     std::optional<TimePoint> last_reminder, TimePoint now);

// The Action history item of a reminder sent to `arn`:
// "Reminder (in ALARM since <time>): executed action <arn>".
HistoryItem ReminderHistory(const std::string& arn, TimePoint in_alarm_since, TimePoint now);
inline constexpr std::string_view kReminderSummaryPrefix = "Reminder ";

}  // namespace tw::alarm
