#include "server/alarm_service.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "alarm/silencing.h"

namespace tw::server {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSchema[] = {
    R"sql(
CREATE TABLE alarms (
  name               TEXT PRIMARY KEY,
  spec               TEXT NOT NULL,  -- JSON, PutMetricAlarm's member names
  tags               TEXT NOT NULL DEFAULT '{}',
  state              TEXT NOT NULL,
  reason             TEXT NOT NULL,
  reason_data        TEXT NOT NULL,
  state_updated      INTEGER NOT NULL,
  state_transitioned INTEGER NOT NULL,
  config_updated     INTEGER NOT NULL
);
CREATE TABLE alarm_history (
  id         INTEGER PRIMARY KEY,
  alarm_name TEXT NOT NULL,
  timestamp  INTEGER NOT NULL,
  type       TEXT NOT NULL,
  summary    TEXT NOT NULL,
  data       TEXT NOT NULL
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_name, timestamp);
)sql",
    // The events behind the latest change to ALARM, for the console.
    "ALTER TABLE alarms ADD COLUMN evidence TEXT NOT NULL DEFAULT ''",
    // Pruning history by age (PruneHistory) without scanning the table.
    "CREATE INDEX alarm_history_by_time ON alarm_history (timestamp)",
    // Composite alarms (PutCompositeAlarm); their history shares alarm_history.
    R"sql(
CREATE TABLE composite_alarms (
  name               TEXT PRIMARY KEY,
  spec               TEXT NOT NULL,  -- JSON, PutCompositeAlarm's member names
  tags               TEXT NOT NULL DEFAULT '{}',
  state              TEXT NOT NULL,
  reason             TEXT NOT NULL,
  reason_data        TEXT NOT NULL,
  state_updated      INTEGER NOT NULL,
  state_transitioned INTEGER NOT NULL,
  config_updated     INTEGER NOT NULL
);
)sql",
    // ActionsSuppressor's state: by what, until when, and the state a held
    // change left ('' for none).
    R"sql(
ALTER TABLE composite_alarms ADD COLUMN suppressed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE composite_alarms ADD COLUMN suppressed_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE composite_alarms ADD COLUMN held_from TEXT NOT NULL DEFAULT '';
)sql",
    // The last boundary the evaluator evaluated, written with its
    // transitions: a node taking over from one that died neither repeats
    // nor skips a boundary.
    R"sql(
CREATE TABLE evaluator_progress (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  last_boundary INTEGER NOT NULL  -- epoch milliseconds
);
)sql",
};

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json SpecJson(const alarm::AlarmSpec& s) {
  Json dims = Json::array();
  for (const auto& [name, value] : s.dimensions) dims.push_back({{"Name", name}, {"Value", value}});
  Json j{{"AlarmName", s.alarm_name},
         {"AlarmDescription", s.alarm_description},
         {"AlarmArn", s.alarm_arn},
         {"Namespace", s.metric_namespace},
         {"MetricName", s.metric_name},
         {"Dimensions", dims},
         {"Statistic", s.statistic},
         {"ExtendedStatistic", s.extended_statistic},
         {"Period", s.period.count()},
         {"EvaluationPeriods", s.evaluation_periods},
         {"Threshold", s.threshold},
         {"ComparisonOperator", alarm::ComparisonOperatorName(s.comparison_operator)},
         {"TreatMissingData", alarm::TreatMissingDataName(s.treat_missing_data)},
         {"TreatMissingDataGiven", s.treat_missing_data_given},
         {"EvaluateLowSampleCountPercentile", s.evaluate_low_sample_count_percentile},
         {"ActionsEnabled", s.actions_enabled},
         {"AlarmActions", s.alarm_actions},
         {"OKActions", s.ok_actions},
         {"InsufficientDataActions", s.insufficient_data_actions}};
  if (s.datapoints_to_alarm) j["DatapointsToAlarm"] = *s.datapoints_to_alarm;
  if (s.unit) j["Unit"] = *s.unit;
  return j;
}

std::vector<std::string> Strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || !j[key].is_array()) return out;
  for (const Json& v : j[key]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Result<alarm::AlarmSpec> ParseSpec(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return DataLoss("a stored alarm cannot be read");
  alarm::AlarmSpec s;
  s.alarm_name = j.value("AlarmName", "");
  s.alarm_description = j.value("AlarmDescription", "");
  s.alarm_arn = j.value("AlarmArn", "");
  s.metric_namespace = j.value("Namespace", "");
  s.metric_name = j.value("MetricName", "");
  if (j.contains("Dimensions") && j["Dimensions"].is_array()) {
    for (const Json& d : j["Dimensions"]) {
      s.dimensions.emplace_back(d.value("Name", ""), d.value("Value", ""));
    }
  }
  s.statistic = j.value("Statistic", "");
  s.extended_statistic = j.value("ExtendedStatistic", "");
  s.period = std::chrono::seconds(j.value("Period", 60));
  s.evaluation_periods = j.value("EvaluationPeriods", 1);
  if (j.contains("DatapointsToAlarm")) s.datapoints_to_alarm = j.value("DatapointsToAlarm", 1);
  s.threshold = j.value("Threshold", 0.0);
  Result<alarm::ComparisonOperator> op =
      alarm::ParseComparisonOperator(j.value("ComparisonOperator", ""));
  Result<alarm::TreatMissingData> missing =
      alarm::ParseTreatMissingData(j.value("TreatMissingData", "missing"));
  if (!op.ok() || !missing.ok()) return DataLoss("a stored alarm cannot be read");
  s.comparison_operator = *op;
  s.treat_missing_data = *missing;
  // Alarms stored before the flag existed showed their value: keep that.
  s.treat_missing_data_given = j.value("TreatMissingDataGiven", true);
  s.evaluate_low_sample_count_percentile = j.value("EvaluateLowSampleCountPercentile", true);
  if (j.contains("Unit") && j["Unit"].is_string()) s.unit = j["Unit"].get<std::string>();
  s.actions_enabled = j.value("ActionsEnabled", true);
  s.alarm_actions = Strings(j, "AlarmActions");
  s.ok_actions = Strings(j, "OKActions");
  s.insufficient_data_actions = Strings(j, "InsufficientDataActions");
  return s;
}

alarm::StateValue ParseState(std::string_view text) {
  if (text == "OK") return alarm::StateValue::kOk;
  if (text == "ALARM") return alarm::StateValue::kAlarm;
  return alarm::StateValue::kInsufficientData;
}

std::map<std::string, std::string> ParseTags(std::string_view text) {
  std::map<std::string, std::string> tags;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return tags;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) tags[it.key()] = it.value().get<std::string>();
  }
  return tags;
}

constexpr const char* kColumns =
    "name, spec, tags, state, reason, reason_data, state_updated, state_transitioned, "
    "config_updated, evidence";

Result<StoredAlarm> ReadAlarm(const store::Statement& row) {
  Result<alarm::AlarmSpec> spec = ParseSpec(row.ColumnText(1));
  if (!spec.ok()) return spec.status();
  StoredAlarm a;
  a.spec = std::move(spec).value();
  a.tags = ParseTags(row.ColumnText(2));
  a.state.value = ParseState(row.ColumnText(3));
  a.state.reason = row.ColumnText(4);
  a.state.reason_data = row.ColumnText(5);
  a.state.updated = FromEpochMillis(row.ColumnInt(6));
  a.state_transitioned = FromEpochMillis(row.ColumnInt(7));
  a.configuration_updated = FromEpochMillis(row.ColumnInt(8));
  a.latest_alarm_evidence = row.ColumnText(9);
  return a;
}

Json CompositeJson(const alarm::CompositeSpec& s) {
  Json j{{"AlarmName", s.alarm_name},
         {"AlarmDescription", s.alarm_description},
         {"AlarmArn", s.alarm_arn},
         {"AlarmRule", s.alarm_rule},
         {"ActionsEnabled", s.actions_enabled},
         {"AlarmActions", s.alarm_actions},
         {"OKActions", s.ok_actions},
         {"InsufficientDataActions", s.insufficient_data_actions}};
  if (!s.actions_suppressor.empty()) {
    j["ActionsSuppressor"] = s.actions_suppressor;
    j["ActionsSuppressorWaitPeriod"] = s.actions_suppressor_wait_period.value_or(0);
    j["ActionsSuppressorExtensionPeriod"] = s.actions_suppressor_extension_period.value_or(0);
  }
  return j;
}

Result<alarm::CompositeSpec> ParseComposite(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return DataLoss("a stored composite alarm cannot be read");
  alarm::CompositeSpec s;
  s.alarm_name = j.value("AlarmName", "");
  s.alarm_description = j.value("AlarmDescription", "");
  s.alarm_arn = j.value("AlarmArn", "");
  s.alarm_rule = j.value("AlarmRule", "");
  s.actions_enabled = j.value("ActionsEnabled", true);
  s.alarm_actions = Strings(j, "AlarmActions");
  s.ok_actions = Strings(j, "OKActions");
  s.insufficient_data_actions = Strings(j, "InsufficientDataActions");
  s.actions_suppressor = j.value("ActionsSuppressor", "");
  if (!s.actions_suppressor.empty()) {
    s.actions_suppressor_wait_period = j.value("ActionsSuppressorWaitPeriod", std::int64_t{0});
    s.actions_suppressor_extension_period =
        j.value("ActionsSuppressorExtensionPeriod", std::int64_t{0});
  }
  return s;
}

Result<StoredComposite> ReadComposite(const store::Statement& row) {
  Result<alarm::CompositeSpec> spec = ParseComposite(row.ColumnText(1));
  if (!spec.ok()) return spec.status();
  Result<alarm::AlarmRule> rule = alarm::AlarmRule::Parse(spec->alarm_rule);
  if (!rule.ok()) return DataLoss("a stored composite alarm has an unreadable rule");
  StoredComposite c{std::move(spec).value(), std::move(rule).value()};
  c.tags = ParseTags(row.ColumnText(2));
  c.state.value = ParseState(row.ColumnText(3));
  c.state.reason = row.ColumnText(4);
  c.state.reason_data = row.ColumnText(5);
  c.state.updated = FromEpochMillis(row.ColumnInt(6));
  c.state_transitioned = FromEpochMillis(row.ColumnInt(7));
  c.configuration_updated = FromEpochMillis(row.ColumnInt(8));
  c.suppression.by =
      alarm::ParseSuppressedBy(row.ColumnText(9)).value_or(alarm::SuppressedBy::kNone);
  c.suppression.until = FromEpochMillis(row.ColumnInt(10));
  if (const std::string held = row.ColumnText(11); !held.empty()) {
    c.suppression.held_from = ParseState(held);
  }
  return c;
}

constexpr const char* kCompositeColumns =
    "name, spec, tags, state, reason, reason_data, state_updated, state_transitioned, "
    "config_updated, suppressed_by, suppressed_until, held_from";

// The rows of `sql` (with `name` bound when given) read by `read`.
template <typename T>
Result<std::vector<T>> ReadRows(store::Database* db, const std::string& sql,
                                Result<T> (*read)(const store::Statement&),
                                const std::string* name = nullptr) {
  Result<store::Statement> q = db->Prepare(sql);
  if (!q.ok()) return q.status();
  if (name != nullptr) q->Bind(1, *name);
  std::vector<T> out;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Result<T> item = read(*q);
    if (!item.ok()) return item.status();
    out.push_back(std::move(item).value());
  }
  return out;
}

template <typename T>
Result<T> ReadOne(store::Database* db, const std::string& sql,
                  Result<T> (*read)(const store::Statement&), const std::string& name) {
  Result<std::vector<T>> rows = ReadRows(db, sql, read, &name);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("Alarm " + name + " not found");
  return std::move(rows->front());
}

// What an upsert keeps of a stored alarm of either kind; a new alarm
// starts in INSUFFICIENT_DATA with the tags it was created with (AWS takes
// tags only at creation).
struct Kept {
  bool created = false;
  alarm::AlarmState state;
  TimePoint transitioned;
  std::map<std::string, std::string> tags;
};

template <typename Stored>
Result<Kept> KeptOf(const Result<Stored>& existing, const std::map<std::string, std::string>& tags,
                    TimePoint now) {
  if (existing.ok())
    return Kept{false, existing->state, existing->state_transitioned, existing->tags};
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  return Kept{true, alarm::InitialState(now), now, tags};
}

// A new alarm's silencing tags (alarm/silencing.h): checked, and their
// ConfigurationUpdate history items written. An update keeps its tags.
Status RecordInitialSilencing(AlarmService* service, const std::string& name, const Kept& kept,
                              TimePoint now) {
  if (!kept.created) return Status::Ok();
  Result<alarm::Silencing> silencing = alarm::SilencingOf(kept.tags);
  if (!silencing.ok()) return silencing.status();
  for (const alarm::HistoryItem& item : alarm::SilencingChanges({}, *silencing, now)) {
    TW_RETURN_IF_ERROR(service->AddHistory(name, item));
  }
  return Status::Ok();
}

// Put and PutComposite's row: a new configuration, the kept state and tags.
Status Upsert(store::Database* db, const std::string& table, const std::string& name,
              const std::string& spec_json, const Kept& kept, TimePoint now) {
  Result<store::Statement> upsert = db->Prepare(
      "INSERT INTO " + table +
      " (name, spec, tags, state, reason, reason_data, state_updated, state_transitioned, "
      "config_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
      "spec = excluded.spec, config_updated = excluded.config_updated");
  if (!upsert.ok()) return upsert.status();
  Json tag_json = Json::object();
  for (const auto& [k, v] : kept.tags) tag_json[k] = v;
  upsert->BindAll(name, spec_json, Dump(tag_json), alarm::StateName(kept.state.value),
                  kept.state.reason, kept.state.reason_data, ToEpochMillis(kept.state.updated),
                  ToEpochMillis(kept.transitioned), ToEpochMillis(now));
  return upsert->Run();
}

}  // namespace

Result<std::vector<StoredAlarm>> AlarmService::List() {
  return ReadRows(db_, std::string("SELECT ") + kColumns + " FROM alarms ORDER BY name",
                  &ReadAlarm);
}

Result<std::vector<StoredAlarm>> AlarmService::ListHighResolution() {
  return ReadRows(db_,
                  std::string("SELECT ") + kColumns + " FROM alarms WHERE " +
                      db_->JsonNumberMember("spec", "Period") + " < 60 ORDER BY name",
                  &ReadAlarm);
}

Result<StoredAlarm> AlarmService::Get(const std::string& name) {
  return ReadOne(db_, std::string("SELECT ") + kColumns + " FROM alarms WHERE name = ?", &ReadAlarm,
                 name);
}

Result<std::vector<StoredComposite>> AlarmService::ListComposites() {
  return ReadRows(
      db_, std::string("SELECT ") + kCompositeColumns + " FROM composite_alarms ORDER BY name",
      &ReadComposite);
}

Result<StoredComposite> AlarmService::GetComposite(const std::string& name) {
  return ReadOne(
      db_, std::string("SELECT ") + kCompositeColumns + " FROM composite_alarms WHERE name = ?",
      &ReadComposite, name);
}

Status AlarmService::Record(const std::string& name, const alarm::Evaluation& evaluation,
                            const std::string& evidence_json) {
  return RecordIn("alarms", name, evaluation, evidence_json);
}

Status AlarmService::RecordComposite(const std::string& name, const alarm::Evaluation& evaluation) {
  return RecordIn("composite_alarms", name, evaluation, "");
}

Status AlarmService::RecordIn(const std::string& table, const std::string& name,
                              const alarm::Evaluation& evaluation,
                              const std::string& evidence_json) {
  if (!evaluation.changed) return Status::Ok();
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  const alarm::AlarmState& s = evaluation.state;
  Result<store::Statement> u =
      db_->Prepare("UPDATE " + table +
                   " SET state = ?, reason = ?, reason_data = ?, state_updated = ?, "
                   "state_transitioned = ? WHERE name = ?");
  if (!u.ok()) return u.status();
  u->BindAll(alarm::StateName(s.value), s.reason, s.reason_data, ToEpochMillis(s.updated),
             ToEpochMillis(s.updated), name);
  TW_RETURN_IF_ERROR(u->Run());
  if (db_->Changes() == 0) return NotFound("Alarm " + name + " not found");
  if (!evidence_json.empty()) {
    Result<store::Statement> e =
        db_->Prepare("UPDATE " + table + " SET evidence = ? WHERE name = ?");
    if (!e.ok()) return e.status();
    e->BindAll(evidence_json, name);
    TW_RETURN_IF_ERROR(e->Run());
  }
  for (const alarm::HistoryItem& item : evaluation.history) {
    TW_RETURN_IF_ERROR(AddHistory(name, item));
  }
  return tx->Commit();
}

Result<bool> AlarmService::PutComposite(const alarm::CompositeSpec& spec,
                                        const std::map<std::string, std::string>& tags,
                                        TimePoint now) {
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  Result<Kept> kept = KeptOf(GetComposite(spec.alarm_name), tags, now);
  if (!kept.ok()) return kept.status();
  TW_RETURN_IF_ERROR(
      Upsert(db_, "composite_alarms", spec.alarm_name, Dump(CompositeJson(spec)), *kept, now));
  TW_RETURN_IF_ERROR(
      AddHistory(spec.alarm_name, alarm::CompositeConfigurationUpdate(spec, now, kept->created)));
  TW_RETURN_IF_ERROR(RecordInitialSilencing(this, spec.alarm_name, *kept, now));
  TW_RETURN_IF_ERROR(tx->Commit());
  return kept->created;
}

Result<std::unique_ptr<AlarmService>> AlarmService::Open(store::Database* db) {
  TW_RETURN_IF_ERROR(db->Migrate("alarms", kSchema));
  return std::unique_ptr<AlarmService>(new AlarmService(db));
}

Status AlarmService::AddHistory(const std::string& name, const alarm::HistoryItem& item) {
  Result<store::Statement> insert = db_->Prepare(
      "INSERT INTO alarm_history (alarm_name, timestamp, type, summary, data) VALUES "
      "(?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.status();
  insert->BindAll(name, ToEpochMillis(item.timestamp), item.type, item.summary, item.data);
  return insert->Run();
}

Result<bool> AlarmService::Put(const alarm::AlarmSpec& spec,
                               const std::map<std::string, std::string>& tags, TimePoint now) {
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  Result<Kept> kept = KeptOf(Get(spec.alarm_name), tags, now);
  if (!kept.ok()) return kept.status();
  TW_RETURN_IF_ERROR(Upsert(db_, "alarms", spec.alarm_name, Dump(SpecJson(spec)), *kept, now));
  TW_RETURN_IF_ERROR(AddHistory(spec.alarm_name,
                                alarm::ConfigurationUpdate(spec, kept->state, now, kept->created)));
  TW_RETURN_IF_ERROR(RecordInitialSilencing(this, spec.alarm_name, *kept, now));
  TW_RETURN_IF_ERROR(tx->Commit());
  return kept->created;
}

Result<std::vector<StoredComposite>> AlarmService::SuppressionsEnded(TimePoint now) {
  return ReadRows(db_,
                  std::string("SELECT ") + kCompositeColumns +
                      " FROM composite_alarms WHERE suppressed_by IN ('WaitPeriod', "
                      "'ExtensionPeriod') AND suppressed_until <= " +
                      std::to_string(ToEpochMillis(now)) + " ORDER BY name",
                  &ReadComposite);
}

Result<std::optional<TimePoint>> AlarmService::LastEvaluated() {
  Result<store::Statement> query =
      db_->Prepare("SELECT last_boundary FROM evaluator_progress WHERE id = 1");
  if (!query.ok()) return query.status();
  Result<bool> row = query->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<TimePoint>();
  return std::optional<TimePoint>(FromEpochMillis(query->ColumnInt(0)));
}

Status AlarmService::RecordEvaluated(TimePoint boundary) {
  Result<store::Statement> upsert = db_->Prepare(
      "INSERT INTO evaluator_progress (id, last_boundary) VALUES (1, ?) "
      "ON CONFLICT (id) DO UPDATE SET last_boundary = excluded.last_boundary");
  if (!upsert.ok()) return upsert.status();
  upsert->Bind(1, ToEpochMillis(boundary));
  return upsert->Run();
}

Status AlarmService::SetSuppression(const std::string& name, const alarm::Suppression& s) {
  Result<store::Statement> u = db_->Prepare(
      "UPDATE composite_alarms SET suppressed_by = ?, suppressed_until = ?, held_from = ? "
      "WHERE name = ?");
  if (!u.ok()) return u.status();
  u->BindAll(alarm::SuppressedByName(s.by), ToEpochMillis(s.until),
             s.held_from ? alarm::StateName(*s.held_from) : "", name);
  return u->Run();
}

Result<AnyAlarm> AlarmService::Find(const std::string& name) {
  Result<StoredAlarm> metric = Get(name);
  if (metric.ok()) return AnyAlarm{std::move(metric).value()};
  if (metric.status().code() != StatusCode::kNotFound) return metric.status();
  Result<StoredComposite> composite = GetComposite(name);
  if (!composite.ok()) return composite.status();
  return AnyAlarm{std::move(composite).value()};
}

Status AlarmService::Tag(const std::string& name, const std::map<std::string, std::string>& add,
                         const std::vector<std::string>& remove, TimePoint now) {
  Result<AnyAlarm> found = Find(name);
  if (!found.ok()) return found.status();
  const std::map<std::string, std::string>& before =
      found->metric ? found->metric->tags : found->composite->tags;
  std::map<std::string, std::string> tags = before;
  for (const std::string& key : remove) tags.erase(key);
  for (const auto& [key, value] : add) tags[key] = value;
  if (tags.size() > 50) {
    return Status(StatusCode::kInvalidArgument,
                  "The resource can have at most 50 tags; it would have " +
                      std::to_string(tags.size()) + ".");
  }
  Result<alarm::Silencing> silencing = alarm::SilencingOf(tags);
  if (!silencing.ok()) return silencing.status();
  // Stored tags were checked when set; one that no longer parses counts as unset.
  Result<alarm::Silencing> was = alarm::SilencingOf(before);
  for (const alarm::HistoryItem& item :
       alarm::SilencingChanges(was.ok() ? *was : alarm::Silencing{}, *silencing, now)) {
    TW_RETURN_IF_ERROR(AddHistory(name, item));
  }
  Json tag_json = Json::object();
  for (const auto& [k, v] : tags) tag_json[k] = v;
  Result<store::Statement> update =
      db_->Prepare("UPDATE " + found->Table() + " SET tags = ? WHERE name = ?");
  if (!update.ok()) return update.status();
  update->BindAll(Dump(tag_json), name);
  return update->Run();
}

Status AlarmService::Delete(const std::vector<std::string>& names) {
  for (const char* sql :
       {"DELETE FROM alarms WHERE name = ?", "DELETE FROM composite_alarms WHERE name = ?"}) {
    Result<store::Statement> d = db_->Prepare(sql);
    if (!d.ok()) return d.status();
    for (const std::string& name : names) {
      d->Bind(1, name);
      TW_RETURN_IF_ERROR(d->Run());
    }
  }
  return Status::Ok();
}

Status AlarmService::SetActionsEnabled(const std::vector<std::string>& names, bool enabled) {
  Result<store::Transaction> tx = store::Transaction::Begin(*db_);
  if (!tx.ok()) return tx.status();
  for (const std::string& name : names) {
    Result<AnyAlarm> found = Find(name);
    if (!found.ok()) {
      if (found.status().code() == StatusCode::kNotFound) continue;
      return found.status();
    }
    std::string spec;
    if (found->metric) {
      found->metric->spec.actions_enabled = enabled;
      spec = Dump(SpecJson(found->metric->spec));
    } else {
      found->composite->spec.actions_enabled = enabled;
      spec = Dump(CompositeJson(found->composite->spec));
    }
    Result<store::Statement> u =
        db_->Prepare("UPDATE " + found->Table() + " SET spec = ? WHERE name = ?");
    if (!u.ok()) return u.status();
    u->BindAll(spec, name);
    TW_RETURN_IF_ERROR(u->Run());
  }
  return tx->Commit();
}

Result<std::vector<HistoryRecord>> AlarmService::History(const HistoryQuery& query,
                                                         std::optional<std::string>* next_token) {
  std::int64_t after = query.ascending ? 0 : INT64_MAX;
  if (query.next_token) {
    auto [end, ec] = std::from_chars(query.next_token->data(),
                                     query.next_token->data() + query.next_token->size(), after);
    if (ec != std::errc() || end != query.next_token->data() + query.next_token->size()) {
      return InvalidArgument("The specified nextToken is invalid.");
    }
  }
  std::string sql =
      "SELECT id, alarm_name, timestamp, type, summary, data FROM alarm_history WHERE "
      "(? = '' OR alarm_name = ?) AND (? = '' OR type = ?) AND timestamp >= ? AND timestamp <= ? "
      "AND id ";
  // Items are written in time order, so the row id orders them and pages them.
  sql += query.ascending ? "> ? ORDER BY id" : "< ? ORDER BY id DESC";
  sql += " LIMIT ?";
  Result<store::Statement> q = db_->Prepare(sql);
  if (!q.ok()) return q.status();
  q->BindAll(query.alarm_name, query.alarm_name, query.type, query.type,
             query.start ? ToEpochMillis(*query.start) : INT64_MIN,
             query.end ? ToEpochMillis(*query.end) : INT64_MAX, after, query.limit + 1);
  std::vector<HistoryRecord> out;
  std::vector<std::int64_t> ids;
  while (true) {
    Result<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    HistoryRecord r;
    ids.push_back(q->ColumnInt(0));
    r.alarm_name = q->ColumnText(1);
    r.item.timestamp = FromEpochMillis(q->ColumnInt(2));
    r.item.type = q->ColumnText(3);
    r.item.summary = q->ColumnText(4);
    r.item.data = q->ColumnText(5);
    out.push_back(std::move(r));
  }
  next_token->reset();
  if (static_cast<int>(out.size()) > query.limit) {
    out.resize(static_cast<std::size_t>(query.limit));
    *next_token = std::to_string(ids[static_cast<std::size_t>(query.limit) - 1]);
  }
  return out;
}

Result<std::int64_t> AlarmService::PruneHistory(TimePoint before, std::size_t limit) {
  Result<store::Statement> d = db_->Prepare(
      "DELETE FROM alarm_history WHERE id IN (SELECT id FROM alarm_history WHERE timestamp < ? "
      "ORDER BY timestamp LIMIT ?)");
  if (!d.ok()) return d.status();
  d->BindAll(ToEpochMillis(before), static_cast<std::int64_t>(limit));
  TW_RETURN_IF_ERROR(d->Run());
  return db_->Changes();
}

}  // namespace tw::server
