#include "notify/alarm_message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/time.h"

namespace tw::notify {
namespace {

TimePoint At(const char* text) { return ParseTimestamp(text).value(); }

// The spec's §5.1 example alarm, with one evidence event of two.
AlarmChange SeedAlarm() {
  AlarmChange c;
  c.alarm_name = "HighErrors";
  c.alarm_description = "too many errors";
  c.account_id = "123456789012";
  c.region = "us-east-1";
  c.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighErrors";
  c.old_state = "OK";
  c.new_state = "ALARM";
  c.new_state_reason =
      "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (14/11/23 22:12:00), 9.0 (14/11/23 "
      "22:11:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM "
      "transition).";
  c.state_change_time = At("2023-11-14T22:13:20.456Z");
  c.configuration_updated_time = At("2023-11-14T22:10:00.123Z");
  c.ok_actions = {"arn:aws:sns:us-east-1:123456789012:alerts"};
  c.alarm_actions = {"arn:aws:sns:us-east-1:123456789012:alerts"};
  AlarmTrigger& t = c.trigger;
  t.metric_name = "ErrorCount";
  t.metric_namespace = "App";
  t.statistic = "Sum";
  t.unit = "Count";
  t.dimensions = {{"Env", "prod"}, {"Svc", "api"}};
  t.period = std::chrono::seconds(60);
  t.evaluation_periods = 3;
  t.datapoints_to_alarm = 2;
  t.comparison_operator = "GreaterThanThreshold";
  t.threshold = 5;
  t.treat_missing_data = "notBreaching";
  c.evidence = {{"2023-11-14T22:11:05Z", "DeleteBucket", "s3.amazonaws.com",
                 "arn:aws:iam::123456789012:user/alice", "203.0.113.5", "us-east-1", "AccessDenied",
                 R"({"bucketName":"logs","host":"logs.s3.amazonaws.com"})"}};
  c.evidence_total = 2;
  return c;
}

TEST(AlarmMessageJsonTest, SeedAlarmExactly) {
  const std::string expected =
      R"j({"AlarmName":"HighErrors","AlarmDescription":"too many errors",)j"
      R"j("AWSAccountId":"123456789012",)j"
      R"j("AlarmConfigurationUpdatedTimestamp":"2023-11-14T22:10:00.123+0000",)j"
      R"j("NewStateValue":"ALARM",)j"
      R"j("NewStateReason":"Threshold Crossed: 2 out of the last 3 datapoints [7.0 (14/11/23 )j"
      R"j(22:12:00), 9.0 (14/11/23 22:11:00)] were greater than the threshold (5.0) (minimum 2 )j"
      R"j(datapoints for OK -> ALARM transition).",)j"
      R"j("StateChangeTime":"2023-11-14T22:13:20.456+0000","Region":"US East (N. Virginia)",)j"
      R"j("AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighErrors",)j"
      R"j("OldStateValue":"OK","OKActions":["arn:aws:sns:us-east-1:123456789012:alerts"],)j"
      R"j("AlarmActions":["arn:aws:sns:us-east-1:123456789012:alerts"],)j"
      R"j("InsufficientDataActions":[],)j"
      R"j("Trigger":{"MetricName":"ErrorCount","Namespace":"App","StatisticType":"Statistic",)j"
      R"j("Statistic":"SUM","Unit":"Count",)j"
      R"j("Dimensions":[{"value":"prod","name":"Env"},{"value":"api","name":"Svc"}],)j"
      R"j("Period":60,"EvaluationPeriods":3,"DatapointsToAlarm":2,)j"
      R"j("ComparisonOperator":"GreaterThanThreshold","Threshold":5.0,)j"
      R"j("TreatMissingData":"notBreaching","EvaluateLowSampleCountPercentile":""}})j";
  std::string json = AlarmMessageJson(SeedAlarm());
  EXPECT_EQ(json, expected);

  // The same document, checked field by field through an independent parser.
  auto doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["AlarmName"], "HighErrors");
  EXPECT_EQ(doc["Trigger"]["Threshold"].get<double>(), 5.0);
  EXPECT_EQ(doc["Trigger"]["DatapointsToAlarm"], 2);
  EXPECT_EQ(doc["Trigger"]["Dimensions"][1]["name"], "Svc");
  EXPECT_EQ(doc["InsufficientDataActions"], nlohmann::json::array());
  std::vector<std::string> keys;
  auto ordered = nlohmann::ordered_json::parse(json);
  for (const auto& [key, value] : ordered.items()) keys.push_back(key);
  EXPECT_EQ(keys.back(), "Trigger");
}

TEST(AlarmEvidenceJsonTest, TheEventsShownAndHowManyMatched) {
  const std::string expected =
      R"j({"total":2,"events":[{"eventTime":"2023-11-14T22:11:05Z",)j"
      R"j("eventName":"DeleteBucket","eventSource":"s3.amazonaws.com",)j"
      R"j("principal":"arn:aws:iam::123456789012:user/alice","sourceIPAddress":"203.0.113.5",)j"
      R"j("awsRegion":"us-east-1","errorCode":"AccessDenied","errorMessage":null,)j"
      R"j("failure":"AccessDenied","requestParameters":{"bucketName":"logs","host":"logs.s3.amazonaws.com"}}]})j";
  EXPECT_EQ(AlarmEvidenceJson(SeedAlarm()), expected);

  AlarmChange none = SeedAlarm();
  none.evidence.clear();
  none.evidence_total = 0;
  EXPECT_EQ(AlarmEvidenceJson(none), R"({"total":0,"events":[]})");
}

TEST(AlarmMessageJsonTest, NullsAndOmissions) {
  AlarmChange c = SeedAlarm();
  c.alarm_description.reset();
  c.trigger.unit.reset();
  c.trigger.dimensions.clear();
  c.trigger.datapoints_to_alarm.reset();
  c.trigger.threshold = 0;
  c.evidence[0].error_code.clear();
  c.evidence[0].request_parameters = "null";
  auto doc = nlohmann::json::parse(AlarmMessageJson(c));
  EXPECT_TRUE(doc["AlarmDescription"].is_null());
  EXPECT_TRUE(doc["Trigger"]["Unit"].is_null());
  EXPECT_EQ(doc["Trigger"]["Dimensions"], nlohmann::json::array());
  EXPECT_FALSE(doc["Trigger"].contains("DatapointsToAlarm"));
  auto evidence = nlohmann::json::parse(AlarmEvidenceJson(c));
  EXPECT_TRUE(evidence["events"][0]["errorCode"].is_null());
  EXPECT_TRUE(evidence["events"][0]["requestParameters"].is_null());
  std::string json = AlarmMessageJson(c);
  EXPECT_NE(json.find(R"("AlarmDescription":null,)"), std::string::npos);
  EXPECT_NE(json.find(R"("Threshold":0.0,)"), std::string::npos);
}

TEST(AlarmMessageJsonTest, StatisticTypes) {
  AlarmChange c = SeedAlarm();
  c.trigger.statistic = "SampleCount";
  EXPECT_EQ(nlohmann::json::parse(AlarmMessageJson(c))["Trigger"]["Statistic"], "SAMPLE_COUNT");
  c.trigger.statistic = "Average";
  EXPECT_EQ(nlohmann::json::parse(AlarmMessageJson(c))["Trigger"]["Statistic"], "AVERAGE");

  c.trigger.extended_statistic = "p99";
  std::string json = AlarmMessageJson(c);
  EXPECT_NE(json.find(R"("StatisticType":"ExtendedStatistic","Statistic":"p99",)"),
            std::string::npos);
}

TEST(AlarmMessageJsonTest, JavaDoublesAndInvalidParameters) {
  AlarmChange c = SeedAlarm();
  c.trigger.threshold = 0.5;
  c.evidence[0].request_parameters = "{not json";
  std::string json = AlarmMessageJson(c);
  EXPECT_NE(json.find(R"("Threshold":0.5,)"), std::string::npos);
  EXPECT_NE(AlarmEvidenceJson(c).find(R"("requestParameters":"{not json")"), std::string::npos);
  c.trigger.threshold = 1e7;
  EXPECT_NE(AlarmMessageJson(c).find(R"("Threshold":1.0E7,)"), std::string::npos);
  c.trigger.threshold = 1234.5;
  EXPECT_NE(AlarmMessageJson(c).find(R"("Threshold":1234.5,)"), std::string::npos);
}

TEST(RegionDisplayNameTest, KnownAndUnknown) {
  EXPECT_EQ(RegionDisplayName("us-east-1"), "US East (N. Virginia)");
  EXPECT_EQ(RegionDisplayName("us-west-2"), "US West (Oregon)");
  EXPECT_EQ(RegionDisplayName("eu-west-1"), "EU (Ireland)");
  EXPECT_EQ(RegionDisplayName("eu-central-1"), "EU (Frankfurt)");
  EXPECT_EQ(RegionDisplayName("ap-southeast-2"), "Asia Pacific (Sydney)");
  EXPECT_EQ(RegionDisplayName("sa-east-1"), "South America (Sao Paulo)");
  EXPECT_EQ(RegionDisplayName("xx-nowhere-9"), "xx-nowhere-9");
  EXPECT_EQ(RegionDisplayName(""), "");
}

TEST(AlarmSubjectTest, FormAndTruncation) {
  AlarmChange c = SeedAlarm();
  EXPECT_EQ(AlarmSubject(c), R"(ALARM: "HighErrors" in US East (N. Virginia))");
  c.new_state = "INSUFFICIENT_DATA";
  c.region = "ap-southeast-2";
  c.alarm_name = "test-lambda-parity";
  EXPECT_EQ(AlarmSubject(c), R"(INSUFFICIENT_DATA: "test-lambda-parity" in Asia Pacific (Sydney))");

  c.new_state = "ALARM";
  c.region = "us-east-1";
  c.alarm_name = std::string(200, 'x');
  std::string subject = AlarmSubject(c);
  EXPECT_EQ(subject.size(), 99u);
  EXPECT_EQ(subject.substr(0, 8), "ALARM: \"");
  EXPECT_EQ(subject.substr(subject.size() - 31), "xx...\" in US East (N. Virginia)");

  // Cut at a character boundary: "é" is two bytes.
  std::string accents;
  for (int i = 0; i < 60; ++i) accents += "\xc3\xa9";
  c.alarm_name = accents;
  subject = AlarmSubject(c);
  EXPECT_LE(subject.size(), 99u);
  EXPECT_NE(subject.find("\xc3\xa9...\" in US East"), std::string::npos);

  c.alarm_name = "two\nlines";
  EXPECT_EQ(AlarmSubject(c), R"(ALARM: "two lines" in US East (N. Virginia))");
}

// The spec's observed CIS.3.10 e-mail, with evidence and SNS's footer.
AlarmChange CisAlarm() {
  AlarmChange c;
  c.alarm_name = "CIS.3.10";
  c.account_id = "123456789012";
  c.region = "us-east-1";
  c.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:CIS.3.10";
  c.old_state = "OK";
  c.new_state = "ALARM";
  c.new_state_reason =
      "Threshold Crossed: 1 out of the last 1 datapoints [2.0 (15/09/21 18:27:00)] was greater "
      "than the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).";
  c.state_change_time = At("2021-09-15T18:32:31.250Z");
  c.configuration_updated_time = At("2021-09-01T00:00:00Z");
  c.alarm_actions = {"arn:aws:sns:us-east-1:123456789012:cis"};
  c.trigger.metric_name = "CIS.3.10";
  c.trigger.metric_namespace = "LogMetrics";
  c.trigger.statistic = "Sum";
  c.trigger.period = std::chrono::seconds(300);
  c.trigger.evaluation_periods = 1;
  c.trigger.comparison_operator = "GreaterThanThreshold";
  c.trigger.threshold = 1;
  c.evidence = {
      {"2021-09-15T18:27:03Z", "AuthorizeSecurityGroupIngress", "ec2.amazonaws.com",
       "arn:aws:iam::123456789012:user/alice", "203.0.113.5", "us-east-1", "",
       R"({"groupId":"sg-0abc","ipPermissions":{"items":[]}})"},
      {"2021-09-15T18:27:40Z", "CreateSecurityGroup", "ec2.amazonaws.com",
       "arn:aws:iam::123456789012:user/bob", "198.51.100.7", "eu-west-1",
       "Client.UnauthorizedOperation", "null"},
  };
  c.evidence_total = 5;
  return c;
}

constexpr const char* kUnsubscribe =
    "https://sns.us-east-1.amazonaws.com/unsubscribe.html?SubscriptionArn="
    "arn:aws:sns:us-east-1:123456789012:cis:1234&Endpoint=ops@example.com";

TEST(AlarmEmailTest, TextGolden) {
  const std::string expected =
      "You are receiving this email because your Amazon CloudWatch Alarm \"CIS.3.10\" in the US "
      "East (N. Virginia) region has entered the ALARM state, because \"Threshold Crossed: 1 out "
      "of the last 1 datapoints [2.0 (15/09/21 18:27:00)] was greater than the threshold (1.0) "
      "(minimum 1 datapoint for OK -> ALARM transition).\" at \"Wednesday 15 September, 2021 "
      "18:32:31 UTC\".\n"
      "\n"
      "View this alarm in the AWS Management Console:\n"
      "https://us-east-1.console.aws.amazon.com/cloudwatch/deeplink.js?region=us-east-1"
      "#alarmsV2:alarm/CIS.3.10\n"
      "\n"
      "Alarm Details:\n"
      "- Name:                       CIS.3.10\n"
      "- Description:\n"
      "- State Change:               OK -> ALARM\n"
      "- Reason for State Change:    Threshold Crossed: 1 out of the last 1 datapoints [2.0 "
      "(15/09/21 18:27:00)] was greater than the threshold (1.0) (minimum 1 datapoint for OK -> "
      "ALARM transition).\n"
      "- Timestamp:                  Wednesday 15 September, 2021 18:32:31 UTC\n"
      "- AWS Account:                123456789012\n"
      "- Alarm Arn:                  arn:aws:cloudwatch:us-east-1:123456789012:alarm:CIS.3.10\n"
      "\n"
      "Threshold:\n"
      "- The alarm is in the ALARM state when the metric is GreaterThanThreshold 1.0 for 300 "
      "seconds.\n"
      "\n"
      "Monitored Metric:\n"
      "- MetricNamespace:                     LogMetrics\n"
      "- MetricName:                          CIS.3.10\n"
      "- Dimensions:\n"
      "- Period:                              300 seconds\n"
      "- Statistic:                           Sum\n"
      "- Unit:                                not specified\n"
      "- TreatMissingData:                    missing\n"
      "\n"
      "State Change Actions:\n"
      "- OK:\n"
      "- ALARM: [arn:aws:sns:us-east-1:123456789012:cis]\n"
      "- INSUFFICIENT_DATA:\n"
      "\n"
      "What happened:\n"
      "- 2021-09-15T18:27:03Z  arn:aws:iam::123456789012:user/alice  ec2.amazonaws.com "
      "AuthorizeSecurityGroupIngress on groupId=sg-0abc  from 203.0.113.5 (us-east-1)  "
      "succeeded\n"
      "- 2021-09-15T18:27:40Z  arn:aws:iam::123456789012:user/bob  ec2.amazonaws.com "
      "CreateSecurityGroup  from 198.51.100.7 (eu-west-1)  Client.UnauthorizedOperation\n"
      "(and 3 more events not shown)\n"
      "\n"
      "--\n"
      "If you wish to stop receiving notifications from this topic, please click or visit the "
      "link below to unsubscribe:\n"
      "https://sns.us-east-1.amazonaws.com/unsubscribe.html?SubscriptionArn="
      "arn:aws:sns:us-east-1:123456789012:cis:1234&Endpoint=ops@example.com\n"
      "\n"
      "Please do not reply directly to this email. If you have any questions or comments "
      "regarding this email, please contact us at https://aws.amazon.com/support\n";
  EXPECT_EQ(AlarmEmail(CisAlarm(), kUnsubscribe).text, expected);
}

TEST(AlarmEmailTest, ThresholdAndDetailsForMOfNAlarm) {
  std::string text = AlarmEmail(SeedAlarm(), kUnsubscribe).text;
  EXPECT_NE(text.find("- The alarm is in the ALARM state when the metric is GreaterThanThreshold "
                      "5.0 for at least 2 of the last 3 period(s) of 60 seconds.\n"),
            std::string::npos);
  EXPECT_NE(text.find("- Description:                too many errors\n"), std::string::npos);
  EXPECT_NE(text.find("- Dimensions:                          [Env = prod] [Svc = api]\n"),
            std::string::npos);
  EXPECT_NE(text.find("- Unit:                                Count\n"), std::string::npos);
  EXPECT_NE(text.find("(and 1 more event not shown)\n"), std::string::npos);
}

TEST(AlarmEmailTest, NoEvidenceSectionWithoutEvidence) {
  AlarmChange c = CisAlarm();
  c.evidence.clear();
  c.evidence_total = 0;
  EmailBody mail = AlarmEmail(c, kUnsubscribe);
  EXPECT_EQ(mail.text.find("What happened"), std::string::npos);
  EXPECT_EQ(mail.html.find("What happened"), std::string::npos);
  EXPECT_EQ(mail.text.find("more event"), std::string::npos);
}

TEST(AlarmEmailTest, HtmlEscapesEveryField) {
  AlarmChange c = CisAlarm();
  c.alarm_name = "<script>alert(1)</script>";
  c.alarm_description = "a & b \"quoted\" 'single'";
  c.evidence[0].principal = "<script>who</script>";
  c.evidence[0].request_parameters = R"({"bucketName":"<img src=x>"})";
  EmailBody mail = AlarmEmail(c, "https://example.com/u?a=1&b=<x>");
  EXPECT_EQ(mail.html.find("<script>"), std::string::npos);
  EXPECT_EQ(mail.html.find("<img"), std::string::npos);
  EXPECT_EQ(mail.html.find("<x>"), std::string::npos);
  EXPECT_NE(mail.html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(mail.html.find("a &amp; b &quot;quoted&quot; &#39;single&#39;"), std::string::npos);
  EXPECT_NE(mail.html.find("<span class=\"on\">bucketName=&lt;img src=x&gt;</span>"),
            std::string::npos);
  EXPECT_NE(mail.html.find(R"(<a href="https://example.com/u?a=1&amp;b=&lt;x&gt;">)"),
            std::string::npos);
  // The text's console link percent-encodes the name; without a trailwatch
  // console URL the HTML has no console link at all (never AWS's).
  EXPECT_NE(mail.text.find("alarm/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"), std::string::npos);
  EXPECT_EQ(mail.html.find("amazon.com"), std::string::npos);
  EXPECT_EQ(mail.html.find("class=\"console\""), std::string::npos);
  c.console_url = "https://trailwatch.example/console/#/alarms/%3Cx%3E?a=1&b=2";
  EXPECT_NE(AlarmEmail(c, "https://example.com/u").html.find(
                R"(<a class="console" href="https://trailwatch.example/console/#/alarms/%3Cx%3E?a=1&amp;b=2")"),
            std::string::npos);
  // Same content as the text: the events, the remainder line, the details.
  EXPECT_NE(mail.html.find(">Client.UnauthorizedOperation</span>"), std::string::npos);
  EXPECT_NE(mail.html.find(">succeeded</span>"), std::string::npos);
  EXPECT_NE(mail.html.find("<p>(and 3 more events not shown)</p>"), std::string::npos);
  EXPECT_NE(mail.html.find(">AWS Account</td><td style=\"padding:2px 0;word-break:break-word\">"
                           "123456789012</td>"),
            std::string::npos);
  // The state as a coloured banner, first.
  EXPECT_NE(mail.html.find("<div class=\"banner\" style=\"background:#b42318;"), std::string::npos);
  // The text alternative is not escaped.
  EXPECT_NE(mail.text.find("\"<script>alert(1)</script>\""), std::string::npos);
}

}  // namespace
}  // namespace tw::notify
