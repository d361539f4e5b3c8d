#include "server/metric_service.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace tw::server {
namespace {

using Json = nlohmann::json;

// Migrations are applied by index and never edited. Since high-resolution
// data, `minute` is the start of a slot: a minute, or a second of data put
// with StorageResolution 1.
constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE metric_minutes (
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  dimensions TEXT NOT NULL,  -- JSON [[name, value], ...], sorted by name
  minute     INTEGER NOT NULL,  -- epoch milliseconds of the minute's start
  data       TEXT NOT NULL,     -- JSON: {"u": {unit: statistics}, "n": total,
                                --        "e": [[ms, event id, log group] or [ms, text]]}
  PRIMARY KEY (namespace, name, dimensions, minute)
);
CREATE INDEX metric_minutes_by_time ON metric_minutes (minute);
)sql",
    // Every write of a minute row carries a version from one sequence, taken
    // inside the writers' lock, so versions commit in order: a node that has
    // read every row up to version V has every other node's writes up to V
    // (Refresh).
    R"sql(
ALTER TABLE metric_minutes ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX metric_minutes_by_version ON metric_minutes (version);
CREATE TABLE metric_version (next_version INTEGER NOT NULL);
INSERT INTO metric_version (next_version) VALUES (1);
)sql",
};

std::string DimensionsJson(const metrics::Dimensions& dimensions) {
  Json j = Json::array();
  for (const auto& [name, value] : dimensions) j.push_back({name, value});
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

metrics::Dimensions ParseDimensions(std::string_view text) {
  metrics::Dimensions out;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const Json& pair : j) {
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
      out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  return out;
}

std::string EncodeMinute(const metrics::MinuteData& data) {
  Json units = Json::object();
  for (const auto& [unit, statistics] : data.by_unit) units[unit] = statistics.Encode();
  Json evidence = Json::array();
  for (const metrics::EvidenceEvent& e : data.evidence) {
    if (e.event_id > 0) {
      evidence.push_back({ToEpochMillis(e.timestamp), e.event_id, e.log_group});
    } else {
      evidence.push_back({ToEpochMillis(e.timestamp), e.message});
    }
  }
  Json j{{"u", units}, {"n", data.evidence_total}, {"e", evidence}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<metrics::MinuteData> DecodeMinute(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("u") || !j["u"].is_object()) {
    return DataLoss("a stored metric minute cannot be read");
  }
  metrics::MinuteData data;
  for (auto it = j["u"].begin(); it != j["u"].end(); ++it) {
    if (!it.value().is_string()) return DataLoss("a stored metric minute cannot be read");
    std::optional<metrics::Statistics> s =
        metrics::Statistics::Decode(it.value().get<std::string>());
    if (!s) return DataLoss("a stored metric minute has unreadable statistics");
    data.by_unit[it.key()] = std::move(*s);
  }
  data.evidence_total = j.value("n", std::uint64_t{0});
  if (j.contains("e") && j["e"].is_array()) {
    for (const Json& e : j["e"]) {
      if (e.is_array() && e.size() == 2 && e[0].is_number_integer() && e[1].is_string()) {
        // Written before evidence referred to stored events.
        data.evidence.push_back(
            {FromEpochMillis(e[0].get<std::int64_t>()), e[1].get<std::string>()});
      } else if (e.is_array() && e.size() == 3 && e[0].is_number_integer() &&
                 e[1].is_number_integer() && e[2].is_string() && e[1].get<std::int64_t>() > 0) {
        data.evidence.push_back({FromEpochMillis(e[0].get<std::int64_t>()), "",
                                 e[1].get<std::int64_t>(), e[2].get<std::string>()});
      }
    }
  }
  return data;
}

}  // namespace

Result<std::unique_ptr<MetricService>> MetricService::Open(store::Database* db, TimePoint now) {
  TW_RETURN_IF_ERROR(db->Migrate("metrics", kSchema));
  std::unique_ptr<MetricService> service(new MetricService(db));
  // From -1: rows written before versions existed carry version 0.
  Result<std::int64_t> loaded = service->Load(-1, now);
  if (!loaded.ok()) return loaded.status();
  return service;
}

Result<std::int64_t> MetricService::Refresh(TimePoint now) { return Load(seen_version_, now); }

Result<std::int64_t> MetricService::Load(std::int64_t after_version, TimePoint now) {
  Result<store::Statement> q = db_->Prepare(
      "SELECT namespace, name, dimensions, minute, data, version FROM metric_minutes "
      "WHERE version > ? AND minute >= ?");
  if (!q.ok()) return q.status();
  q->BindAll(after_version, ToEpochMillis(now - kRetention));
  std::int64_t rows = 0;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    metrics::MetricKey key{q->ColumnText(0), q->ColumnText(1), ParseDimensions(q->ColumnText(2))};
    Result<metrics::MinuteData> data = DecodeMinute(q->ColumnText(4));
    if (!data.ok()) return data.status();
    // The row is the minute's whole: this node's samples and the others'.
    store_.ReplaceMinute(key, FromEpochMillis(q->ColumnInt(3)), *data);
    seen_version_ = std::max(seen_version_, q->ColumnInt(5));
    ++rows;
  }
  return rows;
}

Status MetricService::Persist(const metrics::MetricStore& batch) {
  if (batch.Keys().empty()) return Status::Ok();
  Result<std::int64_t> version = db_->TakeFromCounter("metric_version", "next_version", 1);
  if (!version.ok()) return version.status();
  Result<store::Statement> read = db_->Prepare(
      "SELECT data FROM metric_minutes WHERE namespace = ? AND name = ? AND dimensions = ? AND "
      "minute = ?");
  Result<store::Statement> write = db_->Prepare(
      "INSERT INTO metric_minutes (namespace, name, dimensions, minute, data, version) VALUES "
      "(?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, name, dimensions, minute) DO UPDATE SET "
      "data = excluded.data, version = excluded.version");
  if (!read.ok()) return read.status();
  if (!write.ok()) return write.status();
  Status status;
  batch.ForEachMinute(
      [&](const metrics::MetricKey& key, TimePoint minute, const metrics::MinuteData& data) {
        if (!status.ok()) return;
        const std::string dimensions = DimensionsJson(key.dimensions);
        read->BindAll(key.metric_namespace, key.metric_name, dimensions, ToEpochMillis(minute));
        Result<bool> row = read->Step();
        if (!row.ok()) {
          status = row.status();
          return;
        }
        // Merge through a one-minute store, so the evidence bound and order are
        // exactly the in-memory store's.
        metrics::MetricStore merged(kEvidencePerMinute);
        if (*row) {
          Result<metrics::MinuteData> stored = DecodeMinute(read->ColumnText(0));
          if (!stored.ok()) {
            status = stored.status();
            return;
          }
          merged.MergeMinute(key, minute, *stored);
        }
        read->Reset();
        merged.MergeMinute(key, minute, data);
        write->BindAll(key.metric_namespace, key.metric_name, dimensions, ToEpochMillis(minute),
                       EncodeMinute(*merged.FindMinute(key, minute)), *version);
        status = write->Run();
      });
  return status;
}

void MetricService::Apply(const metrics::MetricStore& batch) { store_.Merge(batch); }

Result<std::vector<metrics::EvidenceEvent>> MetricService::StoredEvidence(
    const metrics::MetricKey& key, const std::vector<TimePoint>& minutes, std::size_t limit) {
  Result<store::Statement> read = db_->Prepare(
      "SELECT data FROM metric_minutes WHERE namespace = ? AND name = ? AND dimensions = ? AND "
      "minute = ?");
  if (!read.ok()) return read.status();
  const std::string dimensions = DimensionsJson(key.dimensions);
  std::vector<metrics::EvidenceEvent> out;
  for (TimePoint minute : minutes) {
    if (out.size() >= limit) break;
    read->BindAll(key.metric_namespace, key.metric_name, dimensions, ToEpochMillis(minute));
    Result<bool> row = read->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      Result<metrics::MinuteData> stored = DecodeMinute(read->ColumnText(0));
      if (!stored.ok()) return stored.status();
      for (metrics::EvidenceEvent& e : stored->evidence) {
        if (out.size() >= limit) break;
        out.push_back(std::move(e));
      }
    }
    read->Reset();
  }
  return out;
}

Result<std::int64_t> MetricService::DropExpired(TimePoint now) {
  const TimePoint cutoff = now - kRetention;
  Result<store::Statement> d = db_->Prepare("DELETE FROM metric_minutes WHERE minute < ?");
  if (!d.ok()) return d.status();
  d->Bind(1, ToEpochMillis(cutoff));
  TW_RETURN_IF_ERROR(d->Run());
  const std::int64_t deleted = db_->Changes();
  store_.DropBefore(cutoff);
  return deleted;
}

std::vector<MetricDatapoint> MetricService::Datapoints(const MetricQuery& q) const {
  std::vector<MetricDatapoint> out;
  const Duration period = std::chrono::duration_cast<Duration>(q.period);
  if (period <= Duration::zero()) return out;
  // Only minutes with data matter: walk them rather than every period.
  const std::vector<TimePoint> minutes = store_.MinutesWithData(q.key);
  const TimePoint first = FloorTo(q.start, std::chrono::minutes(1));
  std::size_t i = 0;
  while (i < minutes.size()) {
    if (minutes[i] < first || minutes[i] >= q.end) {
      ++i;
      continue;
    }
    const TimePoint bucket = first + ((minutes[i] - first) / period) * period;
    // CloudWatch never adds samples of different units: without a Unit, a
    // period holding several gives one datapoint per unit.
    std::set<std::string> units;
    for (; i < minutes.size() && minutes[i] < bucket + period && minutes[i] < q.end; ++i) {
      if (const metrics::MinuteData* data = store_.FindMinute(q.key, minutes[i])) {
        for (const auto& [unit, statistics] : data->by_unit) units.insert(unit);
      }
    }
    if (q.unit) {
      if (std::optional<metrics::Aggregate> a = store_.Query(q.key, bucket, period, q.unit)) {
        out.push_back({bucket, a->statistics, *q.unit});
      }
    } else if (!q.units_apart) {
      if (std::optional<metrics::Aggregate> a = store_.Query(q.key, bucket, period, {})) {
        out.push_back({bucket, a->statistics, units.size() == 1 ? *units.begin() : "None"});
      }
    } else {
      for (const std::string& unit : units) {
        if (std::optional<metrics::Aggregate> a = store_.Query(q.key, bucket, period, unit)) {
          out.push_back({bucket, a->statistics, unit});
        }
      }
    }
  }
  return out;
}

std::vector<metrics::MetricKey> MetricService::List(
    const std::string& namespace_filter, const std::string& name_filter,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& dimension_filters,
    std::optional<TimePoint> active_since) const {
  std::vector<metrics::MetricKey> out;
  for (const metrics::MetricKey& key : store_.Keys()) {
    if (!namespace_filter.empty() && key.metric_namespace != namespace_filter) continue;
    if (!name_filter.empty() && key.metric_name != name_filter) continue;
    bool dims_match =
        std::all_of(dimension_filters.begin(), dimension_filters.end(), [&](const auto& filter) {
          return std::any_of(key.dimensions.begin(), key.dimensions.end(), [&](const auto& d) {
            return d.first == filter.first && (!filter.second || d.second == *filter.second);
          });
        });
    if (!dims_match) continue;
    if (active_since) {
      std::vector<TimePoint> minutes = store_.MinutesWithData(key);
      if (minutes.empty() || minutes.back() < *active_since) continue;
    }
    out.push_back(key);
  }
  return out;
}

}  // namespace tw::server
