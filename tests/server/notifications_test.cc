// The SNS side of a configuration and what a transition publishes
// (server/notifications.h), on a real data directory.

#include "server/notifications.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "server/evaluation.h"
#include "server/template.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kTemplate = R"(
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
      DisplayName: Alerts
      SignatureVersion: "2"
      DeliveryPolicy:
        http:
          defaultHealthyRetryPolicy: {numRetries: 1, minDelayTarget: 5, maxDelayTarget: 5}
      Subscription:
        - {Protocol: email, Endpoint: ops@example.com}
        - {Protocol: sqs, Endpoint: "arn:aws:sqs:us-east-1:000000000000:q"}
  Hook:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: slack
      Endpoint: https://hooks.slack.example/services/T/B/X
      DeliveryPolicy: {healthyRetryPolicy: {numRetries: 2, minDelayTarget: 1, maxDelayTarget: 1}}
  Raw:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: https
      Endpoint: https://example.com/raw
      RawMessageDelivery: true
)";

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-notifier-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    NotifierOptions options;
    options.data_dir = dir_ + "/data";
    Result<std::unique_ptr<Notifier>> n = Notifier::Open(options, &clock_);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    notifier_ = std::move(n).value();
    Result<Configuration> config = ParseTemplate(kTemplate, "t.yaml", {});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = std::move(config).value();
  }
  void TearDown() override {
    notifier_.reset();
    fs::remove_all(dir_);
  }

  ManualClock clock_{*ParseTimestamp("2024-03-01T12:00:00Z")};
  std::string dir_;
  std::unique_ptr<Notifier> notifier_;
  Configuration config_;
};

TEST_F(NotifierTest, TemplateTopicsAndSubscriptionsAreAppliedConfirmed) {
  EXPECT_EQ(config_.topics[0].signature_version, "2");
  EXPECT_EQ(
      Json::parse(
          config_.topics[0].delivery_policy)["http"]["defaultHealthyRetryPolicy"]["numRetries"],
      1);
  std::vector<std::string> warnings;
  ASSERT_TRUE(notifier_->ApplyConfiguration(config_, &warnings).ok());
  EXPECT_EQ(warnings, std::vector<std::string>{"a Subscription of alerts: protocol sqs is not "
                                               "delivered by trailwatch; skipped"});
  notify::Sns& sns = notifier_->sns();
  Result<notify::Topic> topic = sns.GetTopic("arn:aws:sns:us-east-1:000000000000:alerts");
  ASSERT_TRUE(topic.ok());
  EXPECT_EQ(topic->display_name(), "Alerts");
  EXPECT_EQ(topic->attributes.at("SignatureVersion"), "2");
  Result<std::vector<notify::Subscription>> subs = sns.ListSubscriptions(topic->arn);
  ASSERT_TRUE(subs.ok());
  ASSERT_EQ(subs->size(), 3u);
  for (const notify::Subscription& s : *subs) {
    EXPECT_TRUE(s.confirmed) << s.endpoint;
    EXPECT_TRUE(s.from_template);
    EXPECT_EQ(s.raw_message_delivery(), s.protocol == "https") << s.endpoint;
  }

  // Applying again (every start does) changes nothing but what changed.
  config_.topics[0].display_name = "Security";
  warnings.clear();
  ASSERT_TRUE(notifier_->ApplyConfiguration(config_, &warnings).ok());
  subs = sns.ListSubscriptions(topic->arn);
  ASSERT_TRUE(subs.ok());
  EXPECT_EQ(subs->size(), 3u);
  EXPECT_EQ(sns.GetTopic(topic->arn)->display_name(), "Security");
  // No confirmation requests for template subscriptions.
  notify::Outbox outbox(&notifier_->db());
  Result<notify::OutboxCounts> counts = outbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
}

TEST_F(NotifierTest, ATransitionPublishesToEachTopicOnceAndWarnsAboutTheRest) {
  std::vector<std::string> warnings;
  ASSERT_TRUE(notifier_->ApplyConfiguration(config_, &warnings).ok());
  warnings.clear();
  alarm::AlarmSpec spec;
  spec.alarm_name = "Root";
  spec.alarm_arn = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:Root";
  spec.metric_namespace = "CloudTrailMetrics";
  spec.metric_name = "RootUsage";
  spec.statistic = "Sum";
  const std::string topic = "arn:aws:sns:us-east-1:000000000000:alerts";
  spec.alarm_actions = {topic, topic, "arn:aws:sns:us-east-1:000000000000:missing",
                        "arn:aws:automate:us-east-1:ec2:stop"};
  TransitionFacts facts;
  facts.old_state = alarm::StateValue::kOk;
  facts.new_state.value = alarm::StateValue::kAlarm;
  facts.new_state.reason = "Threshold Crossed";
  facts.new_state.updated = clock_.Now();
  notify::AlarmChange change =
      DescribeAlarmChange(spec, facts, "us-east-1", "000000000000",
                          ConsoleAlarmUrl("http://127.0.0.1:4566", spec.alarm_name));
  Result<std::vector<std::string>> ids =
      notifier_->PublishTransition(change, spec.alarm_actions, &warnings);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(ids->size(), 1u);
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "alarm Root: topic arn:aws:sns:us-east-1:000000000000:missing does not exist; "
                "nothing sent",
                "alarm Root: action arn:aws:automate:us-east-1:ec2:stop is not an SNS topic; "
                "trailwatch runs SNS actions only"}));
  notify::Outbox outbox(&notifier_->db());
  Result<std::vector<notify::Delivery>> rows = outbox.List({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);  // email, slack, https (raw)
  for (const notify::Delivery& d : *rows) {
    EXPECT_EQ(d.item.message_id, ids->front());
    EXPECT_EQ(d.item.origin,
              "alarm:arn:aws:cloudwatch:us-east-1:000000000000:alarm:Root@2024-03-01T12:00:00Z");
    EXPECT_EQ(d.item.subject, "ALARM: \"Root\" in US East (N. Virginia)");
    if (d.item.protocol == "slack") {
      EXPECT_EQ(d.item.retry_delays, (std::vector<std::chrono::seconds>{std::chrono::seconds(1),
                                                                        std::chrono::seconds(1)}));
    }
    if (d.item.protocol == "https") {
      // The topic's policy: its own is not set.
      EXPECT_EQ(d.item.retry_delays, std::vector<std::chrono::seconds>{std::chrono::seconds(5)});
    }
  }
}

// The first line of a shared CloudTrail file that contains `needle`.
std::string SharedRecord(const std::string& file, const std::string& needle) {
  std::ifstream in(std::string(TW_SHARED_DIR) + "/data/cloudtrail/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  ADD_FAILURE() << "no record with " << needle << " in " << file;
  return "";
}

// Real sign-in failures: one says so in errorMessage, one (a root login)
// only in responseElements. Neither may read "succeeded".
TEST(DescribeEventTest, SignInFailuresFromRealRecordsAreFailures) {
  notify::EvidenceLine failed = DescribeEvent(
      SharedRecord("panther-analysis/rule_test_events.jsonl", "Failed authentication"));
  EXPECT_EQ(failed.error_code, "");
  EXPECT_EQ(failed.error_message, "Failed authentication");
  EXPECT_EQ(failed.response_failure, "ConsoleLogin: Failure");
  EXPECT_EQ(failed.Failure(), "Failed authentication");
  EXPECT_EQ(failed.principal, "IAMUser anaya");

  notify::EvidenceLine root = DescribeEvent(
      SharedRecord("panther-analysis/scenario_compromised-root-creds__attacker_cloudtrail.jsonl",
                   R"("responseElements":{"ConsoleLogin":"Failure"})"));
  EXPECT_EQ(root.error_message, "");
  EXPECT_EQ(root.Failure(), "ConsoleLogin: Failure");

  notify::AlarmChange change;
  change.alarm_name = "console-sign-in-failures";
  change.region = "us-east-1";
  change.old_state = "OK";
  change.new_state = "ALARM";
  change.evidence = {failed, root};
  change.evidence_total = 2;
  notify::EmailBody mail = notify::AlarmEmail(change, "https://example.com/unsubscribe");
  EXPECT_NE(mail.text.find("- 2022-11-10T16:24:34Z  IAMUser anaya  signin.amazonaws.com "
                           "ConsoleLogin  from 192.0.2.0 (us-east-1)  Failed authentication\n"),
            std::string::npos)
      << mail.text;
  EXPECT_NE(mail.text.find("  signin.amazonaws.com ConsoleLogin  from 92.55.146.245 (us-east-1)  "
                           "ConsoleLogin: Failure\n"),
            std::string::npos)
      << mail.text;
  EXPECT_EQ(mail.text.find("succeeded"), std::string::npos);
  EXPECT_EQ(mail.html.find("succeeded"), std::string::npos);
  EXPECT_NE(mail.html.find(">Failed authentication</span>"), std::string::npos);
  Json evidence = Json::parse(notify::AlarmEvidenceJson(change));
  EXPECT_EQ(evidence["events"][0]["failure"], "Failed authentication");
  EXPECT_EQ(evidence["events"][0]["errorMessage"], "Failed authentication");
  EXPECT_EQ(evidence["events"][0]["errorCode"], nullptr);
  EXPECT_EQ(evidence["events"][1]["failure"], "ConsoleLogin: Failure");
}

// A bare event (no eventTime, no userIdentity, no source): the time it was
// logged stands in, and what is unknown is left out rather than dashed.
TEST(DescribeEventTest, ABareEventUsesTheLoggedTimeAndLeavesOutWhatIsUnknown) {
  const TimePoint logged = *ParseTimestamp("2024-03-01T11:57:12Z");
  notify::EvidenceLine bare = DescribeEvent(R"({"eventName":"DeletePolicy"})", logged);
  EXPECT_EQ(bare.event_time, "2024-03-01T11:57:12Z");
  notify::AlarmChange change;
  change.alarm_name = "a";
  change.region = "us-east-1";
  change.evidence = {bare};
  change.evidence_total = 1;
  notify::EmailBody mail = notify::AlarmEmail(change, "https://example.com/unsubscribe");
  EXPECT_NE(mail.text.find("\nWhat happened:\n- 2024-03-01T11:57:12Z  DeletePolicy  succeeded\n"),
            std::string::npos)
      << mail.text;
  EXPECT_EQ(DescribeEvent(R"({"eventTime":"2020-01-01T00:00:00Z"})", logged).event_time,
            "2020-01-01T00:00:00Z");
  EXPECT_EQ(DescribeEvent("not json", logged).event_time, "2024-03-01T11:57:12Z");
}

TEST(DescribeAlarmChangeTest, CarriesTheSpecAndTheTransition) {
  alarm::AlarmSpec spec;
  spec.alarm_name = "p99 latency";
  spec.alarm_description = "slow";
  spec.alarm_arn = "arn:aws:cloudwatch:eu-west-1:1:alarm:p99 latency";
  spec.metric_namespace = "App";
  spec.metric_name = "Latency";
  spec.extended_statistic = "p99";
  spec.dimensions = {{"Env", "prod"}};
  spec.period = std::chrono::seconds(60);
  spec.evaluation_periods = 3;
  spec.datapoints_to_alarm = 2;
  spec.threshold = 1.5;
  spec.comparison_operator = alarm::ComparisonOperator::kGreaterThanOrEqualToThreshold;
  spec.treat_missing_data = alarm::TreatMissingData::kBreaching;
  spec.evaluate_low_sample_count_percentile = false;
  spec.unit = "Seconds";
  spec.ok_actions = {"arn:aws:sns:eu-west-1:1:ok"};
  TransitionFacts facts;
  facts.old_state = alarm::StateValue::kInsufficientData;
  facts.new_state.value = alarm::StateValue::kAlarm;
  facts.new_state.reason = "because";
  facts.new_state.updated = *ParseTimestamp("2024-01-02T03:04:05Z");
  facts.configuration_updated = *ParseTimestamp("2024-01-01T00:00:00Z");
  facts.evidence = {{"t", "n", "s", "p", "ip", "r", "", "null"}};
  facts.evidence_total = 4;
  notify::AlarmChange c = DescribeAlarmChange(spec, facts, "eu-west-1", "1", "http://x/console");
  EXPECT_EQ(c.alarm_name, "p99 latency");
  EXPECT_EQ(c.alarm_description, "slow");
  EXPECT_EQ(c.old_state, "INSUFFICIENT_DATA");
  EXPECT_EQ(c.new_state, "ALARM");
  EXPECT_EQ(c.new_state_reason, "because");
  EXPECT_EQ(FormatIso8601(c.state_change_time), "2024-01-02T03:04:05Z");
  EXPECT_EQ(FormatIso8601(c.configuration_updated_time), "2024-01-01T00:00:00Z");
  EXPECT_EQ(c.ok_actions, spec.ok_actions);
  EXPECT_EQ(c.trigger.extended_statistic, "p99");
  EXPECT_EQ(c.trigger.unit, "Seconds");
  ASSERT_EQ(c.trigger.dimensions.size(), 1u);
  EXPECT_EQ(c.trigger.dimensions[0].name, "Env");
  EXPECT_EQ(c.trigger.comparison_operator, "GreaterThanOrEqualToThreshold");
  EXPECT_EQ(c.trigger.treat_missing_data, "breaching");
  EXPECT_EQ(c.trigger.evaluate_low_sample_count_percentile, "ignore");
  EXPECT_EQ(c.trigger.datapoints_to_alarm, 2);
  EXPECT_EQ(c.evidence_total, 4u);
  EXPECT_EQ(c.console_url, "http://x/console");
  EXPECT_EQ(ConsoleAlarmUrl("http://h:1", "a b/c"), "http://h:1/console/#/alarms/a%20b%2Fc");

  spec.alarm_description.clear();
  EXPECT_EQ(DescribeAlarmChange(spec, facts, "eu-west-1", "1", "").alarm_description, std::nullopt);
}

}  // namespace
}  // namespace tw::server
