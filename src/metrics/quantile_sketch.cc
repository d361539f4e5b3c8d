// DDSketch (Masson, Rim, Lee, VLDB 2019): positive values fall in buckets
// (gamma^(i-1), gamma^i]; answering with 2 gamma^i / (gamma + 1) is within
// alpha of every value in the bucket, whatever the distribution, and two
// sketches merge by adding bucket counts.

#include <algorithm>
#include <cmath>

#include "metrics/metrics.h"

namespace tw::metrics {

namespace {

// A little tighter than the promised kRelativeAccuracy, so that rounding in
// log() at a bucket boundary cannot push the error past the promise.
constexpr double kAlpha = QuantileSketch::kRelativeAccuracy * 0.99;
const double kGamma = (1 + kAlpha) / (1 - kAlpha);
const double kLogGamma = std::log(kGamma);

// The bucket of a positive, finite value. Denormals down to 4.9e-324 give
// about -37,600 and DBL_MAX about +35,800: well inside int.
int BucketIndex(double value) { return static_cast<int>(std::ceil(std::log(value) / kLogGamma)); }

// The representative of bucket i; may overflow to infinity for the top
// buckets, which the caller's clamp to [min, max] repairs.
double BucketValue(int index) { return 2 * std::exp(index * kLogGamma) / (kGamma + 1); }

}  // namespace

void QuantileSketch::Add(double value, double count) {
  if (!std::isfinite(value) || !std::isfinite(count) || !(count > 0)) return;
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += count;
  if (value < 0) {
    negative_count_ += count;
  } else if (value == 0) {
    zero_count_ += count;
  } else {
    buckets_[BucketIndex(value)] += count;
  }
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  zero_count_ += other.zero_count_;
  negative_count_ += other.negative_count_;
  for (const auto& [index, count] : other.buckets_) buckets_[index] += count;
}

std::optional<double> QuantileSketch::Quantile(double q) const {
  if (count_ == 0 || negative_count_ > 0 || !(q >= 0 && q <= 1)) return std::nullopt;
  if (q == 0) return min_;
  if (q == 1) return max_;
  // Nearest rank: the smallest value whose cumulative count reaches q * n.
  // "p7" of 100 samples computes 0.07 * 100 = 7.000000000000001; the
  // tolerance keeps that at rank 7 instead of 8.
  const double target = q * count_ * (1 - 1e-9);
  double cumulative = zero_count_;
  if (cumulative > 0 && cumulative >= target) return std::clamp(0.0, min_, max_);
  for (const auto& [index, count] : buckets_) {
    cumulative += count;
    if (cumulative >= target) return std::clamp(BucketValue(index), min_, max_);
  }
  return max_;  // only reached through rounding in the sums
}

}  // namespace tw::metrics
