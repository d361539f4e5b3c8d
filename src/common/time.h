// Time as every trailwatch module sees it: UTC instants with millisecond
// precision, and an injected Clock so that replay (event time) and tests
// (a fake) are deterministic. Domain modules never read the wall clock.

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tw {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

inline TimePoint FromEpochMillis(std::int64_t ms) { return TimePoint(Duration(ms)); }
inline std::int64_t ToEpochMillis(TimePoint t) { return t.time_since_epoch().count(); }

// t rounded down to a multiple of `step` since the epoch (e.g. the minute).
inline TimePoint FloorTo(TimePoint t, Duration step) {
  std::int64_t ms = ToEpochMillis(t);
  std::int64_t s = step.count();
  std::int64_t floored = ms >= 0 ? ms - ms % s : ms - ((ms % s) + s) % s;
  return FromEpochMillis(floored);
}

// Parses the timestamp forms CloudTrail and CloudWatch use: ISO 8601 with
// 'T' or ' ' between date and time, optional fraction, and 'Z', '+hh:mm',
// '+hhmm' or no zone (UTC): "2023-07-10T11:45:12Z", "2019-01-01 00:00:00.123",
// "2021-05-01T10:00:00.000+0000". nullopt for anything else.
std::optional<TimePoint> ParseTimestamp(std::string_view text);

// "2023-07-10T11:45:12Z" (milliseconds shown only when not zero).
std::string FormatIso8601(TimePoint t);

// "2012-05-02T00:54:06.000Z": always with milliseconds, as SNS writes the
// Timestamp of its messages.
std::string FormatIso8601Millis(TimePoint t);

// "2019-10-02T17:04:40.985+0000": the form AWS's Java services write in
// alarm payloads (StateReasonData, the alarm message's timestamps).
std::string FormatAwsMillis(TimePoint t);

// "Friday 22 July, 2022 15:57:45 UTC": the form of CloudWatch's alarm
// e-mails and composite alarm reasons (EEEE dd MMMM, yyyy HH:mm:ss UTC).
std::string FormatAwsLongTime(TimePoint t);

// Where time comes from. The server uses SystemClock; replay and tests drive
// a ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Set(TimePoint t) { now_ = t; }
  void Advance(Duration d) { now_ += d; }

 private:
  TimePoint now_;
};

}  // namespace tw
