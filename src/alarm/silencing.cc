#include "alarm/silencing.h"

#include <charconv>

#include "common/json_string.h"

namespace tw::alarm {
namespace {

constexpr Duration kShortestReminder = std::chrono::minutes(5);
constexpr Duration kLongestReminder = std::chrono::days(7);

Status BadTag(std::string_view tag, const std::string& value, std::string_view expected) {
  return Status(StatusCode::kInvalidArgument, "The tag " + std::string(tag) + " must be " +
                                                  std::string(expected) + ", not '" + value + "'.");
}

std::optional<Duration> ParseInterval(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t count = 0;
  const char* end = text.data() + text.size() - 1;
  auto [stop, ec] = std::from_chars(text.data(), end, count);
  if (ec != std::errc() || stop != end || count <= 0 || count > 100000) return std::nullopt;
  switch (text.back()) {
    case 'm':
      return std::chrono::minutes(count);
    case 'h':
      return std::chrono::hours(count);
    case 'd':
      return std::chrono::days(count);
    default:
      return std::nullopt;
  }
}

HistoryItem ConfigurationItem(std::string summary, TimePoint now) {
  HistoryItem item;
  item.timestamp = now;
  item.type = "ConfigurationUpdate";
  item.data = R"({"version":"1.0","type":"Update","trailwatch":)";
  AppendJsonString(&item.data, summary);
  item.data.push_back('}');
  item.summary = std::move(summary);
  return item;
}

}  // namespace

Result<Silencing> SilencingOf(const std::map<std::string, std::string>& tags) {
  Silencing silencing;
  if (auto it = tags.find(std::string(kMutedUntilTag)); it != tags.end()) {
    silencing.muted_until = ParseTimestamp(it->second);
    if (!silencing.muted_until) {
      return BadTag(kMutedUntilTag, it->second, "an ISO 8601 time such as 2026-12-06T18:00:00Z");
    }
  }
  if (auto it = tags.find(std::string(kRemindEveryTag)); it != tags.end()) {
    silencing.remind_every = ParseInterval(it->second);
    if (!silencing.remind_every || *silencing.remind_every < kShortestReminder ||
        *silencing.remind_every > kLongestReminder) {
      return BadTag(kRemindEveryTag, it->second, "an interval from 5m to 7d such as 30m, 4h or 1d");
    }
  }
  return silencing;
}

std::string IntervalText(Duration interval) {
  using std::chrono::duration_cast;
  if (interval % std::chrono::days(1) == Duration::zero()) {
    return std::to_string(duration_cast<std::chrono::days>(interval).count()) + "d";
  }
  if (interval % std::chrono::hours(1) == Duration::zero()) {
    return std::to_string(duration_cast<std::chrono::hours>(interval).count()) + "h";
  }
  return std::to_string(duration_cast<std::chrono::minutes>(interval).count()) + "m";
}

void MuteActions(TimePoint muted_until, Evaluation* evaluation) {
  const std::string until = FormatIso8601(muted_until);
  for (HistoryItem& item : evaluation->history) {
    if (item.type != "Action") continue;
    const std::string arn = item.summary.substr(item.summary.rfind(' ') + 1);
    item.summary = "Muted until " + until + ": did not execute action " + arn;
    item.data = R"({"actionState":"Muted","notificationResource":)";
    AppendJsonString(&item.data, arn);
    item.data += R"(,"mutedUntil":)";
    AppendJsonString(&item.data, until);
    item.data.push_back('}');
  }
  evaluation->actions.clear();
}

std::vector<HistoryItem> SilencingChanges(const Silencing& before, const Silencing& after,
                                          TimePoint now) {
  std::vector<HistoryItem> items;
  if (before.muted_until != after.muted_until) {
    items.push_back(ConfigurationItem(
        after.muted_until ? "Notifications muted until " + FormatIso8601(*after.muted_until)
                          : std::string("Notifications unmuted"),
        now));
  }
  if (before.remind_every != after.remind_every) {
    items.push_back(ConfigurationItem(
        after.remind_every
            ? "Reminders every " + IntervalText(*after.remind_every) + " while in ALARM"
            : std::string("Reminders off"),
        now));
  }
  return items;
}

std::optional<TimePoint> ReminderDue(const Silencing& silencing, TimePoint in_alarm_since,
                                     std::optional<TimePoint> last_reminder, TimePoint now) {
  if (!silencing.remind_every || silencing.MutedAt(now) || now < in_alarm_since) {
    return std::nullopt;
  }
  const Duration every = *silencing.remind_every;
  const auto intervals = (now - in_alarm_since) / every;
  if (intervals < 1) return std::nullopt;
  const TimePoint due = in_alarm_since + intervals * every;
  if (last_reminder && *last_reminder >= due) return std::nullopt;
  return due;
}

HistoryItem ReminderHistory(const std::string& arn, TimePoint in_alarm_since, TimePoint now) {
  HistoryItem item;
  item.timestamp = now;
  item.type = "Action";
  item.summary = std::string(kReminderSummaryPrefix) + "(in ALARM since " +
                 FormatIso8601(in_alarm_since) + "): executed action " + arn;
  item.data = R"({"actionState":"Succeeded","reminder":true,"notificationResource":)";
  AppendJsonString(&item.data, arn);
  item.data.push_back('}');
  return item;
}

}  // namespace tw::alarm
