#include "server/template.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "alarm/alarm.h"
#include "support/cis_patterns.h"

namespace tw::server {
namespace {

Result<Configuration> Parse(const std::string& text, const TemplateContext& context = {}) {
  return ParseTemplate(text, "test.yaml", context);
}

// The error message of a template that must fail, or "OK" so that an
// unexpected success shows up as a readable mismatch.
std::string ErrorOf(const std::string& text, const TemplateContext& context = {}) {
  Result<Configuration> config = Parse(text, context);
  return config.ok() ? "OK" : config.status().message();
}

Configuration MustParse(const std::string& text, const TemplateContext& context = {}) {
  Result<Configuration> config = Parse(text, context);
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? *config : Configuration();
}

// A template holding one resource `id` of `type` with these properties, each
// given as YAML text (an empty text leaves the property out).
std::string OneResource(const std::string& id, const std::string& type,
                        const std::vector<std::pair<std::string, std::string>>& properties,
                        const std::string& more = "") {
  std::string out = "Resources:\n  " + id + ":\n    Type: " + type + "\n    Properties:\n";
  for (const auto& [key, value] : properties) {
    if (!value.empty()) out += "      " + key + ": " + value + "\n";
  }
  return out + more;
}

// A valid alarm "IAMPolicyAlarm", with some properties replaced or removed.
std::string Alarm(std::map<std::string, std::string> changes, const std::string& more = "") {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"AlarmName", "IAMPolicyChanges"},
      {"Namespace", "CloudTrailMetrics"},
      {"MetricName", "IAMPolicyEventCount"},
      {"Statistic", "Maximum"},
      {"Period", "300"},
      {"EvaluationPeriods", "1"},
      {"Threshold", "0"},
      {"ComparisonOperator", "GreaterThanThreshold"},
  };
  for (auto& [key, value] : properties) {
    if (auto it = changes.find(key); it != changes.end()) {
      value = it->second;
      changes.erase(it);
    }
  }
  for (auto& [key, value] : changes) properties.emplace_back(key, value);
  return OneResource("IAMPolicyAlarm", "AWS::CloudWatch::Alarm", properties, more);
}

// A valid metric filter "Filter", with some properties replaced or removed.
std::string Filter(std::map<std::string, std::string> changes, const std::string& more = "") {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"FilterName", "f"},
      {"LogGroupName", "CloudTrail/DefaultLogGroup"},
      {"FilterPattern", "'{ $.eventName = \"PutUserPolicy\" }'"},
      {"MetricTransformations",
       "[{MetricNamespace: CloudTrailMetrics, MetricName: IAMPolicyEventCount, MetricValue: 1}]"},
  };
  for (auto& [key, value] : properties) {
    if (auto it = changes.find(key); it != changes.end()) {
      value = it->second;
      changes.erase(it);
    }
  }
  for (auto& [key, value] : changes) properties.emplace_back(key, value);
  return OneResource("Filter", "AWS::Logs::MetricFilter", properties, more);
}

constexpr const char* kAlarmPath = "Resources.IAMPolicyAlarm.Properties.";
constexpr const char* kFilterPath = "Resources.Filter.Properties.";

// ---------------------------------------------------------------- examples

TEST(TemplateExamples, IamPolicyChange) {
  Result<Configuration> config = LoadTemplate(
      std::string(TW_SOURCE_DIR) + "/examples/iam-policy-change.yaml", TemplateContext());
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();

  ASSERT_EQ(config->log_groups.size(), 1u);
  EXPECT_EQ(config->log_groups[0].logical_id, "CloudTrailLogGroup");
  EXPECT_EQ(config->log_groups[0].name, "CloudTrail/DefaultLogGroup");
  EXPECT_EQ(config->log_groups[0].retention_in_days, 90);

  ASSERT_EQ(config->metric_filters.size(), 1u);
  const MetricFilterConfig& filter = config->metric_filters[0];
  EXPECT_EQ(filter.logical_id, "IAMPolicyChangesMetricFilter");
  EXPECT_EQ(filter.spec.filter_name, "IAMPolicyChanges");
  EXPECT_EQ(filter.spec.log_group_name, "CloudTrail/DefaultLogGroup");
  EXPECT_EQ(filter.spec.filter_pattern, testing::kIamPolicyChangePattern);
  EXPECT_EQ(filter.spec.transformation.metric_namespace, "CloudTrailMetrics");
  EXPECT_EQ(filter.spec.transformation.metric_name, "IAMPolicyEventCount");
  EXPECT_EQ(filter.spec.transformation.metric_value, "1");
  EXPECT_EQ(filter.spec.transformation.default_value, 0.0);
  EXPECT_TRUE(filter.spec.transformation.dimensions.empty());
  EXPECT_EQ(filter.spec.transformation.unit, "None");

  ASSERT_EQ(config->topics.size(), 1u);
  const TopicConfig& topic = config->topics[0];
  EXPECT_EQ(topic.logical_id, "AlarmTopic");
  EXPECT_EQ(topic.name, "trailwatch-iam-policy-changes");
  EXPECT_EQ(topic.arn, "arn:aws:sns:us-east-1:000000000000:trailwatch-iam-policy-changes");
  EXPECT_EQ(topic.display_name, "IAM policy changes");

  ASSERT_EQ(config->subscriptions.size(), 1u);
  const SubscriptionConfig& sub = config->subscriptions[0];
  EXPECT_EQ(sub.logical_id, "");  // inline Topic.Subscription
  EXPECT_EQ(sub.topic_arn, topic.arn);
  EXPECT_EQ(sub.protocol, "email");
  EXPECT_EQ(sub.endpoint, "security@example.com");
  EXPECT_FALSE(sub.raw_message_delivery);

  ASSERT_EQ(config->alarms.size(), 1u);
  EXPECT_EQ(config->alarms[0].logical_id, "IAMPolicyAlarm");
  const alarm::AlarmSpec& a = config->alarms[0].spec;
  EXPECT_EQ(a.alarm_name, "IAMPolicyChanges");
  EXPECT_EQ(a.alarm_arn, "arn:aws:cloudwatch:us-east-1:000000000000:alarm:IAMPolicyChanges");
  EXPECT_EQ(a.alarm_description, "An IAM policy was changed in account 000000000000 (us-east-1)");
  EXPECT_EQ(a.metric_namespace, "CloudTrailMetrics");
  EXPECT_EQ(a.metric_name, "IAMPolicyEventCount");
  EXPECT_TRUE(a.dimensions.empty());
  EXPECT_EQ(a.statistic, "Maximum");
  EXPECT_EQ(a.extended_statistic, "");
  EXPECT_EQ(a.period, std::chrono::seconds(300));
  EXPECT_EQ(a.evaluation_periods, 1);
  EXPECT_EQ(a.datapoints_to_alarm, std::nullopt);
  EXPECT_EQ(a.threshold, 0.0);
  EXPECT_EQ(a.comparison_operator, alarm::ComparisonOperator::kGreaterThanThreshold);
  EXPECT_EQ(a.treat_missing_data, alarm::TreatMissingData::kNotBreaching);
  EXPECT_TRUE(a.actions_enabled);
  EXPECT_EQ(a.alarm_actions, std::vector<std::string>{topic.arn});
  EXPECT_TRUE(a.ok_actions.empty());
  EXPECT_TRUE(a.insufficient_data_actions.empty());
  EXPECT_EQ(a.unit, std::nullopt);
}

TEST(TemplateExamples, IamPolicyChangeWithContextAndOverrides) {
  TemplateContext context;
  context.region = "eu-west-1";
  context.account_id = "111122223333";
  context.stack_name = "audit";
  context.parameters = {{"NotificationEmail", "soc@corp.example"},
                        {"CloudTrailLogGroupName", "org/trail"}};
  Result<Configuration> config =
      LoadTemplate(std::string(TW_SOURCE_DIR) + "/examples/iam-policy-change.yaml", context);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->log_groups[0].name, "org/trail");
  EXPECT_EQ(config->metric_filters[0].spec.log_group_name, "org/trail");
  EXPECT_EQ(config->topics[0].arn, "arn:aws:sns:eu-west-1:111122223333:audit-iam-policy-changes");
  EXPECT_EQ(config->subscriptions[0].endpoint, "soc@corp.example");
  EXPECT_EQ(config->alarms[0].spec.alarm_arn,
            "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:IAMPolicyChanges");
  EXPECT_EQ(config->alarms[0].spec.alarm_actions, std::vector<std::string>{config->topics[0].arn});

  context.parameters = {{"NotificationEmail", "not an address"}};
  EXPECT_EQ(LoadTemplate(std::string(TW_SOURCE_DIR) + "/examples/iam-policy-change.yaml", context)
                .status()
                .message(),
            "Parameters.NotificationEmail: 'not an address' does not match the AllowedPattern "
            "'[^@ ]+@[^@ ]+'");
}

struct CisControl {
  std::string_view pattern_id;  // in testing::kCisPatterns
  std::string_view logical_id;
  std::string_view metric_name;
};

constexpr CisControl kCisControls[] = {
    {"CW.2", "UnauthorizedApiCalls", "unauthorized_api_calls_metric"},
    {"CW.3", "NoMfaConsoleSignin", "no_mfa_console_signin_metric"},
    {"CW.1", "RootUsage", "root_usage_metric"},
    {"CW.4", "IamChanges", "iam_changes_metric"},
    {"CW.5", "CloudTrailCfgChanges", "cloudtrail_cfg_changes_metric"},
    {"CW.6", "ConsoleSigninFailure", "console_signin_failure_metric"},
    {"CW.7", "DisableOrDeleteCmk", "disable_or_delete_cmk_changes_metric"},
    {"CW.8", "S3BucketPolicyChanges", "s3_bucket_policy_changes_metric"},
    {"CW.9", "AwsConfigChanges", "aws_config_changes_metric"},
    {"CW.10", "SecurityGroupChanges", "security_group_changes_metric"},
    {"CW.11", "NaclChanges", "nacl_changes_metric"},
    {"CW.12", "NetworkGwChanges", "network_gw_changes_metric"},
    {"CW.13", "RouteTableChanges", "route_table_changes_metric"},
    {"CW.14", "VpcChanges", "vpc_changes_metric"},
    {"CIS4.15", "OrganizationsChanges", "organizations_changes"},
};

TEST(TemplateExamples, CisBenchmark) {
  Result<Configuration> config =
      LoadTemplate(std::string(TW_SOURCE_DIR) + "/examples/cis-benchmark.yaml", TemplateContext());
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();
  EXPECT_TRUE(config->log_groups.empty());  // the trail's group exists already

  ASSERT_EQ(config->topics.size(), 1u);
  const std::string topic_arn =
      "arn:aws:sns:us-east-1:000000000000:trailwatch-cis-benchmark-alarms";
  EXPECT_EQ(config->topics[0].name, "trailwatch-cis-benchmark-alarms");
  EXPECT_EQ(config->topics[0].arn, topic_arn);
  ASSERT_EQ(config->subscriptions.size(), 1u);
  EXPECT_EQ(config->subscriptions[0].logical_id, "CISAlarmEmail");
  EXPECT_EQ(config->subscriptions[0].topic_arn, topic_arn);
  EXPECT_EQ(config->subscriptions[0].protocol, "email");
  EXPECT_EQ(config->subscriptions[0].endpoint, "security@example.com");

  // Every Security Hub control (CloudWatch.1-14) plus CIS 4.15, in CIS order.
  ASSERT_EQ(config->metric_filters.size(), std::size(kCisControls));
  ASSERT_EQ(config->alarms.size(), std::size(kCisControls));
  int security_hub_set = 0;
  for (const testing::CisPattern& p : testing::kCisPatterns)
    security_hub_set += p.in_security_hub_set;
  EXPECT_EQ(security_hub_set, 15);
  for (std::size_t i = 0; i < std::size(kCisControls); ++i) {
    const CisControl& c = kCisControls[i];
    SCOPED_TRACE(std::string(c.logical_id));
    const testing::CisPattern* pattern = testing::FindCisPattern(c.pattern_id);
    ASSERT_NE(pattern, nullptr);
    EXPECT_TRUE(pattern->in_security_hub_set);

    const MetricFilterConfig& f = config->metric_filters[i];
    EXPECT_EQ(f.logical_id, std::string(c.logical_id) + "MetricFilter");
    EXPECT_EQ(f.spec.filter_name, c.metric_name);
    EXPECT_EQ(f.spec.log_group_name, "CloudTrail/DefaultLogGroup");
    EXPECT_EQ(f.spec.filter_pattern, pattern->text);
    EXPECT_EQ(f.spec.transformation.metric_namespace, "CISBenchmark");
    EXPECT_EQ(f.spec.transformation.metric_name, c.metric_name);
    EXPECT_EQ(f.spec.transformation.metric_value, "1");
    EXPECT_EQ(f.spec.transformation.default_value, std::nullopt);

    const AlarmConfig& a = config->alarms[i];
    std::string alarm_name(c.metric_name);
    if (alarm_name.ends_with("_metric")) alarm_name.resize(alarm_name.size() - 7);
    alarm_name += "_alarm";
    EXPECT_EQ(a.logical_id, std::string(c.logical_id) + "Alarm");
    EXPECT_EQ(a.spec.alarm_name, alarm_name);
    EXPECT_EQ(a.spec.alarm_arn, "arn:aws:cloudwatch:us-east-1:000000000000:alarm:" + alarm_name);
    EXPECT_EQ(a.spec.metric_namespace, "CISBenchmark");
    EXPECT_EQ(a.spec.metric_name, c.metric_name);
    EXPECT_EQ(a.spec.statistic, "Sum");
    EXPECT_EQ(a.spec.period, std::chrono::seconds(300));
    EXPECT_EQ(a.spec.evaluation_periods, 1);
    EXPECT_EQ(a.spec.m(), 1);
    EXPECT_EQ(a.spec.threshold, 1.0);
    EXPECT_EQ(a.spec.comparison_operator,
              alarm::ComparisonOperator::kGreaterThanOrEqualToThreshold);
    EXPECT_EQ(a.spec.treat_missing_data, alarm::TreatMissingData::kNotBreaching);
    EXPECT_EQ(a.spec.alarm_actions, std::vector<std::string>{topic_arn});
    EXPECT_TRUE(a.spec.alarm_description.ends_with(" in account 000000000000 (us-east-1)"))
        << a.spec.alarm_description;
  }
  EXPECT_EQ(config->alarms[2].spec.alarm_name, "root_usage_alarm");
  EXPECT_EQ(config->alarms[14].spec.alarm_name, "organizations_changes_alarm");
}

TEST(TemplateExamples, CisBenchmarkParameters) {
  const std::string path = std::string(TW_SOURCE_DIR) + "/examples/cis-benchmark.yaml";
  TemplateContext context;
  context.stack_name = "cis";
  context.parameters = {{"MetricNamespace", "LogMetrics"},
                        {"CloudTrailLogGroupName", "aws-cloudtrail-logs-111122223333"}};
  Result<Configuration> config = LoadTemplate(path, context);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->topics[0].name, "cis-cis-benchmark-alarms");
  for (const MetricFilterConfig& f : config->metric_filters) {
    EXPECT_EQ(f.spec.transformation.metric_namespace, "LogMetrics");
    EXPECT_EQ(f.spec.log_group_name, "aws-cloudtrail-logs-111122223333");
  }
  for (const AlarmConfig& a : config->alarms) EXPECT_EQ(a.spec.metric_namespace, "LogMetrics");

  context.parameters = {{"MetricNamespace", "Custom"}};
  EXPECT_EQ(LoadTemplate(path, context).status().message(),
            "Parameters.MetricNamespace: 'Custom' is not one of the AllowedValues "
            "[CISBenchmark, LogMetrics]");
}

// ------------------------------------------------------- intrinsic functions

constexpr const char* kIntrinsics = R"yaml(
Parameters:
  Env:
    Type: String
    Default: prod
    AllowedValues: [prod, dev]
  Emails:
    Type: CommaDelimitedList
    Default: "a@example.com, b@example.com"
  AlarmPeriod:
    Type: Number
    Default: 60
Mappings:
  Settings:
    prod:
      Threshold: 5
    dev:
      Threshold: 50
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/trail/${Env}/${AWS::Region}"
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Join ["-", [!Ref "AWS::StackName", !Ref Env, alarms]]
      DisplayName: !Select [1, !Split [",", "x,y,z"]]
  Mail:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !GetAtt [Topic, TopicArn]
      Protocol: email
      Endpoint: !Select [1, !Ref Emails]
      RawMessageDelivery: "true"
      DeliveryPolicy:
        healthyRetryPolicy: {numRetries: 3, backoffFunction: linear}
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: {"Ref": "Group"}
      FilterPattern: !Sub '{ $.eventName = "${!Literal}" && $.awsRegion = "${AWS::Region}" }'
      MetricTransformations:
        - MetricNamespace: {"Fn::Sub": ["${Ns}/x", {"Ns": !Ref Env}]}
          MetricName: !GetAtt Topic.TopicName
          MetricValue: 1
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${Env}-${Topic.TopicName}"
      AlarmDescription: !Sub "${Group}|${Group.Arn}|${AWS::Partition}|${AWS::AccountId}|${AWS::StackName}|${AWS::URLSuffix}|${Filter}|${Topic}"
      Namespace: {"Fn::Join": ["/", [{"Ref": "Env"}, "x"]]}
      MetricName: {"Fn::GetAtt": ["Topic", "TopicName"]}
      Statistic: Sum
      Period: !Ref AlarmPeriod
      EvaluationPeriods: "2"
      DatapointsToAlarm: !Ref "AWS::NoValue"
      Threshold: !FindInMap [Settings, !Ref Env, Threshold]
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Topic]
      OKActions: [!GetAtt Topic.TopicArn, !Ref "AWS::NoValue"]
  Second:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: !Sub
        - "after ${Name} (${Arn})"
        - Name: !Ref Alarm
          Arn: !GetAtt Alarm.Arn
      Namespace: prod/x
      MetricName: trailwatch-prod-alarms
      ExtendedStatistic: p99
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1.5
      ComparisonOperator: LessThanThreshold
      Dimensions:
        - {Name: B, Value: "2"}
        - {Name: A, Value: "1"}
)yaml";

TEST(TemplateIntrinsics, EveryFunctionAndShortForm) {
  Configuration c = MustParse(kIntrinsics);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
  ASSERT_EQ(c.log_groups.size(), 1u);
  EXPECT_EQ(c.log_groups[0].name, "/trail/prod/us-east-1");  // !Sub, parameter, pseudo
  EXPECT_EQ(c.log_groups[0].retention_in_days, std::nullopt);

  ASSERT_EQ(c.topics.size(), 1u);
  EXPECT_EQ(c.topics[0].name, "trailwatch-prod-alarms");  // !Join with !Ref AWS::StackName
  EXPECT_EQ(c.topics[0].display_name, "y");               // !Select of !Split

  ASSERT_EQ(c.subscriptions.size(), 1u);
  EXPECT_EQ(c.subscriptions[0].logical_id, "Mail");
  EXPECT_EQ(c.subscriptions[0].topic_arn, c.topics[0].arn);  // !GetAtt [Topic, TopicArn]
  EXPECT_EQ(c.subscriptions[0].endpoint, "b@example.com");   // CommaDelimitedList, trimmed
  EXPECT_TRUE(c.subscriptions[0].raw_message_delivery);
  EXPECT_EQ(c.subscriptions[0].delivery_policy,
            R"({"healthyRetryPolicy":{"numRetries":3,"backoffFunction":"linear"}})");

  ASSERT_EQ(c.metric_filters.size(), 1u);
  const metrics::MetricFilterSpec& f = c.metric_filters[0].spec;
  EXPECT_EQ(f.log_group_name, "/trail/prod/us-east-1");  // long-form Ref of a LogGroup
  EXPECT_EQ(f.filter_pattern, R"({ $.eventName = "${Literal}" && $.awsRegion = "us-east-1" })");
  EXPECT_EQ(f.transformation.metric_namespace, "prod/x");             // Fn::Sub with variables
  EXPECT_EQ(f.transformation.metric_name, "trailwatch-prod-alarms");  // !GetAtt A.B
  EXPECT_EQ(f.transformation.metric_value, "1");
  // No FilterName: "<stack>-<LogicalId>-<13 characters>", stable across loads.
  EXPECT_TRUE(std::regex_match(f.filter_name, std::regex("trailwatch-Filter-[0-9A-Z]{13}")))
      << f.filter_name;
  EXPECT_EQ(f.filter_name, MustParse(kIntrinsics).metric_filters[0].spec.filter_name);

  ASSERT_EQ(c.alarms.size(), 2u);
  const alarm::AlarmSpec& a = c.alarms[0].spec;
  EXPECT_EQ(a.alarm_name, "prod-trailwatch-prod-alarms");  // ${Resource.Attribute} in !Sub
  EXPECT_EQ(a.alarm_description,
            "/trail/prod/us-east-1|arn:aws:logs:us-east-1:000000000000:log-group:/trail/prod/"
            "us-east-1:*|aws|000000000000|trailwatch|amazonaws.com|" +
                f.filter_name + "|" + c.topics[0].arn);
  EXPECT_EQ(a.metric_namespace, "prod/x");             // long-form Fn::Join
  EXPECT_EQ(a.metric_name, "trailwatch-prod-alarms");  // long-form Fn::GetAtt
  EXPECT_EQ(a.period, std::chrono::seconds(60));       // Number parameter
  EXPECT_EQ(a.evaluation_periods, 2);                  // "2" as a string
  EXPECT_EQ(a.datapoints_to_alarm, std::nullopt);      // AWS::NoValue drops it
  EXPECT_EQ(a.threshold, 5.0);                         // !FindInMap
  EXPECT_EQ(a.alarm_actions, std::vector<std::string>{c.topics[0].arn});
  EXPECT_EQ(a.ok_actions, std::vector<std::string>{c.topics[0].arn});  // NoValue element gone

  const alarm::AlarmSpec& second = c.alarms[1].spec;
  EXPECT_EQ(second.alarm_description,
            "after prod-trailwatch-prod-alarms (arn:aws:cloudwatch:us-east-1:000000000000:alarm:"
            "prod-trailwatch-prod-alarms)");
  EXPECT_TRUE(std::regex_match(second.alarm_name, std::regex("trailwatch-Second-[0-9A-Z]{13}")));
  EXPECT_EQ(second.extended_statistic, "p99");
  EXPECT_EQ(second.statistic, "");
  EXPECT_EQ(second.threshold, 1.5);
  EXPECT_EQ(second.dimensions, (metrics::Dimensions{{"A", "1"}, {"B", "2"}}));  // sorted by name
}

TEST(TemplateIntrinsics, ParameterValuesFollowOverridesAndContext) {
  TemplateContext context;
  context.parameters = {{"Env", "dev"}, {"Emails", "x@example.com,y@example.com"}};
  context.partition = "aws-cn";
  context.region = "cn-north-1";
  context.stack_name = "s";
  Configuration c = MustParse(kIntrinsics, context);
  EXPECT_EQ(c.log_groups[0].name, "/trail/dev/cn-north-1");
  EXPECT_EQ(c.topics[0].arn, "arn:aws-cn:sns:cn-north-1:000000000000:s-dev-alarms");
  EXPECT_EQ(c.subscriptions[0].endpoint, "y@example.com");
  EXPECT_EQ(c.alarms[0].spec.threshold, 50.0);
  EXPECT_NE(c.alarms[0].spec.alarm_description.find("|aws-cn|"), std::string::npos);
  EXPECT_NE(c.alarms[0].spec.alarm_description.find("|amazonaws.com.cn|"), std::string::npos);
  EXPECT_TRUE(c.metric_filters[0].spec.filter_name.starts_with("s-Filter-"));
  // The suffix depends on the stack, as CloudFormation's random one would.
  EXPECT_NE(c.metric_filters[0].spec.filter_name.substr(9),
            MustParse(kIntrinsics).metric_filters[0].spec.filter_name.substr(18));
}

TEST(TemplateIntrinsics, JsonTemplate) {
  constexpr const char* kJson = R"({
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {"Email": {"Type": "String", "Default": "ops@example.com"}},
  "Resources": {
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {
      "TopicName": "alerts",
      "Subscription": [{"Protocol": "email", "Endpoint": {"Ref": "Email"}}]}},
    "Filter": {"Type": "AWS::Logs::MetricFilter", "Properties": {
      "FilterName": "root",
      "LogGroupName": "CloudTrail/DefaultLogGroup",
      "FilterPattern": "{ $.userIdentity.type = \"Root\" }",
      "MetricTransformations": [{"MetricNamespace": "CIS", "MetricName": "Root",
                                 "MetricValue": "1", "DefaultValue": 0, "Unit": "Count"}]}},
    "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
      "AlarmName": {"Fn::Join": ["", ["root-", {"Ref": "AWS::Region"}]]},
      "Namespace": "CIS", "MetricName": "Root", "Statistic": "Sum",
      "Period": 300, "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 1,
      "ComparisonOperator": "GreaterThanOrEqualToThreshold",
      "TreatMissingData": "breaching", "ActionsEnabled": false, "Unit": "Count",
      "EvaluateLowSampleCountPercentile": "ignore",
      "AlarmActions": [{"Fn::GetAtt": ["Topic", "TopicArn"]}],
      "InsufficientDataActions": [{"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:alerts"}]}}
  }
})";
  Configuration c = MustParse(kJson);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
  ASSERT_EQ(c.topics.size(), 1u);
  EXPECT_EQ(c.topics[0].arn, "arn:aws:sns:us-east-1:000000000000:alerts");
  ASSERT_EQ(c.subscriptions.size(), 1u);
  EXPECT_EQ(c.subscriptions[0].endpoint, "ops@example.com");
  ASSERT_EQ(c.metric_filters.size(), 1u);
  EXPECT_EQ(c.metric_filters[0].spec.filter_pattern, R"({ $.userIdentity.type = "Root" })");
  EXPECT_EQ(c.metric_filters[0].spec.transformation.unit, "Count");
  ASSERT_EQ(c.alarms.size(), 1u);
  const alarm::AlarmSpec& a = c.alarms[0].spec;
  EXPECT_EQ(a.alarm_name, "root-us-east-1");
  EXPECT_EQ(a.evaluation_periods, 3);
  EXPECT_EQ(a.datapoints_to_alarm, 2);
  EXPECT_EQ(a.m(), 2);
  EXPECT_EQ(a.treat_missing_data, alarm::TreatMissingData::kBreaching);
  EXPECT_FALSE(a.actions_enabled);
  EXPECT_FALSE(a.evaluate_low_sample_count_percentile);
  EXPECT_EQ(a.unit, "Count");
  EXPECT_EQ(a.alarm_actions, std::vector<std::string>{c.topics[0].arn});
  EXPECT_EQ(a.insufficient_data_actions, std::vector<std::string>{c.topics[0].arn});
}

TEST(TemplateIntrinsics, SubEscapesAndVariablesShadowParameters) {
  Configuration c = MustParse(R"(
Parameters:
  Name: {Type: String, Default: param}
)" + Alarm({{"AlarmDescription",
             "!Sub ['${Name} ${!Name} ${!AWS::Region} $Name {x}', "
             "{Name: var}]"}}));
  EXPECT_EQ(c.alarms[0].spec.alarm_description, "var ${Name} ${AWS::Region} $Name {x}");
}

// ------------------------------------------------------------- warnings

TEST(TemplateWarnings, SkippedResourcesAndDanglingTargets) {
  Configuration c = MustParse(Alarm(
      {{"AlarmActions", "[arn:aws:sns:us-east-1:000000000000:elsewhere]"}, {"MetricName", "Typo"}},
      R"(  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      CloudWatchLogsRoleArn: !GetAtt Role.Arn
  Role:
    Type: AWS::IAM::Role
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: arn:aws:sns:us-east-1:000000000000:elsewhere
      Protocol: https
      Endpoint: https://hooks.example.com/x
      FilterPolicy: {severity: [high]}
)"));
  EXPECT_EQ(c.warnings,
            (std::vector<std::string>{
                "Resources.Trail: AWS::CloudTrail::Trail is not supported; skipped",
                "Resources.Role: AWS::IAM::Role is not supported; skipped",
                "Resources.Sub.Properties.FilterPolicy: not applied by trailwatch; every message "
                "is delivered",
                "Resources.Sub.Properties.TopicArn: arn:aws:sns:us-east-1:000000000000:elsewhere "
                "is not a topic of this template",
                "Resources.IAMPolicyAlarm.Properties.AlarmActions[0]: "
                "arn:aws:sns:us-east-1:000000000000:elsewhere is not a topic of this template; "
                "nothing is delivered to it",
                "Resources.IAMPolicyAlarm.Properties.MetricName: no metric filter of this "
                "template publishes CloudTrailMetrics/Typo",
            }));
  EXPECT_EQ(c.alarms.size(), 1u);
  EXPECT_EQ(c.subscriptions.size(), 1u);
}

TEST(TemplateTags, AlarmsAndTopicsCarryTheirTags) {
  Configuration c = MustParse(Alarm({{"Tags", "[{Key: team, Value: sec}, {Key: env, Value: ''}]"}},
                                    "  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
                                    "      TopicName: alerts\n"
                                    "      Tags: [{Key: team, Value: sec}]\n"));
  ASSERT_EQ(c.alarms.size(), 1u);
  EXPECT_EQ(c.alarms[0].tags, (std::map<std::string, std::string>{{"env", ""}, {"team", "sec"}}));
  ASSERT_EQ(c.topics.size(), 1u);
  EXPECT_EQ(c.topics[0].tags, (std::map<std::string, std::string>{{"team", "sec"}}));
  for (const std::string& warning : c.warnings) {
    EXPECT_EQ(warning.find("Tags"), std::string::npos) << warning;
  }
}

TEST(TemplateCompositeAlarms, OrderedAfterTheCompositesTheyNameAndCyclesRefused) {
  const std::string composites = R"(
  Outer:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmName: outer
      AlarmRule: !Sub 'ALARM("${Inner.Arn}") OR ALARM(IAMPolicyChanges)'
      AlarmActions: [arn:aws:sns:us-east-1:000000000000:alerts]
      Tags: [{Key: team, Value: sec}]
  Inner:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmName: inner
      AlarmRule: ALARM(IAMPolicyChanges)
      ActionsEnabled: false
)";
  Configuration c = MustParse(Alarm({}, composites));
  ASSERT_EQ(c.composite_alarms.size(), 2u);
  EXPECT_EQ(c.composite_alarms[0].spec.alarm_name, "inner");
  EXPECT_FALSE(c.composite_alarms[0].spec.actions_enabled);
  const alarm::CompositeSpec& outer = c.composite_alarms[1].spec;
  EXPECT_EQ(outer.alarm_rule,
            "ALARM(\"arn:aws:cloudwatch:us-east-1:000000000000:alarm:inner\") OR "
            "ALARM(IAMPolicyChanges)");
  EXPECT_EQ(outer.alarm_arn, "arn:aws:cloudwatch:us-east-1:000000000000:alarm:outer");
  EXPECT_EQ(c.composite_alarms[1].tags, (std::map<std::string, std::string>{{"team", "sec"}}));

  const std::string cycle = R"(
  A:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties: {AlarmName: a, AlarmRule: ALARM(b)}
  B:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties: {AlarmName: b, AlarmRule: ALARM(a)}
)";
  EXPECT_EQ(ErrorOf(Alarm({}, cycle)),
            "Resources.A.Properties.AlarmRule: composite alarms name each other in a "
            "cycle");
  EXPECT_EQ(ErrorOf(Alarm({},
                          "  C:\n    Type: AWS::CloudWatch::CompositeAlarm\n"
                          "    Properties: {AlarmName: c, AlarmRule: 'ALARM(x) OR'}\n")),
            "Resources.C.Properties.AlarmRule: unexpected end of the rule at character "
            "12");
  EXPECT_EQ(ErrorOf(Alarm({},
                          "  C:\n    Type: AWS::CloudWatch::CompositeAlarm\n"
                          "    Properties: {AlarmName: IAMPolicyChanges, AlarmRule: TRUE}\n")),
            "Resources.C.Properties.AlarmName: 'IAMPolicyChanges' is also the name of "
            "Resources.IAMPolicyAlarm");
  EXPECT_EQ(ErrorOf(Alarm({},
                          "  C:\n    Type: AWS::CloudWatch::CompositeAlarm\n"
                          "    Properties: {AlarmRule: TRUE, ActionsSuppressor: x}\n")),
            "Resources.C.Properties.ActionsSuppressorWaitPeriod and "
            "ActionsSuppressorExtensionPeriod are required with ActionsSuppressor");
  EXPECT_EQ(ErrorOf(Alarm({},
                          "  C:\n    Type: AWS::CloudWatch::CompositeAlarm\n"
                          "    Properties: {AlarmRule: TRUE, ActionsSuppressor: x,\n"
                          "      ActionsSuppressorWaitPeriod: 60, "
                          "ActionsSuppressorExtensionPeriod: 120}\n")),
            "OK");
}

// --------------------------------------------------------------- errors

struct BadTemplate {
  const char* name;
  std::string text;
  std::string message;
};

std::string AlarmError(const std::string& message) { return kAlarmPath + message; }
std::string FilterError(const std::string& message) { return kFilterPath + message; }

std::vector<BadTemplate> BadTemplates() {
  const std::string topic = R"(  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
)";
  return {
      // alarm::Validate, behind the resource's path
      {"Period", Alarm({{"Period", "45"}}),
       AlarmError("Period: must be 10, 30 or a multiple of 60")},
      {"PeriodString", Alarm({{"Period", "'90'"}}),
       AlarmError("Period: must be 10, 30 or a multiple of 60")},
      {"MOverN", Alarm({{"EvaluationPeriods", "2"}, {"DatapointsToAlarm", "3"}}),
       AlarmError("DatapointsToAlarm: must be less than or equal to EvaluationPeriods")},
      {"OneDay", Alarm({{"Period", "3600"}, {"EvaluationPeriods", "25"}}),
       AlarmError("Period: Period * EvaluationPeriods must be at most 86400 (one day)")},
      {"StatisticAndExtended", Alarm({{"ExtendedStatistic", "p99"}}),
       AlarmError("ExtendedStatistic: Statistic and ExtendedStatistic are mutually exclusive")},
      {"NoStatistic", Alarm({{"Statistic", ""}}),
       AlarmError("Statistic: one of Statistic or ExtendedStatistic is required")},
      {"BadStatistic", Alarm({{"Statistic", "Median"}}),
       AlarmError("Statistic: 'Median' is not one of SampleCount, Average, Sum, Minimum, Maximum")},
      {"NonSnsAction", Alarm({{"AlarmActions", "[arn:aws:automate:us-east-1:ec2:stop]"}}),
       AlarmError("AlarmActions[0]: unsupported action 'arn:aws:automate:us-east-1:ec2:stop': "
                  "only SNS topic ARNs (arn:aws:sns:...) are supported")},
      {"SixActions", Alarm({{"OKActions", "[a, b, c, d, e, f]"}}),
       AlarmError("OKActions: at most 5 actions are allowed")},
      {"ComparisonOperator", Alarm({{"ComparisonOperator", "Bigger"}}),
       kAlarmPath + alarm::ParseComparisonOperator("Bigger").status().message()},
      {"TreatMissingData", Alarm({{"TreatMissingData", "zero"}}),
       kAlarmPath + alarm::ParseTreatMissingData("zero").status().message()},
      // the template's own property rules
      {"MetricMath", Alarm({{"Metrics", "[{Id: m1, Expression: 'm1 * 2'}]"}}),
       AlarmError("Metrics: metric math alarms are not supported by trailwatch")},
      {"AnomalyDetection", Alarm({{"ThresholdMetricId", "ad1"}}),
       AlarmError("ThresholdMetricId: anomaly detection alarms are not supported by trailwatch")},
      {"UnknownProperty", Alarm({{"Perod", "300"}}),
       AlarmError("Perod: unknown property of AWS::CloudWatch::Alarm")},
      {"MissingEvaluationPeriods", Alarm({{"EvaluationPeriods", ""}}),
       AlarmError("EvaluationPeriods: required property is missing")},
      {"MissingThreshold", Alarm({{"Threshold", ""}}),
       AlarmError("Threshold: required property is missing")},
      {"PeriodNotInteger", Alarm({{"Period", "5m"}}),
       AlarmError("Period: must be an integer, not '5m'")},
      {"ThresholdNotNumber", Alarm({{"Threshold", "high"}}),
       AlarmError("Threshold: must be a number, not 'high'")},
      {"ActionsEnabled", Alarm({{"ActionsEnabled", "maybe"}}),
       AlarmError("ActionsEnabled: must be true or false, not 'maybe'")},
      {"LowSampleCount", Alarm({{"EvaluateLowSampleCountPercentile", "always"}}),
       AlarmError("EvaluateLowSampleCountPercentile: must be evaluate or ignore, not 'always'")},
      {"ActionsNotList", Alarm({{"AlarmActions", "arn:aws:sns:us-east-1:1:t"}}),
       AlarmError("AlarmActions: must be a list, not a string")},
      {"DimensionValueMissing", Alarm({{"Dimensions", "[{Name: A}]"}}),
       AlarmError("Dimensions[0].Value: required property is missing")},
      {"DimensionKeyInsteadOfName", Alarm({{"Dimensions", "[{Key: A, Value: b}]"}}),
       AlarmError("Dimensions[0].Name: required property is missing")},
      {"TagKeyTooLong", Alarm({{"Tags", "[{Key: " + std::string(129, 'k') + ", Value: v}]"}}),
       AlarmError("Tags[0].Key: must be 1 to 128 characters long")},
      {"TagValueTooLong", Alarm({{"Tags", "[{Key: k, Value: " + std::string(257, 'v') + "}]"}}),
       AlarmError("Tags[0].Value: must be at most 256 characters long")},
      {"TagWithoutValue", Alarm({{"Tags", "[{Key: k}]"}}),
       AlarmError("Tags[0].Value: required property is missing")},
      {"TagNotAMap", Alarm({{"Tags", "[team]"}}),
       AlarmError("Tags[0]: must be a map, not a string")},
      {"DimensionTwice", Alarm({{"Dimensions", "[{Name: A, Value: b}, {Name: A, Value: c}]"}}),
       AlarmError("Dimensions[1].Name: dimension 'A' appears twice")},
      {"DuplicateKey", Alarm({}, "      Period: 60\n"), AlarmError("Period: duplicate key")},
      {"DuplicateAlarmName",
       Alarm({},
             "  Other:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n"
             "      AlarmName: IAMPolicyChanges\n      Namespace: N\n      MetricName: M\n"
             "      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 1\n"
             "      Threshold: 1\n      ComparisonOperator: LessThanThreshold\n"),
       "Resources.Other.Properties.AlarmName: 'IAMPolicyChanges' is also the name of "
       "Resources.IAMPolicyAlarm"},
      // metrics::MetricFilter::Compile, behind the resource's path
      {"DefaultValueWithDimensions",
       Filter({{"MetricTransformations",
                "[{MetricNamespace: N, MetricName: M, MetricValue: 1, DefaultValue: 0, "
                "Dimensions: [{Key: User, Value: $.userIdentity.userName}]}]"}}),
       FilterError("MetricTransformations[0].DefaultValue: dimensions and default value are "
                   "mutually exclusive properties")},
      {"BadMetricName",
       Filter({{"MetricTransformations",
                "[{MetricNamespace: N, MetricName: 'a:b', MetricValue: 1}]"}}),
       FilterError("MetricTransformations[0].MetricName: must not contain ':', '*' or '$'")},
      {"BadUnit",
       Filter({{"MetricTransformations",
                "[{MetricNamespace: N, MetricName: M, MetricValue: 1, Unit: Furlongs}]"}}),
       FilterError("MetricTransformations[0].Unit: 'Furlongs' is not a CloudWatch StandardUnit")},
      {"BadLogGroupName", Filter({{"LogGroupName", "'my group'"}}),
       FilterError("LogGroupName: must match the pattern [\\.\\-_/#A-Za-z0-9]+")},
      {"BadFilterName", Filter({{"FilterName", "'a:b'"}}),
       FilterError("FilterName: must not contain ':' or '*'")},
      // the template's own metric filter rules
      {"TwoTransformations",
       Filter({{"MetricTransformations",
                "[{MetricNamespace: N, MetricName: M, MetricValue: 1}, "
                "{MetricNamespace: N, MetricName: M2, MetricValue: 1}]"}}),
       FilterError("MetricTransformations: must contain exactly one transformation")},
      {"NoTransformations", Filter({{"MetricTransformations", "[]"}}),
       FilterError("MetricTransformations: must contain exactly one transformation")},
      {"MissingPattern", Filter({{"FilterPattern", ""}}),
       FilterError("FilterPattern: required property is missing")},
      {"MissingMetricValue",
       Filter({{"MetricTransformations", "[{MetricNamespace: N, MetricName: M}]"}}),
       FilterError("MetricTransformations[0].MetricValue: required property is missing")},
      {"UnknownTransformationProperty",
       Filter({{"MetricTransformations",
                "[{MetricNamespace: N, MetricName: M, MetricValue: 1, Value: 2}]"}}),
       FilterError("MetricTransformations[0].Value: unknown property of a MetricTransformation")},
      {"DefaultValueNotNumber",
       Filter({{"MetricTransformations",
                "[{MetricNamespace: N, MetricName: M, MetricValue: 1, DefaultValue: none}]"}}),
       FilterError("MetricTransformations[0].DefaultValue: must be a number, not 'none'")},
      {"DuplicateFilterName",
       Filter({},
              "  Filter2:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
              "      FilterName: f\n      LogGroupName: CloudTrail/DefaultLogGroup\n"
              "      FilterPattern: ''\n      MetricTransformations:\n"
              "        - {MetricNamespace: N, MetricName: M, MetricValue: 1}\n"),
       "Resources.Filter2.Properties.FilterName: 'f' is also the name of Resources.Filter in log "
       "group 'CloudTrail/DefaultLogGroup'"},
      // log groups
      {"Retention", OneResource("Group", "AWS::Logs::LogGroup", {{"RetentionInDays", "10"}}),
       "Resources.Group.Properties.RetentionInDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, "
       "120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"},
      {"LogGroupName", OneResource("Group", "AWS::Logs::LogGroup", {{"LogGroupName", "'a:b'"}}),
       "Resources.Group.Properties.LogGroupName: must match the pattern [\\.\\-_/#A-Za-z0-9]+"},
      {"DuplicateLogGroup",
       OneResource("A", "AWS::Logs::LogGroup", {{"LogGroupName", "g"}}) +
           "  B:\n    Type: AWS::Logs::LogGroup\n    Properties: {LogGroupName: g}\n",
       "Resources.B.Properties.LogGroupName: 'g' is also the name of Resources.A"},
      // SNS
      {"TopicName", OneResource("Topic", "AWS::SNS::Topic", {{"TopicName", "'my topic'"}}),
       "Resources.Topic.Properties.TopicName: 'my topic' is not a valid topic name (1-256 "
       "characters of A-Z a-z 0-9 - _)"},
      {"Fifo", OneResource("Topic", "AWS::SNS::Topic", {{"FifoTopic", "true"}}),
       "Resources.Topic.Properties.FifoTopic: FIFO topics are not supported by trailwatch"},
      {"InlineSubscriptionProtocol",
       OneResource("Topic", "AWS::SNS::Topic", {{"Subscription", "[{Endpoint: a@b.c}]"}}),
       "Resources.Topic.Properties.Subscription[0].Protocol: required property is missing"},
      {"Protocol",
       OneResource("Sub", "AWS::SNS::Subscription",
                   {{"TopicArn", "!Ref Topic"}, {"Protocol", "pigeon"}, {"Endpoint", "x"}}, topic),
       "Resources.Sub.Properties.Protocol: 'pigeon' is not an SNS protocol (http, https, email, "
       "email-json, sms, sqs, application, lambda, firehose) or slack"},
      {"SlackEndpoint",
       OneResource(
           "Sub", "AWS::SNS::Subscription",
           {{"TopicArn", "!Ref Topic"}, {"Protocol", "slack"}, {"Endpoint", "hooks.slack.com"}},
           topic),
       "Resources.Sub.Properties.Endpoint: must be the https:// URL of an incoming webhook for "
       "protocol slack"},
      {"TopicSignatureVersion",
       OneResource("Topic", "AWS::SNS::Topic", {{"SignatureVersion", "'3'"}}),
       "Resources.Topic.Properties.SignatureVersion: must be 1 or 2"},
      {"TopicDeliveryPolicy",
       OneResource("Topic", "AWS::SNS::Topic",
                   {{"DeliveryPolicy", "{http: {defaultHealthyRetryPolicy: {numRetries: 101}}}"}}),
       "Resources.Topic.Properties.DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must "
       "be "
       "less than or equal to 100"},
      {"SubscriptionDeliveryPolicy",
       OneResource("Sub", "AWS::SNS::Subscription",
                   {{"TopicArn", "!Ref Topic"},
                    {"Protocol", "https"},
                    {"Endpoint", "https://example.com/hook"},
                    {"DeliveryPolicy", "{healthyRetryPolicy: {backoffFunction: cubic}}"}},
                   topic),
       "Resources.Sub.Properties.DeliveryPolicy: healthyRetryPolicy.backoffFunction: the value "
       "[cubic] is not a valid backoff function (linear, arithmetic, geometric or exponential)"},
      {"EmailEndpoint",
       OneResource("Sub", "AWS::SNS::Subscription",
                   {{"TopicArn", "!Ref Topic"}, {"Protocol", "email"}, {"Endpoint", "nobody"}},
                   topic),
       "Resources.Sub.Properties.Endpoint: 'nobody' is not an e-mail address"},
      {"HttpsEndpoint",
       OneResource("Topic", "AWS::SNS::Topic",
                   {{"Subscription", "[{Protocol: https, Endpoint: 'http://x'}]"}}),
       "Resources.Topic.Properties.Subscription[0].Endpoint: must be a https:// URL for protocol "
       "https"},
      {"RawMessageDelivery",
       OneResource("Sub", "AWS::SNS::Subscription",
                   {{"TopicArn", "!Ref Topic"},
                    {"Protocol", "sqs"},
                    {"Endpoint", "arn:aws:sqs:us-east-1:1:q"},
                    {"RawMessageDelivery", "yes"}},
                   topic),
       "Resources.Sub.Properties.RawMessageDelivery: must be true or false, not 'yes'"},
      // references
      {"UnknownRef", Alarm({{"AlarmActions", "[!Ref Topc]"}}),
       AlarmError("AlarmActions[0]: Ref: 'Topc' is not a parameter, pseudo parameter or "
                  "resource of the template")},
      {"UnknownPseudo", Alarm({{"AlarmDescription", "!Ref AWS::Regions"}}),
       AlarmError("AlarmDescription: Ref: unknown pseudo parameter AWS::Regions")},
      {"GetAttUnknownResource", Alarm({{"AlarmDescription", "!GetAtt Nope.Arn"}}),
       AlarmError("AlarmDescription: Fn::GetAtt: 'Nope' is not a resource of the template")},
      {"GetAttUnknownAttribute", Alarm({{"AlarmActions", "[!GetAtt Topic.Arn]"}}, topic),
       AlarmError("AlarmActions[0]: Fn::GetAtt Topic.Arn: AWS::SNS::Topic has no attribute "
                  "'Arn' (TopicArn, TopicName)")},
      {"GetAttOfSkipped",
       Alarm({{"AlarmDescription", "!GetAtt Role.Arn"}}, "  Role:\n    Type: AWS::IAM::Role\n"),
       AlarmError("AlarmDescription: Fn::GetAtt Role.Arn: trailwatch has no value for "
                  "AWS::IAM::Role resources")},
      {"SubUnknownVariable", Alarm({{"AlarmDescription", "!Sub 'x ${Nope}'"}}),
       AlarmError("AlarmDescription: Fn::Sub: ${Nope} is not a variable, parameter, pseudo "
                  "parameter or resource")},
      {"SubUnterminated", Alarm({{"AlarmDescription", "!Sub 'x ${AWS::Region'"}}),
       AlarmError("AlarmDescription: Fn::Sub: unterminated ${ in 'x ${AWS::Region'")},
      {"SubOfList",
       "Parameters:\n  L: {Type: CommaDelimitedList, Default: 'a,b'}\n" +
           Alarm({{"AlarmDescription", "!Sub '${L}'"}}),
       AlarmError("AlarmDescription: Fn::Sub: ${L} is a list, not a string")},
      {"JoinShape", Alarm({{"AlarmDescription", "!Join [a, b]"}}),
       AlarmError("AlarmDescription: Fn::Join: expected [delimiter, [values]]")},
      {"SelectRange", Alarm({{"AlarmDescription", "!Select [3, [a, b]]"}}),
       AlarmError("AlarmDescription: Fn::Select: index 3 is out of range (2 values)")},
      {"FindInMapMissing",
       "Mappings:\n  M: {a: {b: c}}\n" + Alarm({{"AlarmDescription", "!FindInMap [M, a, x]"}}),
       AlarmError("AlarmDescription: Fn::FindInMap: mapping 'M'.a has no key 'x'")},
      {"If", Alarm({{"AlarmDescription", "!If [C, a, b]"}}),
       AlarmError("AlarmDescription: Fn::If is not supported by trailwatch")},
      {"ImportValueLongForm", Alarm({{"AlarmDescription", "{'Fn::ImportValue': x}"}}),
       AlarmError("AlarmDescription: Fn::ImportValue is not supported by trailwatch")},
      {"UnknownTag", Alarm({{"AlarmDescription", "!Foo x"}}),
       AlarmError("AlarmDescription: unknown YAML tag !Foo")},
      {"CircularNames",
       Alarm({{"AlarmName", "!Sub '${Topic.TopicName}-alarm'"}},
             "  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
             "      TopicName: !Ref IAMPolicyAlarm\n"),
       "Resources.Topic.Properties.TopicName: circular reference: the name depends on itself"},
      // parameters
      {"NoDefault", "Parameters:\n  Email: {Type: String}\n" + Alarm({}),
       "Parameters.Email: no value: the parameter has no Default and none was given"},
      {"NumberParameter",
       "Parameters:\n  P: {Type: Number, Default: five}\n" + Alarm({{"Period", "!Ref P"}}),
       "Parameters.P: 'five' is not a number"},
      {"ParameterType", "Parameters:\n  P: {Type: Strin, Default: x}\n" + Alarm({}),
       "Parameters.P.Type: unknown parameter type 'Strin'"},
      {"SsmParameter",
       "Parameters:\n  P: {Type: 'AWS::SSM::Parameter::Value<String>', Default: x}\n" + Alarm({}),
       "Parameters.P.Type: AWS::SSM::Parameter::Value<String> is not supported by trailwatch "
       "(no SSM)"},
      {"ParameterProperty",
       "Parameters:\n  P: {Type: String, Default: x, Defualt: y}\n" + Alarm({}),
       "Parameters.P.Defualt: unknown property of a parameter"},
      {"MaxLength", "Parameters:\n  P: {Type: String, Default: abcd, MaxLength: 3}\n" + Alarm({}),
       "Parameters.P: 'abcd' is longer than MaxLength 3"},
      // template structure
      {"UnknownSection", "Resource:\n  A: {Type: AWS::SNS::Topic}\n",
       "Resource: unknown template section"},
      {"NoResources", "Parameters: {}\n", "Resources: required section is missing"},
      {"EmptyResources", "Resources: {}\n", "Resources: must be a map of at least one resource"},
      {"Conditions", "Conditions:\n  C: !Equals [a, b]\n" + Alarm({}),
       "Conditions: not supported by trailwatch"},
      {"ResourceCondition", Alarm({}, "    Condition: C\n"),
       "Resources.IAMPolicyAlarm.Condition: not supported by trailwatch"},
      {"Transform", "Transform: AWS::Serverless-2016-10-31\n" + Alarm({}),
       "Transform: not supported by trailwatch"},
      {"FormatVersion", "AWSTemplateFormatVersion: 2011-01-01\n" + Alarm({}),
       "AWSTemplateFormatVersion: must be 2010-09-09"},
      {"LogicalId", OneResource("My-Topic", "AWS::SNS::Topic", {}),
       "Resources.My-Topic: a logical ID must be alphanumeric (A-Z a-z 0-9)"},
      {"MissingType", "Resources:\n  A:\n    Properties: {TopicName: x}\n",
       "Resources.A.Type: required attribute is missing"},
      {"ResourceAttribute", Alarm({}, "    DependOn: X\n"),
       "Resources.IAMPolicyAlarm.DependOn: unknown resource attribute"},
      {"DependsOn", Alarm({}, "    DependsOn: [Nope]\n"),
       "Resources.IAMPolicyAlarm.DependsOn: 'Nope' is not a resource of the template"},
      {"DuplicateLogicalId", Alarm({}, "  IAMPolicyAlarm:\n    Type: AWS::SNS::Topic\n"),
       "Resources.IAMPolicyAlarm: duplicate logical ID"},
      {"ParameterAndResource",
       "Parameters:\n  IAMPolicyAlarm: {Type: String, Default: x}\n" + Alarm({}),
       "Resources.IAMPolicyAlarm: a resource and a parameter have the same name"},
      {"PropertiesNotMap", "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties: [x]\n",
       "Resources.A.Properties: must be a map"},
      {"NotAMap", "- a\n- b\n", "test.yaml: a template must be a YAML or JSON map"},
      {"Empty", "", "test.yaml: a template must be a YAML or JSON map"},
  };
}

TEST(TemplateErrors, OneTemplatePerRule) {
  for (const BadTemplate& bad : BadTemplates()) {
    EXPECT_EQ(ErrorOf(bad.text), bad.message) << bad.name << ":\n" << bad.text;
    Result<Configuration> config = Parse(bad.text);
    if (!config.ok()) {
      EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << bad.name;
    }
  }
}

TEST(TemplateErrors, FilterPatternErrorsComeFromThePatternCompiler) {
  std::string message = ErrorOf(Filter({{"FilterPattern", "'{ $.eventName = '"}}));
  EXPECT_TRUE(message.starts_with(FilterError("FilterPattern: Invalid metric filter pattern. Column ")))
      << message;
}

TEST(TemplateErrors, OverrideOfUndeclaredParameter) {
  TemplateContext context;
  context.parameters = {{"Nope", "x"}};
  EXPECT_EQ(ErrorOf(Alarm({}), context),
            "Parameters: 'Nope' was given a value but is not declared in the template");
}

TEST(TemplateErrors, YamlSyntaxErrorNamesLineAndColumn) {
  Result<Configuration> config = Parse("Resources:\n  A:\n    Type: [AWS::SNS::Topic\n  B: x\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "test.yaml:4:4: end of sequence flow not found");

  config = Parse("{\"Resources\": {\"A\": {\"Type\": \"AWS::SNS::Topic\"}}");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(config.status().message().starts_with("test.yaml:1:")) << config.status().message();
}

TEST(TemplateErrors, MissingFile) {
  Result<Configuration> config = LoadTemplate("/nonexistent/template.yaml", TemplateContext());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kIo);
  EXPECT_EQ(config.status().message(), "/nonexistent/template.yaml: No such file or directory");
}

TEST(TemplateErrors, DeepNestingIsRefusedNotOverflowed) {
  std::string deep = "[";
  for (int i = 0; i < 200; ++i) deep += "[";
  deep += "x";
  for (int i = 0; i < 201; ++i) deep += "]";
  std::string message = ErrorOf(Alarm({{"AlarmDescription", deep}}));
  std::string path = std::string(kAlarmPath) + "AlarmDescription";
  for (int i = 0; i < 64; ++i) path += "[0]";
  EXPECT_EQ(message, path + ": nested more than 64 levels deep");
}

// ------------------------------------------------------------------ limits
//
// Issue 12: no template may take the process's memory, stack or minutes.
// Each test says what the code before the limits did with its template.

constexpr std::size_t kMaxTemplateBytes = 1048576;
constexpr const char* kNoSuchExpansion = "; CloudFormation templates need no such expansion";

// `levels` anchors a0..a<levels-1>, one per line after `indent`, each a list
// of `width` aliases of the one before; a0 holds `width` copies of `leaf`.
// The last anchor expands to width^levels leaves.
std::string Anchors(int levels, int width, const std::string& leaf, const std::string& indent) {
  std::string out;
  for (int level = 0; level < levels; ++level) {
    out += indent + "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < width; ++i) {
      if (i > 0) out += ", ";
      out += level == 0 ? leaf : "*a" + std::to_string(level - 1);
    }
    out += "]\n";
  }
  return out;
}

// A topic whose Tags hold the Anchors.
std::string AliasBomb(int levels, int width, const std::string& leaf) {
  return "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags:\n"
         "        - Key: bomb\n          Value:\n" +
         Anchors(levels, width, leaf, "            ");
}

// `text` grown to exactly `size` bytes by a trailing YAML comment.
std::string PaddedTo(std::string text, std::size_t size) {
  text += "#";
  text.resize(size, 'x');
  return text;
}

TEST(TemplateLimits, TextOverOneMebibyteIsRefusedBeforeParsing) {
  // Before: any size was parsed; this one loaded.
  const std::string base = OneResource("T", "AWS::SNS::Topic", {{"TopicName", "t"}});
  Result<Configuration> config = Parse(PaddedTo(base, kMaxTemplateBytes + 1));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(config.status().message(),
            "test.yaml: the template is 1048577 bytes; trailwatch reads templates of at most "
            "1048576 bytes (CloudFormation's limit for templates in S3)");
  // The limit itself is allowed, and checked before the YAML: broken YAML
  // over the limit gets the size error, not a syntax error.
  EXPECT_EQ(ErrorOf(PaddedTo(base, kMaxTemplateBytes)), "OK");
  EXPECT_EQ(ErrorOf(std::string(kMaxTemplateBytes + 1, '[')).substr(0, 39),
            "test.yaml: the template is 1048577 byte");
}

TEST(TemplateLimits, FileOverOneMebibyteIsRefusedUnread) {
  // Before: read whole and parsed (and /dev/zero read until memory ran out:
  // tests/security/template_limits_test.cc tries that, in bounded memory);
  // a directory was read as an empty template: "a template must be a YAML
  // or JSON map".
  const std::string path = ::testing::TempDir() + "template_limits_big.yaml";
  {
    std::ofstream out(path, std::ios::binary);
    out << PaddedTo(OneResource("T", "AWS::SNS::Topic", {{"TopicName", "t"}}),
                    kMaxTemplateBytes + 1);
  }
  Result<Configuration> config = LoadTemplate(path, TemplateContext());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(config.status().message(),
            path +
                ": the template is 1048577 bytes; trailwatch reads templates of at most "
                "1048576 bytes (CloudFormation's limit for templates in S3)");
  std::filesystem::remove(path);

  config = LoadTemplate(::testing::TempDir(), TemplateContext());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kIo);
  EXPECT_EQ(config.status().message(), ::testing::TempDir() + ": is a directory");
}

TEST(TemplateLimits, AliasBombStopsAtAMillionNodes) {
  // Before: 10^6 leaves and their lists, 1.1 million Values with their
  // paths, were built (hundreds of MB, seconds) and the template loaded.
  // (Nine levels ran to std::bad_alloc; that one runs in a child process
  // with a memory limit, in tests/security/template_limits_test.cc.)
  Result<Configuration> config = Parse(AliasBomb(6, 10, "lol"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(config.status().message(),
            std::string("test.yaml: Resources.Topic.Properties: YAML aliases expand to more "
                        "than 1000000 nodes (an alias bomb?)") +
                kNoSuchExpansion);
}

TEST(TemplateLimits, AliasBombOfLongTextStopsAtSixteenMebibytes) {
  // 10^4 leaves of 2 KB: few nodes, 20 MB of text. Before: loaded.
  Result<Configuration> config = Parse(AliasBomb(4, 10, std::string(2000, 'x')));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(config.status().message(),
            std::string("test.yaml: Resources.Topic.Properties: YAML aliases expand to more than "
                        "16777216 bytes (an alias bomb?)") +
                kNoSuchExpansion);
}

TEST(TemplateLimits, AliasesInParametersAreBoundedToo) {
  // Before: a parameter declaration was converted without any bound: the
  // self-referencing alias recursed until the stack overflowed (SIGSEGV),
  // and the bomb was built (1.1 million Values) before the load went on.
  std::string cyclic =
      "Parameters:\n  P:\n    Type: String\n    Default: x\n    Description: &a [*a]\n" +
      OneResource("T", "AWS::SNS::Topic", {});
  std::string path = "Parameters.P.Description";
  for (int i = 0; i < 64; ++i) path += "[0]";
  EXPECT_EQ(ErrorOf(cyclic), path + ": nested more than 64 levels deep");

  std::string bomb = "Parameters:\n  P:\n    Type: String\n    Default: x\n    Description:\n" +
                     Anchors(6, 10, "x", "      ") + OneResource("T", "AWS::SNS::Topic", {});
  EXPECT_EQ(ErrorOf(bomb), std::string("test.yaml: Parameters.P: YAML aliases expand to more "
                                       "than 1000000 nodes (an alias bomb?)") +
                               kNoSuchExpansion);
}

TEST(TemplateLimits, AFewAnchorsReusedAcrossAlarmsStillLoad) {
  // The way people share settings between alarms in YAML.
  constexpr const char* kTemplate = R"(Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: alerts}
  RootUsage:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: root-usage
      Namespace: &namespace CloudTrailMetrics
      MetricName: RootUsageCount
      Statistic: &statistic Sum
      Period: &period 300
      EvaluationPeriods: &periods 1
      Threshold: &threshold 1
      ComparisonOperator: &operator GreaterThanOrEqualToThreshold
      TreatMissingData: &missing notBreaching
      AlarmActions: &actions [!Ref Topic]
      OKActions: *actions
  PolicyChanges:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: policy-changes
      Namespace: *namespace
      MetricName: PolicyChangeCount
      Statistic: *statistic
      Period: *period
      EvaluationPeriods: *periods
      Threshold: *threshold
      ComparisonOperator: *operator
      TreatMissingData: *missing
      AlarmActions: *actions
)";
  Configuration config = MustParse(kTemplate);
  ASSERT_EQ(config.alarms.size(), 2u);
  for (const AlarmConfig& alarm : config.alarms) {
    EXPECT_EQ(alarm.spec.metric_namespace, "CloudTrailMetrics");
    EXPECT_EQ(alarm.spec.statistic, "Sum");
    EXPECT_EQ(alarm.spec.period, std::chrono::seconds(300));
    EXPECT_EQ(alarm.spec.threshold, 1);
    EXPECT_EQ(alarm.spec.alarm_actions,
              std::vector<std::string>{"arn:aws:sns:us-east-1:000000000000:alerts"});
  }
  EXPECT_EQ(config.alarms[0].spec.ok_actions, config.alarms[0].spec.alarm_actions);
  EXPECT_TRUE(config.alarms[1].spec.ok_actions.empty());
}

// A topic whose Tags list holds `items` (YAML flow text), after `parameters`.
std::string TopicTags(const std::string& parameters, const std::string& items) {
  return parameters + "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n" +
         "      Tags: [" + items + "]\n";
}

std::string Repeated(const std::string& item, int count, const std::string& separator = ", ") {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i > 0 ? separator : "") + item;
  return out;
}

TEST(TemplateLimits, IntrinsicFunctionsCannotMultiplyALongValue) {
  // Each of these loaded before, after building tens of MB (or, scaled up
  // to the size limit, hundreds of GB).
  const std::string long_parameter =
      "Parameters:\n  P: {Type: String, Default: " + std::string(4000, 'x') + "}\n";
  auto function_error = [](const std::string& path, const std::string& function,
                           const std::string& amount) {
    return "test.yaml: " + path + ": " + function +
           ": the template's functions expand to more than " + amount + kNoSuchExpansion;
  };
  // 5,000 substitutions of 4,000 bytes: 20 MB of text from 25 KB.
  EXPECT_EQ(ErrorOf(TopicTags(long_parameter, "!Sub '" + Repeated("${P}", 5000, "") + "'")),
            function_error("Resources.T.Properties.Tags[0]", "Fn::Sub", "16777216 bytes"));
  // A 4,000-byte delimiter between 5,000 values.
  EXPECT_EQ(ErrorOf(TopicTags(long_parameter, "!Join [!Ref P, [" + Repeated("a", 5000) + "]]")),
            function_error("Resources.T.Properties.Tags[0]", "Fn::Join", "16777216 bytes"));
  // A 300,000-item list parameter referred to four times.
  const std::string list_parameter = "Parameters:\n  L: {Type: CommaDelimitedList, Default: '" +
                                     Repeated("a", 300000, ",") + "'}\n";
  EXPECT_EQ(ErrorOf(TopicTags(list_parameter, Repeated("!Ref L", 4))),
            function_error("Resources.T.Properties.Tags[3]", "Ref", "1000000 nodes"));
  // The same text split four times.
  const std::string text_parameter =
      "Parameters:\n  S: {Type: String, Default: '" + Repeated("a", 300000, ",") + "'}\n";
  EXPECT_EQ(ErrorOf(TopicTags(text_parameter, Repeated("!Split [',', !Ref S]", 4))),
            function_error("Resources.T.Properties.Tags[3]", "Fn::Split", "1000000 nodes"));
  // A 100,000-item mapping entry looked up ten times.
  const std::string mappings =
      "Mappings:\n  M:\n    K:\n      V: [" + Repeated("a", 100000) + "]\n";
  EXPECT_EQ(ErrorOf(TopicTags(mappings, Repeated("!FindInMap [M, K, V]", 10))),
            function_error("Resources.T.Properties.Tags[9]", "Fn::FindInMap", "1000000 nodes"));
}

TEST(TemplateLimits, NestingBeyondTheYamlParsersLimitGetsAClearError) {
  // Before: yaml-cpp's own guard answered "bad file". 100,000 levels, as a
  // flow list, a flow map, a JSON document and a block list.
  constexpr int kLevels = 100000;
  auto nested = [](const std::string& open, const std::string& leaf, const std::string& close) {
    std::string out;
    for (int i = 0; i < kLevels; ++i) out += open;
    out += leaf;
    for (int i = 0; i < kLevels; ++i) out += close;
    return out;
  };
  const std::string message =
      ": collections nested more than 499 levels deep; CloudFormation templates need no such "
      "nesting";
  EXPECT_EQ(ErrorOf("Resources: " + nested("[", "x", "]")), "test.yaml:1:200013" + message);
  EXPECT_EQ(ErrorOf("Resources: " + nested("{a: ", "x", "}")), "test.yaml:1:2003" + message);
  EXPECT_EQ(ErrorOf("{\"Resources\": " + nested("{\"a\": ", "1", "}") + "}"),
            "test.yaml:1:1" + message);  // yaml-cpp's mark for JSON
  EXPECT_EQ(ErrorOf("Resources:\n  " + nested("- ", "x", "")), "test.yaml:2:1000" + message);
}

TEST(TemplateLimits, LongNamesAreCheckedWithoutRecursion) {
  // Before: std::regex recursed once per character: a 200,000-character
  // logical ID (an explicit YAML key) overflowed the stack (SIGSEGV).
  const std::string long_id(200000, 'A');
  EXPECT_EQ(ErrorOf("Resources:\n  ? " + long_id + "\n  : {Type: AWS::SNS::Topic}\n"),
            "Resources: the logical ID '" + std::string(32, 'A') +
                "'... is 200000 characters; CloudFormation allows at most 255");
  // 255 is CloudFormation's limit for a logical ID. Before: 256 loaded.
  EXPECT_EQ(ErrorOf(OneResource(std::string(255, 'A'), "AWS::SNS::Topic", {})), "OK");
  EXPECT_EQ(ErrorOf(OneResource(std::string(256, 'A'), "AWS::SNS::Topic", {})),
            "Resources: the logical ID '" + std::string(32, 'A') +
                "'... is 256 characters; CloudFormation allows at most 255");
  EXPECT_EQ(ErrorOf(OneResource("T", "AWS::SNS::Topic", {{"TopicName", std::string(300, 'a')}})),
            "Resources.T.Properties.TopicName: '" + std::string(300, 'a') +
                "' is not a valid topic name (1-256 characters of A-Z a-z 0-9 - _)");
}

TEST(TemplateLimits, AllowedPatternMatchesInLinearTime) {
  auto with_pattern = [](const std::string& pattern, const std::string& value) {
    return "Parameters:\n  P:\n    Type: String\n    AllowedPattern: '" + pattern +
           "'\n    Default: '" + value + "'\n" + OneResource("T", "AWS::SNS::Topic", {});
  };
  // Before: std::regex overflowed the stack on a 100,000-character value
  // (SIGSEGV) ...
  EXPECT_EQ(ErrorOf(with_pattern(".*", std::string(100000, 'x'))), "OK");
  // ... and on 50,000 nested groups in the pattern ...
  EXPECT_EQ(ErrorOf(with_pattern(std::string(50000, '(') + "x" + std::string(50000, ')'), "x")),
            "OK");
  // ... and backtracked without end on this one (about 1.6^n ways to split
  // n a's: hours for 60).
  EXPECT_EQ(
      ErrorOf(with_pattern("(a|aa)*c", std::string(60, 'a'))),
      "Parameters.P: '" + std::string(60, 'a') + "' does not match the AllowedPattern '(a|aa)*c'");
  // The whole value must match, as in CloudFormation.
  EXPECT_EQ(ErrorOf(with_pattern("[a-z]+", "abc1")),
            "Parameters.P: 'abc1' does not match the AllowedPattern '[a-z]+'");
}

TEST(TemplateLimits, LongNumbersInJsonPropertiesDoNotRecurse) {
  // Before: telling whether a plain scalar was a JSON number (to write the
  // map back as JSON) used std::regex, which overflowed the stack on 200,000
  // digits (SIGSEGV). Now the JSON reaches the policy parser, which names
  // the member it does not know.
  const std::string digits(200000, '1');
  EXPECT_EQ(ErrorOf(OneResource("T", "AWS::SNS::Topic",
                                {{"DeliveryPolicy", "{http: {}, x: 0." + digits + "}"}})),
            "Resources.T.Properties.DeliveryPolicy: Unexpected JSON member: x");
}

}  // namespace
}  // namespace tw::server
