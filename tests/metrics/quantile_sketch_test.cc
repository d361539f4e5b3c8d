// QuantileSketch against exact nearest-rank percentiles on random data, and
// the statistic names Statistics::Get accepts.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "metrics/metrics.h"

namespace tw::metrics {
namespace {

// Exact nearest-rank percentile of `sorted` for q = k / 10000, in integer
// arithmetic so the oracle itself has no rounding question.
double NearestRank(const std::vector<double>& sorted, std::int64_t k) {
  const std::int64_t n = static_cast<std::int64_t>(sorted.size());
  std::int64_t rank = (k * n + 9999) / 10000;  // ceil(k * n / 10000)
  rank = std::clamp<std::int64_t>(rank, 1, n);
  return sorted[rank - 1];
}

void ExpectWithinOnePercent(const std::vector<double>& values, const std::string& name) {
  QuantileSketch sketch;
  for (double v : values) sketch.Add(v);
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> ks;
  for (std::int64_t k = 0; k <= 10000; k += 25) ks.push_back(k);
  for (std::int64_t k : {1, 10, 50, 9950, 9990, 9999}) ks.push_back(k);
  double worst = 0;
  for (std::int64_t k : ks) {
    std::optional<double> got = sketch.Quantile(k / 10000.0);
    ASSERT_TRUE(got) << name << " k=" << k;
    double want = NearestRank(sorted, k);
    double error = want == 0 ? std::abs(*got) : std::abs(*got - want) / want;
    worst = std::max(worst, error);
    EXPECT_LE(error, QuantileSketch::kRelativeAccuracy)
        << name << " q=" << k / 10000.0 << " got " << *got << " want " << want;
  }
  EXPECT_EQ(*sketch.Quantile(0), sorted.front()) << name;
  EXPECT_EQ(*sketch.Quantile(1), sorted.back()) << name;
  EXPECT_EQ(sketch.count(), static_cast<double>(values.size()));
  ::testing::Test::RecordProperty(name + "_worst_relative_error", std::to_string(worst));
}

std::vector<double> Draw(std::size_t n, const std::function<double(std::mt19937_64&)>& draw,
                         std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> values(n);
  for (double& v : values) v = draw(rng);
  return values;
}

TEST(QuantileSketchTest, WithinOnePercentOfNearestRankOnSeveralDistributions) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    ExpectWithinOnePercent(
        Draw(
            20000, [](auto& r) { return std::uniform_real_distribution<>(0, 1000)(r); }, seed),
        "uniform");
    ExpectWithinOnePercent(
        Draw(
            20000, [](auto& r) { return std::lognormal_distribution<>(3, 2)(r); }, seed),
        "lognormal");
    ExpectWithinOnePercent(
        Draw(
            20000, [](auto& r) { return std::exponential_distribution<>(0.01)(r); }, seed),
        "exponential");
    // Pareto (heavy tail) through the inverse CDF.
    ExpectWithinOnePercent(Draw(
                               20000,
                               [](auto& r) {
                                 return 1 / std::pow(1 - std::uniform_real_distribution<>(0, 1)(r),
                                                     1 / 1.2);
                               },
                               seed),
                           "pareto");
    // Few distinct integers, many duplicates, and zeros (latency in ms, byte counts).
    ExpectWithinOnePercent(
        Draw(
            5000, [](auto& r) { return double(std::uniform_int_distribution<>(0, 12)(r)); }, seed),
        "small integers with zeros");
    // Sixteen orders of magnitude.
    ExpectWithinOnePercent(
        Draw(
            20000,
            [](auto& r) { return std::pow(10.0, std::uniform_real_distribution<>(-8, 8)(r)); },
            seed),
        "log-uniform");
  }
  ExpectWithinOnePercent({7}, "one value");
  ExpectWithinOnePercent({0, 0, 0}, "all zero");
  ExpectWithinOnePercent({1e-300, 1e300, 5e-324, 1.7e308}, "extremes");
}

TEST(QuantileSketchTest, NearestRankOnSmallSets) {
  QuantileSketch sketch;
  for (int v = 1; v <= 100; ++v) sketch.Add(v);
  // p7 of 1..100 is 7: 0.07 * 100 is 7.000000000000001 in doubles.
  EXPECT_NEAR(*sketch.Quantile(0.07), 7, 0.07);
  EXPECT_NEAR(*sketch.Quantile(0.5), 50, 0.5);
  EXPECT_NEAR(*sketch.Quantile(0.505), 51, 0.51);
  EXPECT_NEAR(*sketch.Quantile(0.99), 99, 0.99);
}

TEST(QuantileSketchTest, MergeEqualsOneSketchOverEverything) {
  auto values = Draw(
      10000, [](auto& r) { return std::lognormal_distribution<>(1, 1.5)(r); }, 9);
  QuantileSketch whole, left, right;
  for (std::size_t i = 0; i < values.size(); ++i) {
    whole.Add(values[i]);
    (i % 3 == 0 ? left : right).Add(values[i]);
  }
  QuantileSketch empty;
  left.Merge(right);
  left.Merge(empty);
  empty.Merge(left);
  for (double q : {0.0, 0.001, 0.25, 0.5, 0.9, 0.999, 1.0}) {
    EXPECT_EQ(left.Quantile(q), whole.Quantile(q)) << q;
    EXPECT_EQ(empty.Quantile(q), whole.Quantile(q)) << q;
  }
  EXPECT_EQ(left.count(), 10000);
}

TEST(QuantileSketchTest, WeightedCounts) {
  QuantileSketch sketch;
  sketch.Add(10, 90);
  sketch.Add(1000, 10);
  sketch.Add(5, 0);         // ignored
  sketch.Add(NAN);          // ignored
  sketch.Add(INFINITY, 1);  // ignored
  EXPECT_EQ(sketch.count(), 100);
  EXPECT_NEAR(*sketch.Quantile(0.9), 10, 0.1);
  EXPECT_NEAR(*sketch.Quantile(0.91), 1000, 10);
}

TEST(QuantileSketchTest, UndefinedWhenEmptyNegativeOrOutOfRange) {
  QuantileSketch sketch;
  EXPECT_EQ(sketch.Quantile(0.5), std::nullopt);
  sketch.Add(1);
  EXPECT_EQ(sketch.Quantile(-0.1), std::nullopt);
  EXPECT_EQ(sketch.Quantile(1.1), std::nullopt);
  EXPECT_EQ(sketch.Quantile(NAN), std::nullopt);
  sketch.Add(-1);
  EXPECT_EQ(sketch.count(), 2);
  EXPECT_EQ(sketch.Quantile(0), std::nullopt);
  EXPECT_EQ(sketch.Quantile(0.5), std::nullopt);
  EXPECT_EQ(sketch.Quantile(1), std::nullopt);
  // Merging a sketch with a negative value poisons the result too.
  QuantileSketch positive;
  positive.Add(3);
  positive.Merge(sketch);
  EXPECT_EQ(positive.Quantile(0.5), std::nullopt);
}

TEST(StatisticsTest, StandardStatistics) {
  Statistics s;
  EXPECT_EQ(s.Get("SampleCount"), 0);
  EXPECT_EQ(s.Get("Average"), 0);
  EXPECT_EQ(s.Get("p50"), std::nullopt);
  for (double v : {4.0, 1.0, 10.0, 5.0}) s.Add(v);
  EXPECT_EQ(s.Get("SampleCount"), 4);
  EXPECT_EQ(s.Get("Sum"), 20);
  EXPECT_EQ(s.Get("Average"), 5);
  EXPECT_EQ(s.Get("Minimum"), 1);
  EXPECT_EQ(s.Get("Maximum"), 10);
  EXPECT_EQ(s.Get("p0"), 1);
  EXPECT_EQ(s.Get("p100"), 10);
  EXPECT_NEAR(*s.Get("p50"), 4, 0.04);  // nearest rank 2 of {1, 4, 5, 10}
  EXPECT_NEAR(*s.Get("p75"), 5, 0.05);
  EXPECT_NEAR(*s.Get("p75.01"), 10, 0.1);

  Statistics other;
  other.Add(-3);
  s.Merge(other);
  s.Merge(Statistics{});
  EXPECT_EQ(s.Get("SampleCount"), 5);
  EXPECT_EQ(s.Get("Minimum"), -3);
  EXPECT_EQ(s.Get("Sum"), 17);
  EXPECT_EQ(s.Get("p50"), std::nullopt);  // a negative sample: percentiles undefined

  Statistics empty;
  empty.Merge(other);
  EXPECT_EQ(empty.Get("Maximum"), -3);
}

TEST(StatisticsTest, PercentileNames) {
  Statistics s;
  for (int v = 1; v <= 10000; ++v) s.Add(v);
  for (const char* name : {"p0", "p0.0", "p00", "p1", "p05", "p50", "p99", "p99.9", "p99.99",
                           "p100", "p100.0", "p100.00", "p0.5"}) {
    EXPECT_TRUE(s.Get(name).has_value()) << name;
  }
  EXPECT_NEAR(*s.Get("p99.9"), 9990, 99.9);
  EXPECT_NEAR(*s.Get("p99.99"), 9999, 99.99);
  EXPECT_NEAR(*s.Get("p0.5"), 50, 0.5);
  EXPECT_EQ(s.Get("p100.00"), 10000);
  for (const char* name :
       {"p",   "p101", "p100.01",     "p99.999",      "p1000",   "p-1",  "p+5",
        "p.5", "p5.",  "p 5",         "p1e1",         "P50",     "p50%", "p5,5",
        "",    "sum",  "Samplecount", "SampleCounts", "average", "tm99", "p50 "}) {
    EXPECT_EQ(s.Get(name), std::nullopt) << name;
  }
}

}  // namespace
}  // namespace tw::metrics

namespace tw::metrics {
namespace {

TEST(StatisticNamesTest, PercentileAndUnitHelpers) {
  EXPECT_EQ(ParsePercentileStatistic("p99.9"), 99.9);
  EXPECT_EQ(ParsePercentileStatistic("p0.01"), 0.01);
  EXPECT_EQ(ParsePercentileStatistic("p100"), 100);
  EXPECT_EQ(ParsePercentileStatistic("p101"), std::nullopt);
  EXPECT_EQ(ParsePercentileStatistic("Average"), std::nullopt);
  EXPECT_TRUE(IsStandardUnit("Count/Second"));
  EXPECT_TRUE(IsStandardUnit("None"));
  EXPECT_FALSE(IsStandardUnit(""));
  EXPECT_FALSE(IsStandardUnit("seconds"));
}

}  // namespace
}  // namespace tw::metrics
