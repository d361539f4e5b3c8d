#include <algorithm>

#include "metrics/metrics.h"

namespace tw::metrics {

DimensionLimit::DimensionLimit(std::size_t per_filter_per_hour) : limit_(per_filter_per_hour) {}

std::size_t DimensionLimit::Apply(std::string_view group, const FilterSet& filters, TimePoint now,
                                  std::vector<Observation>* observations) {
  const bool any = std::any_of(observations->begin(), observations->end(),
                               [](const Observation& o) { return !o.key.dimensions.empty(); });
  if (!any) return 0;  // the common case takes no lock
  const std::int64_t hour = ToEpochMillis(now) / (3600 * 1000);
  std::size_t cleared = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  for (Observation& o : *observations) {
    if (o.key.dimensions.empty()) continue;
    Seen& seen =
        by_filter_[{std::string(group), filters.filters().at(o.filter_index).spec().filter_name}];
    if (seen.hour != hour) {
      seen.hour = hour;
      seen.sets.clear();
    }
    if (seen.sets.count(o.key.dimensions)) continue;
    if (seen.sets.size() < limit_) {
      seen.sets.insert(o.key.dimensions);
      continue;
    }
    o.key.dimensions.clear();
    ++cleared;
  }
  return cleared;
}

}  // namespace tw::metrics
