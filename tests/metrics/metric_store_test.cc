// MetricStore: per-minute aggregation, period boundaries, unit filtering and
// bounded, order-independent evidence.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "metrics/metrics.h"

namespace tw::metrics {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const MetricKey kKey{"CloudTrailMetrics", "RootAccountUsageCount", {}};

TimePoint At(const char* iso) { return *ParseTimestamp(iso); }

Observation Obs(TimePoint t, double value = 1, std::string unit = "Count",
                bool is_default = false) {
  Observation o;
  o.key = kKey;
  o.unit = std::move(unit);
  o.value = value;
  o.timestamp = t;
  o.is_default = is_default;
  return o;
}

double SampleCount(const MetricStore& store, TimePoint start, Duration period,
                   std::optional<std::string> unit = std::nullopt) {
  auto aggregate = store.Query(kKey, start, period, unit);
  return aggregate ? aggregate->statistics.sample_count : 0;
}

TEST(MetricStoreTest, OneMinutePeriodsSplitAtTheMinute) {
  MetricStore store;
  store.Record(Obs(At("2024-03-01T12:00:00Z"), 1), "a");
  store.Record(Obs(At("2024-03-01T12:00:59.999Z"), 3), "b");
  store.Record(Obs(At("2024-03-01T12:01:00Z"), 10), "c");
  store.Record(Obs(At("2024-03-01T11:59:59.999Z"), 100), "d");

  auto noon = store.Query(kKey, At("2024-03-01T12:00:00Z"), seconds(60), std::nullopt);
  ASSERT_TRUE(noon);
  EXPECT_EQ(noon->statistics.sample_count, 2);
  EXPECT_EQ(noon->statistics.sum, 4);
  EXPECT_EQ(noon->statistics.minimum, 1);
  EXPECT_EQ(noon->statistics.maximum, 3);
  EXPECT_EQ(noon->statistics.Get("Average"), 2);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:01:00Z"), seconds(60)), 1);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T11:59:00Z"), seconds(60)), 1);
  EXPECT_EQ(store.Query(kKey, At("2024-03-01T12:02:00Z"), seconds(60), std::nullopt), std::nullopt);
}

TEST(MetricStoreTest, FiveMinutePeriodsIncludeStartExcludeEnd) {
  MetricStore store;
  for (const char* t : {"2024-03-01T11:59:59.999Z", "2024-03-01T12:00:00Z", "2024-03-01T12:02:30Z",
                        "2024-03-01T12:04:59.999Z", "2024-03-01T12:05:00Z"}) {
    store.Record(Obs(At(t)), t);
  }
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:00Z"), minutes(5)), 3);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:05:00Z"), minutes(5)), 1);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T11:55:00Z"), minutes(5)), 1);
  // Alarms slide their windows by the minute, not by the period (§4.2).
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:01:00Z"), minutes(5)), 3);
  // A start inside a minute: only minutes that begin in the range count,
  // so 12:00 (begun before 12:00:30) is out and 12:05 is in.
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:30Z"), minutes(5)), 3);
}

TEST(MetricStoreTest, TenAndThirtySecondPeriodsSeeWholeMinutesAtTheirStart) {
  MetricStore store;
  store.Record(Obs(At("2024-03-01T12:00:05Z")), "a");
  store.Record(Obs(At("2024-03-01T12:00:45Z")), "b");
  store.Record(Obs(At("2024-03-01T12:01:20Z")), "c");
  // Samples are kept per minute: the 10 s period starting on the minute
  // holds the whole minute, the later ones of that minute hold nothing.
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:00Z"), seconds(10)), 2);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:10Z"), seconds(10)), 0);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:40Z"), seconds(10)), 0);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:50Z"), seconds(10)), 0);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:00Z"), seconds(30)), 2);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:30Z"), seconds(30)), 0);
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:00:50Z"), seconds(30)), 1);  // holds 12:01:00
  EXPECT_EQ(SampleCount(store, At("2024-03-01T12:01:00Z"), seconds(30)), 1);
}

TEST(MetricStoreTest, EmptyOrInvalidQueries) {
  MetricStore store;
  EXPECT_EQ(store.Query(kKey, At("2024-03-01T12:00:00Z"), seconds(60), std::nullopt), std::nullopt);
  store.Record(Obs(At("2024-03-01T12:00:00Z")), "a");
  EXPECT_EQ(store.Query(kKey, At("2024-03-01T12:00:00Z"), seconds(0), std::nullopt), std::nullopt);
  EXPECT_EQ(store.Query(kKey, At("2024-03-01T12:00:00Z"), seconds(-60), std::nullopt),
            std::nullopt);
  MetricKey other = kKey;
  other.dimensions = {{"User", "root"}};  // a different metric
  EXPECT_EQ(store.Query(other, At("2024-03-01T12:00:00Z"), seconds(60), std::nullopt),
            std::nullopt);
}

TEST(MetricStoreTest, UnitFilter) {
  MetricStore store;
  const TimePoint t = At("2024-03-01T12:00:10Z");
  store.Record(Obs(t, 1, "Count"), "a");
  store.Record(Obs(t, 2, "Count"), "b");
  store.Record(Obs(t, 500, "Bytes"), "c");
  store.Record(Obs(At("2024-03-01T12:01:10Z"), 7, "Bytes"), "d");
  const TimePoint start = At("2024-03-01T12:00:00Z");
  auto all = store.Query(kKey, start, minutes(2), std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->statistics.sample_count, 4);
  EXPECT_EQ(all->statistics.sum, 510);
  EXPECT_EQ(all->evidence_total, 4u);
  auto count = store.Query(kKey, start, minutes(2), "Count");
  ASSERT_TRUE(count);
  EXPECT_EQ(count->statistics.sum, 3);
  EXPECT_EQ(count->statistics.maximum, 2);
  // Minute 12:01 has no Count samples, so its evidence is not shown.
  EXPECT_EQ(count->evidence_total, 3u);
  auto bytes = store.Query(kKey, start, minutes(2), "Bytes");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->statistics.sum, 507);
  EXPECT_EQ(store.Query(kKey, start, minutes(2), "Seconds"), std::nullopt);
  EXPECT_EQ(store.Query(kKey, start, minutes(2), "count"), std::nullopt);
}

std::vector<std::string> Messages(const Aggregate& aggregate) {
  std::vector<std::string> out;
  for (const EvidenceEvent* e : aggregate.evidence) out.push_back(e->message);
  return out;
}

TEST(MetricStoreTest, EvidenceKeepsTheEarliestWhateverTheInputOrder) {
  // Two events share a timestamp; the message breaks the tie.
  std::vector<std::pair<std::string, std::string>> events = {
      {"2024-03-01T12:00:50Z", "e5"},  {"2024-03-01T12:00:01Z", "e1"},
      {"2024-03-01T12:00:20Z", "e3b"}, {"2024-03-01T12:00:20Z", "e3a"},
      {"2024-03-01T12:00:10Z", "e2"},  {"2024-03-01T12:00:40Z", "e4"},
      {"2024-03-01T12:01:30Z", "f2"},  {"2024-03-01T12:01:00Z", "f1"}};
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::shuffle(events.begin(), events.end(), rng);
    MetricStore store(3);
    for (const auto& [t, message] : events) store.Record(Obs(At(t.c_str())), message);
    // Default values are samples but never evidence.
    store.Record(Obs(At("2024-03-01T12:00:00Z"), 0, "Count", true), "default");

    auto minute = store.Query(kKey, At("2024-03-01T12:00:00Z"), seconds(60), std::nullopt);
    ASSERT_TRUE(minute);
    EXPECT_EQ(minute->statistics.sample_count, 7);
    EXPECT_EQ(minute->evidence_total, 6u);
    EXPECT_EQ(Messages(*minute), (std::vector<std::string>{"e1", "e2", "e3a"}));
    EXPECT_EQ(minute->evidence[0]->timestamp, At("2024-03-01T12:00:01Z"));

    // Over two minutes: each minute's earliest, earliest first.
    auto both = store.Query(kKey, At("2024-03-01T12:00:00Z"), minutes(2), std::nullopt);
    ASSERT_TRUE(both);
    EXPECT_EQ(both->evidence_total, 8u);
    EXPECT_EQ(Messages(*both), (std::vector<std::string>{"e1", "e2", "e3a", "f1", "f2"}));
  }
}

TEST(MetricStoreTest, ZeroEvidenceLimitStillCounts) {
  MetricStore store(0);
  store.Record(Obs(At("2024-03-01T12:00:00Z")), "a");
  auto aggregate = store.Query(kKey, At("2024-03-01T12:00:00Z"), seconds(60), std::nullopt);
  ASSERT_TRUE(aggregate);
  EXPECT_TRUE(aggregate->evidence.empty());
  EXPECT_EQ(aggregate->evidence_total, 1u);
}

// Serve's evidence: references to stored events, numbered from 1 by a
// batch and shifted to the store's ids when merged; ordered by timestamp,
// then id. A store without room for evidence still says where it is.
TEST(MetricStoreTest, EvidenceReferencesAreShiftedOnMergeAndOrderedById) {
  MetricStore batch(2);
  batch.Record(Obs(At("2024-03-01T12:00:30Z")), 1, "trail");
  batch.Record(Obs(At("2024-03-01T12:00:10Z")), 2, "trail");
  batch.Record(Obs(At("2024-03-01T12:00:10Z")), 3, "trail");
  batch.Record(Obs(At("2024-03-01T12:02:00Z")), 4, "other");
  MetricStore merged(2);
  merged.Merge(batch, 100);
  const MinuteData* first = merged.FindMinute(kKey, At("2024-03-01T12:00:00Z"));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->evidence_total, 3u);
  ASSERT_EQ(first->evidence.size(), 2u);
  EXPECT_EQ(first->evidence[0].event_id, 102);
  EXPECT_EQ(first->evidence[1].event_id, 103);
  EXPECT_EQ(first->evidence[1].log_group, "trail");
  EXPECT_TRUE(first->evidence[0].message.empty());

  MetricStore counts_only(0);
  counts_only.Merge(batch, 100);
  auto aggregate = counts_only.Query(kKey, At("2024-03-01T12:00:00Z"), minutes(3), std::nullopt);
  ASSERT_TRUE(aggregate);
  EXPECT_TRUE(aggregate->evidence.empty());
  EXPECT_EQ(aggregate->evidence_total, 4u);
  EXPECT_EQ(aggregate->evidence_minutes,
            (std::vector<TimePoint>{At("2024-03-01T12:00:00Z"), At("2024-03-01T12:02:00Z")}));
}

TEST(MetricStoreTest, MinutesBeforeTheEpochFloorDownward) {
  MetricStore store;
  store.Record(Obs(FromEpochMillis(-1)), "a");       // 1969-12-31T23:59:59.999
  store.Record(Obs(FromEpochMillis(-60'000)), "b");  // 23:59:00
  store.Record(Obs(FromEpochMillis(-60'001)), "c");  // 23:58:59.999
  EXPECT_EQ(SampleCount(store, FromEpochMillis(-60'000), seconds(60)), 2);
  EXPECT_EQ(SampleCount(store, FromEpochMillis(0), seconds(60)), 0);
  EXPECT_EQ(SampleCount(store, FromEpochMillis(-120'000), seconds(60)), 1);
  // A start inside the minute before the epoch: the next minute (0) is empty.
  EXPECT_EQ(SampleCount(store, FromEpochMillis(-30'000), seconds(60)), 0);
}

TEST(MetricStoreTest, KeysAndTotals) {
  MetricStore store;
  MetricKey bob{"NS", "Bytes", {{"User", "bob"}}};
  MetricKey alice{"NS", "Bytes", {{"User", "alice"}}};
  Observation o = Obs(At("2024-03-01T12:00:00Z"), 5, "Bytes");
  o.key = bob;
  store.Record(o, "x");
  o.timestamp = At("2024-03-02T08:00:00Z");
  o.value = 7;
  o.unit = "None";
  store.Record(o, "y");
  o.key = alice;
  store.Record(o, "z");
  store.Record(Obs(At("2024-03-01T12:00:00Z")), "w");

  EXPECT_EQ(store.Keys(), (std::vector<MetricKey>{kKey, alice, bob}));
  Statistics total = store.Total(bob);
  EXPECT_EQ(total.sample_count, 2);
  EXPECT_EQ(total.sum, 12);
  EXPECT_EQ(total.minimum, 5);
  EXPECT_EQ(store.Total(MetricKey{"NS", "Nope", {}}).sample_count, 0);
}

}  // namespace
}  // namespace tw::metrics

namespace tw::metrics {
namespace {

TEST(MetricStoreMergeTest, MergingEqualsRecordingEverythingInOneStore) {
  MetricKey key{"NS", "M", {}};
  auto observation = [&](std::int64_t ms, double value, bool is_default) {
    Observation o;
    o.key = key;
    o.unit = "Count";
    o.value = value;
    o.timestamp = FromEpochMillis(ms);
    o.is_default = is_default;
    return o;
  };
  MetricStore all(3), left(3), right(3);
  for (int i = 0; i < 40; ++i) {
    std::int64_t ms = 1'000 * ((i * 37) % 180);  // three minutes, out of order
    Observation o = observation(ms, i, i % 5 == 0);
    std::string message = "event " + std::to_string(i);
    all.Record(o, message);
    (i % 2 ? left : right).Record(o, message);
  }
  left.Merge(right);
  for (std::int64_t minute = 0; minute < 3; ++minute) {
    auto a =
        all.Query(key, FromEpochMillis(minute * 60'000), std::chrono::minutes(1), std::nullopt);
    auto b =
        left.Query(key, FromEpochMillis(minute * 60'000), std::chrono::minutes(1), std::nullopt);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->statistics.sample_count, b->statistics.sample_count);
    EXPECT_EQ(a->statistics.sum, b->statistics.sum);
    EXPECT_EQ(a->statistics.minimum, b->statistics.minimum);
    EXPECT_EQ(a->statistics.maximum, b->statistics.maximum);
    EXPECT_EQ(a->statistics.Get("p50"), b->statistics.Get("p50"));
    EXPECT_EQ(a->evidence_total, b->evidence_total);
    ASSERT_EQ(a->evidence.size(), b->evidence.size());
    for (std::size_t i = 0; i < a->evidence.size(); ++i) {
      EXPECT_EQ(a->evidence[i]->message, b->evidence[i]->message);
    }
  }
}

}  // namespace
}  // namespace tw::metrics

namespace tw::metrics {
namespace {

TEST(MetricEncodingTest, StatisticsReadBackBitForBit) {
  Statistics s;
  for (double v : {0.0, 1.0 / 3, 2.5e-300, 7e300, 42.0, -0.0}) s.Add(v);
  s.Add(9.75, 1000);
  std::string text = s.Encode();
  EXPECT_TRUE(text.starts_with("s1 ")) << text;
  std::optional<Statistics> back = Statistics::Decode(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->Get("p50"), s.Get("p50"));
  EXPECT_EQ(back->sample_count, 1006);

  Statistics negative;
  negative.Add(-3.5);
  std::optional<Statistics> negative_back = Statistics::Decode(negative.Encode());
  ASSERT_TRUE(negative_back.has_value());
  EXPECT_EQ(*negative_back, negative);
  EXPECT_EQ(negative_back->Get("p50"), std::nullopt);

  EXPECT_EQ(Statistics::Decode(Statistics().Encode()), Statistics());
  for (std::string_view bad :
       {"", "s2 0 0 0 0 q1 0 0 0 0 0 0", "s1 1 2", "s1 1 1 1 1 q1 1 0 0 1 1 1",
        "s1 1 1 1 1 q1 1 0 0 1 1 1 5 x", "q1 0 0 0 0 0 0"}) {
    EXPECT_EQ(Statistics::Decode(bad), std::nullopt) << bad;
  }
}

TEST(MetricStoreTest, MinutesCanBeListedMergedBackAndDropped) {
  MetricKey key{"NS", "M", {}};
  MetricStore store(2);
  TimePoint t0 = *ParseTimestamp("2024-03-01T12:00:10Z");
  for (int i = 0; i < 3; ++i) {
    store.Record({key, "Count", 1.0 + i, t0 + std::chrono::seconds(i)},
                 "event " + std::to_string(i));
  }
  store.Record({key, "Count", 5, t0 + std::chrono::minutes(2)}, "later");

  // A second store built only from what ForEachMinute shows equals the first.
  MetricStore copy(2);
  std::vector<TimePoint> minutes;
  store.ForEachMinute([&](const MetricKey& k, TimePoint minute, const MinuteData& data) {
    minutes.push_back(minute);
    copy.MergeMinute(k, minute, data);
  });
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_EQ(FormatIso8601(minutes[0]), "2024-03-01T12:00:00Z");
  // A slot is named by its start: the minute's, not a time inside it.
  const TimePoint m0 = minutes[0];
  EXPECT_EQ(copy.FindMinute(key, t0), nullptr);
  const MinuteData* first = copy.FindMinute(key, m0);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->evidence_total, 3u);
  ASSERT_EQ(first->evidence.size(), 2u);
  EXPECT_EQ(first->evidence[0].message, "event 0");
  EXPECT_EQ(first->by_unit.at("Count").sum, 6);
  EXPECT_EQ(copy.FindMinute(key, m0 + std::chrono::minutes(1)), nullptr);

  // Merging the same minute again adds, and keeps the evidence bound.
  copy.MergeMinute(key, m0, *store.FindMinute(key, m0));
  EXPECT_EQ(copy.FindMinute(key, m0)->by_unit.at("Count").sample_count, 6);
  EXPECT_EQ(copy.FindMinute(key, m0)->evidence.size(), 2u);

  copy.DropBefore(m0 + std::chrono::minutes(1));
  EXPECT_EQ(copy.FindMinute(key, m0), nullptr);
  EXPECT_NE(copy.FindMinute(key, m0 + std::chrono::minutes(2)), nullptr);
  copy.DropBefore(t0 + std::chrono::minutes(3));
  EXPECT_TRUE(copy.Keys().empty());
}

TEST(MetricStoreTest, HighResolutionSecondsAreTheirOwnSlots) {
  // PutMetricData with StorageResolution 1 merges seconds; a metric filter
  // records minutes. A 10-second period sees the seconds it holds.
  MetricKey key{"NS", "M", {}};
  MetricStore store;
  const TimePoint m0 = *ParseTimestamp("2024-03-01T12:00:00Z");
  auto second = [&](int s, double value) {
    MinuteData data;
    data.by_unit["None"].Add(value);
    store.MergeMinute(key, m0 + std::chrono::seconds(s), data);
  };
  second(12, 21.5);
  second(17, 3);
  second(25, 100);
  store.Record({key, "None", 1, m0 + std::chrono::seconds(40)}, "minute sample");

  std::vector<std::string> starts;
  for (TimePoint t : store.MinutesWithData(key)) starts.push_back(FormatIso8601(t));
  EXPECT_EQ(starts, (std::vector<std::string>{"2024-03-01T12:00:00Z", "2024-03-01T12:00:12Z",
                                              "2024-03-01T12:00:17Z", "2024-03-01T12:00:25Z"}));
  std::optional<Aggregate> ten =
      store.Query(key, m0 + std::chrono::seconds(10), std::chrono::seconds(10), std::nullopt);
  ASSERT_TRUE(ten.has_value());
  EXPECT_EQ(ten->statistics.sample_count, 2);
  EXPECT_EQ(ten->statistics.maximum, 21.5);
  // The minute's sample counts where its minute starts, with the seconds.
  std::optional<Aggregate> minute = store.Query(key, m0, std::chrono::minutes(1), std::nullopt);
  ASSERT_TRUE(minute.has_value());
  EXPECT_EQ(minute->statistics.sample_count, 4);
  EXPECT_EQ(minute->statistics.sum, 125.5);
  EXPECT_FALSE(
      store.Query(key, m0 + std::chrono::seconds(30), std::chrono::seconds(30), std::nullopt)
          .has_value());
  store.DropBefore(m0 + std::chrono::seconds(13));
  EXPECT_EQ(store.MinutesWithData(key).size(), 2u);
}

}  // namespace
}  // namespace tw::metrics
