// What nodes sharing a store follow of each other: the metric minutes (each
// node's memory ends up with a minute's whole, its own samples counted
// once) and changes to the metric filters. On both engines (two
// connections to one SQLite file stand in for two nodes there).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "server/log_service.h"
#include "server/metric_service.h"
#include "store/test_databases.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;

class SharedStoreTest : public ::testing::TestWithParam<store::Engine> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-metrics-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::string location;
    TW_NEW_LOCATION_OR_SKIP(location, GetParam(), dir_);
    for (Node* node : {&a_, &b_}) {
      Result<store::Database> db = store::Database::Open(location);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      node->db = std::make_unique<store::Database>(std::move(db).value());
      Result<std::unique_ptr<MetricService>> service = MetricService::Open(node->db.get(), now_);
      ASSERT_TRUE(service.ok()) << service.status().ToString();
      node->metrics = std::move(service).value();
      Result<std::unique_ptr<LogService>> logs =
          LogService::Open(node->db.get(), "us-east-1", "123456789012");
      ASSERT_TRUE(logs.ok()) << logs.status().ToString();
      node->logs = std::move(logs).value();
    }
  }
  void TearDown() override {
    for (Node* node : {&a_, &b_}) {
      node->logs.reset();
      node->metrics.reset();
      node->db.reset();
    }
    fs::remove_all(dir_);
  }

  struct Node {
    std::unique_ptr<store::Database> db;
    std::unique_ptr<MetricService> metrics;
    std::unique_ptr<LogService> logs;
  };

  // What the engine does for one request: persist, commit, apply.
  void Put(Node& node, double value) {
    metrics::MetricStore batch;
    metrics::MinuteData data;
    data.by_unit["Count"].Add(value);
    batch.MergeMinute(key_, minute_, data);
    Result<store::Transaction> tx = store::Transaction::Begin(*node.db);
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    ASSERT_TRUE(node.metrics->Persist(batch).ok());
    ASSERT_TRUE(tx->Commit().ok());
    node.metrics->Apply(batch);
  }
  std::int64_t Refresh(Node& node) {
    Result<std::int64_t> rows = node.metrics->Refresh(now_);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : -1;
  }
  // Sum and sample count of the minute in `node`'s memory.
  std::pair<double, double> Minute(Node& node) {
    std::optional<metrics::Aggregate> a =
        node.metrics->store().Query(key_, minute_, std::chrono::minutes(1), std::nullopt);
    if (!a) return {0, 0};
    return {a->statistics.sum, a->statistics.sample_count};
  }

  const TimePoint now_ = *ParseTimestamp("2024-03-01T12:00:30Z");
  const TimePoint minute_ = *ParseTimestamp("2024-03-01T12:00:00Z");
  const metrics::MetricKey key_{"CloudTrailMetrics", "IAMPolicyEventCount", {}};
  std::string dir_;
  Node a_, b_;
};

TEST_P(SharedStoreTest, NodesReadEachOthersMinutesAndCountTheirOwnOnce) {
  Put(a_, 1);
  EXPECT_EQ(Minute(b_), std::make_pair(0.0, 0.0));
  EXPECT_EQ(Refresh(b_), 1);
  EXPECT_EQ(Minute(b_), std::make_pair(1.0, 1.0));
  // B adds to the same minute: its row holds both samples.
  Put(b_, 2);
  EXPECT_EQ(Minute(b_), std::make_pair(3.0, 2.0));
  EXPECT_EQ(Refresh(a_), 1);
  EXPECT_EQ(Minute(a_), std::make_pair(3.0, 2.0));  // A's own sample once
  EXPECT_EQ(Refresh(b_), 1);                        // its own write, read back
  EXPECT_EQ(Minute(b_), std::make_pair(3.0, 2.0));
  EXPECT_EQ(Refresh(a_), 0);
  EXPECT_EQ(Refresh(b_), 0);
  // A node started now loads the whole.
  Result<std::unique_ptr<MetricService>> late = MetricService::Open(a_.db.get(), now_);
  ASSERT_TRUE(late.ok());
  std::optional<metrics::Aggregate> all =
      (*late)->store().Query(key_, minute_, std::chrono::minutes(1), std::nullopt);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->statistics.sum, 3.0);
}

// A store upgraded from before metric versions holds rows of version 0 (the
// column's default); a node opening it loads them, or its alarms would not
// see those minutes until they were written again.
TEST_P(SharedStoreTest, MinutesWrittenBeforeVersionsExistedAreLoadedAtStart) {
  Put(a_, 5);
  ASSERT_TRUE(a_.db->Execute("UPDATE metric_minutes SET version = 0").ok());
  Result<std::unique_ptr<MetricService>> upgraded = MetricService::Open(a_.db.get(), now_);
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().ToString();
  std::optional<metrics::Aggregate> minute =
      (*upgraded)->store().Query(key_, minute_, std::chrono::minutes(1), std::nullopt);
  ASSERT_TRUE(minute.has_value());
  EXPECT_EQ(minute->statistics.sum, 5.0);
  EXPECT_EQ(minute->statistics.sample_count, 1.0);
}

TEST_P(SharedStoreTest, ANodeDropsItsCompiledFiltersWhenAnotherChangedThem) {
  ASSERT_TRUE(a_.logs->CreateLogGroup("trail", "", {}, now_).ok());
  auto filter = [](const char* name) {
    metrics::MetricFilterSpec spec;
    spec.filter_name = name;
    spec.log_group_name = "trail";
    spec.filter_pattern = "{ $.eventName = DeletePolicy }";
    spec.transformation.metric_namespace = "CloudTrailMetrics";
    spec.transformation.metric_name = name;
    spec.transformation.metric_value = "1";
    return spec;
  };
  auto filters_of = [](Node& node) {
    Result<std::shared_ptr<const metrics::FilterSet>> set = node.logs->FilterSetOf("trail");
    EXPECT_TRUE(set.ok()) << set.status().ToString();
    return set.ok() ? (*set)->filters().size() : 99u;
  };
  auto follow = [](Node& node) {
    Result<bool> changed = node.logs->FollowFilterChanges();
    EXPECT_TRUE(changed.ok()) << changed.status().ToString();
    return changed.ok() && *changed;
  };
  ASSERT_TRUE(a_.logs->PutMetricFilter(filter("First"), now_).ok());
  EXPECT_TRUE(follow(b_));
  EXPECT_EQ(filters_of(b_), 1u);
  ASSERT_TRUE(a_.logs->PutMetricFilter(filter("Second"), now_).ok());
  EXPECT_EQ(filters_of(b_), 1u);  // compiled before the change
  EXPECT_TRUE(follow(b_));
  EXPECT_EQ(filters_of(b_), 2u);
  EXPECT_FALSE(follow(b_));
  EXPECT_EQ(filters_of(a_), 2u);
  ASSERT_TRUE(b_.logs->DeleteMetricFilter("trail", "First").ok());
  EXPECT_TRUE(follow(a_));
  EXPECT_EQ(filters_of(a_), 1u);
  // A delete that finds nothing changes nothing.
  EXPECT_EQ(b_.logs->DeleteMetricFilter("trail", "First").code(), StatusCode::kNotFound);
  EXPECT_TRUE(follow(b_));  // its own delete before
  EXPECT_FALSE(follow(b_));
}

INSTANTIATE_TEST_SUITE_P(Engines, SharedStoreTest, store::kBothEngines, store::EngineName);

}  // namespace
}  // namespace tw::server
