// CloudWatch metrics kept in the store: the per-minute statistics of every
// metric (from metric filters and PutMetricData) with their evidence, held
// in memory as a metrics::MetricStore and written through to the store so
// that a restart rebuilds exactly what was acknowledged, and nodes sharing
// a store read each other's writes (Refresh). Evidence (the earliest
// matching events of each minute, as references to stored events) is only
// in the store: memory holds how many there were, and StoredEvidence()
// reads them when an alarm needs them.
//
// Writes come as batches: a caller collects one request's observations in a
// MetricStore of its own, Persist()s it inside the transaction that stores
// the request, and Apply()s it to memory once that transaction committed.
// One minute of one metric is one row, merged on write.
//
// Not synchronized: the Engine serializes calls.

#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "metrics/metrics.h"
#include "store/database.h"

namespace tw::server {

struct MetricDatapoint {
  TimePoint timestamp;  // the period's start
  metrics::Statistics statistics;
  std::string unit;
};

struct MetricQuery {
  metrics::MetricKey key;
  TimePoint start, end;  // [start, end)
  std::chrono::seconds period{60};
  std::optional<std::string> unit;
  // Without a unit: true gives one datapoint per unit (the API's view);
  // false adds every unit together, as an alarm without a Unit reads its
  // metric (the console's alarm graphs).
  bool units_apart = true;
};

class MetricService {
 public:
  // How long one-minute data is kept (CloudWatch: 15 days).
  static constexpr Duration kRetention = std::chrono::hours(24 * 15);

  // Creates the table if needed and loads every stored minute newer than
  // `now` - kRetention. `db` must outlive the service.
  static Result<std::unique_ptr<MetricService>> Open(store::Database* db, TimePoint now);

  const metrics::MetricStore& store() const { return store_; }

  // Adds `batch` to the stored minutes (inside the caller's transaction).
  Status Persist(const metrics::MetricStore& batch);
  // Adds `batch` to memory; call after the transaction of Persist() committed.
  void Apply(const metrics::MetricStore& batch);
  // Reads the minutes other writers of a shared store (nodes on one
  // PostgreSQL database) wrote since the last call, in place of what memory
  // holds for them. Returns how many minute rows were read. Not between a
  // Persist() and its Apply(): the callers' lock keeps them together.
  Result<std::int64_t> Refresh(TimePoint now);
  // The evidence of the given minutes of `key`, in their order and each
  // minute's (earliest first), at most `limit` in all.
  Result<std::vector<metrics::EvidenceEvent>> StoredEvidence(const metrics::MetricKey& key,
                                                             const std::vector<TimePoint>& minutes,
                                                             std::size_t limit);
  // Forgets minutes older than the retention, in memory and in the store.
  // Returns how many stored minute rows were deleted.
  Result<std::int64_t> DropExpired(TimePoint now);

  // One datapoint per period of [start, end) that holds samples, ascending;
  // with units_apart and no unit in the query, one per unit recorded in
  // that period (by unit name), as CloudWatch never adds samples of
  // different units. A datapoint's unit is "None" when its samples mix units.
  std::vector<MetricDatapoint> Datapoints(const MetricQuery& query) const;

  // Metrics with data, by namespace, name, dimensions; `name_filter` and
  // `namespace_filter` empty match all; each dimension filter (name, value)
  // must be in the metric's dimensions (an empty value matches any value).
  std::vector<metrics::MetricKey> List(
      const std::string& namespace_filter, const std::string& name_filter,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& dimension_filters,
      std::optional<TimePoint> active_since) const;

 private:
  explicit MetricService(store::Database* db) : db_(db), store_(0) {}
  static constexpr std::size_t kEvidencePerMinute = 10;

  // Reads the rows written after version `after_version` within the
  // retention at `now` into memory.
  Result<std::int64_t> Load(std::int64_t after_version, TimePoint now);

  store::Database* db_;
  metrics::MetricStore store_;
  std::int64_t seen_version_ = 0;  // every row up to it is in memory
};

}  // namespace tw::server
