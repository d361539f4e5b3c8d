// Replay end to end: templates, hand-built CloudTrail sequences and the real
// corpus, with timelines asserted exactly (state, time, reason, evidence).

#include "server/replay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/template.h"
#include "support/cis_oracle.h"
#include "support/cis_patterns.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tw_replay_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    fs::path file = fs::path(path_) / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
    return file.string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Event(const std::string& time, const std::string& name,
                  const std::string& user = "mallory", const std::string& ip = "203.0.113.7") {
  return R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/)" +
         user + R"(","userName":")" + user + R"("},"eventTime":")" + time +
         R"(","eventSource":"iam.amazonaws.com","eventName":")" + name +
         R"(","awsRegion":"us-east-1","sourceIPAddress":")" + ip +
         R"(","requestParameters":{"roleName":"admin","policyName":"inline"}})";
}

std::string Records(const std::vector<std::string>& events) {
  std::string out = "{\"Records\":[";
  for (std::size_t i = 0; i < events.size(); ++i) out += (i ? "," : "") + events[i];
  return out + "]}";
}

// The seed scenario: any IAM policy change, Maximum > 0 over 5 minutes,
// missing data not breaching.
constexpr const char* kSeedTemplate = R"(
Resources:
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: CloudTrail/DefaultLogGroup
      FilterPattern: '{($.eventName=DeleteRolePolicy)||($.eventName=AttachUserPolicy)}'
      MetricTransformations:
        - MetricNamespace: CloudTrailMetrics
          MetricName: IAMPolicyEventCount
          MetricValue: '1'
          DefaultValue: 0
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: IAMPolicyChanges
      Namespace: CloudTrailMetrics
      MetricName: IAMPolicyEventCount
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
)";

Configuration MustParse(const std::string& text) {
  Result<Configuration> config = ParseTemplate(text, "test.yaml", TemplateContext());
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.status().message());
  return config.ok() ? *config : Configuration();
}

ReplayResult MustReplay(const Configuration& config, std::vector<std::string> paths) {
  ReplayOptions options;
  options.paths = std::move(paths);
  Result<ReplayResult> result = Replay(config, options);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.status().message());
  return result.ok() ? *result : ReplayResult();
}

std::string Timeline(const ReplayResult& result) {
  std::string out;
  for (const ReplayTransition& t : result.transitions) {
    out += FormatIso8601(t.time) + " " + t.alarm_name + " " + alarm::StateName(t.old_state) + "->" +
           alarm::StateName(t.new_state) + "\n";
  }
  return out;
}

// Background activity every minute of 10:00-10:15 (each a default-value 0),
// one policy change at 10:02:30.
std::vector<std::string> SeedEvents() {
  std::vector<std::string> events;
  for (int minute = 0; minute <= 15; ++minute) {
    char time[32];
    std::snprintf(time, sizeof time, "2023-07-10T10:%02d:05Z", minute);
    events.push_back(Event(time, "ListRoles", "alice", "198.51.100.1"));
  }
  events.push_back(Event("2023-07-10T10:02:30Z", "DeleteRolePolicy"));
  return events;
}

TEST(ReplayTest, SeedScenarioFiresWithEvidenceAndReturnsToOk) {
  std::vector<std::string> events = SeedEvents();
  TempDir dir;
  dir.Write("AWSLogs/111122223333/CloudTrail/us-east-1/2023/07/10/a.json", Records(events));
  ReplayResult result = MustReplay(MustParse(kSeedTemplate), {dir.path()});
  EXPECT_EQ(result.log_group, "CloudTrail/DefaultLogGroup");
  EXPECT_EQ(result.events, 17u);
  EXPECT_EQ(result.files, 1u);
  EXPECT_EQ(Timeline(result),
            "2023-07-10T10:01:00Z IAMPolicyChanges INSUFFICIENT_DATA->OK\n"
            "2023-07-10T10:03:00Z IAMPolicyChanges OK->ALARM\n"
            "2023-07-10T10:08:00Z IAMPolicyChanges ALARM->OK\n");
  ASSERT_EQ(result.transitions.size(), 3u);
  EXPECT_EQ(result.transitions[0].reason,
            "Threshold Crossed: 1 datapoint [0.0 (10/07/23 09:56:00)] was not greater than the "
            "threshold (0.0).");
  const ReplayTransition& fired = result.transitions[1];
  EXPECT_EQ(fired.reason,
            "Threshold Crossed: 1 datapoint [1.0 (10/07/23 09:58:00)] was greater than the "
            "threshold (0.0).");
  ASSERT_EQ(fired.evidence.size(), 1u);
  EXPECT_EQ(fired.evidence_total, 1u);
  EXPECT_EQ(fired.evidence[0].event_name, "DeleteRolePolicy");
  EXPECT_EQ(fired.evidence[0].event_time, "2023-07-10T10:02:30Z");
  EXPECT_EQ(fired.evidence[0].event_source, "iam.amazonaws.com");
  EXPECT_EQ(fired.evidence[0].principal, "arn:aws:iam::111122223333:user/mallory");
  EXPECT_EQ(fired.evidence[0].source_ip_address, "203.0.113.7");
  EXPECT_EQ(fired.evidence[0].aws_region, "us-east-1");
  EXPECT_EQ(fired.evidence[0].request_parameters, R"({"policyName":"inline","roleName":"admin"})");
  EXPECT_EQ(result.transitions[2].reason,
            "Threshold Crossed: 1 datapoint [0.0 (10/07/23 10:03:00)] was not greater than the "
            "threshold (0.0).");
  ASSERT_EQ(result.alarms.size(), 1u);
  EXPECT_EQ(result.alarms[0].transitions, 3);
  EXPECT_EQ(result.alarms[0].matched_events, 1u);
  EXPECT_EQ(result.alarms[0].seconds_in_alarm, 300);
  EXPECT_EQ(result.alarms[0].state, alarm::StateValue::kOk);
  ASSERT_EQ(result.metrics.size(), 1u);
  EXPECT_EQ(result.metrics[0].samples, 17);  // one match, sixteen defaults
  EXPECT_EQ(result.metrics[0].sum, 1);
}

// Composite alarms follow their children on event time: evaluated at the
// start as at creation, then at each child's transition, a composite of a
// composite in the same minute; notifications name the triggering child.
TEST(ReplayTest, CompositeAlarmsFollowTheirChildren) {
  std::vector<std::string> events = SeedEvents();
  TempDir dir;
  dir.Write("a.json", Records(events));
  const std::string text = std::string(kSeedTemplate) + R"(
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: composite-topic
  Quiet:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmName: QuietIam
      AlarmRule: NOT ALARM(IAMPolicyChanges)
  Outer:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmName: NotQuiet
      AlarmRule: NOT ALARM(QuietIam)
      AlarmActions: [!Ref Topic]
)";
  ReplayResult result = MustReplay(MustParse(text), {dir.path()});
  EXPECT_EQ(Timeline(result),
            "2023-07-10T10:01:00Z QuietIam INSUFFICIENT_DATA->ALARM\n"
            "2023-07-10T10:01:00Z NotQuiet INSUFFICIENT_DATA->OK\n"
            "2023-07-10T10:01:00Z IAMPolicyChanges INSUFFICIENT_DATA->OK\n"
            "2023-07-10T10:03:00Z IAMPolicyChanges OK->ALARM\n"
            "2023-07-10T10:03:00Z QuietIam ALARM->OK\n"
            "2023-07-10T10:03:00Z NotQuiet OK->ALARM\n"
            "2023-07-10T10:08:00Z IAMPolicyChanges ALARM->OK\n"
            "2023-07-10T10:08:00Z QuietIam OK->ALARM\n"
            "2023-07-10T10:08:00Z NotQuiet ALARM->OK\n");
  ASSERT_EQ(result.transitions.size(), 9u);
  const ReplayTransition& created = result.transitions[0];
  EXPECT_TRUE(created.composite);
  EXPECT_FALSE(created.trigger.has_value());
  EXPECT_EQ(created.reason,
            "arn:aws:cloudwatch:us-east-1:000000000000:alarm:QuietIam was created and its alarm "
            "rule evaluates to ALARM");
  EXPECT_FALSE(result.transitions[3].composite);
  const ReplayTransition& fired = result.transitions[5];
  EXPECT_TRUE(fired.composite);
  ASSERT_TRUE(fired.trigger.has_value());
  EXPECT_EQ(fired.trigger->arn, "arn:aws:cloudwatch:us-east-1:000000000000:alarm:QuietIam");
  EXPECT_EQ(fired.trigger->state.value, alarm::StateValue::kOk);
  EXPECT_EQ(fired.reason,
            "arn:aws:cloudwatch:us-east-1:000000000000:alarm:QuietIam transitioned to OK at "
            "Monday 10 July, 2023 10:03:00 UTC");
  EXPECT_EQ(fired.actions,
            std::vector<std::string>{"arn:aws:sns:us-east-1:000000000000:composite-topic"});
  EXPECT_TRUE(fired.evidence.empty());
  ASSERT_EQ(result.alarms.size(), 3u);
  EXPECT_EQ(result.alarms[1].alarm_name, "QuietIam");
  EXPECT_EQ(result.alarms[1].transitions, 3);
  EXPECT_EQ(result.alarms[1].state, alarm::StateValue::kAlarm);
  EXPECT_EQ(result.alarms[2].alarm_name, "NotQuiet");
  EXPECT_EQ(result.alarms[2].transitions, 3);
  EXPECT_EQ(result.alarms[2].seconds_in_alarm, 300);
  EXPECT_EQ(result.alarms[2].state, alarm::StateValue::kOk);
}

// Sparse data: with fewer real datapoints than the evaluation range holds,
// the newest real one decides (gaps are skipped), so one breaching bucket
// keeps the alarm in ALARM until it leaves the 5-period range.
TEST(ReplayTest, SparseDataKeepsTheAlarmUntilTheRangePasses) {
  TempDir dir;
  dir.Write("a.json", Records({Event("2023-07-10T10:02:30Z", "DeleteRolePolicy")}));
  ReplayResult result = MustReplay(MustParse(kSeedTemplate), {dir.path()});
  EXPECT_EQ(Timeline(result),
            "2023-07-10T10:03:00Z IAMPolicyChanges INSUFFICIENT_DATA->ALARM\n"
            "2023-07-10T10:28:00Z IAMPolicyChanges ALARM->OK\n");
  ASSERT_EQ(result.transitions.size(), 2u);
  EXPECT_EQ(result.transitions[1].reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint "
            "was treated as [NonBreaching].");
  EXPECT_EQ(result.alarms[0].seconds_in_alarm, 1500);
}

TEST(ReplayTest, OrderOfFilesAndRecordsDoesNotMatter) {
  TempDir forward, backward;
  forward.Write("a.json", Records({Event("2023-07-10T10:00:05Z", "ListRoles")}));
  forward.Write("b.json", Records({Event("2023-07-10T10:02:30Z", "DeleteRolePolicy"),
                                   Event("2023-07-10T10:20:00Z", "AttachUserPolicy")}));
  backward.Write("a.json", Records({Event("2023-07-10T10:20:00Z", "AttachUserPolicy")}));
  backward.Write("b.json", Records({Event("2023-07-10T10:02:30Z", "DeleteRolePolicy"),
                                    Event("2023-07-10T10:00:05Z", "ListRoles")}));
  Configuration config = MustParse(kSeedTemplate);
  EXPECT_EQ(Timeline(MustReplay(config, {forward.path()})),
            Timeline(MustReplay(config, {backward.path()})));
  EXPECT_EQ(Timeline(MustReplay(config, {forward.path()})),
            "2023-07-10T10:01:00Z IAMPolicyChanges INSUFFICIENT_DATA->OK\n"
            "2023-07-10T10:03:00Z IAMPolicyChanges OK->ALARM\n"
            "2023-07-10T10:46:00Z IAMPolicyChanges ALARM->OK\n");
}

TEST(ReplayTest, MalformedFilesAreReportedAndSkipped) {
  TempDir dir;
  dir.Write("good.json", Records({Event("2023-07-10T10:02:30Z", "DeleteRolePolicy")}));
  dir.Write("bad.json",
            "{\"Records\":[" + Event("2023-07-10T10:03:30Z", "DeleteRolePolicy") + ",{\"broken\":");
  dir.Write("notes.txt", "not considered: not a .json name");
  ReplayResult result =
      MustReplay(MustParse(kSeedTemplate), {dir.path(), dir.path() + "/missing.json"});
  EXPECT_EQ(result.files, 1u);
  EXPECT_EQ(result.events, 1u);  // nothing of bad.json counts
  ASSERT_EQ(result.skipped_files.size(), 2u);
  EXPECT_EQ(result.skipped_files[0].path, dir.path() + "/missing.json");
  EXPECT_EQ(result.skipped_files[0].reason, "no such file or directory");
  EXPECT_EQ(result.skipped_files[1].path, dir.path() + "/bad.json");
  EXPECT_NE(result.skipped_files[1].reason.find("bad.json"), std::string::npos)
      << result.skipped_files[1].reason;
}

TEST(ReplayTest, LogGroupChoice) {
  std::string two_groups = std::string(kSeedTemplate) + R"(
  Other:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: app-logs
      FilterPattern: ERROR
      MetricTransformations:
        - MetricNamespace: App
          MetricName: Errors
          MetricValue: '1'
)";
  Configuration config = MustParse(two_groups);
  ReplayOptions options;
  Result<ReplayResult> ambiguous = Replay(config, options);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().message(),
            "the template's metric filters read several log groups (CloudTrail/DefaultLogGroup, "
            "app-logs); choose one with --log-group");
  options.log_group = "nope";
  Result<ReplayResult> unknown = Replay(config, options);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "no metric filter of the template reads log group 'nope' (filters read: "
            "CloudTrail/DefaultLogGroup, app-logs)");
}

// M of N with missing data treated as missing: the premature-alarm rule and
// INSUFFICIENT_DATA when the data stops.
TEST(ReplayTest, TwoOfThreeWithMissingData) {
  std::string text = R"(
Resources:
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterPattern: '{ $.eventName = DeleteRolePolicy }'
      MetricTransformations:
        - MetricNamespace: T
          MetricName: Deletes
          MetricValue: '1'
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: Deletes
      Namespace: T
      MetricName: Deletes
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 3
      DatapointsToAlarm: 2
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
)";
  TempDir dir;
  dir.Write("a.json", Records({Event("2023-07-10T10:00:10Z", "DeleteRolePolicy"),
                               Event("2023-07-10T10:02:10Z", "DeleteRolePolicy")}));
  ReplayResult result = MustReplay(MustParse(text), {dir.path()});
  // Newest bucket first, X breaching, - missing:
  // 10:01  X - - - -   r=1 < M=2; the breach is at j=1 < M: not premature -> OK
  // 10:02  - X - - -   j=2 >= M and nothing newer is a real non-breach: premature -> ALARM
  // 10:03  X - X - -   2 of 2 real breach -> ALARM (no change) ... until
  // 10:06  - - - X -   the N=3 newest hold no breach: r=1 < M -> OK
  // 10:08  - - - - -   no real datapoint -> INSUFFICIENT_DATA
  EXPECT_EQ(Timeline(result),
            "2023-07-10T10:01:00Z Deletes INSUFFICIENT_DATA->OK\n"
            "2023-07-10T10:02:00Z Deletes OK->ALARM\n"
            "2023-07-10T10:06:00Z Deletes ALARM->OK\n"
            "2023-07-10T10:08:00Z Deletes OK->INSUFFICIENT_DATA\n");
  ASSERT_EQ(result.transitions.size(), 4u);
  EXPECT_EQ(result.transitions[1].evidence_total, 1u);
  EXPECT_EQ(result.transitions[3].reason, "Insufficient Data: 3 datapoints were unknown.");
}

// One quiet event, then nothing: what each TreatMissingData mode does once the
// only datapoint has left the 5-period range (at 10:26).
TEST(ReplayTest, EachMissingDataModeWhenTheDataStops) {
  struct Case {
    const char* mode;
    const char* timeline;
    const char* last_reason;
  };
  const Case cases[] = {
      {"missing",
       "2023-07-10T10:01:00Z IAMPolicyChanges INSUFFICIENT_DATA->OK\n"
       "2023-07-10T10:26:00Z IAMPolicyChanges OK->INSUFFICIENT_DATA\n",
       "Insufficient Data: 1 datapoint was unknown."},
      {"breaching",
       "2023-07-10T10:01:00Z IAMPolicyChanges INSUFFICIENT_DATA->OK\n"
       "2023-07-10T10:26:00Z IAMPolicyChanges OK->ALARM\n",
       "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
       "treated as [Breaching]."},
      {"notBreaching", "2023-07-10T10:01:00Z IAMPolicyChanges INSUFFICIENT_DATA->OK\n",
       "Threshold Crossed: 1 datapoint [0.0 (10/07/23 09:56:00)] was not greater than the "
       "threshold (0.0)."},
      {"ignore", "2023-07-10T10:01:00Z IAMPolicyChanges INSUFFICIENT_DATA->OK\n",
       "Threshold Crossed: 1 datapoint [0.0 (10/07/23 09:56:00)] was not greater than the "
       "threshold (0.0)."},
  };
  TempDir dir;
  dir.Write("a.json", Records({Event("2023-07-10T10:00:05Z", "ListRoles")}));
  for (const Case& c : cases) {
    std::string text = kSeedTemplate;
    std::string from = "TreatMissingData: notBreaching";
    text.replace(text.find(from), from.size(), std::string("TreatMissingData: ") + c.mode);
    ReplayResult result = MustReplay(MustParse(text), {dir.path()});
    EXPECT_EQ(Timeline(result), c.timeline) << c.mode;
    ASSERT_FALSE(result.transitions.empty()) << c.mode;
    EXPECT_EQ(result.transitions.back().reason, c.last_reason) << c.mode;
    EXPECT_TRUE(result.transitions.back().evidence.empty()) << c.mode;
  }
}

// A percentile alarm on a value taken from the events: p90 of bytes sent.
TEST(ReplayTest, PercentileAlarmOnAnExtractedValue) {
  std::string text = R"(
Resources:
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterPattern: '{ $.eventName = GetObject }'
      MetricTransformations:
        - MetricNamespace: S3
          MetricName: BytesOut
          MetricValue: $.additionalEventData.bytesTransferredOut
          Unit: Bytes
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: LargeDownloads
      Namespace: S3
      MetricName: BytesOut
      ExtendedStatistic: p90
      Unit: Bytes
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1000
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
)";
  auto get_object = [](const std::string& time, int bytes) {
    return R"({"eventTime":")" + time +
           R"(","eventSource":"s3.amazonaws.com","eventName":"GetObject","additionalEventData":{"bytesTransferredOut":)" +
           std::to_string(bytes) + "}}";
  };
  std::vector<std::string> events;
  for (int i = 1; i <= 10; ++i) {
    events.push_back(get_object("2023-07-10T10:00:" + std::to_string(10 + i) + "Z", 100 * i));
    events.push_back(get_object("2023-07-10T10:01:" + std::to_string(10 + i) + "Z", 200 * i));
  }
  TempDir dir;
  dir.Write("a.json", Records(events));
  ReplayResult result = MustReplay(MustParse(text), {dir.path()});
  // Minute 10:00: p90 = 900, not above 1000. Minute 10:01: p90 = 1800. The
  // data then stops: the newest real datapoint decides until it leaves the
  // 5-period range at 10:07.
  EXPECT_EQ(Timeline(result),
            "2023-07-10T10:01:00Z LargeDownloads INSUFFICIENT_DATA->OK\n"
            "2023-07-10T10:02:00Z LargeDownloads OK->ALARM\n"
            "2023-07-10T10:07:00Z LargeDownloads ALARM->OK\n");
  ASSERT_EQ(result.transitions.size(), 3u);
  const std::string& reason = result.transitions[1].reason;
  // The sketch's p90 of {200, ..., 2000} is 1800 within its 1% accuracy.
  ASSERT_TRUE(reason.starts_with("Threshold Crossed: 1 datapoint [")) << reason;
  double p90 = std::stod(reason.substr(reason.find('[') + 1));
  EXPECT_NEAR(p90, 1800, 18) << reason;
  EXPECT_TRUE(reason.ends_with(" (10/07/23 10:01:00)] was greater than the threshold (1000.0)."))
      << reason;
  EXPECT_EQ(result.transitions[1].evidence_total, 10u);
  EXPECT_EQ(result.transitions[2].reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint "
            "was treated as [NonBreaching].");
}

std::string FullTimeline(const ReplayResult& result) {
  std::string out;
  for (const ReplayTransition& t : result.transitions) {
    out += FormatIso8601(t.time) + " " + t.alarm_name + " " + alarm::StateName(t.new_state) + " " +
           t.reason + " " + std::to_string(t.evidence_total) + "\n";
  }
  return out;
}

// Skipping minutes where no data is in range must not change anything: the
// corpus spans years with long gaps, the hardest case for the shortcut.
TEST(ReplayTest, EvaluatingOnlyWhereDataIsGivesTheSameTimeline) {
  Result<Configuration> config =
      LoadTemplate(std::string(TW_SOURCE_DIR) + "/examples/cis-benchmark.yaml", TemplateContext());
  ASSERT_TRUE(config.ok()) << config.status().message();
  ReplayOptions options;
  options.paths = {std::string(TW_SHARED_DIR) + "/data/cloudtrail/stratus-red-team"};
#if !defined(__SANITIZE_ADDRESS__)
  // Minute-by-minute evaluation over aws_dataset's months takes minutes under
  // ASan; the sanitizer build checks the same code on stratus-red-team alone.
  options.paths.push_back(std::string(TW_SHARED_DIR) + "/data/cloudtrail/aws_dataset");
#endif
  Result<ReplayResult> fast = Replay(*config, options);
  options.evaluate_every_minute = true;
  Result<ReplayResult> slow = Replay(*config, options);
  ASSERT_TRUE(fast.ok() && slow.ok());
  EXPECT_GT(fast->transitions.size(), 15u);
  EXPECT_EQ(FullTimeline(*fast), FullTimeline(*slow));
  for (std::size_t i = 0; i < fast->alarms.size(); ++i) {
    EXPECT_EQ(fast->alarms[i].seconds_in_alarm, slow->alarms[i].seconds_in_alarm);
  }
}

// The real corpus through every CIS control: each alarm's matched-event count
// equals an independent reading of the same records (nlohmann predicates).
TEST(ReplayTest, CisBenchmarkOverTheSharedCorpus) {
  Result<Configuration> config =
      LoadTemplate(std::string(TW_SOURCE_DIR) + "/examples/cis-benchmark.yaml", TemplateContext());
  ASSERT_TRUE(config.ok()) << config.status().message();
  std::string corpus = std::string(TW_SHARED_DIR) + "/data/cloudtrail";
  ReplayOptions options;
  options.paths = {corpus};
  Result<ReplayResult> result = Replay(*config, options);
  ASSERT_TRUE(result.ok()) << result.status().message();

  // Independent side: every record of the readable corpus files, parsed with
  // nlohmann, with a readable eventTime.
  Result<std::vector<testing::CorpusFile>> files = testing::LoadCorpus(corpus);
  ASSERT_TRUE(files.ok());
  std::vector<nlohmann::json> records;
  for (const testing::CorpusFile& file : *files) {
    for (const std::string& message : file.messages) {
      nlohmann::json record = nlohmann::json::parse(message, nullptr, false);
      auto time = record.is_object() ? record.find("eventTime") : record.end();
      if (time != record.end() && time->is_string() && ParseTimestamp(time->get<std::string>())) {
        records.push_back(std::move(record));
      }
    }
  }
  EXPECT_EQ(result->events, records.size());

  std::map<std::string, std::string> pattern_of_metric;
  for (const MetricFilterConfig& f : config->metric_filters) {
    pattern_of_metric[f.spec.transformation.metric_name] = f.spec.filter_pattern;
  }
  int checked = 0;
  for (const AlarmSummary& summary : result->alarms) {
    const AlarmConfig* alarm_config = nullptr;
    for (const AlarmConfig& a : config->alarms) {
      if (a.spec.alarm_name == summary.alarm_name) alarm_config = &a;
    }
    ASSERT_NE(alarm_config, nullptr);
    std::string pattern = pattern_of_metric[alarm_config->spec.metric_name];
    const testing::CisPattern* cis = nullptr;
    for (const testing::CisPattern& p : testing::kCisPatterns) {
      if (p.text == pattern && p.in_security_hub_set) cis = &p;
    }
    ASSERT_NE(cis, nullptr) << "pattern of " << summary.alarm_name << " is not a CIS text";
    testing::oracle::Predicate predicate = testing::oracle::PredicateFor(cis->id);
    ASSERT_NE(predicate, nullptr);
    std::uint64_t expected = 0;
    for (const nlohmann::json& r : records) expected += predicate(r);
    EXPECT_EQ(summary.matched_events, expected) << summary.alarm_name << " (" << cis->id << ")";
    EXPECT_EQ(summary.transitions > 0, expected > 0) << summary.alarm_name;
    ++checked;
  }
  EXPECT_EQ(checked, 15);
}

}  // namespace
}  // namespace tw::server
