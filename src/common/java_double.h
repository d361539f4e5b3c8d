// Numbers as AWS's Java services print them in alarm texts and payloads
// ("5.0", "1.0E7"): shared by the alarm reasons and the notification JSON.

#pragma once

#include <string>

namespace tw {

// `value` as java.lang.Double.toString prints it (JDK 19+ specification,
// which every current JVM follows): the shortest decimal that reads back as
// `value`, or the closest one of at most two digits when the shortest has one
// digit (so Double.MIN_VALUE is "4.9E-324", not "5.0E-324"); plain notation
// with at least one fractional digit for 10^-3 <= |value| < 10^7 ("5.0",
// "0.001", "9999999.0"), otherwise computerized scientific notation
// ("1.0E7", "1.0E-4", "-2.5E10"); "NaN", "Infinity", "-Infinity", "-0.0".
std::string JavaDoubleToString(double value);

}  // namespace tw
