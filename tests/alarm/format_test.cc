#include "alarm/format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tw::alarm {
namespace {

TEST(JavaDoubleTest, MatchesDoubleToString) {
  // Expected strings are what java.lang.Double.toString prints (JDK 19+).
  struct Case {
    double value;
    const char* java;
  };
  const Case cases[] = {
      {5.0, "5.0"},
      {0.5, "0.5"},
      {50, "50.0"},
      {1.0, "1.0"},
      {-1.5, "-1.5"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {0.02, "0.02"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {99.50160229693434, "99.50160229693434"},
      {0.0666851903306472, "0.0666851903306472"},
      {38.395433048854194, "38.395433048854194"},
      {613, "613.0"},
      {20000, "20000.0"},
      {123456.789, "123456.789"},
      // Plain notation ends just below 10^7 and starts at 10^-3.
      {9999999.0, "9999999.0"},
      {1e7, "1.0E7"},
      {12345678, "1.2345678E7"},
      {-2.5e10, "-2.5E10"},
      {0.001, "0.001"},
      {0.0012345, "0.0012345"},
      {1e-4, "1.0E-4"},
      {9.99e-4, "9.99E-4"},
      {1.2345e-5, "1.2345E-5"},
      {1e21, "1.0E21"},
      {1e23, "1.0E23"},
      {9223372036854775808.0, "9.223372036854776E18"},
      {std::numeric_limits<double>::max(), "1.7976931348623157E308"},
      {std::numeric_limits<double>::min(), "2.2250738585072014E-308"},
      // Two digits when one digit is shortest: Double.MIN_VALUE.
      {std::numeric_limits<double>::denorm_min(), "4.9E-324"},
      {std::nan(""), "NaN"},
      {std::numeric_limits<double>::infinity(), "Infinity"},
      {-std::numeric_limits<double>::infinity(), "-Infinity"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(JavaDoubleToString(c.value), c.java) << c.java;
  }
}

TEST(JavaDoubleTest, RoundTripsEveryPowerOfTen) {
  for (int e = -300; e <= 300; ++e) {
    double v = std::pow(10.0, e);
    std::string text = JavaDoubleToString(v);
    EXPECT_EQ(std::stod(text), v) << text;
  }
}

TEST(ReasonTimeTest, FormatsBothDateForms) {
  TimePoint t = *ParseTimestamp("2019-10-02T16:59:00Z");
  EXPECT_EQ(FormatReasonTime(t), "02/10/19 16:59:00");
  EXPECT_EQ(FormatAwsMillis(t), "2019-10-02T16:59:00.000+0000");
  TimePoint q = *ParseTimestamp("2019-10-02T17:04:40.985Z");
  EXPECT_EQ(FormatAwsMillis(q), "2019-10-02T17:04:40.985+0000");
  EXPECT_EQ(FormatReasonTime(*ParseTimestamp("2003-01-05T03:04:05Z")), "05/01/03 03:04:05");
}

TEST(JsonStringTest, EscapesQuotesBackslashesAndControls) {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\nd\x01\xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"");
}

}  // namespace
}  // namespace tw::alarm
