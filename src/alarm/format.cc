#include "alarm/format.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace tw::alarm {
namespace {

void AppendTwoDigits(std::string* out, unsigned value) {
  out->push_back(static_cast<char>('0' + value / 10 % 10));
  out->push_back(static_cast<char>('0' + value % 10));
}

}  // namespace

std::string FormatReasonTime(TimePoint t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day date(days);
  std::chrono::hh_mm_ss<Duration> clock(t - days);
  std::string out;
  out.reserve(17);
  AppendTwoDigits(&out, unsigned(date.day()));
  out.push_back('/');
  AppendTwoDigits(&out, unsigned(date.month()));
  out.push_back('/');
  // Java's "yy" is the year modulo 100; dates before year 0 do not occur.
  AppendTwoDigits(&out, static_cast<unsigned>(int(date.year()) % 100));
  out.push_back(' ');
  AppendTwoDigits(&out, static_cast<unsigned>(clock.hours().count()));
  out.push_back(':');
  AppendTwoDigits(&out, static_cast<unsigned>(clock.minutes().count()));
  out.push_back(':');
  AppendTwoDigits(&out, static_cast<unsigned>(clock.seconds().count()));
  return out;
}

}  // namespace tw::alarm
