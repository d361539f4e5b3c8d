#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "common/time.h"

namespace tw::alarm {
namespace {

using std::chrono::seconds;

TimePoint At(const char* iso) {
  auto t = ParseTimestamp(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(TimePoint{});
}

metrics::Statistics Samples(std::initializer_list<double> values) {
  metrics::Statistics s;
  for (double v : values) s.Add(v);
  return s;
}

metrics::Statistics Repeat(double value, int count) {
  metrics::Statistics s;
  for (int i = 0; i < count; ++i) s.Add(value);
  return s;
}

AlarmState StateOf(StateValue value) {
  AlarmState state = InitialState(At("2019-01-01T00:00:00Z"));
  if (value != StateValue::kInsufficientData) {
    state.value = value;
    state.reason = "earlier";
  }
  return state;
}

// The evaluation range at `now` with the values of `row`, written like the
// user guide's tables: oldest first, newest on the right; "-" is missing,
// anything else the Maximum of that bucket.
std::vector<Bucket> Row(const AlarmSpec& spec, TimePoint now, std::vector<std::string> row) {
  std::vector<TimePoint> starts = BucketStarts(spec, now);
  EXPECT_EQ(starts.size(), row.size());
  std::vector<Bucket> buckets;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::string& cell = row[row.size() - 1 - i];
    Bucket b{starts[i], std::nullopt};
    if (cell != "-") b.statistics = Samples({std::stod(cell)});
    buckets.push_back(b);
  }
  return buckets;
}

// Splits "0 - X - X" into cells, mapping X to a breaching 1 and 0 to 0
// (for an alarm "Maximum > 0.5").
std::vector<std::string> GuideRow(std::string_view text) {
  std::vector<std::string> cells;
  for (char c : text) {
    if (c == 'X') cells.push_back("1");
    if (c == '0') cells.push_back("0");
    if (c == '-') cells.push_back("-");
  }
  return cells;
}

AlarmSpec GuideSpec(int n, int m, TreatMissingData mode) {
  AlarmSpec spec;
  spec.alarm_name = "guide";
  spec.metric_namespace = "NS";
  spec.metric_name = "M";
  spec.statistic = "Maximum";
  spec.period = seconds(60);
  spec.evaluation_periods = n;
  spec.datapoints_to_alarm = m;
  spec.threshold = 0.5;
  spec.comparison_operator = ComparisonOperator::kGreaterThanThreshold;
  spec.treat_missing_data = mode;
  return spec;
}

const TimePoint kNow = At("2024-03-16T12:16:20Z");

// ---------------------------------------------------------------------------
// The missing-data table of the CloudWatch user guide (aws-protocols-alarms.md §4.4).

TEST(MissingDataTableTest, EveryRowInEveryMode) {
  struct TableRow {
    int n, m;
    const char* data;
    // missing, ignore, breaching, notBreaching; "keep" = state unchanged.
    const char* expected[4];
  };
  const TableRow table[] = {
      {3, 3, "0 - X - X", {"OK", "OK", "OK", "OK"}},
      {3, 3, "0 - - - -", {"OK", "OK", "OK", "OK"}},
      {3, 3, "- - - - -", {"INSUFFICIENT_DATA", "keep", "ALARM", "OK"}},
      {3, 3, "0 X X - X", {"ALARM", "ALARM", "ALARM", "ALARM"}},
      {3, 3, "- - X - -", {"ALARM", "keep", "ALARM", "OK"}},
      {3, 2, "0 - X - X", {"ALARM", "ALARM", "ALARM", "ALARM"}},
      {3, 2, "0 0 X 0 X", {"ALARM", "ALARM", "ALARM", "ALARM"}},
      {3, 2, "0 - X - -", {"OK", "OK", "ALARM", "OK"}},
      {3, 2, "- - - - 0", {"OK", "OK", "ALARM", "OK"}},
      {3, 2, "- - - X -", {"ALARM", "keep", "ALARM", "OK"}},
  };
  const TreatMissingData modes[] = {TreatMissingData::kMissing, TreatMissingData::kIgnore,
                                    TreatMissingData::kBreaching, TreatMissingData::kNotBreaching};
  int assertions = 0;
  for (const TableRow& row : table) {
    for (int k = 0; k < 4; ++k) {
      AlarmSpec spec = GuideSpec(row.n, row.m, modes[k]);
      std::vector<Bucket> buckets = Row(spec, kNow, GuideRow(row.data));
      std::string expected = row.expected[k];
      // From every starting state, so "keep" differs from any computed state.
      for (StateValue start :
           {StateValue::kOk, StateValue::kAlarm, StateValue::kInsufficientData}) {
        AlarmState current = StateOf(start);
        Evaluation e = Evaluate(spec, current, buckets, kNow);
        std::string got = StateName(e.state.value);
        std::string want = expected == "keep" ? StateName(start) : expected;
        EXPECT_EQ(got, want) << "N=" << row.n << " M=" << row.m << " [" << row.data << "] "
                             << TreatMissingDataName(modes[k]) << " from " << StateName(start);
        EXPECT_EQ(e.changed, want != StateName(start));
        if (!e.changed) {
          EXPECT_EQ(e.state.reason, current.reason);
          EXPECT_TRUE(e.history.empty());
        }
      }
      ++assertions;
    }
  }
  EXPECT_EQ(assertions, 40);
}

TEST(MissingDataTest, PrematureAlarmNeedsTheOldestBreachAtOrBeyondM) {
  // The guide: with M = 3, "- - - - X" and "- - - X -" do not alarm, "- - X - -" does.
  struct Case {
    int n, m;
    const char* data;
    StateValue expected;
  };
  const Case cases[] = {
      {3, 3, "- - - - X", StateValue::kOk},
      {3, 3, "- - - X -", StateValue::kOk},
      {3, 3, "- - X - -", StateValue::kAlarm},
      {3, 3, "- - X X -", StateValue::kAlarm},
      // A real non-breaching datapoint newer than the breach prevents it.
      {3, 3, "- - X 0 -", StateValue::kOk},
      // r >= M: the premature rule does not apply.
      {3, 2, "- - X 0 -", StateValue::kOk},
      {3, 1, "- - - - X", StateValue::kAlarm},
      // Breaches outside the N newest buckets do not count for the rule.
      {3, 2, "X - - - -", StateValue::kOk},
      {2, 2, "- X - - -", StateValue::kOk},
  };
  for (const Case& c : cases) {
    AlarmSpec spec = GuideSpec(c.n, c.m, TreatMissingData::kMissing);
    Evaluation e = Evaluate(spec, StateOf(StateValue::kInsufficientData),
                            Row(spec, kNow, GuideRow(c.data)), kNow);
    EXPECT_STREQ(StateName(e.state.value), StateName(c.expected))
        << "N=" << c.n << " M=" << c.m << " [" << c.data << "]";
  }
}

TEST(MissingDataTest, EnoughRealDatapointsSkipGaps) {
  // N = 3 real datapoints exist among the 5 buckets: the three newest decide,
  // whatever TreatMissingData says.
  for (TreatMissingData mode : {TreatMissingData::kMissing, TreatMissingData::kBreaching,
                                TreatMissingData::kNotBreaching, TreatMissingData::kIgnore}) {
    AlarmSpec spec = GuideSpec(3, 3, mode);
    Evaluation e =
        Evaluate(spec, StateOf(StateValue::kOk), Row(spec, kNow, GuideRow("0 X - X X")), kNow);
    EXPECT_EQ(e.state.value, StateValue::kAlarm) << TreatMissingDataName(mode);
    ASSERT_EQ(e.deciding_buckets.size(), 3u);
    EXPECT_EQ(e.deciding_buckets[0], At("2024-03-16T12:15:00Z"));
    EXPECT_EQ(e.deciding_buckets[2], At("2024-03-16T12:12:00Z"));
  }
}

// ---------------------------------------------------------------------------
// Comparison, M of N, evaluation windows.

TEST(ComparisonTest, EveryOperatorAtBelowAndAboveTheThreshold) {
  struct Case {
    ComparisonOperator op;
    bool below, at, above;
  };
  const Case cases[] = {
      {ComparisonOperator::kGreaterThanOrEqualToThreshold, false, true, true},
      {ComparisonOperator::kGreaterThanThreshold, false, false, true},
      {ComparisonOperator::kLessThanThreshold, true, false, false},
      {ComparisonOperator::kLessThanOrEqualToThreshold, true, true, false},
  };
  for (const Case& c : cases) {
    AlarmSpec spec = GuideSpec(1, 1, TreatMissingData::kMissing);
    spec.threshold = 10;
    spec.comparison_operator = c.op;
    const std::pair<const char*, bool> values[] = {
        {"9.5", c.below}, {"10", c.at}, {"10.5", c.above}};
    for (const auto& [value, breaching] : values) {
      Evaluation e = Evaluate(spec, StateOf(StateValue::kInsufficientData),
                              Row(spec, kNow, {"-", "-", "-", "-", value}), kNow);
      EXPECT_EQ(e.state.value, breaching ? StateValue::kAlarm : StateValue::kOk)
          << ComparisonOperatorName(c.op) << " " << value;
    }
  }
}

TEST(MOfNTest, AlarmsWhenAtLeastMOfTheNNewestBreach) {
  AlarmSpec spec = GuideSpec(5, 3, TreatMissingData::kMissing);
  auto eval = [&](std::vector<std::string> row) {
    return Evaluate(spec, StateOf(StateValue::kOk), Row(spec, kNow, row), kNow).state.value;
  };
  EXPECT_EQ(eval({"1", "0", "1", "0", "1"}), StateValue::kAlarm);
  EXPECT_EQ(eval({"1", "1", "0", "0", "1"}), StateValue::kAlarm);
  EXPECT_EQ(eval({"1", "0", "0", "0", "1"}), StateValue::kOk);
  EXPECT_EQ(eval({"0", "0", "1", "1", "1"}), StateValue::kAlarm);
  EXPECT_EQ(eval({"0", "0", "0", "0", "0"}), StateValue::kOk);
  // Without DatapointsToAlarm, M = N: all five must breach.
  spec.datapoints_to_alarm.reset();
  EXPECT_EQ(eval({"1", "1", "1", "1", "0"}), StateValue::kOk);
  EXPECT_EQ(eval({"1", "1", "1", "1", "1"}), StateValue::kAlarm);
}

TEST(BucketStartsTest, SlidingWindowEndsAtTheCurrentMinute) {
  AlarmSpec spec = GuideSpec(1, 1, TreatMissingData::kMissing);
  spec.period = seconds(300);
  // The observed pair: queried 17:04:40.985, newest datapoint 16:59:00.
  std::vector<TimePoint> starts = BucketStarts(spec, At("2019-10-02T17:04:40.985Z"));
  ASSERT_EQ(starts.size(), 5u);  // R = max(N, 5)
  EXPECT_EQ(starts[0], At("2019-10-02T16:59:00Z"));
  EXPECT_EQ(starts[1], At("2019-10-02T16:54:00Z"));
  EXPECT_EQ(starts[4], At("2019-10-02T16:39:00Z"));

  // On the minute: the minute that just ended is the newest one.
  starts = BucketStarts(spec, At("2019-10-02T17:05:00Z"));
  EXPECT_EQ(starts[0], At("2019-10-02T17:00:00Z"));

  spec.period = seconds(60);
  spec.evaluation_periods = 10;
  starts = BucketStarts(spec, At("2023-01-09T19:00:38Z"));
  ASSERT_EQ(starts.size(), 10u);
  EXPECT_EQ(starts[0], At("2023-01-09T18:59:00Z"));
  EXPECT_EQ(starts[9], At("2023-01-09T18:50:00Z"));

  spec.period = seconds(3600);
  spec.evaluation_periods = 3;
  starts = BucketStarts(spec, At("2022-01-26T13:29:29Z"));
  ASSERT_EQ(starts.size(), 5u);
  EXPECT_EQ(starts[0], At("2022-01-26T12:29:00Z"));
  EXPECT_EQ(starts[4], At("2022-01-26T08:29:00Z"));
}

TEST(BucketStartsTest, HighResolutionWindowsEndOnTheTenSeconds) {
  AlarmSpec spec = GuideSpec(1, 1, TreatMissingData::kMissing);
  spec.period = seconds(10);
  EXPECT_EQ(EvaluationInterval(spec), seconds(10));
  std::vector<TimePoint> starts = BucketStarts(spec, At("2024-03-01T12:00:47.5Z"));
  ASSERT_EQ(starts.size(), 5u);
  EXPECT_EQ(starts[0], At("2024-03-01T12:00:30Z"));
  EXPECT_EQ(starts[4], At("2024-03-01T11:59:50Z"));

  spec.period = seconds(30);
  spec.evaluation_periods = 3;
  starts = BucketStarts(spec, At("2024-03-01T12:00:47.5Z"));
  EXPECT_EQ(starts[0], At("2024-03-01T12:00:10Z"));
  EXPECT_EQ(starts[1], At("2024-03-01T11:59:40Z"));

  spec.period = seconds(60);
  EXPECT_EQ(EvaluationInterval(spec), std::chrono::minutes(1));
}

// ---------------------------------------------------------------------------
// Percentiles.

AlarmSpec P99Spec() {
  AlarmSpec spec = GuideSpec(1, 1, TreatMissingData::kMissing);
  spec.statistic.clear();
  spec.extended_statistic = "p99";
  spec.threshold = 100;
  return spec;
}

std::vector<Bucket> OneBucket(const AlarmSpec& spec, metrics::Statistics stats) {
  std::vector<Bucket> buckets;
  for (TimePoint t : BucketStarts(spec, kNow)) buckets.push_back({t, std::nullopt});
  buckets[0].statistics = std::move(stats);
  return buckets;
}

TEST(PercentileTest, EvaluatesLowSampleCountsByDefault) {
  AlarmSpec spec = P99Spec();
  Evaluation e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Repeat(500, 10)), kNow);
  EXPECT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_NE(e.state.reason_data.find(R"("extendedStatistic":"p99")"), std::string::npos)
      << e.state.reason_data;
  EXPECT_EQ(e.state.reason_data.find(R"("statistic")"), std::string::npos);
}

TEST(PercentileTest, IgnoreKeepsTheStateWhileSamplesAreTooFew) {
  AlarmSpec spec = P99Spec();
  spec.evaluate_low_sample_count_percentile = false;
  // p99 needs 10 / (1 - 0.99) = 1000 samples.
  Evaluation e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Repeat(500, 999)), kNow);
  EXPECT_FALSE(e.changed);
  EXPECT_EQ(e.state.value, StateValue::kOk);
  EXPECT_TRUE(e.history.empty());
  EXPECT_TRUE(e.actions.empty());

  e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Repeat(500, 1000)), kNow);
  EXPECT_TRUE(e.changed);
  EXPECT_EQ(e.state.value, StateValue::kAlarm);

  // Below 0.5 the rule is 10 / p: p10 needs 100 samples.
  spec.extended_statistic = "p10";
  e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Repeat(500, 99)), kNow);
  EXPECT_FALSE(e.changed);
  e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Repeat(500, 100)), kNow);
  EXPECT_TRUE(e.changed);

  // p50 needs 10 / 0.5 = 20; p100 is the exact maximum and always evaluates.
  spec.extended_statistic = "p50";
  e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Repeat(500, 19)), kNow);
  EXPECT_FALSE(e.changed);
  spec.extended_statistic = "p100";
  e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Repeat(500, 1)), kNow);
  EXPECT_TRUE(e.changed);
}

TEST(PercentileTest, NegativeSamplesMakeThePercentileMissing) {
  AlarmSpec spec = P99Spec();
  Evaluation e =
      Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Samples({500, -1, 700})), kNow);
  EXPECT_EQ(e.state.value, StateValue::kInsufficientData);
  // The same bucket has a Maximum.
  spec.extended_statistic.clear();
  spec.statistic = "Maximum";
  e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, Samples({500, -1, 700})), kNow);
  EXPECT_EQ(e.state.value, StateValue::kAlarm);
}

TEST(PercentileTest, UsesThePercentileOfTheBucket) {
  AlarmSpec spec = P99Spec();
  metrics::Statistics stats;
  for (int i = 1; i <= 1000; ++i) stats.Add(i <= 985 ? 10 : 1000);
  // p99 of 985 tens and 15 thousands is 1000 (within the sketch's 1%); p90 is 10.
  Evaluation e = Evaluate(spec, StateOf(StateValue::kOk), OneBucket(spec, stats), kNow);
  EXPECT_EQ(e.state.value, StateValue::kAlarm);
  spec.extended_statistic = "p90";
  e = Evaluate(spec, StateOf(StateValue::kAlarm), OneBucket(spec, stats), kNow);
  EXPECT_EQ(e.state.value, StateValue::kOk);
}

// ---------------------------------------------------------------------------
// StateReason: the real AWS strings of aws-protocols-alarms.md §4.6 as goldens.

struct ReasonCase {
  AlarmSpec spec;
  StateValue from;
  TimePoint now;
  std::vector<std::string> row;  // oldest first
};

std::string ReasonOf(const ReasonCase& c) {
  Evaluation e = Evaluate(c.spec, StateOf(c.from), Row(c.spec, c.now, c.row), c.now);
  EXPECT_TRUE(e.changed);
  return e.state.reason;
}

AlarmSpec ReasonSpec(int n, std::optional<int> m, ComparisonOperator op, double threshold,
                     int period_seconds) {
  AlarmSpec spec = GuideSpec(n, 1, TreatMissingData::kMissing);
  spec.datapoints_to_alarm = m;
  spec.comparison_operator = op;
  spec.threshold = threshold;
  spec.period = seconds(period_seconds);
  return spec;
}

TEST(StateReasonTest, WithDatapointsToAlarm) {
  ReasonCase to_alarm{ReasonSpec(1, 1, ComparisonOperator::kGreaterThanThreshold, 50, 300),
                      StateValue::kOk,
                      At("2019-10-02T17:04:40.985Z"),
                      {"-", "-", "-", "-", "99.50160229693434"}};
  EXPECT_EQ(ReasonOf(to_alarm),
            "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 "
            "16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> "
            "ALARM transition).");

  ReasonCase to_ok{ReasonSpec(3, 3, ComparisonOperator::kGreaterThanOrEqualToThreshold, 80, 300),
                   StateValue::kAlarm,
                   At("2022-01-26T13:29:29Z"),
                   {"-", "-", "38.364239895660816", "38.391752618786896", "38.395433048854194"}};
  EXPECT_EQ(ReasonOf(to_ok),
            "Threshold Crossed: 3 out of the last 3 datapoints [38.395433048854194 (26/01/22 "
            "13:24:00), 38.391752618786896 (26/01/22 13:19:00), 38.364239895660816 (26/01/22 "
            "13:14:00)] were not greater than or equal to the threshold (80.0) (minimum 1 "
            "datapoint for ALARM -> OK transition).");

  ReasonCase filled{ReasonSpec(20, 1, ComparisonOperator::kGreaterThanOrEqualToThreshold, 1, 60),
                    StateValue::kOk, At("2024-03-16T12:16:20Z"), std::vector<std::string>(20, "-")};
  filled.spec.treat_missing_data = TreatMissingData::kNotBreaching;
  filled.row.back() = "613";
  EXPECT_EQ(ReasonOf(filled),
            "Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was "
            "greater than or equal to the threshold (1.0) and 19 missing datapoints were treated "
            "as [NonBreaching] (minimum 1 datapoint for OK -> ALARM transition).");

  // The observed ALARM form with three datapoints (an EventBridge payload).
  ReasonCase three{ReasonSpec(3, 1, ComparisonOperator::kGreaterThanThreshold, 0, 60),
                   StateValue::kOk,
                   At("2022-11-08T11:26:05.399Z"),
                   {"-", "-", "20000", "20000", "20000"}};
  EXPECT_EQ(ReasonOf(three),
            "Threshold Crossed: 3 out of the last 3 datapoints [20000.0 (08/11/22 11:25:00), "
            "20000.0 (08/11/22 11:24:00), 20000.0 (08/11/22 11:23:00)] were greater than the "
            "threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).");

  // Going to OK from INSUFFICIENT_DATA still says ALARM -> OK; minimum = N - M + 1.
  ReasonCase from_insufficient{
      ReasonSpec(1, 1, ComparisonOperator::kGreaterThanThreshold, 0.02, 21600),
      StateValue::kInsufficientData,
      At("2021-12-18T08:08:12.500Z"),
      {"-", "-", "-", "-", "0"}};
  EXPECT_EQ(ReasonOf(from_insufficient),
            "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (18/12/21 02:08:00)] was not "
            "greater than the threshold (0.02) (minimum 1 datapoint for ALARM -> OK transition).");

  ReasonCase five_of_three{ReasonSpec(5, 3, ComparisonOperator::kLessThanThreshold, 5, 60),
                           StateValue::kAlarm,
                           kNow,
                           {"1", "7", "8", "9", "2"}};
  EXPECT_EQ(ReasonOf(five_of_three),
            "Threshold Crossed: 3 out of the last 5 datapoints [9.0 (16/03/24 12:14:00), 8.0 "
            "(16/03/24 12:13:00), 7.0 (16/03/24 12:12:00)] were not less than the threshold "
            "(5.0) (minimum 3 datapoints for ALARM -> OK transition).");
}

TEST(StateReasonTest, WithoutDatapointsToAlarm) {
  ReasonCase one{
      ReasonSpec(1, std::nullopt, ComparisonOperator::kGreaterThanOrEqualToThreshold, 3, 300),
      StateValue::kOk,
      At("2026-03-03T01:40:05Z"),
      {"-", "-", "-", "-", "6"}};
  EXPECT_EQ(ReasonOf(one),
            "Threshold Crossed: 1 datapoint [6.0 (03/03/26 01:35:00)] was greater than or equal to "
            "the threshold (3.0).");

  ReasonCase two{ReasonSpec(2, std::nullopt, ComparisonOperator::kGreaterThanThreshold, 42, 60),
                 StateValue::kAlarm,
                 At("2023-01-09T14:03:10Z"),
                 {"-", "-", "-", "1", "0"}};
  EXPECT_EQ(ReasonOf(two),
            "Threshold Crossed: 2 datapoints [0.0 (09/01/23 14:02:00), 1.0 (09/01/23 14:01:00)] "
            "were not greater than the threshold (42.0).");

  ReasonCase breaching{
      ReasonSpec(8, std::nullopt, ComparisonOperator::kLessThanOrEqualToThreshold, 0, 60),
      StateValue::kAlarm,
      At("2026-08-19T09:37:10Z"),
      {"-", "-", "-", "-", "-", "-", "-", "2"}};
  breaching.spec.treat_missing_data = TreatMissingData::kBreaching;
  EXPECT_EQ(ReasonOf(breaching),
            "Threshold Crossed: 1 datapoint [2.0 (19/08/26 09:36:00)] was not less than or equal "
            "to the threshold (0.0) and 7 missing datapoints were treated as [Breaching].");
}

TEST(StateReasonTest, OnlyFilledDatapoints) {
  ReasonCase not_breaching{ReasonSpec(1, 1, ComparisonOperator::kGreaterThanThreshold, 0, 60),
                           StateValue::kAlarm,
                           kNow,
                           {"-", "-", "-", "-", "-"}};
  not_breaching.spec.treat_missing_data = TreatMissingData::kNotBreaching;
  EXPECT_EQ(ReasonOf(not_breaching),
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint "
            "was treated as [NonBreaching].");

  ReasonCase breaching{ReasonSpec(3, 2, ComparisonOperator::kGreaterThanThreshold, 0, 60),
                       StateValue::kOk,
                       kNow,
                       {"-", "-", "-", "-", "-"}};
  breaching.spec.treat_missing_data = TreatMissingData::kBreaching;
  EXPECT_EQ(ReasonOf(breaching),
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing "
            "datapoints were treated as [Breaching].");
}

TEST(StateReasonTest, InsufficientData) {
  ReasonCase one{ReasonSpec(1, 1, ComparisonOperator::kGreaterThanThreshold, 0, 60),
                 StateValue::kOk,
                 kNow,
                 {"-", "-", "-", "-", "-"}};
  EXPECT_EQ(ReasonOf(one), "Insufficient Data: 1 datapoint was unknown.");
  ReasonCase five{ReasonSpec(5, 1, ComparisonOperator::kGreaterThanThreshold, 0, 60),
                  StateValue::kAlarm,
                  kNow,
                  {"-", "-", "-", "-", "-"}};
  EXPECT_EQ(ReasonOf(five), "Insufficient Data: 5 datapoints were unknown.");
}

TEST(StateReasonTest, StaysWithinTheModelLimits) {
  // 1440 one-minute datapoints of long values: the reason lists the newest
  // ones and "...", the data lists fewer evaluatedDatapoints.
  AlarmSpec spec = ReasonSpec(1440, 1, ComparisonOperator::kGreaterThanThreshold, 0, 60);
  std::vector<std::string> row(1440, "0.123456789012345");
  Evaluation e = Evaluate(spec, StateOf(StateValue::kOk), Row(spec, kNow, row), kNow);
  ASSERT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_LE(e.state.reason.size(), 1023u);
  EXPECT_EQ(e.state.reason.rfind(
                "Threshold Crossed: 1440 out of the last 1440 datapoints [0.123456789012345 "
                "(16/03/24 12:15:00), 0.123456789012345 (16/03/24 12:14:00), ",
                0),
            0u)
      << e.state.reason;
  EXPECT_NE(e.state.reason.find(", ...] were greater than the threshold (0.0)"), std::string::npos)
      << e.state.reason;
  EXPECT_LE(e.state.reason_data.size(), 4000u);
  // The newest datapoints survive; startDate follows the oldest one shown.
  EXPECT_NE(
      e.state.reason_data.find(R"(,0.123456789012345],"threshold":0.0,"evaluatedDatapoints":[)"
                               R"({"timestamp":"2024-03-16T12:15:00.000+0000","sampleCount":1.0,)"
                               R"("value":0.123456789012345}]})"),
      std::string::npos)
      << e.state.reason_data;
  EXPECT_EQ(e.deciding_buckets.size(), 1440u);
}

// ---------------------------------------------------------------------------
// StateReasonData.

TEST(StateReasonDataTest, MatchesTheObservedPayload) {
  AlarmSpec spec = ReasonSpec(1, 1, ComparisonOperator::kGreaterThanThreshold, 50, 300);
  spec.statistic = "Average";
  TimePoint now = At("2019-10-02T17:04:40.985Z");
  std::vector<Bucket> buckets;
  for (TimePoint t : BucketStarts(spec, now)) buckets.push_back({t, std::nullopt});
  // Five samples whose average is exactly the observed value.
  metrics::Statistics stats;
  stats.sample_count = 5;
  stats.sum = 99.50160229693434 * 5;
  stats.minimum = stats.maximum = 99.50160229693434;
  ASSERT_EQ(stats.average(), 99.50160229693434);
  buckets[0].statistics = stats;
  Evaluation e = Evaluate(spec, StateOf(StateValue::kOk), buckets, now);
  EXPECT_EQ(e.state.reason_data,
            R"({"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000",)"
            R"("startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,)"
            R"("recentDatapoints":[99.50160229693434],"threshold":50.0,)"
            R"("evaluatedDatapoints":[{"timestamp":"2019-10-02T16:59:00.000+0000",)"
            R"("sampleCount":5.0,"value":99.50160229693434}]})");
}

TEST(StateReasonDataTest, RecentOldestFirstEvaluatedNewestFirstWithGaps) {
  AlarmSpec spec = GuideSpec(2, 2, TreatMissingData::kMissing);
  spec.unit = "Count";
  spec.threshold = 0;
  TimePoint now = At("2023-01-09T14:03:10.007Z");
  Evaluation e =
      Evaluate(spec, StateOf(StateValue::kOk), Row(spec, now, {"-", "-", "3", "-", "4"}), now);
  ASSERT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_EQ(e.state.reason_data,
            R"({"version":"1.0","queryDate":"2023-01-09T14:03:10.007+0000",)"
            R"("startDate":"2023-01-09T14:00:00.000+0000","unit":"Count","statistic":"Maximum",)"
            R"("period":60,"recentDatapoints":[3.0,4.0],"threshold":0.0,"evaluatedDatapoints":[)"
            R"({"timestamp":"2023-01-09T14:02:00.000+0000","sampleCount":1.0,"value":4.0},)"
            R"({"timestamp":"2023-01-09T14:01:00.000+0000"},)"
            R"({"timestamp":"2023-01-09T14:00:00.000+0000","sampleCount":1.0,"value":3.0}]})");
  EXPECT_EQ(e.deciding_buckets,
            (std::vector<TimePoint>{At("2023-01-09T14:02:00Z"), At("2023-01-09T14:00:00Z")}));
}

// Without data, AWS lists the N newest buckets by timestamp: 2 for N = 2
// (recorded, TreatMissingData breaching), 5 with "5 datapoints were unknown"
// (AWS's documented event); not the whole 5-bucket range for N = 1.
TEST(StateReasonDataTest, WithoutDataTheNNewestBucketsAreListedByTimestamp) {
  AlarmSpec spec = GuideSpec(5, 5, TreatMissingData::kMissing);
  spec.statistic = "Sum";
  spec.threshold = 0;
  TimePoint now = At("2018-09-16T00:22:56.053Z");
  Evaluation e =
      Evaluate(spec, StateOf(StateValue::kOk), Row(spec, now, {"-", "-", "-", "-", "-"}), now);
  ASSERT_EQ(e.state.value, StateValue::kInsufficientData);
  EXPECT_EQ(e.state.reason_data,
            R"({"version":"1.0","queryDate":"2018-09-16T00:22:56.053+0000","statistic":"Sum",)"
            R"("period":60,"recentDatapoints":[],"threshold":0.0,"evaluatedDatapoints":[)"
            R"({"timestamp":"2018-09-16T00:21:00.000+0000"},)"
            R"({"timestamp":"2018-09-16T00:20:00.000+0000"},)"
            R"({"timestamp":"2018-09-16T00:19:00.000+0000"},)"
            R"({"timestamp":"2018-09-16T00:18:00.000+0000"},)"
            R"({"timestamp":"2018-09-16T00:17:00.000+0000"}]})");
  EXPECT_TRUE(e.deciding_buckets.empty());

  spec = GuideSpec(2, 2, TreatMissingData::kBreaching);
  spec.threshold = 2;
  e = Evaluate(spec, StateOf(StateValue::kOk), Row(spec, now, {"-", "-", "-", "-", "-"}), now);
  ASSERT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_EQ(e.state.reason,
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing "
            "datapoints were treated as [Breaching].");
  EXPECT_EQ(e.state.reason_data,
            R"({"version":"1.0","queryDate":"2018-09-16T00:22:56.053+0000","statistic":"Maximum",)"
            R"("period":60,"recentDatapoints":[],"threshold":2.0,"evaluatedDatapoints":[)"
            R"({"timestamp":"2018-09-16T00:21:00.000+0000"},)"
            R"({"timestamp":"2018-09-16T00:20:00.000+0000"}]})");

  spec = GuideSpec(1, 1, TreatMissingData::kMissing);
  e = Evaluate(spec, StateOf(StateValue::kOk), Row(spec, now, {"-", "-", "-", "-", "-"}), now);
  ASSERT_EQ(e.state.value, StateValue::kInsufficientData);
  EXPECT_NE(e.state.reason_data.find(
                R"("evaluatedDatapoints":[{"timestamp":"2018-09-16T00:21:00.000+0000"}]})"),
            std::string::npos)
      << e.state.reason_data;
}

// Fewer real datapoints than N: the N newest buckets, and older ones as far
// as the datapoints used reach.
TEST(StateReasonDataTest, SparseDataListsBucketsAsFarAsTheDatapointsUsed) {
  AlarmSpec spec = GuideSpec(2, 1, TreatMissingData::kMissing);
  TimePoint now = At("2018-09-16T00:22:56.053Z");
  Evaluation e =
      Evaluate(spec, StateOf(StateValue::kOk), Row(spec, now, {"-", "-", "1", "-", "-"}), now);
  ASSERT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_NE(e.state.reason_data.find(R"("evaluatedDatapoints":[)"
                                     R"({"timestamp":"2018-09-16T00:21:00.000+0000"},)"
                                     R"({"timestamp":"2018-09-16T00:20:00.000+0000"},)"
                                     R"({"timestamp":"2018-09-16T00:19:00.000+0000",)"
                                     R"("sampleCount":1.0,"value":1.0}]})"),
            std::string::npos)
      << e.state.reason_data;
}

// ---------------------------------------------------------------------------
// Transitions, history and actions.

AlarmSpec ActionSpec() {
  AlarmSpec spec = GuideSpec(1, 1, TreatMissingData::kMissing);
  spec.alarm_actions = {"arn:aws:sns:us-east-1:123456789012:alerts",
                        "arn:aws:sns:us-east-1:123456789012:pager"};
  spec.ok_actions = {"arn:aws:sns:us-east-1:123456789012:ok"};
  spec.insufficient_data_actions = {"arn:aws:sns:us-east-1:123456789012:nodata"};
  return spec;
}

TEST(TransitionTest, InitialStateIsUnchecked) {
  AlarmState s = InitialState(kNow);
  EXPECT_EQ(s.value, StateValue::kInsufficientData);
  EXPECT_EQ(s.reason, "Unchecked: Initial alarm creation");
  EXPECT_EQ(s.reason_data, "");
  EXPECT_EQ(s.updated, kNow);
}

TEST(TransitionTest, WritesStateUpdateAndActionHistory) {
  AlarmSpec spec = ActionSpec();
  TimePoint now = At("2019-10-02T17:04:40.985Z");
  AlarmState initial = InitialState(At("2019-10-02T17:00:00Z"));
  Evaluation e = Evaluate(spec, initial, Row(spec, now, {"-", "-", "-", "-", "7"}), now);
  ASSERT_TRUE(e.changed);
  EXPECT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_EQ(e.state.updated, now);
  EXPECT_EQ(e.actions, spec.alarm_actions);
  ASSERT_EQ(e.history.size(), 3u);

  const HistoryItem& update = e.history[0];
  EXPECT_EQ(update.timestamp, now);
  EXPECT_EQ(update.type, "StateUpdate");
  EXPECT_EQ(update.summary, "Alarm updated from INSUFFICIENT_DATA to ALARM");
  EXPECT_EQ(update.data, R"({"version":"1.0","oldState":{"stateValue":"INSUFFICIENT_DATA",)"
                         R"("stateReason":"Unchecked: Initial alarm creation"},)"
                         R"("newState":{"stateValue":"ALARM","stateReason":")" +
                             e.state.reason + R"(","stateReasonData":)" + e.state.reason_data +
                             "}}");

  EXPECT_EQ(e.history[1].type, "Action");
  EXPECT_EQ(e.history[1].timestamp, now);
  EXPECT_EQ(e.history[1].summary,
            "Successfully executed action arn:aws:sns:us-east-1:123456789012:alerts");
  EXPECT_EQ(e.history[1].data,
            R"({"actionState":"Succeeded",)"
            R"("notificationResource":"arn:aws:sns:us-east-1:123456789012:alerts"})");
  EXPECT_EQ(e.history[2].summary,
            "Successfully executed action arn:aws:sns:us-east-1:123456789012:pager");

  // Back to OK: the old state carries its reason data as an object.
  TimePoint later = now + std::chrono::minutes(1);
  Evaluation back = Evaluate(spec, e.state, Row(spec, later, {"-", "-", "-", "-", "0"}), later);
  ASSERT_TRUE(back.changed);
  EXPECT_EQ(back.actions, spec.ok_actions);
  EXPECT_EQ(back.history[0].summary, "Alarm updated from ALARM to OK");
  EXPECT_EQ(back.history[0].data.rfind(R"({"version":"1.0","oldState":{"stateValue":"ALARM",)"
                                       R"("stateReason":")" +
                                           e.state.reason + R"(","stateReasonData":{"version")",
                                       0),
            0u)
      << back.history[0].data;
}

TEST(TransitionTest, EscapesReasonsInHistory) {
  AlarmSpec spec = ActionSpec();
  AlarmState manual = StateOf(StateValue::kAlarm);
  manual.reason = "set by \"ops\"\\test";
  Evaluation e = Evaluate(spec, manual, Row(spec, kNow, {"-", "-", "-", "-", "0"}), kNow);
  ASSERT_TRUE(e.changed);
  EXPECT_NE(e.history[0].data.find(R"("stateReason":"set by \"ops\"\\test")"), std::string::npos)
      << e.history[0].data;
}

TEST(TransitionTest, ActionsOnlyOnTransitions) {
  AlarmSpec spec = ActionSpec();
  AlarmState state = StateOf(StateValue::kOk);
  Evaluation first = Evaluate(spec, state, Row(spec, kNow, {"-", "-", "-", "-", "7"}), kNow);
  ASSERT_TRUE(first.changed);
  EXPECT_EQ(first.actions.size(), 2u);

  // Still breaching a minute later: no transition, nothing stored, no action.
  TimePoint later = kNow + std::chrono::minutes(1);
  Evaluation second =
      Evaluate(spec, first.state, Row(spec, later, {"-", "-", "-", "7", "9"}), later);
  EXPECT_FALSE(second.changed);
  EXPECT_TRUE(second.actions.empty());
  EXPECT_TRUE(second.history.empty());
  EXPECT_EQ(second.state.reason, first.state.reason);
  EXPECT_EQ(second.state.reason_data, first.state.reason_data);
  EXPECT_EQ(second.state.updated, kNow);
  // The deciding buckets are reported even without a transition.
  EXPECT_EQ(second.deciding_buckets, (std::vector<TimePoint>{At("2024-03-16T12:16:00Z")}));

  // To INSUFFICIENT_DATA: the insufficient-data actions.
  Evaluation third =
      Evaluate(spec, first.state, Row(spec, later, {"-", "-", "-", "-", "-"}), later);
  ASSERT_TRUE(third.changed);
  EXPECT_EQ(third.actions, spec.insufficient_data_actions);
}

TEST(TransitionTest, DisabledActionsStillTransitionAndRecordTheUpdate) {
  AlarmSpec spec = ActionSpec();
  spec.actions_enabled = false;
  Evaluation e =
      Evaluate(spec, StateOf(StateValue::kOk), Row(spec, kNow, {"-", "-", "-", "-", "7"}), kNow);
  ASSERT_TRUE(e.changed);
  EXPECT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_TRUE(e.actions.empty());
  ASSERT_EQ(e.history.size(), 1u);
  EXPECT_EQ(e.history[0].type, "StateUpdate");
}

TEST(TransitionTest, NoActionsConfiguredMeansOnlyTheUpdate) {
  AlarmSpec spec = GuideSpec(1, 1, TreatMissingData::kMissing);
  Evaluation e =
      Evaluate(spec, StateOf(StateValue::kOk), Row(spec, kNow, {"-", "-", "-", "-", "7"}), kNow);
  ASSERT_TRUE(e.changed);
  EXPECT_TRUE(e.actions.empty());
  EXPECT_EQ(e.history.size(), 1u);
}

}  // namespace
}  // namespace tw::alarm

namespace tw::alarm {
namespace {

AlarmSpec ManualSpec() {
  AlarmSpec spec;
  spec.alarm_name = "Manual";
  spec.alarm_arn = "arn:aws:cloudwatch:us-east-1:1:alarm:Manual";
  spec.metric_namespace = "NS";
  spec.metric_name = "M";
  spec.statistic = "Sum";
  spec.alarm_actions = {"arn:aws:sns:us-east-1:1:t"};
  return spec;
}

TEST(SetStateTest, MovesWithTheCallersReasonAndFiresTheNewStatesActions) {
  AlarmSpec spec = ManualSpec();
  TimePoint now = *ParseTimestamp("2024-03-01T12:00:00.500Z");
  AlarmState ok{StateValue::kOk, "fine", "", now - std::chrono::hours(1)};
  Evaluation e = SetState(spec, ok, StateValue::kAlarm, "testing", R"({"a":1})", now);
  ASSERT_TRUE(e.changed);
  EXPECT_EQ(e.state.value, StateValue::kAlarm);
  EXPECT_EQ(e.state.reason, "testing");
  EXPECT_EQ(e.state.reason_data, R"({"a":1})");
  EXPECT_EQ(e.state.updated, now);
  EXPECT_EQ(e.actions, spec.alarm_actions);
  ASSERT_EQ(e.history.size(), 2u);
  EXPECT_EQ(e.history[0].summary, "Alarm updated from OK to ALARM");
  EXPECT_EQ(
      e.history[0].data,
      R"({"version":"1.0","oldState":{"stateValue":"OK","stateReason":"fine"},)"
      R"("newState":{"stateValue":"ALARM","stateReason":"testing","stateReasonData":{"a":1}}})");
  EXPECT_EQ(e.history[1].type, "Action");

  EXPECT_FALSE(SetState(spec, e.state, StateValue::kAlarm, "again", "", now).changed);
  spec.actions_enabled = false;
  Evaluation quiet = SetState(spec, ok, StateValue::kAlarm, "testing", "", now);
  EXPECT_TRUE(quiet.changed);
  EXPECT_TRUE(quiet.actions.empty());
  EXPECT_EQ(quiet.history.size(), 1u);
}

TEST(ConfigurationUpdateTest, NamesTheAlarmAndCarriesItsConfiguration) {
  AlarmSpec spec = ManualSpec();
  spec.dimensions = {{"Currency", "USD"}};
  spec.period = std::chrono::seconds(21600);
  spec.threshold = 20;
  TimePoint now = *ParseTimestamp("2023-02-11T19:59:37.162Z");
  HistoryItem created = ConfigurationUpdate(spec, InitialState(now), now, true);
  EXPECT_EQ(created.type, "ConfigurationUpdate");
  EXPECT_EQ(created.summary, "Alarm \"Manual\" created");
  EXPECT_EQ(created.data,
            R"({"version":"1.0","type":"Create","createdAlarm":{"alarmName":"Manual",)"
            R"("alarmDescription":"","alarmArn":"arn:aws:cloudwatch:us-east-1:1:alarm:Manual",)"
            R"("alarmConfigurationUpdatedTimestamp":"2023-02-11T19:59:37.162+0000",)"
            R"("namespace":"NS","metricName":"M","statistic":"Sum","period":21600,)"
            R"("dimensions":[{"value":"USD","name":"Currency"}],"threshold":20.0,)"
            R"("comparisonOperator":"GreaterThanThreshold","evaluationPeriods":1,)"
            R"("datapointsToAlarm":1,"treatMissingData":"missing",)"
            R"("stateValue":"INSUFFICIENT_DATA",)"
            R"("stateUpdatedTimestamp":"2023-02-11T19:59:37.162+0000","actionsEnabled":true,)"
            R"("alarmActions":["arn:aws:sns:us-east-1:1:t"],"insufficientDataActions":[],)"
            R"("okactions":[]}})");
  HistoryItem updated = ConfigurationUpdate(spec, InitialState(now), now, false);
  EXPECT_EQ(updated.summary, "Alarm \"Manual\" updated");
  EXPECT_TRUE(updated.data.starts_with(R"({"version":"1.0","type":"Update","updatedAlarm":{)"));
}

}  // namespace
}  // namespace tw::alarm
