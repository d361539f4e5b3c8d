// Statistics: the five standard statistics plus a percentile sketch
// (aws-protocols-alarms.md §4.2–4.3).

#include <algorithm>
#include <cmath>
#include <string_view>

#include "metrics/metrics.h"

namespace tw::metrics {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

// "pNN" / "pNN.NN" between p0.0 and p100 (aws-protocols-alarms.md §4.1): one
// to three integer digits, optionally '.' and one or two decimals. Parsed by
// hand, digit by digit, so "p1e1", "p 5", "p+5" and "p99.999" fail instead of
// being accepted by a lenient number parser.
std::optional<double> ParsePercentileStatistic(std::string_view name) {
  if (name.size() < 2 || name.front() != 'p') return std::nullopt;
  name.remove_prefix(1);
  std::size_t dot = name.find('.');
  std::string_view whole = name.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (whole.empty() || whole.size() > 3 || !std::all_of(whole.begin(), whole.end(), IsDigit)) {
    return std::nullopt;
  }
  if (dot != std::string_view::npos && (fraction.empty() || fraction.size() > 2 ||
                                        !std::all_of(fraction.begin(), fraction.end(), IsDigit))) {
    return std::nullopt;
  }
  // Integer hundredths, so the range check is exact ("p100.01" fails).
  int hundredths = 0;
  for (char c : whole) hundredths = hundredths * 10 + (c - '0');
  hundredths *= 100;
  if (!fraction.empty()) hundredths += (fraction[0] - '0') * 10;
  if (fraction.size() == 2) hundredths += fraction[1] - '0';
  if (hundredths > 100 * 100) return std::nullopt;
  return hundredths / 100.0;
}

void Statistics::Add(double value) {
  if (sample_count == 0) {
    minimum = maximum = value;
  } else {
    minimum = std::min(minimum, value);
    maximum = std::max(maximum, value);
  }
  sample_count += 1;
  sum += value;
  sketch.Add(value);
}

void Statistics::Add(double value, double count) {
  if (!(count > 0) || !std::isfinite(count)) return;
  if (sample_count == 0) {
    minimum = maximum = value;
  } else {
    minimum = std::min(minimum, value);
    maximum = std::max(maximum, value);
  }
  sample_count += count;
  sum += value * count;
  sketch.Add(value, count);
}

void Statistics::Merge(const Statistics& other) {
  if (other.sample_count == 0) return;
  if (sample_count == 0) {
    minimum = other.minimum;
    maximum = other.maximum;
  } else {
    minimum = std::min(minimum, other.minimum);
    maximum = std::max(maximum, other.maximum);
  }
  sample_count += other.sample_count;
  sum += other.sum;
  sketch.Merge(other.sketch);
}

std::optional<double> Statistics::Get(std::string_view statistic) const {
  if (statistic == "SampleCount") return sample_count;
  if (statistic == "Sum") return sum;
  if (statistic == "Average") return average();
  if (statistic == "Minimum") return minimum;
  if (statistic == "Maximum") return maximum;
  std::optional<double> percent = ParsePercentileStatistic(statistic);
  if (!percent) return std::nullopt;
  return sketch.Quantile(*percent / 100);
}

}  // namespace tw::metrics
