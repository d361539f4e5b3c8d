// Text formats of CloudWatch alarm output (aws-protocols-alarms.md §4.6–4.7):
// numbers as Java's Double.toString prints them, the two date forms, and JSON
// string quoting. Internal to alarm; exposed in a header so the tests can pin
// every format down separately from the evaluator.
//
// All functions are pure and thread-safe.

#pragma once

#include <string>
#include <string_view>

#include "common/json_string.h"
#include "common/time.h"

namespace tw::alarm {

// `value` as java.lang.Double.toString prints it (JDK 19+ specification,
// which every current JVM follows): the shortest decimal that reads back as
// `value`, or the closest one of at most two digits when the shortest has one
// digit (so Double.MIN_VALUE is "4.9E-324", not "5.0E-324"); plain notation
// with at least one fractional digit for 10^-3 <= |value| < 10^7 ("5.0",
// "0.001", "9999999.0"), otherwise computerized scientific notation
// ("1.0E7", "1.0E-4", "-2.5E10"); "NaN", "Infinity", "-Infinity", "-0.0".
std::string JavaDoubleToString(double value);

// The datapoint time in a StateReason: "dd/MM/yy HH:mm:ss" in UTC,
// e.g. "02/10/19 16:59:00".
std::string FormatReasonTime(TimePoint t);

// The time in StateReasonData: "yyyy-MM-dd'T'HH:mm:ss.SSS+0000",
// e.g. "2019-10-02T17:04:40.985+0000".
std::string FormatReasonDataTime(TimePoint t);

}  // namespace tw::alarm
