#include "common/time.h"

#include <array>
#include <cstdio>

namespace tw {
namespace {

bool Digits(std::string_view text, std::size_t at, std::size_t count, int* out) {
  if (at + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

}  // namespace

std::optional<TimePoint> ParseTimestamp(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (!Digits(text, 0, 4, &year) || text.size() < 19 || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day) ||
      (text[10] != 'T' && text[10] != ' ') || !Digits(text, 11, 2, &hour) || text[13] != ':' ||
      !Digits(text, 14, 2, &minute) || text[16] != ':' || !Digits(text, 17, 2, &second)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                   std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t i = 19;
  std::int64_t millis = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int scale = 100;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (scale > 0) millis += (text[i] - '0') * scale;
      scale /= 10;
      ++i;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (i < text.size()) {
    char zone = text[i];
    if (zone == 'Z' || zone == 'z') {
      ++i;
    } else if (zone == '+' || zone == '-') {
      int oh, om;
      if (!Digits(text, i + 1, 2, &oh)) return std::nullopt;
      std::size_t at = i + 3;
      if (at < text.size() && text[at] == ':') ++at;
      if (!Digits(text, at, 2, &om)) return std::nullopt;
      offset_minutes = (oh * 60 + om) * (zone == '+' ? 1 : -1);
      i = at + 2;
    } else {
      return std::nullopt;
    }
  }
  if (i != text.size()) return std::nullopt;
  auto days = std::chrono::sys_days(date);
  TimePoint t = std::chrono::time_point_cast<Duration>(days) + std::chrono::hours(hour) +
                std::chrono::minutes(minute) + std::chrono::seconds(second) + Duration(millis) -
                std::chrono::minutes(offset_minutes);
  return t;
}

namespace {

// "YYYY-MM-DDTHH:MM:SS[.mmm]<zone>"; the milliseconds are written when
// `always_millis` or when they are not zero.
std::string FormatTimestamp(TimePoint t, bool always_millis, const char* zone) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day date(days);
  std::chrono::hh_mm_ss<Duration> clock(t - days);
  int ms = static_cast<int>(clock.subseconds().count());
  char buffer[48];
  int n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", int(date.year()),
                        unsigned(date.month()), unsigned(date.day()), int(clock.hours().count()),
                        int(clock.minutes().count()), int(clock.seconds().count()));
  if (always_millis || ms != 0) {
    std::snprintf(buffer + n, sizeof buffer - static_cast<std::size_t>(n), ".%03d%s", ms, zone);
  } else {
    std::snprintf(buffer + n, sizeof buffer - static_cast<std::size_t>(n), "%s", zone);
  }
  return buffer;
}

}  // namespace

std::string FormatIso8601(TimePoint t) { return FormatTimestamp(t, false, "Z"); }
std::string FormatIso8601Millis(TimePoint t) { return FormatTimestamp(t, true, "Z"); }
std::string FormatAwsMillis(TimePoint t) { return FormatTimestamp(t, true, "+0000"); }

std::string FormatAwsLongTime(TimePoint t) {
  static constexpr std::array<const char*, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
  static constexpr std::array<const char*, 12> kMonths = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day date(day);
  std::chrono::weekday weekday(day);
  std::chrono::hh_mm_ss<Duration> clock(t - day);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%s %02u %s, %04d %02d:%02d:%02d UTC",
                kDays[weekday.c_encoding()], static_cast<unsigned>(date.day()),
                kMonths[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

}  // namespace tw
