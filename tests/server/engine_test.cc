// The live pipeline on a real data directory with a ManualClock: log events
// through metric filters into persistent metrics, alarms evaluated and
// published through the outbox, early alarms, the CloudTrail watcher.

#include "server/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "server/cloudtrail_watcher.h"
#include "store/lease.h"
#include "store/test_databases.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kTemplate = R"(
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: trail}
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterPattern: '{ $.eventName = DeletePolicy }'
      MetricTransformations:
        - {MetricNamespace: CloudTrailMetrics, MetricName: IAM, MetricValue: "1", DefaultValue: 0}
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
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref Topic]
)";

std::string Event(const std::string& name, const std::string& ip = "198.51.100.7") {
  return R"({"eventName":")" + name + R"(","sourceIPAddress":")" + ip +
         R"(","userIdentity":{"arn":"arn:aws:iam::1:user/mallory"},"eventSource":"iam.amazonaws.com"})";
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-engine-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Open();
    Result<Configuration> config = ParseTemplate(kTemplate, "t.yaml", {});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    std::vector<std::string> warnings;
    ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
    ASSERT_TRUE(engine_
                    ->Locked([&](Services& sv) {
                      return sv.logs.CreateLogStream("trail", "s", clock_.Now());
                    })
                    .ok());
  }
  void TearDown() override {
    Close();
    fs::remove_all(dir_);
  }
  void Open() {
    NotifierOptions n;
    n.data_dir = dir_ + "/data";
    n.store = store_;
    Result<std::unique_ptr<Notifier>> notifier = Notifier::Open(n, &clock_);
    ASSERT_TRUE(notifier.ok()) << notifier.status().ToString();
    notifier_ = std::move(notifier).value();
    EngineOptions options;
    options.early_alarm = early_;
    Result<std::unique_ptr<Engine>> engine = Engine::Open(notifier_.get(), options, &clock_);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }
  void Close() {
    engine_.reset();
    notifier_.reset();
  }

  Result<PutLogEventsResult> Put(std::vector<std::pair<Duration, std::string>> events) {
    std::vector<InputLogEvent> input;
    for (auto& [offset, message] : events) {
      input.push_back({ToEpochMillis(clock_.Now() + offset), std::move(message)});
    }
    return engine_->PutLogEvents("trail", "s", input);
  }

  std::optional<metrics::Aggregate> Metric(TimePoint start, Duration period) {
    return engine_->Locked([&](Services& sv) {
      return sv.metrics.store().Query({"CloudTrailMetrics", "IAM", {}}, start, period,
                                      std::nullopt);
    });
  }

  StoredAlarm Alarm() {
    Result<StoredAlarm> a = engine_->Locked([](Services& sv) { return sv.alarms.Get("IAM"); });
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : StoredAlarm{};
  }

  std::vector<notify::Delivery> Outbox() {
    return engine_->Locked([](Services& sv) {
      notify::Outbox outbox(&sv.db);
      Result<std::vector<notify::Delivery>> rows = outbox.List({});
      return rows.ok() ? *rows : std::vector<notify::Delivery>{};
    });
  }

  ManualClock clock_{*ParseTimestamp("2024-03-01T12:00:30Z")};
  bool early_ = false;
  std::string store_;  // empty: the data directory's SQLite file
  std::string dir_;
  Configuration config_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, PutLogEventsStoresWhatFitsTheWindowAndCountsIt) {
  Result<PutLogEventsResult> put = Put({{-std::chrono::hours(24 * 15), Event("DeletePolicy")},
                                        {seconds(0), Event("DeletePolicy")},
                                        {seconds(1), Event("GetUser")},
                                        {std::chrono::hours(3), Event("DeletePolicy")}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->rejected.too_old_end, 0);
  EXPECT_EQ(put->rejected.too_new_start, 3);
  EXPECT_FALSE(put->rejected.expired_end.has_value());
  ASSERT_EQ(put->accepted, 2u);
  std::optional<metrics::Aggregate> m = Metric(FloorTo(clock_.Now(), minutes(1)), minutes(1));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->statistics.sample_count, 2);  // one match, one default
  EXPECT_EQ(m->statistics.sum, 1);
  EXPECT_EQ(m->evidence_total, 1u);

  EXPECT_EQ(Put({{seconds(2), "b"}, {seconds(1), "a"}}).status().message(),
            "Log events in a single PutLogEvents request must be in chronological order.");
  EXPECT_EQ(Put({{-std::chrono::hours(25), "a"}, {seconds(0), "b"}}).status().message(),
            "The batch of log events in a single PutLogEvents request cannot span more than 24 "
            "hours.");
  std::vector<std::pair<Duration, std::string>> huge(5, {seconds(0), std::string(250'000, 'x')});
  Result<PutLogEventsResult> too_big = Put(huge);
  EXPECT_EQ(too_big.status().message(), "Upload too large: 1250130 bytes exceeds limit of 1048576");
  EXPECT_EQ(engine_->PutLogEvents("trail", "nope", {{0, "x"}}).status().message(),
            "The specified log stream does not exist.");
  EXPECT_EQ(engine_->PutLogEvents("nope", "s", {{0, "x"}}).status().message(),
            "The specified log group does not exist.");
}

TEST_F(EngineTest, MetricsAndEventsSurviveARestart) {
  ASSERT_TRUE(
      Put({{seconds(0), Event("DeletePolicy")}, {seconds(5), Event("DeletePolicy", "203.0.113.9")}})
          .ok());
  std::optional<metrics::Aggregate> before = Metric(FloorTo(clock_.Now(), minutes(1)), minutes(1));
  ASSERT_TRUE(before.has_value());
  Close();
  Open();
  std::optional<metrics::Aggregate> after = Metric(FloorTo(clock_.Now(), minutes(1)), minutes(1));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->statistics, before->statistics);
  EXPECT_EQ(after->evidence_total, 2u);
  // Memory counts the evidence; the store names the events, which are read
  // back from the event log.
  EXPECT_TRUE(after->evidence.empty());
  ASSERT_EQ(after->evidence_minutes, std::vector<TimePoint>{FloorTo(clock_.Now(), minutes(1))});
  Result<std::vector<std::string>> messages = engine_->Locked([&](Services& sv) {
    return [&]() -> Result<std::vector<std::string>> {
      Result<std::vector<metrics::EvidenceEvent>> refs =
          sv.metrics.StoredEvidence({"CloudTrailMetrics", "IAM", {}}, after->evidence_minutes, 10);
      if (!refs.ok()) return refs.status();
      std::vector<std::string> out;
      for (const metrics::EvidenceEvent& e : *refs) {
        EXPECT_TRUE(e.message.empty());
        EXPECT_EQ(e.log_group, "trail");
        Result<std::optional<std::string>> m =
            sv.logs.EventMessage(e.log_group, ToEpochMillis(e.timestamp), e.event_id);
        if (!m.ok()) return m.status();
        out.push_back(m->value_or("(gone)"));
      }
      return out;
    }();
  });
  ASSERT_TRUE(messages.ok()) << messages.status().ToString();
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[0], Event("DeletePolicy"));
  EXPECT_EQ((*messages)[1], Event("DeletePolicy", "203.0.113.9"));
  Result<GetLogEventsResult> events = engine_->Locked([](Services& sv) {
    return sv.logs.GetLogEvents("trail", "s", std::nullopt, std::nullopt, std::nullopt, 100, true);
  });
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->events.size(), 2u);
}

// Concurrent batches share commits (group commit): each still gets its own
// consecutive ids, every event is stored once, and the metric counts each
// match once.
TEST_F(EngineTest, ConcurrentBatchesAreStoredWholeAndCountedOnce) {
  ASSERT_TRUE(engine_
                  ->Locked([&](Services& sv) {
                    return sv.logs.CreateLogStream("trail", "t", clock_.Now());
                  })
                  .ok());
  constexpr int kThreads = 6, kBatches = 15, kEvents = 8;
  std::vector<std::vector<std::pair<std::int64_t, std::size_t>>> firsts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<InputLogEvent> batch;
        for (int e = 0; e < kEvents; ++e) {
          batch.push_back({ToEpochMillis(clock_.Now()),
                           Event(e == 0 ? "DeletePolicy" : "GetUser",
                                 "10.0." + std::to_string(t) + "." + std::to_string(b))});
        }
        Result<PutLogEventsResult> put = engine_->PutLogEvents("trail", t % 2 ? "s" : "t", batch);
        if (put.ok()) firsts[t].emplace_back(put->first_id, put->accepted);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::int64_t> ids;
  for (const auto& per_thread : firsts) {
    ASSERT_EQ(per_thread.size(), static_cast<std::size_t>(kBatches));
    for (const auto& [first, count] : per_thread) {
      ASSERT_EQ(count, static_cast<std::size_t>(kEvents));
      for (int i = 0; i < kEvents; ++i) EXPECT_TRUE(ids.insert(first + i).second) << first + i;
    }
  }
  std::size_t stored = 0;
  for (const char* stream : {"s", "t"}) {
    Result<GetLogEventsResult> events = engine_->Locked([&](Services& sv) {
      return sv.logs.GetLogEvents("trail", stream, std::nullopt, std::nullopt, std::nullopt, 10000,
                                  true);
    });
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    for (const StoredLogEvent& e : events->events) EXPECT_EQ(ids.count(e.id), 1u) << e.id;
    stored += events->events.size();
  }
  EXPECT_EQ(stored, ids.size());
  std::optional<metrics::Aggregate> m = Metric(FloorTo(clock_.Now(), minutes(1)), minutes(1));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->statistics.sample_count, kThreads * kBatches * kEvents);
  EXPECT_EQ(m->statistics.sum, kThreads * kBatches);
  // The same after a restart: what was acknowledged was committed.
  Close();
  Open();
  m = Metric(FloorTo(clock_.Now(), minutes(1)), minutes(1));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->statistics.sum, kThreads * kBatches);
}

TEST_F(EngineTest, AFilterPublishesAtMostAThousandDimensionSetsAnHour) {
  metrics::MetricFilterSpec spec;
  spec.filter_name = "by-ip";
  spec.log_group_name = "trail";
  spec.filter_pattern = "{ $.eventName = GetUser }";
  spec.transformation = {"Ips", "Calls", "1", std::nullopt, {{"Ip", "$.sourceIPAddress"}}, "None"};
  ASSERT_TRUE(
      engine_->Locked([&](Services& sv) { return sv.logs.PutMetricFilter(spec, clock_.Now()); })
          .ok());
  std::vector<std::pair<Duration, std::string>> events;
  for (int i = 0; i < 1005; ++i) {
    events.emplace_back(seconds(0), Event("GetUser", "10.0." + std::to_string(i / 250) + "." +
                                                         std::to_string(i % 250)));
  }
  ASSERT_TRUE(Put(events).ok());
  ASSERT_TRUE(Put({{seconds(1), Event("GetUser", "10.0.0.0")}}).ok());  // seen: keeps it
  std::size_t with_ip = 0;
  double without_ip = -1, first_ip = -1;
  engine_->Locked([&](Services& sv) {
    for (const metrics::MetricKey& key : sv.metrics.store().Keys()) {
      if (key.metric_name != "Calls") continue;
      const double samples = sv.metrics.store().Total(key).sample_count;
      if (key.dimensions.empty()) {
        without_ip = samples;
      } else {
        ++with_ip;
        if (key.dimensions[0].second == "10.0.0.0") first_ip = samples;
      }
    }
    return 0;
  });
  EXPECT_EQ(with_ip, 1000u);
  EXPECT_EQ(without_ip, 5);
  EXPECT_EQ(first_ip, 2);
}

TEST_F(EngineTest, EventsKeptOneRowEachMoveIntoBlocksWithTheirIds) {
  // A data directory from before the block store: events in log_events.
  const std::string path = notifier_->layout().database();
  Close();
  {
    Result<store::Database> db = store::Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(db->Execute("CREATE TABLE log_events (id INTEGER PRIMARY KEY, group_name TEXT "
                            "NOT NULL, stream TEXT NOT NULL, timestamp INTEGER NOT NULL, "
                            "ingestion INTEGER NOT NULL, message TEXT NOT NULL)")
                    .ok());
    const std::int64_t now = ToEpochMillis(clock_.Now());
    ASSERT_TRUE(db->Execute("INSERT INTO log_events VALUES (7, 'trail', 's', " +
                            std::to_string(now + 2) + ", 1, 'third'), (41, 'trail', 's', " +
                            std::to_string(now) + ", 2, 'first'), (40, 'trail', 's', " +
                            std::to_string(now + 1) + ", 3, 'second')")
                    .ok());
  }
  Open();
  Result<GetLogEventsResult> events = engine_->Locked([](Services& sv) {
    return sv.logs.GetLogEvents("trail", "s", std::nullopt, std::nullopt, std::nullopt, 100, true);
  });
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  std::vector<std::pair<std::int64_t, std::string>> got;
  for (const StoredLogEvent& e : events->events) got.emplace_back(e.id, e.message);
  EXPECT_EQ(got, (std::vector<std::pair<std::int64_t, std::string>>{
                     {41, "first"}, {40, "second"}, {7, "third"}}));
  EXPECT_EQ(events->events[0].ingestion_ms, 2);
  Result<PutLogEventsResult> put = Put({{seconds(3), "fourth"}});
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->first_id, 42);
  const bool old_table = engine_->Locked([](Services& sv) {
    Result<store::Statement> q =
        sv.db.Prepare("SELECT 1 FROM sqlite_schema WHERE name = 'log_events'");
    if (!q.ok()) return true;
    Result<bool> row = q->Step();
    return !row.ok() || *row;
  });
  EXPECT_FALSE(old_table);
}

TEST_F(EngineTest, AMinuteEvaluationStoresTheTransitionAndQueuesItsNotification) {
  ASSERT_TRUE(Put({{seconds(0), Event("DeletePolicy")}}).ok());
  EXPECT_EQ(Alarm().state.value, alarm::StateValue::kInsufficientData);
  const TimePoint boundary = FloorTo(clock_.Now(), minutes(1)) + minutes(1);
  clock_.Set(boundary);
  ASSERT_TRUE(engine_->EvaluateAlarms(boundary).ok());
  StoredAlarm a = Alarm();
  EXPECT_EQ(a.state.value, alarm::StateValue::kAlarm);
  EXPECT_EQ(a.state.reason,
            "Threshold Crossed: 1 datapoint [1.0 (01/03/24 11:56:00)] was greater than the "
            "threshold (0.0).");
  EXPECT_EQ(a.state_transitioned, boundary);
  std::vector<notify::Delivery> out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].item.protocol, "https");
  notify::Delivery full = engine_->Locked([&](Services& sv) {
    notify::Outbox outbox(&sv.db);
    return *outbox.Get(out[0].id);
  });
  Json envelope = Json::parse(full.item.http->body);
  Json message = Json::parse(envelope["Message"].get<std::string>());
  EXPECT_EQ(message["NewStateValue"], "ALARM");
  EXPECT_EQ(message["OldStateValue"], "INSUFFICIENT_DATA");
  EXPECT_FALSE(message.contains("Evidence"));
  Json evidence =
      Json::parse(envelope["MessageAttributes"]["trailwatch.evidence"]["Value"].get<std::string>());
  EXPECT_EQ(evidence["events"][0]["sourceIPAddress"], "198.51.100.7");

  // The same evaluation again changes nothing and queues nothing.
  ASSERT_TRUE(engine_->EvaluateAlarms(boundary).ok());
  EXPECT_EQ(Outbox().size(), 1u);
  std::optional<std::string> next;
  Result<std::vector<HistoryRecord>> history = engine_->Locked(
      [&](Services& sv) { return sv.alarms.History({.alarm_name = "IAM"}, &next); });
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);  // newest first
  EXPECT_EQ((*history)[0].item.type, "Action");
  EXPECT_EQ((*history)[1].item.summary, "Alarm updated from INSUFFICIENT_DATA to ALARM");
  EXPECT_EQ((*history)[2].item.type, "ConfigurationUpdate");
}

TEST_F(EngineTest, ReapplyingTheTemplateLeavesUnchangedAlarmsAlone) {
  std::vector<std::string> warnings;
  ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
  std::optional<std::string> next;
  auto history_size = [&] {
    return engine_->Locked(
        [&](Services& sv) { return sv.alarms.History({.alarm_name = "IAM"}, &next)->size(); });
  };
  EXPECT_EQ(history_size(), 1u);
  config_.alarms[0].spec.threshold = 2;
  ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
  EXPECT_EQ(history_size(), 2u);
  EXPECT_EQ(Alarm().spec.threshold, 2);
}

TEST_F(EngineTest, HighResolutionAlarmsAreEvaluatedEveryTenSeconds) {
  alarm::AlarmSpec fast;
  fast.alarm_name = "Fast";
  fast.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:Fast";
  fast.metric_namespace = "App";
  fast.metric_name = "Latency";
  fast.statistic = "Maximum";
  fast.period = std::chrono::seconds(10);
  fast.threshold = 21;
  ASSERT_TRUE(alarm::Validate(fast).ok());
  ASSERT_TRUE(
      engine_->Locked([&](Services& sv) { return sv.alarms.Put(fast, {}, clock_.Now()); }).ok());
  // PutMetricData with StorageResolution 1: the datapoint keeps its second.
  metrics::MetricStore batch;
  metrics::MinuteData data;
  data.by_unit["None"].Add(21.5);
  batch.MergeMinute(fast.metric(), *ParseTimestamp("2024-03-01T12:00:32Z"), data);
  ASSERT_TRUE(engine_->PutMetrics(batch).ok());

  ASSERT_TRUE(engine_->EvaluateAlarms(*ParseTimestamp("2024-03-01T12:00:40Z")).ok());
  StoredAlarm a = engine_->Locked([](Services& sv) { return *sv.alarms.Get("Fast"); });
  EXPECT_EQ(a.state.value, alarm::StateValue::kAlarm);
  EXPECT_EQ(a.state.reason,
            "Threshold Crossed: 1 datapoint [21.5 (01/03/24 12:00:30)] was greater than the "
            "threshold (21.0).");
  // The 300-second alarm waits for the minute: still as created.
  EXPECT_EQ(Alarm().state.value, alarm::StateValue::kInsufficientData);
  EXPECT_EQ(Alarm().state.reason, "Unchecked: Initial alarm creation");

  // Ten seconds on, the datapoint is still among the 5 periods evaluated.
  ASSERT_TRUE(engine_->EvaluateAlarms(*ParseTimestamp("2024-03-01T12:00:50Z")).ok());
  a = engine_->Locked([](Services& sv) { return *sv.alarms.Get("Fast"); });
  EXPECT_EQ(a.state.value, alarm::StateValue::kAlarm);
  // Once all 5 are past it, the data is missing.
  ASSERT_TRUE(engine_->EvaluateAlarms(*ParseTimestamp("2024-03-01T12:01:30Z")).ok());
  a = engine_->Locked([](Services& sv) { return *sv.alarms.Get("Fast"); });
  EXPECT_EQ(a.state.value, alarm::StateValue::kInsufficientData);
}

TEST_F(EngineTest, TemplateTagsAreSetAtEveryApplyAndApiTagsStay) {
  config_.alarms[0].tags = {{"team", "sec"}};
  config_.topics[0].tags = {{"team", "sec"}};
  std::vector<std::string> warnings;
  ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
  EXPECT_EQ(Alarm().tags, (std::map<std::string, std::string>{{"team", "sec"}}));
  ASSERT_TRUE(engine_
                  ->Locked([](Services& sv) {
                    return sv.alarms.Tag("IAM", {{"owner", "ops"}, {"team", "changed"}}, {}, {});
                  })
                  .ok());
  ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
  EXPECT_EQ(Alarm().tags, (std::map<std::string, std::string>{{"owner", "ops"}, {"team", "sec"}}));
  notify::Topic topic =
      engine_->Locked([&](Services& sv) { return *sv.sns.GetTopic(config_.topics[0].arn); });
  EXPECT_EQ(topic.tags, (std::map<std::string, std::string>{{"team", "sec"}}));
}

TEST_F(EngineTest, TemplateCompositesAreEvaluatedAtApplyAndFollowTheirChildren) {
  CompositeAlarmConfig composite;
  composite.logical_id = "Both";
  composite.spec.alarm_name = "both";
  composite.spec.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:both";
  composite.spec.alarm_rule = "ALARM(IAM) OR FALSE";
  config_.composite_alarms = {composite};
  std::vector<std::string> warnings;
  ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
  auto both = [&] {
    return engine_->Locked([](Services& sv) { return *sv.alarms.GetComposite("both"); });
  };
  EXPECT_EQ(both().state.value, alarm::StateValue::kOk);
  EXPECT_EQ(both().state.reason,
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:both was created and its alarm rule "
            "evaluates to OK");
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "testing", "").ok());
  EXPECT_EQ(both().state.value, alarm::StateValue::kAlarm);
  EXPECT_TRUE(
      both().state.reason.starts_with(Alarm().spec.alarm_arn + " transitioned to ALARM at "))
      << both().state.reason;

  // Applying the same template again adds no history; a child in use stays.
  std::optional<std::string> next;
  auto history_size = [&] {
    return engine_->Locked(
        [&](Services& sv) { return sv.alarms.History({.alarm_name = "both"}, &next)->size(); });
  };
  const std::size_t before = history_size();
  ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
  EXPECT_EQ(history_size(), before);
  EXPECT_EQ(engine_->DeleteAlarms({"IAM"}).message(),
            "Cannot delete IAM as there are composite alarm(s) depending on it.");
  EXPECT_EQ(Alarm().spec.alarm_name, "IAM");
}

// ActionsSuppressor: the composite's change to ALARM is held while the
// suppressor is in ALARM and through the ExtensionPeriod after it; the
// evaluation tick that finds the period ended sends it, once.
TEST_F(EngineTest, SuppressedCompositeActionsRunWhenTheExtensionPeriodEnds) {
  alarm::AlarmSpec maintenance = Alarm().spec;
  maintenance.alarm_name = "maintenance";
  maintenance.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:maintenance";
  maintenance.alarm_actions.clear();
  ASSERT_TRUE(engine_->PutMetricAlarm(maintenance, {}).ok());
  alarm::CompositeSpec quiet;
  quiet.alarm_name = "quiet";
  quiet.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:quiet";
  quiet.alarm_rule = "ALARM(IAM)";
  quiet.alarm_actions = Alarm().spec.alarm_actions;
  quiet.actions_suppressor = "maintenance";
  quiet.actions_suppressor_wait_period = 0;
  quiet.actions_suppressor_extension_period = 120;
  ASSERT_TRUE(engine_->PutCompositeAlarm(quiet, {}).ok());
  auto composite = [&] {
    return engine_->Locked([](Services& sv) { return *sv.alarms.GetComposite("quiet"); });
  };

  ASSERT_TRUE(engine_->SetAlarmState("maintenance", alarm::StateValue::kAlarm, "window", "").ok());
  EXPECT_EQ(composite().suppression.by, alarm::SuppressedBy::kAlarm);
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "testing", "").ok());
  EXPECT_EQ(composite().state.value, alarm::StateValue::kAlarm);
  ASSERT_EQ(Outbox().size(), 1u);  // IAM's own message only
  EXPECT_EQ(Outbox()[0].item.subject, "ALARM: \"IAM\" in US East (N. Virginia)");

  const TimePoint ended = clock_.Now();
  ASSERT_TRUE(engine_->SetAlarmState("maintenance", alarm::StateValue::kOk, "done", "").ok());
  EXPECT_EQ(composite().suppression.by, alarm::SuppressedBy::kExtensionPeriod);
  EXPECT_EQ(composite().suppression.until, ended + seconds(120));
  ASSERT_TRUE(engine_->EvaluateAlarms(ended + seconds(110)).ok());
  EXPECT_EQ(Outbox().size(), 1u);
  ASSERT_TRUE(engine_->EvaluateAlarms(ended + seconds(120)).ok());
  ASSERT_EQ(Outbox().size(), 2u);
  EXPECT_EQ(Outbox()[0].item.subject, "ALARM: \"quiet\" in US East (N. Virginia)");
  EXPECT_EQ(composite().suppression.by, alarm::SuppressedBy::kNone);
  ASSERT_TRUE(engine_->EvaluateAlarms(ended + seconds(180)).ok());
  EXPECT_EQ(Outbox().size(), 2u);
  std::optional<std::string> next;
  Result<std::vector<HistoryRecord>> history = engine_->Locked(
      [&](Services& sv) { return sv.alarms.History({.alarm_name = "quiet"}, &next); });
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->front().item.summary,
            "Successfully executed action " + Alarm().spec.alarm_actions[0]);
}

// A mute (trailwatch:MutedUntil) keeps state and history but runs no
// action; the alarm's history says when it was muted and what it held back.
TEST_F(EngineTest, AMutedAlarmChangesStateButSendsNothingUntilTheMuteEnds) {
  const TimePoint until = clock_.Now() + std::chrono::hours(1);
  ASSERT_TRUE(engine_
                  ->Locked([&](Services& sv) {
                    return sv.alarms.Tag("IAM", {{"trailwatch:MutedUntil", FormatIso8601(until)}},
                                         {}, clock_.Now());
                  })
                  .ok());
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "testing", "").ok());
  EXPECT_EQ(Alarm().state.value, alarm::StateValue::kAlarm);
  EXPECT_TRUE(Outbox().empty());
  std::optional<std::string> next;
  Result<std::vector<HistoryRecord>> history = engine_->Locked(
      [&](Services& sv) { return sv.alarms.History({.alarm_name = "IAM", .limit = 3}, &next); });
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ(
      (*history)[0].item.summary,
      "Muted until 2024-03-01T13:00:30Z: did not execute action " + Alarm().spec.alarm_actions[0]);
  EXPECT_EQ((*history)[1].item.summary, "Alarm updated from INSUFFICIENT_DATA to ALARM");
  EXPECT_EQ((*history)[2].item.summary, "Notifications muted until 2024-03-01T13:00:30Z");
  EXPECT_EQ((*history)[2].item.type, "ConfigurationUpdate");

  // A malformed value is refused and changes nothing.
  Status bad = engine_->Locked([&](Services& sv) {
    return sv.alarms.Tag("IAM", {{"trailwatch:MutedUntil", "later"}}, {}, clock_.Now());
  });
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Alarm().tags.at("trailwatch:MutedUntil"), "2024-03-01T13:00:30Z");

  clock_.Set(until);
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kOk, "fixed", "").ok());
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "again", "").ok());
  ASSERT_EQ(Outbox().size(), 1u);
  EXPECT_EQ(Outbox()[0].item.subject, "ALARM: \"IAM\" in US East (N. Virginia)");
}

// trailwatch:RemindEvery sends the ALARM actions again while the alarm
// stays in ALARM, once per interval, marked as a reminder; never after it
// leaves ALARM.
TEST_F(EngineTest, RemindersRepeatTheAlarmWhileItStaysInAlarm) {
  alarm::AlarmSpec steady = Alarm().spec;
  steady.treat_missing_data = alarm::TreatMissingData::kIgnore;  // no data keeps the state
  ASSERT_TRUE(engine_->PutMetricAlarm(steady, {}).ok());
  ASSERT_TRUE(
      engine_
          ->Locked([&](Services& sv) {
            return sv.alarms.Tag("IAM", {{"trailwatch:RemindEvery", "1h"}}, {}, clock_.Now());
          })
          .ok());
  const TimePoint since = clock_.Now();  // 12:00:30
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "testing", "").ok());
  ASSERT_EQ(Outbox().size(), 1u);
  auto tick = [&](const char* at) {
    clock_.Set(*ParseTimestamp(at));
    ASSERT_TRUE(engine_->EvaluateAlarms(clock_.Now()).ok());
  };
  tick("2024-03-01T13:00:00Z");
  EXPECT_EQ(Outbox().size(), 1u);
  tick("2024-03-01T13:01:00Z");
  ASSERT_EQ(Outbox().size(), 2u);
  const notify::Delivery reminder = Outbox()[0];
  EXPECT_EQ(reminder.item.subject, "Reminder: ALARM: \"IAM\" in US East (N. Virginia)");
  EXPECT_EQ(reminder.item.origin, "reminder:" + steady.alarm_arn + "@2024-03-01T13:01:00Z");
  // The message is CloudWatch's, about the transition it reminds of; the
  // SNS envelope marks it with the trailwatch.reminder attribute.
  const std::string body = engine_->Locked([&](Services& sv) {
    notify::Outbox outbox(&sv.db);
    return outbox.Get(reminder.id)->item.http->body;
  });
  EXPECT_NE(body.find(R"(\"NewStateValue\":\"ALARM\",\"NewStateReason\":\"testing\")"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"(\"OldStateValue\":\"INSUFFICIENT_DATA\")"), std::string::npos);
  EXPECT_NE(body.find(R"("trailwatch.reminder":{"Type":"String","Value":"2024-03-01T12:00:30Z"})"),
            std::string::npos);
  tick("2024-03-01T13:02:00Z");
  tick("2024-03-01T14:00:00Z");
  EXPECT_EQ(Outbox().size(), 2u);
  tick("2024-03-01T14:01:00Z");
  EXPECT_EQ(Outbox().size(), 3u);
  std::optional<std::string> next;
  Result<std::vector<HistoryRecord>> history = engine_->Locked(
      [&](Services& sv) { return sv.alarms.History({.alarm_name = "IAM", .limit = 1}, &next); });
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->front().item.summary, "Reminder (in ALARM since " + FormatIso8601(since) +
                                               "): executed action " + steady.alarm_actions[0]);
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kOk, "fixed", "").ok());
  tick("2024-03-01T16:00:00Z");
  EXPECT_EQ(Outbox().size(), 3u);
}

TEST_F(EngineTest, SetAlarmStateMovesAndFiresButNotTwice) {
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "testing", "").ok());
  EXPECT_EQ(Alarm().state.reason, "testing");
  EXPECT_EQ(Outbox().size(), 1u);
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "again", "").ok());
  EXPECT_EQ(Outbox().size(), 1u);
  EXPECT_EQ(Alarm().state.reason, "testing");
  EXPECT_EQ(engine_->SetAlarmState("nope", alarm::StateValue::kOk, "x", "").code(),
            StatusCode::kNotFound);
}

TEST_F(EngineTest, MaintainPrunesFinishedDeliveriesAndAlarmHistoryAfterThirtyDays) {
  const TimePoint day0 = clock_.Now();
  // Day 0: the template's ConfigurationUpdate (SetUp), an ALARM with its
  // StateUpdate and Action items, and two notifications: one delivered, one
  // still being retried (hooks.example is never reached in this test).
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "day 0", "").ok());
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kOk, "day 0 ok", "").ok());
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kAlarm, "day 0 again", "").ok());
  std::vector<notify::Delivery> out = Outbox();
  ASSERT_EQ(out.size(), 2u);  // newest first
  const std::int64_t retrying = out[0].id, delivered = out[1].id;
  ASSERT_TRUE(engine_
                  ->Locked([&](Services& sv) {
                    notify::Outbox outbox(&sv.db);
                    notify::AttemptResult ok{notify::AttemptOutcome::kDelivered, 200, "HTTP 200",
                                             Duration(5)};
                    notify::AttemptResult busy{notify::AttemptOutcome::kRetryable, 503, "HTTP 503",
                                               Duration(5)};
                    for (auto [id, result] : {std::pair{delivered, ok}, {retrying, busy}}) {
                      Result<notify::DeliveryState> a =
                          outbox.RecordAttempt(id, result, day0, day0);
                      if (!a.ok()) return a.status();
                    }
                    return Status::Ok();
                  })
                  .ok());
  auto history = [&] {
    std::optional<std::string> next;
    Result<std::vector<HistoryRecord>> h = engine_->Locked(
        [&](Services& sv) { return sv.alarms.History({.ascending = true}, &next); });
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    std::vector<std::string> summaries;
    if (h.ok()) {
      for (const HistoryRecord& r : *h) summaries.push_back(r.item.summary);
    }
    return summaries;
  };
  const std::size_t day0_items = history().size();
  ASSERT_GE(day0_items, 4u);

  // Day 29: a new change; nothing is old enough yet.
  clock_.Set(day0 + std::chrono::days(29));
  ASSERT_TRUE(engine_->SetAlarmState("IAM", alarm::StateValue::kOk, "day 29", "").ok());
  ASSERT_TRUE(engine_->Maintain().ok());
  EXPECT_EQ(history().size(), day0_items + 1);
  EXPECT_EQ(Outbox().size(), 2u);

  // Day 30 and a minute: day 0's finished delivery and history are gone;
  // the delivery still pending stays, whatever its age.
  clock_.Set(day0 + std::chrono::days(30) + minutes(1));
  ASSERT_TRUE(engine_->Maintain().ok());
  EXPECT_EQ(history(), std::vector<std::string>{"Alarm updated from ALARM to OK"});
  out = Outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, retrying);
  EXPECT_EQ(out[0].state, notify::DeliveryState::kPending);
}

TEST_F(EngineTest, TheHistoryRetentionIsTheOperatorsChoice) {
  Close();
  NotifierOptions n;
  n.data_dir = dir_ + "/data";
  Result<std::unique_ptr<Notifier>> notifier = Notifier::Open(n, &clock_);
  ASSERT_TRUE(notifier.ok());
  notifier_ = std::move(notifier).value();
  EngineOptions options;
  options.history_retention = std::chrono::days(2);
  Result<std::unique_ptr<Engine>> engine = Engine::Open(notifier_.get(), options, &clock_);
  ASSERT_TRUE(engine.ok());
  engine_ = std::move(engine).value();
  auto count = [&] {
    std::optional<std::string> next;
    return engine_->Locked([&](Services& sv) { return sv.alarms.History({}, &next)->size(); });
  };
  ASSERT_EQ(count(), 1u);  // the template's ConfigurationUpdate
  clock_.Advance(std::chrono::days(2) - seconds(1));
  ASSERT_TRUE(engine_->Maintain().ok());
  EXPECT_EQ(count(), 1u);
  clock_.Advance(seconds(2));
  ASSERT_TRUE(engine_->Maintain().ok());
  EXPECT_EQ(count(), 0u);
}

class EarlyEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    early_ = true;
    EngineTest::SetUp();
  }
};

TEST_F(EarlyEngineTest, ABreachOnTheCurrentMinuteAlarmsAtOnce) {
  ASSERT_TRUE(Put({{seconds(0), Event("GetUser")}}).ok());
  EXPECT_EQ(Alarm().state.value, alarm::StateValue::kInsufficientData);  // no breach: wait
  ASSERT_TRUE(Put({{seconds(1), Event("DeletePolicy")}}).ok());
  StoredAlarm a = Alarm();
  EXPECT_EQ(a.state.value, alarm::StateValue::kAlarm);
  EXPECT_EQ(a.state.updated, clock_.Now());
  EXPECT_EQ(a.state.reason,
            "Threshold Crossed: 1 datapoint [1.0 (01/03/24 11:56:00)] was greater than the "
            "threshold (0.0). (trailwatch early alarm: evaluated on the current, incomplete "
            "minute)");
  ASSERT_EQ(Outbox().size(), 1u);
  // The regular evaluation at the boundary agrees: no second transition.
  const TimePoint boundary = FloorTo(clock_.Now(), minutes(1)) + minutes(1);
  ASSERT_TRUE(engine_->EvaluateAlarms(boundary).ok());
  EXPECT_EQ(Alarm().state.value, alarm::StateValue::kAlarm);
  EXPECT_EQ(Outbox().size(), 1u);
}

TEST_F(EarlyEngineTest, StatisticsThatCanFallWaitForTheMinute) {
  config_.alarms[0].spec.statistic = "Average";
  std::vector<std::string> warnings;
  ASSERT_TRUE(engine_->ApplyConfiguration(config_, &warnings).ok());
  ASSERT_TRUE(Put({{seconds(0), Event("DeletePolicy")}}).ok());
  EXPECT_EQ(Alarm().state.value, alarm::StateValue::kInsufficientData);
  EXPECT_TRUE(Outbox().empty());
}

TimePoint At(const char* text) { return *ParseTimestamp(text); }

// The evaluator of a shared store: one node holds the lease and evaluates;
// each boundary is evaluated once, a takeover catches up on the boundaries
// nobody evaluated, and a node whose lease ran out commits nothing. On both
// engines (on SQLite the one process is always the evaluator).
class EvaluatorTest : public EngineTest, public ::testing::WithParamInterface<store::Engine> {
 protected:
  void SetUp() override {
    clock_.Set(At("2024-03-01T12:00:05Z"));
    if (GetParam() == store::Engine::kPostgres) {
      TW_NEW_LOCATION_OR_SKIP(store_, GetParam(), "");
    }
    EngineTest::SetUp();
  }

  // EvaluateDue at `boundary` (the clock set to it), after renewing the
  // lease as serve does every second, as text for the assertions.
  std::vector<std::string> EvaluateDue(const char* boundary, bool renew = true) {
    clock_.Set(At(boundary));
    if (renew) {
      EXPECT_TRUE(engine_->HoldEvaluatorLease().ok());
    }
    Result<std::vector<TimePoint>> done = engine_->EvaluateDue(At(boundary));
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    std::vector<std::string> out;
    if (done.ok()) {
      for (TimePoint t : *done) out.push_back(FormatIso8601(t).substr(11));
    }
    return out;
  }
};

TEST_P(EvaluatorTest, EachBoundaryOnceAndCatchingUpOnTheOnesNobodyEvaluated) {
  // Not the evaluator until it has held the lease.
  EXPECT_EQ(EvaluateDue("2024-03-01T12:00:10Z", /*renew=*/false), std::vector<std::string>{});
  Result<bool> held = engine_->HoldEvaluatorLease();
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_TRUE(*held);
  // The first boundary ever: that one alone.
  EXPECT_EQ(EvaluateDue("2024-03-01T12:00:10Z"), std::vector<std::string>{"12:00:10Z"});
  EXPECT_EQ(EvaluateDue("2024-03-01T12:00:10Z"), std::vector<std::string>{});
  // A DeletePolicy at 12:00:30; the evaluator then missed 12:01:00 (it
  // died, say) and the next step comes at 12:01:20: 12:01:00 is not
  // skipped, so the alarm changed on the minute, as it would have.
  std::vector<InputLogEvent> events = {
      {ToEpochMillis(At("2024-03-01T12:00:30Z")), R"({"eventName":"DeletePolicy"})"}};
  clock_.Set(At("2024-03-01T12:00:31Z"));
  ASSERT_TRUE(engine_->PutLogEvents("trail", "s", events).ok());
  EXPECT_EQ(EvaluateDue("2024-03-01T12:01:20Z"),
            (std::vector<std::string>{"12:00:20Z", "12:00:30Z", "12:00:40Z", "12:00:50Z",
                                      "12:01:00Z", "12:01:10Z", "12:01:20Z"}));
  StoredAlarm a = Alarm();
  EXPECT_EQ(a.state.value, alarm::StateValue::kAlarm);
  EXPECT_EQ(a.state_transitioned, At("2024-03-01T12:01:00Z"));
  // After a long silence, at most kEvaluatorCatchUp back.
  EXPECT_EQ(EvaluateDue("2024-03-01T12:30:00Z"),
            (std::vector<std::string>{"12:29:00Z", "12:29:10Z", "12:29:20Z", "12:29:30Z",
                                      "12:29:40Z", "12:29:50Z", "12:30:00Z"}));
  Result<std::optional<TimePoint>> last =
      engine_->Locked([](Services& sv) { return sv.alarms.LastEvaluated(); });
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, std::optional<TimePoint>(At("2024-03-01T12:30:00Z")));
}

// Another node (a connection of its own, as node-b) takes the lease after
// this one stopped renewing it: this node's next evaluation commits nothing,
// and it stands by from its next renewal.
TEST_P(EvaluatorTest, ANodeWhoseLeaseRanOutEvaluatesNothing) {
  if (GetParam() != store::Engine::kPostgres) GTEST_SKIP() << "one process per SQLite store";
  // Renewed at 12:00:10, good until 12:00:20.
  EXPECT_EQ(EvaluateDue("2024-03-01T12:00:10Z"), std::vector<std::string>{"12:00:10Z"});
  Result<store::Database> other = store::Database::Open(notifier_->db().location());
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  Result<bool> taken = store::Lease::Acquire(*other, "evaluator", "node-b",
                                             At("2024-03-01T12:00:19Z"), Engine::kEvaluatorLease);
  ASSERT_TRUE(taken.ok());
  EXPECT_FALSE(*taken);
  taken = store::Lease::Acquire(*other, "evaluator", "node-b", At("2024-03-01T12:00:20Z"),
                                Engine::kEvaluatorLease);
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(*taken);
  // This node missed its renewals (stalled) and still thinks it evaluates.
  clock_.Set(At("2024-03-01T12:00:20Z"));
  Result<std::vector<TimePoint>> late = engine_->EvaluateDue(At("2024-03-01T12:00:20Z"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().message(), "the lease 'evaluator' is held by node-b");
  Result<std::optional<TimePoint>> last =
      engine_->Locked([](Services& sv) { return sv.alarms.LastEvaluated(); });
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, std::optional<TimePoint>(At("2024-03-01T12:00:10Z")));
  Result<bool> held = engine_->HoldEvaluatorLease();
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(*held);
  EXPECT_EQ(EvaluateDue("2024-03-01T12:00:30Z", /*renew=*/false), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Engines, EvaluatorTest, store::kBothEngines, store::EngineName);

TEST_F(EngineTest, TheCloudTrailWatcherIngestsEachCompleteFileOnce) {
  const std::string trail = dir_ + "/trail/AWSLogs/1/CloudTrail/us-east-1/2024/03/01";
  fs::create_directories(trail);
  auto write = [](const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  };
  const std::string record =
      R"({"eventTime":"2024-03-01T12:00:10Z","eventName":"DeletePolicy","recipientAccountId":"1","awsRegion":"us-east-1"})";
  write(trail + "/a.json", "{\"Records\":[" + record + "," + record + "]}");
  write(trail + "/half.json", "{\"Records\":[" + record);
  CloudTrailWatcherOptions options;
  options.dir = dir_ + "/trail";
  options.log_group = "trail";
  options.settle = Duration(0);
  options.give_up = std::chrono::hours(1);
  Result<std::unique_ptr<CloudTrailWatcher>> watcher =
      CloudTrailWatcher::Open(engine_.get(), options);
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  Result<int> first = (*watcher)->ScanOnce();  // sizes seen once: not known to be complete
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 0);
  Result<int> second = (*watcher)->ScanOnce();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(*second, 1);  // a.json; half.json does not parse yet and is young
  EXPECT_EQ(*(*watcher)->ScanOnce(), 0);

  Result<GetLogEventsResult> events = engine_->Locked([](Services& sv) {
    return sv.logs.GetLogEvents("trail", "1_CloudTrail_us-east-1", std::nullopt, std::nullopt,
                                std::nullopt, 100, true);
  });
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->events.size(), 2u);
  EXPECT_EQ(events->events[0].timestamp_ms, ToEpochMillis(*ParseTimestamp("2024-03-01T12:00:10Z")));
  std::optional<metrics::Aggregate> m = Metric(*ParseTimestamp("2024-03-01T12:00:00Z"), minutes(1));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->statistics.sum, 2);

  // The file is finished: it is read now, and a new watcher (a restart)
  // repeats nothing.
  write(trail + "/half.json", "{\"Records\":[" + record + "]}");
  EXPECT_EQ(*(*watcher)->ScanOnce(), 0);  // changed since the last scan
  EXPECT_EQ(*(*watcher)->ScanOnce(), 1);
  watcher->reset();
  Result<std::unique_ptr<CloudTrailWatcher>> again =
      CloudTrailWatcher::Open(engine_.get(), options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->ScanOnce(), 0);
  EXPECT_EQ(*(*again)->ScanOnce(), 0);
  m = Metric(*ParseTimestamp("2024-03-01T12:00:00Z"), minutes(1));
  EXPECT_EQ(m->statistics.sum, 3);
}

}  // namespace
}  // namespace tw::server
