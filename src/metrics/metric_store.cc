// MetricStore: per-minute buckets of every metric, as CloudWatch keeps
// metric-filter data at standard (60 s) resolution (filter-patterns.md §7.3),
// and per-second ones for PutMetricData's high-resolution datapoints.

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

#include "metrics/metrics.h"

namespace tw::metrics {

namespace {

constexpr std::int64_t kSecondMillis = 1'000;

// The store keys its slots by epoch second: a minute of standard data
// starts on a multiple of 60, a second of high-resolution data anywhere.
// Rounded toward -inf so pre-1970 instants stay ordered.
std::int64_t SecondOf(TimePoint t) {
  return ToEpochMillis(FloorTo(t, Duration(kSecondMillis))) / kSecondMillis;
}

std::int64_t MinuteSlotOf(TimePoint t) {
  return ToEpochMillis(FloorTo(t, std::chrono::minutes(1))) / kSecondMillis;
}

// The first epoch second whose start is >= ms.
std::int64_t FirstSecondAtOrAfter(std::int64_t ms) {
  std::int64_t floor = ToEpochMillis(FloorTo(FromEpochMillis(ms), Duration(kSecondMillis)));
  return floor / kSecondMillis + (floor < ms ? 1 : 0);
}

TimePoint SlotStart(std::int64_t slot) { return TimePoint(std::chrono::seconds(slot)); }

// Evidence order: timestamp, then event id (stored events), then message, a
// total order, so the earliest K are the same set whatever order the events
// arrive in.
bool EvidenceBefore(const EvidenceEvent& a, TimePoint t, std::int64_t event_id,
                    std::string_view message) {
  if (a.timestamp != t) return a.timestamp < t;
  if (a.event_id != event_id) return a.event_id < event_id;
  return std::string_view(a.message) < message;
}

void Keep(MinuteData* minute, std::size_t limit, TimePoint t, std::int64_t event_id,
          std::string_view message, std::string_view log_group) {
  std::vector<EvidenceEvent>& kept = minute->evidence;
  auto it = std::find_if(kept.begin(), kept.end(), [&](const EvidenceEvent& e) {
    return !EvidenceBefore(e, t, event_id, message);
  });
  // Full and later than everything kept: decided before copying the message.
  if (kept.size() >= limit && it == kept.end()) return;
  kept.insert(it, EvidenceEvent{t, std::string(message), event_id, std::string(log_group)});
  if (kept.size() > limit) kept.pop_back();
}

// Adds `theirs` to `ours`: statistics per unit, counts, and the earliest
// `limit` events of both.
void MergeMinuteData(MinuteData* ours, const MinuteData& theirs, std::size_t limit,
                     std::int64_t event_id_offset = 0) {
  for (const auto& [unit, statistics] : theirs.by_unit) ours->by_unit[unit].Merge(statistics);
  ours->evidence_total += theirs.evidence_total;
  std::vector<EvidenceEvent> merged;
  merged.reserve(ours->evidence.size() + theirs.evidence.size());
  if (limit == 0) {
    ours->evidence.clear();
    return;
  }
  std::vector<EvidenceEvent> shifted;
  const std::vector<EvidenceEvent>* incoming = &theirs.evidence;
  if (event_id_offset != 0) {
    shifted = theirs.evidence;
    for (EvidenceEvent& e : shifted) {
      if (e.event_id > 0) e.event_id += event_id_offset;
    }
    incoming = &shifted;
  }
  std::merge(ours->evidence.begin(), ours->evidence.end(), incoming->begin(), incoming->end(),
             std::back_inserter(merged), [](const EvidenceEvent& a, const EvidenceEvent& b) {
               return EvidenceBefore(a, b.timestamp, b.event_id, b.message);
             });
  if (merged.size() > limit) merged.resize(limit);
  ours->evidence = std::move(merged);
}

}  // namespace

MetricStore::MetricStore(std::size_t evidence_per_minute)
    : evidence_per_minute_(evidence_per_minute) {}

void MetricStore::Record(const Observation& observation, std::string_view evidence) {
  MinuteData& minute = series_[observation.key][MinuteSlotOf(observation.timestamp)];
  minute.by_unit[observation.unit].Add(observation.value);
  // A default value stands for an event that did not match: nothing to show.
  if (observation.is_default) return;
  ++minute.evidence_total;
  Keep(&minute, evidence_per_minute_, observation.timestamp, 0, evidence, "");
}

void MetricStore::Record(const Observation& observation, std::int64_t event_id,
                         std::string_view log_group) {
  MinuteData& minute = series_[observation.key][MinuteSlotOf(observation.timestamp)];
  minute.by_unit[observation.unit].Add(observation.value);
  if (observation.is_default) return;
  ++minute.evidence_total;
  Keep(&minute, evidence_per_minute_, observation.timestamp, event_id, "", log_group);
}

void MetricStore::Merge(const MetricStore& other, std::int64_t event_id_offset) {
  for (const auto& [key, minutes] : other.series_) {
    auto& series = series_[key];
    for (const auto& [slot, theirs] : minutes) {
      MergeMinuteData(&series[slot], theirs, evidence_per_minute_, event_id_offset);
    }
  }
}

void MetricStore::MergeMinute(const MetricKey& key, TimePoint minute, const MinuteData& data) {
  MergeMinuteData(&series_[key][SecondOf(minute)], data, evidence_per_minute_);
}

void MetricStore::ReplaceMinute(const MetricKey& key, TimePoint minute, const MinuteData& data) {
  MinuteData& slot = series_[key][SecondOf(minute)];
  slot = MinuteData{};
  MergeMinuteData(&slot, data, evidence_per_minute_);
}

const MinuteData* MetricStore::FindMinute(const MetricKey& key, TimePoint minute) const {
  auto series = series_.find(key);
  if (series == series_.end()) return nullptr;
  auto it = series->second.find(SecondOf(minute));
  return it == series->second.end() ? nullptr : &it->second;
}

void MetricStore::ForEachMinute(
    const std::function<void(const MetricKey&, TimePoint, const MinuteData&)>& visit) const {
  for (const auto& [key, minutes] : series_) {
    for (const auto& [slot, data] : minutes) visit(key, SlotStart(slot), data);
  }
}

void MetricStore::DropBefore(TimePoint t) {
  const std::int64_t first_kept = FirstSecondAtOrAfter(ToEpochMillis(t));
  for (auto it = series_.begin(); it != series_.end();) {
    auto& minutes = it->second;
    minutes.erase(minutes.begin(), minutes.lower_bound(first_kept));
    it = minutes.empty() ? series_.erase(it) : std::next(it);
  }
}

std::optional<Aggregate> MetricStore::Query(const MetricKey& key, TimePoint start, Duration period,
                                            const std::optional<std::string>& unit) const {
  if (period <= Duration::zero()) return std::nullopt;
  auto series = series_.find(key);
  if (series == series_.end()) return std::nullopt;
  // Slots whose start lies in [start, start + period): a sample is kept
  // only with its minute (or second), so the slot's start stands for all of it.
  const std::int64_t begin_ms = ToEpochMillis(start);
  const std::int64_t first = FirstSecondAtOrAfter(begin_ms);
  const std::int64_t last = FirstSecondAtOrAfter(begin_ms + period.count());  // exclusive
  Aggregate aggregate;
  for (auto it = series->second.lower_bound(first); it != series->second.end() && it->first < last;
       ++it) {
    const MinuteData& minute = it->second;
    bool contributed = false;
    for (const auto& [minute_unit, statistics] : minute.by_unit) {
      if (unit && minute_unit != *unit) continue;
      aggregate.statistics.Merge(statistics);
      contributed = contributed || statistics.sample_count > 0;
    }
    // Evidence is not kept per unit; a minute whose samples were all of
    // another unit shows none, so evidence never explains samples that
    // were filtered out.
    if (!contributed) continue;
    aggregate.evidence_total += minute.evidence_total;
    for (const EvidenceEvent& e : minute.evidence) aggregate.evidence.push_back(&e);
    if (minute.evidence_total > 0) {
      aggregate.evidence_minutes.push_back(SlotStart(it->first));
    }
  }
  if (aggregate.statistics.sample_count == 0) return std::nullopt;
  return aggregate;
}

std::vector<MetricKey> MetricStore::Keys() const {
  std::vector<MetricKey> keys;
  keys.reserve(series_.size());
  for (const auto& [key, minutes] : series_) keys.push_back(key);
  return keys;
}

std::vector<TimePoint> MetricStore::MinutesWithData(const MetricKey& key) const {
  std::vector<TimePoint> starts;
  auto series = series_.find(key);
  if (series == series_.end()) return starts;
  starts.reserve(series->second.size());
  for (const auto& [slot, minute] : series->second) starts.push_back(SlotStart(slot));
  return starts;
}

Statistics MetricStore::Total(const MetricKey& key) const {
  Statistics total;
  auto series = series_.find(key);
  if (series == series_.end()) return total;
  for (const auto& [slot, minute] : series->second) {
    for (const auto& [unit, statistics] : minute.by_unit) total.Merge(statistics);
  }
  return total;
}

}  // namespace tw::metrics
