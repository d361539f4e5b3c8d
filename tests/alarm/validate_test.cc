#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "alarm/alarm.h"

namespace tw::alarm {
namespace {

AlarmSpec ValidSpec() {
  AlarmSpec spec;
  spec.alarm_name = "RootAccountUsage";
  spec.metric_namespace = "CloudTrailMetrics";
  spec.metric_name = "RootAccountUsageCount";
  spec.statistic = "Sum";
  spec.period = std::chrono::seconds(300);
  spec.evaluation_periods = 1;
  spec.threshold = 1;
  spec.comparison_operator = ComparisonOperator::kGreaterThanOrEqualToThreshold;
  spec.alarm_actions = {"arn:aws:sns:us-east-1:123456789012:alerts"};
  return spec;
}

TEST(ValidateTest, AcceptsATypicalCisAlarm) {
  EXPECT_TRUE(Validate(ValidSpec()).ok()) << Validate(ValidSpec()).message();
}

TEST(ValidateTest, AcceptsEveryLimitValue) {
  AlarmSpec spec = ValidSpec();
  spec.alarm_name = std::string(255, 'a');
  spec.alarm_description = std::string(1024, 'd');
  spec.metric_namespace = std::string(255, 'n');
  spec.metric_name = std::string(255, 'm');
  spec.period = std::chrono::seconds(60);
  spec.evaluation_periods = 1440;  // 60 * 1440 = 86400
  spec.datapoints_to_alarm = 1440;
  spec.unit = "Count/Second";
  for (int i = 0; i < 30; ++i) spec.dimensions.push_back({"D" + std::to_string(i), "v"});
  spec.dimensions[0].second = std::string(1024, 'v');
  spec.ok_actions.assign(5, "arn:aws:sns:eu-west-1:123456789012:ops");
  EXPECT_TRUE(Validate(spec).ok()) << Validate(spec).message();

  for (const char* p : {"p0", "p0.0", "p50", "p99", "p99.9", "p99.99", "p100", "p100.00"}) {
    AlarmSpec s = ValidSpec();
    s.statistic.clear();
    s.extended_statistic = p;
    EXPECT_TRUE(Validate(s).ok()) << p << ": " << Validate(s).message();
  }
  for (int period : {10, 30, 60, 120, 3600, 86400}) {
    AlarmSpec s = ValidSpec();
    s.period = std::chrono::seconds(period);
    EXPECT_TRUE(Validate(s).ok()) << period;
  }
  for (const char* stat : {"SampleCount", "Average", "Sum", "Minimum", "Maximum"}) {
    AlarmSpec s = ValidSpec();
    s.statistic = stat;
    EXPECT_TRUE(Validate(s).ok()) << stat;
  }
  // Only meaningful for percentiles, but AWS stores it for any alarm.
  AlarmSpec s = ValidSpec();
  s.evaluate_low_sample_count_percentile = false;
  EXPECT_TRUE(Validate(s).ok());
}

struct RuleCase {
  const char* rule;
  std::function<void(AlarmSpec&)> change;
  const char* message;
};

TEST(ValidateTest, RejectsEachRuleWithItsMessage) {
  const std::string sns = "arn:aws:sns:us-east-1:123456789012:alerts";
  const RuleCase cases[] = {
      {"empty name", [](AlarmSpec& s) { s.alarm_name.clear(); },
       "AlarmName: must be 1 to 255 characters long"},
      {"long name", [](AlarmSpec& s) { s.alarm_name = std::string(256, 'a'); },
       "AlarmName: must be 1 to 255 characters long"},
      {"control character", [](AlarmSpec& s) { s.alarm_name = "bad\tname"; },
       "AlarmName: must not contain ASCII control characters"},
      {"long description", [](AlarmSpec& s) { s.alarm_description = std::string(1025, 'd'); },
       "AlarmDescription: must be at most 1024 characters long"},
      {"no namespace", [](AlarmSpec& s) { s.metric_namespace.clear(); }, "Namespace: is required"},
      {"long namespace", [](AlarmSpec& s) { s.metric_namespace = std::string(256, 'n'); },
       "Namespace: must be at most 255 characters long"},
      {"colon namespace", [](AlarmSpec& s) { s.metric_namespace = ":ns"; },
       "Namespace: must not start with ':'"},
      {"no metric", [](AlarmSpec& s) { s.metric_name.clear(); }, "MetricName: is required"},
      {"long metric", [](AlarmSpec& s) { s.metric_name = std::string(256, 'm'); },
       "MetricName: must be at most 255 characters long"},
      {"both statistics", [](AlarmSpec& s) { s.extended_statistic = "p99"; },
       "ExtendedStatistic: Statistic and ExtendedStatistic are mutually exclusive"},
      {"no statistic", [](AlarmSpec& s) { s.statistic.clear(); },
       "Statistic: one of Statistic or ExtendedStatistic is required"},
      {"unknown statistic", [](AlarmSpec& s) { s.statistic = "avg"; },
       "Statistic: 'avg' is not one of SampleCount, Average, Sum, Minimum, Maximum"},
      {"percentile over 100",
       [](AlarmSpec& s) {
         s.statistic.clear();
         s.extended_statistic = "p100.01";
       },
       "ExtendedStatistic: 'p100.01' is not a percentile between p0.0 and p100 (e.g. p99, "
       "p99.9)"},
      {"three decimals",
       [](AlarmSpec& s) {
         s.statistic.clear();
         s.extended_statistic = "p99.999";
       },
       "ExtendedStatistic: 'p99.999' is not a percentile between p0.0 and p100 (e.g. p99, "
       "p99.9)"},
      {"trimmed mean",
       [](AlarmSpec& s) {
         s.statistic.clear();
         s.extended_statistic = "tm99";
       },
       "ExtendedStatistic: 'tm99' is not a percentile between p0.0 and p100 (e.g. p99, p99.9)"},
      {"31 dimensions",
       [](AlarmSpec& s) {
         for (int i = 0; i < 31; ++i) s.dimensions.push_back({"D" + std::to_string(i), "v"});
       },
       "Dimensions: at most 30 dimensions are allowed"},
      {"empty dimension name",
       [](AlarmSpec& s) {
         s.dimensions = {{"", "v"}};
       },
       "Dimensions[0].Name: must be 1 to 255 characters long"},
      {"long dimension name",
       [](AlarmSpec& s) {
         s.dimensions = {{std::string(256, 'k'), "v"}};
       },
       "Dimensions[0].Name: must be 1 to 255 characters long"},
      {"empty dimension value",
       [](AlarmSpec& s) {
         s.dimensions = {{"A", "v"}, {"B", ""}};
       },
       "Dimensions[1].Value: must be 1 to 1024 characters long"},
      {"long dimension value",
       [](AlarmSpec& s) {
         s.dimensions = {{"A", std::string(1025, 'v')}};
       },
       "Dimensions[0].Value: must be 1 to 1024 characters long"},
      {"duplicate dimension",
       [](AlarmSpec& s) {
         s.dimensions = {{"A", "1"}, {"A", "2"}};
       },
       "Dimensions[1].Name: duplicate dimension name 'A'"},
      {"period 20", [](AlarmSpec& s) { s.period = std::chrono::seconds(20); },
       "Period: must be 10, 30 or a multiple of 60"},
      {"period 90", [](AlarmSpec& s) { s.period = std::chrono::seconds(90); },
       "Period: must be 10, 30 or a multiple of 60"},
      {"period 0", [](AlarmSpec& s) { s.period = std::chrono::seconds(0); },
       "Period: must be 10, 30 or a multiple of 60"},
      {"period -60", [](AlarmSpec& s) { s.period = std::chrono::seconds(-60); },
       "Period: must be 10, 30 or a multiple of 60"},
      {"zero evaluation periods", [](AlarmSpec& s) { s.evaluation_periods = 0; },
       "EvaluationPeriods: must be at least 1"},
      {"zero datapoints", [](AlarmSpec& s) { s.datapoints_to_alarm = 0; },
       "DatapointsToAlarm: must be at least 1"},
      {"M > N",
       [](AlarmSpec& s) {
         s.evaluation_periods = 3;
         s.datapoints_to_alarm = 4;
       },
       "DatapointsToAlarm: must be less than or equal to EvaluationPeriods"},
      {"over a day",
       [](AlarmSpec& s) {
         s.period = std::chrono::seconds(3600);
         s.evaluation_periods = 25;
       },
       "Period: Period * EvaluationPeriods must be at most 86400 (one day)"},
      {"period over a day", [](AlarmSpec& s) { s.period = std::chrono::seconds(86460); },
       "Period: Period * EvaluationPeriods must be at most 86400 (one day)"},
      {"NaN threshold", [](AlarmSpec& s) { s.threshold = std::nan(""); },
       "Threshold: must be a finite number"},
      {"infinite threshold",
       [](AlarmSpec& s) { s.threshold = std::numeric_limits<double>::infinity(); },
       "Threshold: must be a finite number"},
      {"unknown unit", [](AlarmSpec& s) { s.unit = "Requests"; },
       "Unit: 'Requests' is not a CloudWatch StandardUnit (Count, Seconds, Bytes, None, ...)"},
      {"six alarm actions", [&](AlarmSpec& s) { s.alarm_actions.assign(6, sns); },
       "AlarmActions: at most 5 actions are allowed"},
      {"six ok actions", [&](AlarmSpec& s) { s.ok_actions.assign(6, sns); },
       "OKActions: at most 5 actions are allowed"},
      {"six insufficient-data actions",
       [&](AlarmSpec& s) { s.insufficient_data_actions.assign(6, sns); },
       "InsufficientDataActions: at most 5 actions are allowed"},
      {"empty action", [](AlarmSpec& s) { s.alarm_actions = {""}; },
       "AlarmActions[0]: must be 1 to 1024 characters long"},
      {"long action",
       [](AlarmSpec& s) {
         s.ok_actions = {"arn:aws:sns:us-east-1:123456789012:" + std::string(1000, 't')};
       },
       "OKActions[0]: must be 1 to 1024 characters long"},
      {"not an ARN",
       [&](AlarmSpec& s) {
         s.alarm_actions = {sns, "alerts"};
       },
       "AlarmActions[1]: 'alerts' is not a valid ARN"},
      {"ARN without topic", [](AlarmSpec& s) { s.alarm_actions = {"arn:aws:sns:us-east-1:1:"}; },
       "AlarmActions[0]: 'arn:aws:sns:us-east-1:1:' is not a valid ARN"},
      {"unsupported action",
       [](AlarmSpec& s) { s.insufficient_data_actions = {"arn:aws:automate:us-east-1:ec2:stop"}; },
       "InsufficientDataActions[0]: unsupported action 'arn:aws:automate:us-east-1:ec2:stop': "
       "only SNS topic ARNs (arn:aws:sns:...) are supported"},
  };
  for (const RuleCase& c : cases) {
    AlarmSpec spec = ValidSpec();
    c.change(spec);
    Status status = Validate(spec);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.rule;
    EXPECT_EQ(status.message(), c.message) << c.rule;
  }
}

TEST(EnumTest, ParsesAndNamesComparisonOperators) {
  for (ComparisonOperator op :
       {ComparisonOperator::kGreaterThanOrEqualToThreshold,
        ComparisonOperator::kGreaterThanThreshold, ComparisonOperator::kLessThanThreshold,
        ComparisonOperator::kLessThanOrEqualToThreshold}) {
    auto parsed = ParseComparisonOperator(ComparisonOperatorName(op));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, op);
  }
  EXPECT_STREQ(ComparisonOperatorName(ComparisonOperator::kGreaterThanThreshold),
               "GreaterThanThreshold");
  auto bad = ParseComparisonOperator("LessThanLowerOrGreaterThanUpperThreshold");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' is not one of "
            "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, "
            "LessThanOrEqualToThreshold (anomaly detection operators are not supported)");
  EXPECT_FALSE(ParseComparisonOperator("greaterthanthreshold").ok());
}

TEST(EnumTest, ParsesAndNamesTreatMissingData) {
  for (TreatMissingData mode : {TreatMissingData::kMissing, TreatMissingData::kBreaching,
                                TreatMissingData::kNotBreaching, TreatMissingData::kIgnore}) {
    auto parsed = ParseTreatMissingData(TreatMissingDataName(mode));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, mode);
  }
  EXPECT_STREQ(TreatMissingDataName(TreatMissingData::kNotBreaching), "notBreaching");
  auto bad = ParseTreatMissingData("NotBreaching");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "TreatMissingData: 'NotBreaching' is not one of breaching, notBreaching, ignore, "
            "missing");
}

TEST(EnumTest, NamesStates) {
  EXPECT_STREQ(StateName(StateValue::kOk), "OK");
  EXPECT_STREQ(StateName(StateValue::kAlarm), "ALARM");
  EXPECT_STREQ(StateName(StateValue::kInsufficientData), "INSUFFICIENT_DATA");
}

}  // namespace
}  // namespace tw::alarm
