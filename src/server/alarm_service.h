// CloudWatch metric alarms kept in the store: configuration, state and
// history (spec aws-protocols-alarms.md §3.2, §4.5-4.7). The evaluation
// itself is alarm::Evaluate via server::EvaluateAlarm; this class only
// keeps what it decides.
//
// Runs on the caller's store::Database and transaction; not synchronized
// (the Engine serializes calls). Nothing is cached: every read comes from
// the store, so a rolled-back transaction leaves nothing stale behind.

#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm.h"
#include "alarm/composite.h"
#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace tw::server {

struct StoredAlarm {
  alarm::AlarmSpec spec;
  alarm::AlarmState state;
  TimePoint configuration_updated;
  TimePoint state_transitioned;  // the last time the state value changed
  std::map<std::string, std::string> tags;
  // JSON of the events behind the latest change to ALARM ({"time", "total",
  // "events": [{...evidence fields..., "raw": message}]}), or "" if none.
  std::string latest_alarm_evidence;
};

struct StoredComposite {
  alarm::CompositeSpec spec;
  alarm::AlarmRule rule;  // spec.alarm_rule, parsed
  alarm::AlarmState state;
  TimePoint configuration_updated;
  TimePoint state_transitioned;
  std::map<std::string, std::string> tags;
  alarm::Suppression suppression;  // ActionsSuppressor's state
};

struct HistoryRecord {
  std::string alarm_name;
  alarm::HistoryItem item;
};

struct HistoryQuery {
  std::string alarm_name;  // empty: every alarm
  std::string type;        // empty: every type
  std::optional<TimePoint> start, end;
  bool ascending = false;  // ScanBy TimestampAscending
  int limit = 100;
  std::optional<std::string> next_token;
};

// An alarm of either kind, for the operations that take both.
struct AnyAlarm {
  AnyAlarm(StoredAlarm a) : metric(std::move(a)) {}
  AnyAlarm(StoredComposite c) : composite(std::move(c)) {}
  const std::string& Arn() const {
    return metric ? metric->spec.alarm_arn : composite->spec.alarm_arn;
  }
  std::string Table() const { return metric ? "alarms" : "composite_alarms"; }
  const alarm::AlarmState& State() const { return metric ? metric->state : composite->state; }

  std::optional<StoredAlarm> metric;
  std::optional<StoredComposite> composite;
};

class AlarmService {
 public:
  static Result<std::unique_ptr<AlarmService>> Open(store::Database* db);

  // PutMetricAlarm: creates (INSUFFICIENT_DATA, "Unchecked: Initial alarm
  // creation") or replaces the configuration keeping the state; writes the
  // ConfigurationUpdate history item. Returns true when created. `spec` must
  // already be validated.
  Result<bool> Put(const alarm::AlarmSpec& spec, const std::map<std::string, std::string>& tags,
                   TimePoint now);
  Result<std::vector<StoredAlarm>> List();  // by name
  // The alarms with a Period under a minute (evaluated every 10 seconds).
  Result<std::vector<StoredAlarm>> ListHighResolution();
  // kNotFound "Alarm <name> not found".
  Result<StoredAlarm> Get(const std::string& name);
  // PutCompositeAlarm, as Put: created in INSUFFICIENT_DATA (the engine
  // evaluates it at once), an update keeps the state; tags only at creation.
  // `spec` must already be validated. Returns true when created.
  Result<bool> PutComposite(const alarm::CompositeSpec& spec,
                            const std::map<std::string, std::string>& tags, TimePoint now);
  Result<std::vector<StoredComposite>> ListComposites();  // by name
  Result<StoredComposite> GetComposite(const std::string& name);
  Status RecordComposite(const std::string& name, const alarm::Evaluation& evaluation);
  Status SetSuppression(const std::string& name, const alarm::Suppression& suppression);
  // The last boundary the evaluator recorded (Engine::EvaluateDue), if any.
  Result<std::optional<TimePoint>> LastEvaluated();
  // Inside the transaction of the boundary's transitions.
  Status RecordEvaluated(TimePoint boundary);
  // The composites whose WaitPeriod or ExtensionPeriod has ended by `now`.
  Result<std::vector<StoredComposite>> SuppressionsEnded(TimePoint now);
  // A metric alarm, else a composite; kNotFound "Alarm <name> not found".
  Result<AnyAlarm> Find(const std::string& name);

  // TagResource/UntagResource (metric or composite alarm): removes `remove`, then sets `add`.
  // kNotFound "Alarm <name> not found"; kInvalidArgument when the alarm
  // would carry more than 50 tags or a malformed trailwatch:MutedUntil /
  // trailwatch:RemindEvery (nothing changes then). A change of those writes
  // its ConfigurationUpdate history item at `now` (alarm/silencing.h).
  Status Tag(const std::string& name, const std::map<std::string, std::string>& add,
             const std::vector<std::string>& remove, TimePoint now);
  // Metric and composite alarms. Unknown names are ignored, as AWS does for
  // metric alarms.
  Status Delete(const std::vector<std::string>& names);
  Status SetActionsEnabled(const std::vector<std::string>& names, bool enabled);
  // Stores a changed evaluation's state and history items, and (when not
  // empty) the evidence JSON of a change to ALARM.
  Status Record(const std::string& name, const alarm::Evaluation& evaluation,
                const std::string& evidence_json = "");
  // Newest first unless ascending; the token is opaque.
  Result<std::vector<HistoryRecord>> History(const HistoryQuery& query,
                                             std::optional<std::string>* next_token);
  // Deletes up to `limit` history items older than `before`, oldest first,
  // of any alarm (deleted alarms' too). Returns how many were deleted.
  Result<std::int64_t> PruneHistory(TimePoint before, std::size_t limit);
  Status AddHistory(const std::string& name, const alarm::HistoryItem& item);

 private:
  explicit AlarmService(store::Database* db) : db_(db) {}
  // Record/RecordComposite in `table` ("alarms" or "composite_alarms").
  Status RecordIn(const std::string& table, const std::string& name,
                  const alarm::Evaluation& evaluation, const std::string& evidence_json);

  store::Database* db_;
};

}  // namespace tw::server
