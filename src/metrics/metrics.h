// Front door of metrics: metric filters turn log events into metric
// observations, and a MetricStore aggregates them per minute into the
// statistics CloudWatch computes (filter-patterns.md §7, aws-protocols-alarms.md §4.2–4.3).
//
//   auto filter = MetricFilter::Compile(spec);          // validates like PutMetricFilter
//   FilterSet group({*filter, ...});                      // all filters of one log group
//   MetricStore store;
//   event::EventView view;  view.Reset(message);
//   observations.clear();
//   group.Evaluate(view, event_time, &observations);     // one JSON parse for all filters
//   for (auto& o : observations) store.Record(o, message);
//   auto stats = store.Query(key, start, std::chrono::seconds(300), std::nullopt);
//
// Thread safety: MetricFilter and FilterSet are immutable and shareable;
// MetricStore is not synchronized (one writer; the server wraps it);
// DimensionLimit is synchronized.

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "event/event_view.h"
#include "pattern/pattern.h"

namespace tw::metrics {

// Dimension name -> value, sorted by name (a metric's identity includes them).
using Dimensions = std::vector<std::pair<std::string, std::string>>;

// A metric: namespace, name and full dimension set (aws-protocols-alarms.md §3.2).
struct MetricKey {
  std::string metric_namespace;
  std::string metric_name;
  Dimensions dimensions;  // sorted by name

  auto operator<=>(const MetricKey&) const = default;
  bool operator==(const MetricKey&) const = default;
  // "CloudTrailMetrics/IAMPolicyEventCount" or "NS/Name{Bucket=logs,User=bob}".
  std::string ToString() const;
};

// AWS::Logs::MetricFilter / PutMetricFilter, as configured (CloudFormation
// property names in comments).
struct MetricTransformation {
  std::string metric_namespace;         // MetricNamespace
  std::string metric_name;              // MetricName
  std::string metric_value;             // MetricValue: "1", "$.bytes", "$size", "$3"
  std::optional<double> default_value;  // DefaultValue
  std::vector<std::pair<std::string, std::string>> dimensions;  // Dimensions: Key -> reference
  std::string unit = "None";                                    // Unit (a CloudWatch StandardUnit)
};

struct MetricFilterSpec {
  std::string filter_name;              // FilterName
  std::string log_group_name;           // LogGroupName
  std::string filter_pattern;           // FilterPattern
  MetricTransformation transformation;  // MetricTransformations[0]
};

// One metric observation produced by one event.
struct Observation {
  MetricKey key;
  std::string unit;
  double value = 0;
  TimePoint timestamp;
  bool is_default = false;       // defaultValue for a non-matching event
  std::size_t filter_index = 0;  // which filter of the FilterSet produced it
};

class MetricFilter {
 public:
  // Validates `spec` with PutMetricFilter's rules and compiles its pattern and
  // references. Errors name the CloudFormation property, e.g.
  //   "FilterPattern: Invalid metric filter pattern. Column 3: ..."
  //   "MetricTransformations[0].DefaultValue: dimensions and default value are mutually exclusive"
  //   "MetricTransformations[0].Dimensions: The specified filter pattern does not support
  //   dimensions"
  static Result<MetricFilter> Compile(MetricFilterSpec spec);

  const MetricFilterSpec& spec() const { return spec_; }
  const pattern::Matcher& matcher() const { return *matcher_; }

  MetricFilter(MetricFilter&&) noexcept;
  MetricFilter& operator=(MetricFilter&&) noexcept;
  MetricFilter(const MetricFilter&);  // shares the compiled pattern
  MetricFilter& operator=(const MetricFilter&);
  ~MetricFilter();

 private:
  friend class FilterSet;
  struct Compiled;
  explicit MetricFilter(MetricFilterSpec spec);

  MetricFilterSpec spec_;
  std::shared_ptr<const pattern::Matcher> matcher_;
  std::shared_ptr<const Compiled> compiled_;  // references, never null after Compile
};

// All metric filters of one log group (at most 100), evaluated together.
class FilterSet {
 public:
  explicit FilterSet(std::vector<MetricFilter> filters);

  const std::vector<MetricFilter>& filters() const { return filters_; }

  // Appends to *out, for each filter: one observation of its metric value if
  // the event matches (none if the value reference is missing or not
  // numeric, or if PutMetricData would refuse the number: 0 < |v| < 2^-360
  // or |v| > 2^360), or one of its default value if it has one and the event
  // does not match (filter-patterns.md §7.3: per non-matching event). A
  // dimension whose reference is missing in the event is left out of that
  // observation. Returns the number of filters that matched, and adds one to
  // `matches[i]` for each filter i that matched when `matches` is given (one
  // slot per filter: the server's per-filter match counts). Once `event` is
  // warm, allocates only for the observations it appends.
  std::size_t Evaluate(event::EventView& event, TimePoint timestamp, std::vector<Observation>* out,
                       std::span<std::uint64_t> matches = {}) const;

 private:
  std::vector<MetricFilter> filters_;
};

// AWS's bound on a filter's dimensions: "CloudWatch Logs might disable a
// metric filter if it generates 1,000 different name/value pairs for your
// specified dimensions within one hour" (PutMetricFilter). trailwatch keeps
// the filter: in each clock hour the first 1,000 distinct dimension sets of
// a filter are published as they are, and an observation with any other set
// is published without its dimensions, so the dimensionless metric (and an
// alarm on it) still counts it while the number of series stays bounded.
// Thread-safe.
class DimensionLimit {
 public:
  static constexpr std::size_t kPerFilterPerHour = 1000;
  explicit DimensionLimit(std::size_t per_filter_per_hour = kPerFilterPerHour);

  // Clears the dimensions of those `observations` (made by `filters` of log
  // group `group`) whose set is new past the limit in the hour of `now`.
  // Returns how many it cleared.
  std::size_t Apply(std::string_view group, const FilterSet& filters, TimePoint now,
                    std::vector<Observation>* observations);

 private:
  struct Seen {
    std::int64_t hour = 0;
    std::set<Dimensions> sets;
  };
  const std::size_t limit_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Seen> by_filter_;  // (group, filter name)
};

// A mergeable quantile sketch with bounded relative error (DDSketch-style
// logarithmic buckets): for any q, Quantile(q) is within 1% (relative) of a
// value whose rank is that of the nearest-rank q-quantile. Handles zero;
// negative values are counted separately and make percentiles undefined, as
// in CloudWatch.
class QuantileSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;

  void Add(double value, double count = 1);
  void Merge(const QuantileSketch& other);
  // q in [0, 1]; nullopt when empty or when any value was negative.
  std::optional<double> Quantile(double q) const;
  double count() const { return count_; }

  // A text form for the store that reads back exactly: Decode(Encode(s))
  // == s, bit for bit. nullopt for text that Encode() cannot have written.
  std::string Encode() const;
  static std::optional<QuantileSketch> Decode(std::string_view text);
  bool operator==(const QuantileSketch&) const = default;

 private:
  std::map<int, double> buckets_;  // log-bucket index -> count (positive values)
  double zero_count_ = 0;
  double negative_count_ = 0;
  double count_ = 0;
  double min_ = 0, max_ = 0;  // exact extremes: q=0 and q=1 are exact
};

// True for a CloudWatch StandardUnit, spelled exactly ("Count",
// "Bytes/Second", "None"; aws-protocols-alarms.md §3.2).
bool IsStandardUnit(std::string_view unit);

// The percent of an extended statistic name, "p0"…"p100" with up to two
// decimals ("p99.9" -> 99.9); nullopt for anything else ("p", "p101",
// "p99.999", "P50").
std::optional<double> ParsePercentileStatistic(std::string_view name);

// What CloudWatch keeps for one bucket of one metric.
struct Statistics {
  double sample_count = 0;
  double sum = 0;
  double minimum = 0;
  double maximum = 0;
  QuantileSketch sketch;

  void Add(double value);
  // `count` samples of `value` at once (PutMetricData's Values and Counts).
  void Add(double value, double count);
  void Merge(const Statistics& other);
  bool operator==(const Statistics&) const = default;
  // Exact text form for the store (see QuantileSketch::Encode).
  std::string Encode() const;
  static std::optional<Statistics> Decode(std::string_view text);
  double average() const { return sample_count > 0 ? sum / sample_count : 0; }
  // "SampleCount", "Average", "Sum", "Minimum", "Maximum", or "pNN[.NN]"
  // (p0.0-p100); nullopt for an unknown name or an undefined percentile.
  std::optional<double> Get(std::string_view statistic) const;
};

// An event that matched a filter feeding a metric: the evidence. Either
// the message itself (replay), or a reference to a stored event (serve:
// `event_id` > 0 in `log_group`), which keeps memory and the metric rows
// small; the message is read back from the event store when an alarm needs
// it.
struct EvidenceEvent {
  TimePoint timestamp;
  std::string message;
  std::int64_t event_id = 0;
  std::string log_group;
};

// The samples and evidence of a time range of one metric.
struct Aggregate {
  Statistics statistics;
  // Earliest first, at most the store's limit per minute. Points into the
  // store: valid until its next Record().
  std::vector<const EvidenceEvent*> evidence;
  std::uint64_t evidence_total = 0;  // matching events in the range, shown or not
  // The minutes that hold those events, ascending: where a store that
  // keeps no evidence in memory (MetricStore(0)) finds it elsewhere.
  std::vector<TimePoint> evidence_minutes;
};

// One minute of one metric as a MetricStore keeps it (or one second, for
// high-resolution data put with StorageResolution 1): statistics per unit,
// and the earliest events (by timestamp, then text) with how many there were.
struct MinuteData {
  std::map<std::string, Statistics> by_unit;
  std::vector<EvidenceEvent> evidence;  // sorted, at most the store's limit
  std::uint64_t evidence_total = 0;
};

class MetricStore {
 public:
  // Keeps at most `evidence_per_minute` events per metric and minute: the
  // earliest by timestamp, so the choice does not depend on input order.
  explicit MetricStore(std::size_t evidence_per_minute = 10);

  // Adds one observation; `evidence` is the event's message (ignored for
  // default-value observations, which are not evidence).
  void Record(const Observation& observation, std::string_view evidence);
  // The same with a reference to the stored event instead of its message.
  void Record(const Observation& observation, std::int64_t event_id, std::string_view log_group);

  // Adds everything `other` holds, as if its observations had been recorded
  // here (evidence stays the earliest per minute). Lets a reader collect one
  // file apart and keep it only if the whole file was readable.
  // `event_id_offset` is added to the ids of `other`'s evidence references
  // (a batch numbers its events from 1 before the store gives them ids).
  void Merge(const MetricStore& other, std::int64_t event_id_offset = 0);

  // The statistics of every sample with start <= timestamp < start + period.
  // Samples are kept per minute (standard resolution, as metric filters
  // publish) or per second (high resolution), each slot counted in the
  // period that holds its start: a 10 s period without a minute boundary
  // sees only high-resolution samples. `unit`: only samples recorded with
  // that unit count. nullopt when there is no sample.
  std::optional<Aggregate> Query(const MetricKey& key, TimePoint start, Duration period,
                                 const std::optional<std::string>& unit) const;

  std::vector<MetricKey> Keys() const;
  // The starts of the slots (minutes, or seconds of high-resolution data)
  // that hold samples of `key`, ascending: an evaluator only needs to look
  // where data is.
  std::vector<TimePoint> MinutesWithData(const MetricKey& key) const;
  // All samples of a metric, over all time (for summaries).
  Statistics Total(const MetricKey& key) const;

  // For persistence: every slot of every metric, in key and time order;
  // one slot of one metric (nullptr when it has no data); and adding a
  // stored slot back, as Merge() would. A slot is named by its start: a
  // minute's start for standard data, a second's for high-resolution data.
  void ForEachMinute(
      const std::function<void(const MetricKey&, TimePoint, const MinuteData&)>& visit) const;
  const MinuteData* FindMinute(const MetricKey& key, TimePoint minute) const;
  void MergeMinute(const MetricKey& key, TimePoint minute, const MinuteData& data);
  // Puts a stored slot in place of what this store holds for it: a slot
  // that several writers added to, this store's own samples among them, is
  // counted once.
  void ReplaceMinute(const MetricKey& key, TimePoint minute, const MinuteData& data);
  // Forgets every minute that starts before `t` (CloudWatch keeps
  // one-minute data for 15 days), and metrics left without data.
  void DropBefore(TimePoint t);

 private:
  std::size_t evidence_per_minute_;
  std::map<MetricKey, std::map<std::int64_t, MinuteData>> series_;  // key -> epoch second -> data
};

}  // namespace tw::metrics
