#include "common/java_double.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

namespace tw {
namespace {

// A finite non-zero |value| as decimal digits d1 d2 ... dn (no trailing
// zeros) times 10^(exponent - n + 1), i.e. d1.d2...dn × 10^exponent.
struct Decimal {
  std::string digits;
  int exponent = 0;
};

// Splits std::to_chars scientific output ("9.95e+01", "5e-324") into a Decimal.
Decimal ParseScientific(std::string_view text) {
  Decimal d;
  std::size_t e = text.find('e');
  for (char c : text.substr(0, e)) {
    if (c >= '0' && c <= '9') d.digits.push_back(c);
  }
  std::string_view exp = text.substr(e + 1);
  bool negative = exp.front() == '-';
  if (exp.front() == '+' || exp.front() == '-') exp.remove_prefix(1);
  std::from_chars(exp.data(), exp.data() + exp.size(), d.exponent);
  if (negative) d.exponent = -d.exponent;
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

bool ReadsBackAs(std::string_view text, double value) {
  double parsed = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  return ec == std::errc() && ptr == text.data() + text.size() && parsed == value;
}

Decimal JavaDigits(double magnitude) {
  char buffer[64];
  // Without a precision, to_chars gives the shortest round-tripping digits,
  // and among those the closest to the value: Java's rule for n >= 2 digits.
  auto shortest =
      std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::scientific);
  Decimal d = ParseScientific(std::string_view(buffer, shortest.ptr - buffer));
  if (d.digits.size() == 1) {
    // JDK 19+ Double.toString: when one digit suffices, the closest decimal of
    // length 1 or 2 is chosen, because the output shows two digits anyway
    // ("4.9E-324" rather than "5.0E-324"). The correctly rounded two-digit
    // decimal is that one, provided it still reads back as the value.
    auto two =
        std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::scientific, 1);
    std::string_view text(buffer, two.ptr - buffer);
    if (ReadsBackAs(text, magnitude)) d = ParseScientific(text);
  }
  return d;
}

}  // namespace

std::string JavaDoubleToString(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";

  std::string out;
  if (value < 0) out.push_back('-');
  Decimal d = JavaDigits(std::fabs(value));
  const std::string& digits = d.digits;
  const int n = static_cast<int>(digits.size());

  // Java decides on |value|, which for the shortest decimal is the same as
  // deciding on the printed exponent: 10^-3 and 10^7 are exact boundaries no
  // double on the other side reads back as.
  if (d.exponent >= -3 && d.exponent < 7) {
    if (d.exponent >= 0) {
      int integer_digits = d.exponent + 1;
      for (int i = 0; i < integer_digits; ++i) out.push_back(i < n ? digits[i] : '0');
      out.push_back('.');
      if (n > integer_digits) {
        out.append(digits, integer_digits, std::string::npos);
      } else {
        out.push_back('0');
      }
    } else {
      out.append("0.");
      out.append(static_cast<std::size_t>(-d.exponent - 1), '0');
      out.append(digits);
    }
    return out;
  }
  out.push_back(digits[0]);
  out.push_back('.');
  if (n > 1) {
    out.append(digits, 1, std::string::npos);
  } else {
    out.push_back('0');
  }
  out.push_back('E');
  out.append(std::to_string(d.exponent));
  return out;
}

}  // namespace tw
