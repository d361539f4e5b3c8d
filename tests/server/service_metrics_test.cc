// serve's /metrics: who may scrape (MetricsAccess), and the series fed by a
// real Engine on a real data directory (ManualClock), read back from the
// rendered text exactly.

#include "server/service_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

namespace tw::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(MetricsAccessTest, LoopbackOnlyByDefault) {
  MetricsAccess access;
  EXPECT_TRUE(access.enabled());
  EXPECT_TRUE(access.Allows("127.0.0.1"));
  EXPECT_TRUE(access.Allows("127.8.9.10"));
  EXPECT_TRUE(access.Allows("::1"));
  EXPECT_TRUE(access.Allows("::ffff:127.0.0.1"));  // IPv4 client of a dual-stack socket
  EXPECT_FALSE(access.Allows("10.0.0.5"));
  EXPECT_FALSE(access.Allows("192.168.1.1"));
  EXPECT_FALSE(access.Allows("2001:db8::1"));
  EXPECT_FALSE(access.Allows("::ffff:10.0.0.5"));
  // 6to4 and NAT64 forms of 127.0.0.1 come from anywhere: not loopback.
  EXPECT_FALSE(access.Allows("2002:7f00:1::"));
  EXPECT_FALSE(access.Allows("64:ff9b::7f00:1"));
  EXPECT_FALSE(access.Allows("::127.0.0.1"));
  // Unknown or not an address: refused.
  EXPECT_FALSE(access.Allows(""));
  EXPECT_FALSE(access.Allows("localhost"));
  EXPECT_FALSE(access.Allows("0177.0.0.1"));
}

TEST(MetricsAccessTest, MetricsFromAddsNetworks) {
  Result<MetricsAccess> access = MetricsAccess::Allowing({"10.1.0.0/16", "fd00::/8"});
  ASSERT_TRUE(access.ok()) << access.status().ToString();
  EXPECT_TRUE(access->Allows("127.0.0.1"));
  EXPECT_TRUE(access->Allows("10.1.200.3"));
  EXPECT_TRUE(access->Allows("::ffff:10.1.200.3"));
  EXPECT_TRUE(access->Allows("fd12::7"));
  EXPECT_FALSE(access->Allows("10.2.0.1"));
  EXPECT_FALSE(access->Allows("fe80::1"));
}

TEST(MetricsAccessTest, AnyoneWithTheWholeAddressSpace) {
  Result<MetricsAccess> access = MetricsAccess::Allowing({"0.0.0.0/0", "::/0"});
  ASSERT_TRUE(access.ok());
  EXPECT_TRUE(access->Allows("203.0.113.9"));
  EXPECT_TRUE(access->Allows("2001:db8::1"));
  EXPECT_FALSE(access->Allows("not-an-address"));
}

TEST(MetricsAccessTest, BadNetworkIsNamed) {
  Result<MetricsAccess> access = MetricsAccess::Allowing({"10.0.0.0/8", "10.0.0.5/8"});
  ASSERT_FALSE(access.ok());
  EXPECT_EQ(access.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(access.status().message(),
            "--metrics-from '10.0.0.5/8': host bits are set; the network is 10.0.0.0/8, a "
            "single address is 10.0.0.5/32");
}

TEST(MetricsAccessTest, OffRefusesEveryone) {
  MetricsAccess off = MetricsAccess::Off();
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.Allows("127.0.0.1"));
}

constexpr const char* kTemplate = R"(
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: trail}
  Deletes:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterName: Deletes
      FilterPattern: '{ $.eventName = DeletePolicy }'
      MetricTransformations:
        - {MetricNamespace: CloudTrailMetrics, MetricName: IAM, MetricValue: "1"}
  Sizes:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterName: Sizes
      FilterPattern: '{ $.eventName = "Get*" }'
      MetricTransformations:
        - {MetricNamespace: CloudTrailMetrics, MetricName: Bytes, MetricValue: "$.bytes"}
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
      Subscription: [{Protocol: https, Endpoint: "https://hooks.example/a"}]
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: IAM
      Namespace: CloudTrailMetrics
      MetricName: IAM
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref Topic]
)";

// The sample lines of `text` whose metric name is `name` (label sets
// included), in order.
std::vector<std::string> Samples(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(name + "{") || line.starts_with(name + " ")) out.push_back(line);
  }
  return out;
}

class ServiceMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-service-metrics-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    NotifierOptions n;
    n.data_dir = dir_ + "/data";
    Result<std::unique_ptr<Notifier>> notifier = Notifier::Open(n, &clock_);
    ASSERT_TRUE(notifier.ok()) << notifier.status().ToString();
    notifier_ = std::move(notifier).value();
    metrics_ = std::make_unique<ServiceMetrics>(notifier_->layout().database());
    EngineOptions options;
    options.on_ingest = [this](const IngestReport& r) { metrics_->OnIngest(r); };
    options.on_transition = [this](const std::string& name, alarm::StateValue from,
                                   const alarm::Evaluation& e) {
      metrics_->OnTransition(name, from, e.state.value);
    };
    Result<std::unique_ptr<Engine>> engine = Engine::Open(notifier_.get(), options, &clock_);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    Result<Configuration> config = ParseTemplate(kTemplate, "t.yaml", {});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    std::vector<std::string> warnings;
    ASSERT_TRUE(engine_->ApplyConfiguration(*config, &warnings).ok());
    ASSERT_TRUE(engine_
                    ->Locked([&](Services& sv) {
                      return sv.logs.CreateLogStream("trail", "s", clock_.Now());
                    })
                    .ok());
  }
  void TearDown() override {
    engine_.reset();
    notifier_.reset();
    fs::remove_all(dir_);
  }

  std::string Scrape() {
    Result<std::string> text = metrics_->Scrape(*engine_);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return text.ok() ? *text : "";
  }

  ManualClock clock_{*ParseTimestamp("2024-03-01T12:00:30Z")};
  std::string dir_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<ServiceMetrics> metrics_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(ServiceMetricsTest, IngestCountsEventsBytesAndMatchesPerFilter) {
  const std::string deletion = R"({"eventName":"DeletePolicy"})";
  const std::string get = R"({"eventName":"GetUser","bytes":12})";
  const std::string get_without_bytes = R"({"eventName":"GetRole"})";  // matches, no value
  const std::string other = R"({"eventName":"ListUsers"})";
  const std::int64_t now = ToEpochMillis(clock_.Now());
  ASSERT_TRUE(engine_
                  ->PutLogEvents("trail", "s",
                                 {{now, deletion},
                                  {now, get},
                                  {now, deletion},
                                  {now, get_without_bytes},
                                  {now, other}})
                  .ok());
  ASSERT_TRUE(engine_->PutLogEvents("trail", "s", {{now + 1, deletion}}).ok());
  const std::string text = Scrape();
  const std::size_t bytes =
      3 * deletion.size() + get.size() + get_without_bytes.size() + other.size();
  EXPECT_EQ(Samples(text, "trailwatch_ingested_events_total"),
            std::vector<std::string>{"trailwatch_ingested_events_total{log_group=\"trail\"} 6"});
  EXPECT_EQ(Samples(text, "trailwatch_ingested_bytes_total"),
            std::vector<std::string>{"trailwatch_ingested_bytes_total{log_group=\"trail\"} " +
                                     std::to_string(bytes)});
  EXPECT_EQ(Samples(text, "trailwatch_metric_filter_matches_total"),
            (std::vector<std::string>{
                "trailwatch_metric_filter_matches_total{log_group=\"trail\",filter=\"Deletes\"} 3",
                "trailwatch_metric_filter_matches_total{log_group=\"trail\",filter=\"Sizes\"} 2"}));
  EXPECT_EQ(Samples(text, "trailwatch_put_log_events_duration_seconds_count"),
            std::vector<std::string>{"trailwatch_put_log_events_duration_seconds_count 2"});
  EXPECT_EQ(Samples(text, "trailwatch_put_log_events_duration_seconds_bucket").back(),
            "trailwatch_put_log_events_duration_seconds_bucket{le=\"+Inf\"} 2");
}

TEST_F(ServiceMetricsTest, AlarmStatesTransitionsAndTheOutbox) {
  std::string text = Scrape();
  EXPECT_EQ(Samples(text, "trailwatch_alarm_state"),
            (std::vector<std::string>{
                "trailwatch_alarm_state{alarm=\"IAM\",state=\"ALARM\"} 0",
                "trailwatch_alarm_state{alarm=\"IAM\",state=\"INSUFFICIENT_DATA\"} 1",
                "trailwatch_alarm_state{alarm=\"IAM\",state=\"OK\"} 0"}));
  EXPECT_TRUE(Samples(text, "trailwatch_outbox_pending").empty());

  ASSERT_TRUE(engine_
                  ->PutLogEvents("trail", "s",
                                 {{ToEpochMillis(clock_.Now()), R"({"eventName":"DeletePolicy"})"}})
                  .ok());
  clock_.Set(*ParseTimestamp("2024-03-01T12:01:00Z"));
  ASSERT_TRUE(engine_->EvaluateAlarms(clock_.Now()).ok());
  clock_.Set(*ParseTimestamp("2024-03-01T12:01:45Z"));
  text = Scrape();
  EXPECT_EQ(Samples(text, "trailwatch_alarm_state"),
            (std::vector<std::string>{
                "trailwatch_alarm_state{alarm=\"IAM\",state=\"ALARM\"} 1",
                "trailwatch_alarm_state{alarm=\"IAM\",state=\"INSUFFICIENT_DATA\"} 0",
                "trailwatch_alarm_state{alarm=\"IAM\",state=\"OK\"} 0"}));
  EXPECT_EQ(Samples(text, "trailwatch_alarm_transitions_total"),
            std::vector<std::string>{"trailwatch_alarm_transitions_total{alarm=\"IAM\",from=\""
                                     "INSUFFICIENT_DATA\",to=\"ALARM\"} 1"});
  // The https subscription from the template is confirmed; the alarm's
  // notification waits in the outbox (no deliverer runs), queued at 12:01.
  EXPECT_EQ(Samples(text, "trailwatch_outbox_pending"),
            std::vector<std::string>{"trailwatch_outbox_pending{protocol=\"https\"} 1"});
  EXPECT_EQ(Samples(text, "trailwatch_outbox_oldest_pending_age_seconds"),
            std::vector<std::string>{
                "trailwatch_outbox_oldest_pending_age_seconds{protocol=\"https\"} 45"});
  EXPECT_EQ(Samples(text, "trailwatch_outbox_dead_letters"),
            std::vector<std::string>{"trailwatch_outbox_dead_letters{protocol=\"https\"} 0"});
  const std::vector<std::string> store = Samples(text, "trailwatch_store_bytes");
  ASSERT_EQ(store.size(), 1u);
  EXPECT_GE(std::stoll(store[0].substr(store[0].find(' ') + 1)),
            static_cast<long long>(fs::file_size(notifier_->layout().database())));
}

TEST_F(ServiceMetricsTest, RetentionDeletionsAreCounted) {
  metrics_->OnRetention({7, 3, 5, 2});
  metrics_->OnRetention({1, 0, 0, 1});
  EXPECT_EQ(
      Samples(Scrape(), "trailwatch_retention_deleted_total"),
      (std::vector<std::string>{"trailwatch_retention_deleted_total{kind=\"alarm_history\"} 3",
                                "trailwatch_retention_deleted_total{kind=\"deliveries\"} 5",
                                "trailwatch_retention_deleted_total{kind=\"log_events\"} 8",
                                "trailwatch_retention_deleted_total{kind=\"metric_minutes\"} 3"}));
}

TEST_F(ServiceMetricsTest, OperationsOutsideTheTableShareOneLabel) {
  api::Operations operations;
  operations.Add(api::Service::kLogs, "PutLogEvents", nullptr);
  api::CallContext context;
  context.service = api::Service::kLogs;
  api::HttpResponse ok;
  api::HttpResponse bad;
  bad.status = 400;
  context.operation = "PutLogEvents";
  metrics_->OnResponse(operations, context, ok);
  metrics_->OnResponse(operations, context, ok);
  context.operation = "Made\"Up\nOperation";
  metrics_->OnResponse(operations, context, bad);
  context.operation = "AnotherInvention";
  metrics_->OnResponse(operations, context, bad);
  context.operation = "";
  metrics_->OnResponse(operations, context, bad);
  context.service = api::Service::kSns;
  context.operation = "PutLogEvents";  // not an SNS operation
  metrics_->OnResponse(operations, context, bad);
  EXPECT_EQ(Samples(Scrape(), "trailwatch_api_requests_total"),
            (std::vector<std::string>{
                "trailwatch_api_requests_total{service=\"logs\",operation=\"PutLogEvents\","
                "status=\"200\"} 2",
                "trailwatch_api_requests_total{service=\"logs\",operation=\"unknown\","
                "status=\"400\"} 3",
                "trailwatch_api_requests_total{service=\"sns\",operation=\"unknown\","
                "status=\"400\"} 1"}));
}

TEST_F(ServiceMetricsTest, HandleServesLoopbackAndRefusesOthers) {
  MetricsAccess access;
  api::HttpRequest request;
  request.method = "GET";
  request.path = "/metrics";
  request.remote_address = "127.0.0.1";
  std::optional<api::HttpResponse> r = metrics_->Handle(request, access, *engine_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers[0], (std::pair<std::string, std::string>(
                               "Content-Type", "text/plain; version=0.0.4; charset=utf-8")));
  EXPECT_TRUE(r->body.starts_with("# HELP trailwatch_api_requests_total ")) << r->body;

  request.remote_address = "192.0.2.10";
  r = metrics_->Handle(request, access, *engine_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body,
            "/metrics is served to loopback and the networks of --metrics-from only; this "
            "client is 192.0.2.10\n");

  request.remote_address = "127.0.0.1";
  request.method = "POST";
  r = metrics_->Handle(request, access, *engine_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);

  request.method = "GET";
  request.path = "/metrics/extra";
  EXPECT_FALSE(metrics_->Handle(request, access, *engine_).has_value());
  request.path = "/metrics";
  EXPECT_FALSE(metrics_->Handle(request, MetricsAccess::Off(), *engine_).has_value());
}

}  // namespace
}  // namespace tw::server
