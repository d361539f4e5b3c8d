#include "telemetry/telemetry.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace tw::telemetry {
namespace {

TEST(TelemetryTest, EmptyFamiliesRenderTheirHeadersOnly) {
  Registry registry;
  registry.AddCounter("tw_requests_total", "Requests answered.", {"status"});
  registry.AddGauge("tw_store_bytes", "Bytes of the store.", {});
  EXPECT_EQ(registry.Render(),
            "# HELP tw_requests_total Requests answered.\n"
            "# TYPE tw_requests_total counter\n"
            "# HELP tw_store_bytes Bytes of the store.\n"
            "# TYPE tw_store_bytes gauge\n");
}

TEST(TelemetryTest, CountersRenderSortedByLabelValues) {
  Registry registry;
  CounterFamily& requests =
      registry.AddCounter("tw_requests_total", "Requests answered.", {"service", "status"});
  requests.With({"sns", "200"}).Add();
  requests.With({"logs", "400"}).Add(2);
  requests.With({"logs", "200"}).Add(40);
  requests.With({"logs", "200"}).Add(2);
  CounterFamily& plain = registry.AddCounter("tw_plain_total", "No labels.", {});
  plain.With({}).Add(7);
  EXPECT_EQ(registry.Render(),
            "# HELP tw_requests_total Requests answered.\n"
            "# TYPE tw_requests_total counter\n"
            "tw_requests_total{service=\"logs\",status=\"200\"} 42\n"
            "tw_requests_total{service=\"logs\",status=\"400\"} 2\n"
            "tw_requests_total{service=\"sns\",status=\"200\"} 1\n"
            "# HELP tw_plain_total No labels.\n"
            "# TYPE tw_plain_total counter\n"
            "tw_plain_total 7\n");
}

TEST(TelemetryTest, WithReturnsTheSameSeriesForEqualLabels) {
  Registry registry;
  CounterFamily& family = registry.AddCounter("tw_x_total", "x", {"a"});
  Counter& first = family.With({"v"});
  std::string same = "v";
  EXPECT_EQ(&first, &family.With({std::string_view(same)}));
  EXPECT_NE(&first, &family.With({"w"}));
}

TEST(TelemetryTest, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  CounterFamily& f =
      registry.AddCounter("tw_x_total", "line one\nback\\slash \"quotes\" stay", {"filter"});
  f.With({"a\"b\\c\nd"}).Add();
  EXPECT_EQ(registry.Render(),
            "# HELP tw_x_total line one\\nback\\\\slash \"quotes\" stay\n"
            "# TYPE tw_x_total counter\n"
            "tw_x_total{filter=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(TelemetryTest, GaugeValuesUseTheShortestExactText) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1e-05), "1e-05");
  EXPECT_EQ(FormatValue(123456789012.0), "123456789012");
  EXPECT_EQ(FormatValue(-1.5), "-1.5");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(TelemetryTest, GaugeReplaceDropsSeriesThatAreGone) {
  Registry registry;
  GaugeFamily& state = registry.AddGauge("tw_alarm_state", "1 in the state.", {"alarm", "state"});
  state.Replace({{{"b", "OK"}, 1}, {{"a", "ALARM"}, 0}, {{"a", "OK"}, 1}});
  EXPECT_EQ(registry.Render(),
            "# HELP tw_alarm_state 1 in the state.\n"
            "# TYPE tw_alarm_state gauge\n"
            "tw_alarm_state{alarm=\"a\",state=\"ALARM\"} 0\n"
            "tw_alarm_state{alarm=\"a\",state=\"OK\"} 1\n"
            "tw_alarm_state{alarm=\"b\",state=\"OK\"} 1\n");
  state.Replace({{{"a", "ALARM"}, 1}});
  EXPECT_EQ(registry.Render(),
            "# HELP tw_alarm_state 1 in the state.\n"
            "# TYPE tw_alarm_state gauge\n"
            "tw_alarm_state{alarm=\"a\",state=\"ALARM\"} 1\n");
}

TEST(TelemetryTest, HistogramRendersCumulativeBucketsSumAndCount) {
  Registry registry;
  HistogramFamily& latency =
      registry.AddHistogram("tw_latency_seconds", "Latency.", {"op"}, {0.125, 0.5, 2});
  Histogram& h = latency.With({"put"});
  h.Observe(0.0625);
  h.Observe(0.125);  // on a bound: counted in that bucket (le)
  h.Observe(0.25);
  h.Observe(7);
  EXPECT_EQ(registry.Render(),
            "# HELP tw_latency_seconds Latency.\n"
            "# TYPE tw_latency_seconds histogram\n"
            "tw_latency_seconds_bucket{op=\"put\",le=\"0.125\"} 2\n"
            "tw_latency_seconds_bucket{op=\"put\",le=\"0.5\"} 3\n"
            "tw_latency_seconds_bucket{op=\"put\",le=\"2\"} 3\n"
            "tw_latency_seconds_bucket{op=\"put\",le=\"+Inf\"} 4\n"
            "tw_latency_seconds_sum{op=\"put\"} 7.4375\n"
            "tw_latency_seconds_count{op=\"put\"} 4\n");
}

TEST(TelemetryTest, HistogramWithoutLabels) {
  Registry registry;
  registry.AddHistogram("tw_h_seconds", "H.", {}, {1}).With({}).Observe(0.5);
  EXPECT_EQ(registry.Render(),
            "# HELP tw_h_seconds H.\n"
            "# TYPE tw_h_seconds histogram\n"
            "tw_h_seconds_bucket{le=\"1\"} 1\n"
            "tw_h_seconds_bucket{le=\"+Inf\"} 1\n"
            "tw_h_seconds_sum 0.5\n"
            "tw_h_seconds_count 1\n");
}

TEST(TelemetryTest, LabelSetsOverTheCapShareTheOverflowSeries) {
  Registry registry;
  CounterFamily& f = registry.AddCounter("tw_x_total", "x", {"a", "b"}, /*max_series=*/2);
  f.With({"1", "1"}).Add();
  f.With({"2", "2"}).Add();
  f.With({"3", "3"}).Add();
  f.With({"4", "4"}).Add();
  f.With({"1", "1"}).Add();  // existing series keep counting
  EXPECT_EQ(registry.Render(),
            "# HELP tw_x_total x\n"
            "# TYPE tw_x_total counter\n"
            "tw_x_total{a=\"1\",b=\"1\"} 2\n"
            "tw_x_total{a=\"2\",b=\"2\"} 1\n"
            "tw_x_total{a=\"_overflow\",b=\"_overflow\"} 2\n");
}

TEST(TelemetryTest, GaugeReplaceOverTheCapSharesTheOverflowSeries) {
  Registry registry;
  GaugeFamily& g = registry.AddGauge("tw_g", "g", {"a"}, /*max_series=*/1);
  g.Replace({{{"x"}, 1}, {{"y"}, 2}, {{"z"}, 3}});
  EXPECT_EQ(registry.Render(),
            "# HELP tw_g g\n"
            "# TYPE tw_g gauge\n"
            "tw_g{a=\"_overflow\"} 3\n"
            "tw_g{a=\"x\"} 1\n");
}

TEST(TelemetryTest, ConcurrentAddsAreAllCounted) {
  Registry registry;
  CounterFamily& f = registry.AddCounter("tw_x_total", "x", {"thread"});
  HistogramFamily& h = registry.AddHistogram("tw_h_seconds", "h", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string mine = t % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < 10000; ++i) {
        f.With({std::string_view(mine)}).Add();
        h.With({}).Observe(0.5);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(f.With({"even"}).value(), 20000u);
  EXPECT_EQ(f.With({"odd"}).value(), 20000u);
  EXPECT_EQ(h.With({}).Read().cumulative.back(), 40000u);
  EXPECT_EQ(h.With({}).Read().sum, 20000.0);
}

TEST(TelemetryDeathTest, MisuseAborts) {
  EXPECT_DEATH(
      {
        Registry r;
        r.AddCounter("tw_requests", "no _total", {});
      },
      "a counter's name ends in _total: tw_requests");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddGauge("tw-bad", "x", {});
      },
      "not a metric name: 'tw-bad'");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddGauge("tw_g", "x", {"le"});
      },
      "not a label name: 'le'");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddGauge("tw_g", "x", {});
        r.AddGauge("tw_g", "x", {});
      },
      "registered twice: tw_g");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddCounter("tw_x_total", "x", {"a"}).With({"1", "2"});
      },
      "tw_x_total: 2 label values for 1 labels");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddHistogram("tw_h", "x", {}, {1, 1});
      },
      "strictly increasing");
}

}  // namespace
}  // namespace tw::telemetry
