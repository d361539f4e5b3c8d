// Text formats of CloudWatch alarm output (aws-protocols-alarms.md §4.6–4.7):
// the two date forms (numbers: common/java_double.h; JSON strings:
// common/json_string.h). Internal to alarm; exposed in a header so the tests can pin
// every format down separately from the evaluator.
//
// All functions are pure and thread-safe.

#pragma once

#include <string>
#include <string_view>

#include "common/java_double.h"
#include "common/json_string.h"
#include "common/time.h"

namespace tw::alarm {

// The datapoint time in a StateReason: "dd/MM/yy HH:mm:ss" in UTC,
// e.g. "02/10/19 16:59:00".
std::string FormatReasonTime(TimePoint t);

}  // namespace tw::alarm
