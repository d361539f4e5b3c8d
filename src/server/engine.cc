#include "server/engine.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "alarm/silencing.h"
#include "common/json_string.h"
#include "event/event_view.h"
#include "server/evaluation.h"
#include "store/lease.h"

namespace tw::server {
namespace {

constexpr const char* kEarlySuffix =
    " (trailwatch early alarm: evaluated on the current, incomplete minute)";

// Statistics that new samples can only raise, so a breach seen on an
// incomplete minute stays a breach once the minute is complete.
bool CanAlarmEarly(const alarm::AlarmSpec& spec) {
  const bool growing =
      spec.extended_statistic.empty() &&
      (spec.statistic == "Sum" || spec.statistic == "Maximum" || spec.statistic == "SampleCount");
  const bool upward =
      spec.comparison_operator == alarm::ComparisonOperator::kGreaterThanThreshold ||
      spec.comparison_operator == alarm::ComparisonOperator::kGreaterThanOrEqualToThreshold;
  // A high-resolution alarm is evaluated every 10 seconds anyway.
  const bool minutely = spec.period >= std::chrono::minutes(1);
  return growing && upward && minutely;
}

bool SameComposite(const alarm::CompositeSpec& a, const alarm::CompositeSpec& b) {
  return a.alarm_name == b.alarm_name && a.alarm_description == b.alarm_description &&
         a.alarm_arn == b.alarm_arn && a.alarm_rule == b.alarm_rule &&
         a.actions_enabled == b.actions_enabled && a.ok_actions == b.ok_actions &&
         a.alarm_actions == b.alarm_actions &&
         a.insufficient_data_actions == b.insufficient_data_actions;
}

bool SameSpec(const alarm::AlarmSpec& a, const alarm::AlarmSpec& b) {
  return a.alarm_name == b.alarm_name && a.alarm_description == b.alarm_description &&
         a.metric_namespace == b.metric_namespace && a.metric_name == b.metric_name &&
         a.dimensions == b.dimensions && a.statistic == b.statistic &&
         a.extended_statistic == b.extended_statistic && a.period == b.period &&
         a.evaluation_periods == b.evaluation_periods &&
         a.datapoints_to_alarm == b.datapoints_to_alarm && a.threshold == b.threshold &&
         a.comparison_operator == b.comparison_operator &&
         a.treat_missing_data == b.treat_missing_data &&
         a.treat_missing_data_given == b.treat_missing_data_given &&
         a.evaluate_low_sample_count_percentile == b.evaluate_low_sample_count_percentile &&
         a.unit == b.unit && a.actions_enabled == b.actions_enabled &&
         a.alarm_actions == b.alarm_actions && a.ok_actions == b.ok_actions &&
         a.insufficient_data_actions == b.insufficient_data_actions;
}

// A muted alarm (alarm/silencing.h) changes state and keeps its history,
// but runs no action: its Action items say so instead.
void MuteIfSilenced(const std::map<std::string, std::string>& tags, alarm::Evaluation* evaluation) {
  Result<alarm::Silencing> silencing = alarm::SilencingOf(tags);
  if (silencing.ok() && silencing->MutedAt(evaluation->state.updated)) {
    alarm::MuteActions(*silencing->muted_until, evaluation);
  }
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(Notifier* notifier, EngineOptions options,
                                             const Clock* clock) {
  std::unique_ptr<Engine> engine(new Engine(notifier, std::move(options), clock));
  store::Database& db = notifier->db();
  Result<std::unique_ptr<LogService>> logs =
      LogService::Open(&db, engine->options_.region, engine->options_.account_id);
  if (!logs.ok()) return logs.status();
  engine->logs_ = std::move(logs).value();
  Result<std::unique_ptr<MetricService>> metrics = MetricService::Open(&db, clock->Now());
  if (!metrics.ok()) return metrics.status();
  engine->metrics_ = std::move(metrics).value();
  Result<std::unique_ptr<AlarmService>> alarms = AlarmService::Open(&db);
  if (!alarms.ok()) return alarms.status();
  engine->alarms_ = std::move(alarms).value();
  TW_RETURN_IF_ERROR(store::Lease::Migrate(db));
  // An in-memory database (tests) has no file for a second connection to
  // open; its scans stay under the lock.
  if (!db.location().empty()) {
    engine->readers_ = std::make_unique<store::EventReaders>(db.location());
  }
  return engine;
}

Result<GetLogEventsResult> Engine::GetLogEvents(const std::string& group, const std::string& stream,
                                                std::optional<std::int64_t> start_ms,
                                                std::optional<std::int64_t> end_ms,
                                                const std::optional<std::string>& token, int limit,
                                                bool start_from_head) {
  if (!readers_) {
    return Locked([&](Services& sv) {
      return sv.logs.GetLogEvents(group, stream, start_ms, end_ms, token, limit, start_from_head);
    });
  }
  TW_RETURN_IF_ERROR(Locked([&](Services& sv) { return sv.logs.RequireStream(group, stream); }));
  return readers_->With([&](store::EventLog& events) {
    return LogService::ScanStream(events, group, stream, start_ms, end_ms, token, limit,
                                  start_from_head);
  });
}

Result<std::vector<StoredLogEvent>> Engine::FilterLogEvents(const std::string& group,
                                                            const FilterLogEventsQuery& query,
                                                            Page* page) {
  if (!readers_) {
    return Locked([&](Services& sv) { return sv.logs.FilterLogEvents(group, query, page); });
  }
  TW_RETURN_IF_ERROR(Locked([&](Services& sv) { return sv.logs.RequireGroup(group); }));
  return readers_->With(
      [&](store::EventLog& events) { return LogService::ScanGroup(events, group, query, page); });
}

Result<std::vector<StoredLogEvent>> Engine::RecentEvents(const std::string& group, int limit) {
  if (!readers_) {
    return Locked([&](Services& sv) { return sv.logs.RecentEvents(group, limit); });
  }
  TW_RETURN_IF_ERROR(Locked([&](Services& sv) { return sv.logs.RequireGroup(group); }));
  return readers_->With(
      [&](store::EventLog& events) { return LogService::ScanNewest(events, group, limit); });
}

Status Engine::ApplyConfiguration(const Configuration& config, std::vector<std::string>* warnings) {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimePoint now = clock_->Now();
  store::Database& db = notifier_->db();
  Result<store::Transaction> tx = store::Transaction::Begin(db);
  if (!tx.ok()) return tx.status();
  std::set<std::string> groups;
  for (const LogGroupConfig& g : config.log_groups) {
    Status created = logs_->CreateLogGroup(g.name, "", {}, now);
    if (!created.ok() && created.code() != StatusCode::kAlreadyExists) return created;
    if (g.retention_in_days)
      TW_RETURN_IF_ERROR(logs_->PutRetentionPolicy(g.name, g.retention_in_days));
    groups.insert(g.name);
  }
  for (const MetricFilterConfig& f : config.metric_filters) {
    // A filter may read a group the template does not declare (it exists
    // already on AWS); here it is created, since events need a home.
    if (!groups.count(f.spec.log_group_name)) {
      Status created = logs_->CreateLogGroup(f.spec.log_group_name, "", {}, now);
      if (!created.ok() && created.code() != StatusCode::kAlreadyExists) return created;
      groups.insert(f.spec.log_group_name);
    }
    Status put = logs_->PutMetricFilter(f.spec, now);
    if (!put.ok()) return Status(put.code(), "Resources." + f.logical_id + ": " + put.message());
  }
  TW_RETURN_IF_ERROR(notifier_->ApplyConfiguration(config, warnings));
  for (const AlarmConfig& a : config.alarms) {
    Result<StoredAlarm> existing = alarms_->Get(a.spec.alarm_name);
    // Unchanged alarms are left alone: a restart must not add history.
    if (!existing.ok() || !SameSpec(existing->spec, a.spec)) {
      Result<bool> put = alarms_->Put(a.spec, a.tags, now);
      if (!put.ok()) return put.status();
    }
    // The template's tags are set on every start; tags added by the API stay.
    if (!a.tags.empty()) {
      Status tagged = alarms_->Tag(a.spec.alarm_name, a.tags, {}, now);
      if (!tagged.ok()) {
        return Status(tagged.code(), "Resources." + a.logical_id + ": " + tagged.message());
      }
    }
  }
  for (const CompositeAlarmConfig& c : config.composite_alarms) {
    Result<StoredComposite> existing = alarms_->GetComposite(c.spec.alarm_name);
    if (!existing.ok() || !SameComposite(existing->spec, c.spec)) {
      Status put = PutComposite(c.spec, c.tags);
      if (!put.ok()) return Status(put.code(), "Resources." + c.logical_id + ": " + put.message());
    }
    if (!c.tags.empty()) {
      Status tagged = alarms_->Tag(c.spec.alarm_name, c.tags, {}, now);
      if (!tagged.ok()) {
        return Status(tagged.code(), "Resources." + c.logical_id + ": " + tagged.message());
      }
    }
  }
  return tx->Commit();
}

metrics::MetricStore Engine::Observe(const metrics::FilterSet& filters, const std::string& group,
                                     std::span<const InputLogEvent* const> events, TimePoint now,
                                     std::int64_t first_id, IngestReport* report) {
  report->log_group = group;
  report->events = events.size();
  for (const InputLogEvent* e : events) report->bytes += e->message.size();
  metrics::MetricStore batch(options_.evidence_per_transition);
  const std::vector<metrics::MetricFilter>& list = filters.filters();
  if (list.empty()) return batch;
  std::vector<std::uint64_t> matches(list.size(), 0);
  event::EventView view;
  std::vector<metrics::Observation> observations;
  std::int64_t id = first_id;
  for (const InputLogEvent* e : events) {
    view.Reset(e->message);
    observations.clear();
    filters.Evaluate(view, FromEpochMillis(e->timestamp_ms), &observations, matches);
    report->dimensions_dropped += dimension_limit_.Apply(group, filters, now, &observations);
    for (const metrics::Observation& o : observations) batch.Record(o, id, group);
    ++id;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    report->filter_matches.emplace_back(list[i].spec().filter_name, matches[i]);
  }
  return batch;
}

// A PutLogEvents batch ready to be written: decoded, checked, matched and
// compressed by its own thread, stored by whichever thread commits it.
struct Engine::PendingPut {
  const std::string* group = nullptr;
  const std::string* stream = nullptr;
  const store::EncodedEvents* encoded = nullptr;
  const metrics::MetricStore* batch = nullptr;
  Result<std::int64_t> first_id = Internal("not committed");
  bool done = false;  // under commit_mutex_
};

Result<PutLogEventsResult> Engine::PutLogEvents(const std::string& group, const std::string& stream,
                                                const std::vector<InputLogEvent>& events) {
  const auto started = std::chrono::steady_clock::now();
  TW_RETURN_IF_ERROR(LogService::CheckPutLogEvents(events));
  PutLogEventsResult result;
  std::vector<std::size_t> kept;
  std::shared_ptr<const metrics::FilterSet> filters;
  TimePoint now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    now = clock_->Now();
    Result<std::vector<std::size_t>> window =
        logs_->WindowPutLogEvents(group, stream, events, now, &result.rejected);
    if (!window.ok()) return window.status();
    kept = std::move(window).value();
    Result<std::shared_ptr<const metrics::FilterSet>> set = logs_->FilterSetOf(group);
    if (!set.ok()) return set.status();
    filters = std::move(set).value();
  }
  std::int64_t first_id = 0;
  IngestReport report;
  const std::int64_t ingestion = ToEpochMillis(now);
  if (!kept.empty()) {
    // Off the lock: matching and compressing, in parallel with other
    // requests; then one commit (one fsync) for every batch ready by then.
    std::vector<const InputLogEvent*> accepted;
    std::vector<store::EventToAppend> append;
    accepted.reserve(kept.size());
    append.reserve(kept.size());
    for (std::size_t i : kept) {
      accepted.push_back(&events[i]);
      append.push_back({events[i].timestamp_ms, events[i].message});
    }
    const metrics::MetricStore batch = Observe(*filters, group, accepted, now, 1, &report);
    Result<store::EncodedEvents> encoded = store::EventLog::Encode(ingestion, append);
    if (!encoded.ok()) return encoded.status();
    PendingPut put;
    put.group = &group;
    put.stream = &stream;
    put.encoded = &*encoded;
    put.batch = &batch;
    Result<std::int64_t> committed = CommitTogether(&put);
    if (!committed.ok()) return committed.status();
    first_id = *committed;
  }
  result.accepted = kept.size();
  result.first_id = first_id;
  const std::int64_t last_id =
      kept.empty() ? 0 : first_id + static_cast<std::int64_t>(kept.size()) - 1;
  result.next_sequence_token = StoredLogEvent{last_id, "", 0, 0, ""}.event_id();
  if (options_.on_ingest) {
    report.log_group = group;
    report.put_log_events_elapsed =
        std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started);
    options_.on_ingest(report);
  }
  return result;
}

Result<std::int64_t> Engine::CommitTogether(PendingPut* put) {
  std::unique_lock<std::mutex> queue(commit_mutex_);
  commit_queue_.push_back(put);
  while (!put->done) {
    if (committing_) {
      commit_done_.wait(queue);
      continue;
    }
    // No commit running: this thread commits everything queued so far (its
    // own batch included, unless an earlier commit took it).
    committing_ = true;
    std::vector<PendingPut*> together = std::exchange(commit_queue_, {});
    queue.unlock();
    CommitPuts(together);
    queue.lock();
    committing_ = false;
    for (PendingPut* p : together) p->done = true;
    commit_done_.notify_all();
  }
  return put->first_id;
}

void Engine::CommitPuts(const std::vector<PendingPut*>& puts) {
  std::lock_guard<std::mutex> lock(mutex_);
  store::Database& db = notifier_->db();
  Result<store::Transaction> tx = store::Transaction::Begin(db);
  if (!tx.ok()) {
    for (PendingPut* p : puts) p->first_id = tx.status();
    return;
  }
  // The metric minutes of every batch that stored, written once: a minute
  // row (its evidence JSON) is read and rewritten once per commit, not once
  // per batch.
  metrics::MetricStore observed(options_.evidence_per_transition);
  for (PendingPut* p : puts) {
    // Each batch in a savepoint: one that fails (its stream deleted since
    // it was checked) leaves the others whole.
    Result<store::Transaction> one = store::Transaction::Begin(db);
    if (!one.ok()) {
      p->first_id = one.status();
      continue;
    }
    Result<std::int64_t> first = logs_->StoreEvents(*p->group, *p->stream, *p->encoded);
    Status stored = first.ok() ? one->Commit() : first.status();
    p->first_id = stored.ok() ? std::move(first) : Result<std::int64_t>(stored);
    if (stored.ok()) observed.Merge(*p->batch, *p->first_id - 1);
  }
  Status committed = metrics_->Persist(observed);
  if (committed.ok()) committed = tx->Commit();
  if (committed.ok()) metrics_->Apply(observed);
  Status early = committed.ok() && options_.early_alarm ? EarlyAlarms(observed) : Status::Ok();
  for (PendingPut* p : puts) {
    if (!p->first_id.ok()) continue;
    if (!committed.ok()) {
      p->first_id = committed;
    } else if (!early.ok()) {
      p->first_id = early;
    }
  }
}

Result<std::size_t> Engine::IngestRecords(
    const std::string& group, const std::string& stream, const std::vector<InputLogEvent>& events,
    const std::function<Status(store::Database&)>& checkpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  store::Database& db = notifier_->db();
  Result<store::Transaction> tx = store::Transaction::Begin(db);
  if (!tx.ok()) return tx.status();
  Result<std::int64_t> stored = logs_->IngestEvents(group, stream, events, clock_->Now());
  if (!stored.ok()) return stored.status();
  Result<std::shared_ptr<const metrics::FilterSet>> filters = logs_->FilterSetOf(group);
  if (!filters.ok()) return filters.status();
  std::vector<const InputLogEvent*> observed;
  observed.reserve(events.size());
  for (const InputLogEvent& e : events) observed.push_back(&e);
  IngestReport report;
  const metrics::MetricStore batch =
      Observe(**filters, group, observed, clock_->Now(), *stored, &report);
  TW_RETURN_IF_ERROR(metrics_->Persist(batch));
  TW_RETURN_IF_ERROR(checkpoint(db));
  TW_RETURN_IF_ERROR(tx->Commit());
  metrics_->Apply(batch);
  if (options_.early_alarm) TW_RETURN_IF_ERROR(EarlyAlarms(batch));
  if (options_.on_ingest) options_.on_ingest(report);
  return events.size();
}

Status Engine::PutMetrics(const metrics::MetricStore& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  store::Database& db = notifier_->db();
  Result<store::Transaction> tx = store::Transaction::Begin(db);
  if (!tx.ok()) return tx.status();
  TW_RETURN_IF_ERROR(metrics_->Persist(batch));
  TW_RETURN_IF_ERROR(tx->Commit());
  metrics_->Apply(batch);
  if (options_.early_alarm) TW_RETURN_IF_ERROR(EarlyAlarms(batch));
  return Status::Ok();
}

Status Engine::PutMetricAlarm(const alarm::AlarmSpec& spec,
                              const std::map<std::string, std::string>& tags) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (alarms_->GetComposite(spec.alarm_name).ok()) {
    return InvalidArgument("AlarmName: " + spec.alarm_name +
                           " is already the name of a composite alarm");
  }
  Result<bool> put = alarms_->Put(spec, tags, clock_->Now());
  return put.ok() ? Status::Ok() : put.status();
}

Result<std::map<std::string, alarm::ChildState>> Engine::AlarmStates(
    const std::vector<StoredComposite>& composites) {
  std::map<std::string, alarm::ChildState> states;
  Result<std::vector<StoredAlarm>> alarms = alarms_->List();
  if (!alarms.ok()) return alarms.status();
  for (const StoredAlarm& a : *alarms) {
    alarm::ChildState child{a.spec.alarm_arn, a.state};
    states[a.spec.alarm_name] = child;
    states[a.spec.alarm_arn] = child;
  }
  for (const StoredComposite& c : composites) {
    alarm::ChildState child{c.spec.alarm_arn, c.state};
    states[c.spec.alarm_name] = child;
    states[c.spec.alarm_arn] = child;
  }
  return states;
}

Status Engine::PutCompositeAlarm(const alarm::CompositeSpec& spec,
                                 const std::map<std::string, std::string>& tags) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<store::Transaction> tx = store::Transaction::Begin(notifier_->db());
  if (!tx.ok()) return tx.status();
  TW_RETURN_IF_ERROR(PutComposite(spec, tags));
  TW_RETURN_IF_ERROR(tx->Commit());
  notifier_->deliverer().Wake();
  return Status::Ok();
}

Status Engine::PutComposite(const alarm::CompositeSpec& spec,
                            const std::map<std::string, std::string>& tags) {
  Result<alarm::AlarmRule> rule = alarm::AlarmRule::Parse(spec.alarm_rule);
  if (!rule.ok()) return rule.status();
  Result<StoredAlarm> metric_alarm = alarms_->Get(spec.alarm_name);
  if (metric_alarm.ok()) {
    return InvalidArgument("AlarmName: " + spec.alarm_name +
                           " is already the name of a metric alarm");
  }
  Result<std::vector<StoredComposite>> composites = alarms_->ListComposites();
  if (!composites.ok()) return composites.status();
  Result<std::map<std::string, alarm::ChildState>> states = AlarmStates(*composites);
  if (!states.ok()) return states.status();
  std::string missing;
  for (const std::string& child : rule->Children()) {
    if (child == spec.alarm_name || child == spec.alarm_arn) {
      return InvalidArgument("AlarmRule: a composite alarm cannot name itself");
    }
    if (!states->count(child)) missing += (missing.empty() ? "" : ", ") + child;
  }
  if (!missing.empty()) {
    return InvalidArgument("AlarmRule: no alarm named " + missing + " exists");
  }
  if (!spec.actions_suppressor.empty()) {
    if (spec.actions_suppressor == spec.alarm_name || spec.actions_suppressor == spec.alarm_arn) {
      return InvalidArgument("ActionsSuppressor: a composite alarm cannot suppress itself");
    }
    if (!states->count(spec.actions_suppressor)) {
      return InvalidArgument("ActionsSuppressor: no alarm named " + spec.actions_suppressor +
                             " exists");
    }
  }
  // A cycle would make each composite's state depend on itself: refused,
  // found by walking the composites this rule names, and theirs.
  std::map<std::string, const StoredComposite*> by_reference;
  for (const StoredComposite& c : *composites) {
    by_reference[c.spec.alarm_name] = &c;
    by_reference[c.spec.alarm_arn] = &c;
  }
  std::vector<std::string> pending = rule->Children();
  std::set<std::string> seen;
  while (!pending.empty()) {
    std::string reference = std::move(pending.back());
    pending.pop_back();
    auto it = by_reference.find(reference);
    if (it == by_reference.end() || !seen.insert(it->second->spec.alarm_name).second) continue;
    for (const std::string& child : it->second->rule.Children()) {
      if (child == spec.alarm_name || child == spec.alarm_arn) {
        return InvalidArgument("AlarmRule: " + it->second->spec.alarm_name + " names " +
                               spec.alarm_name + ", so naming it would make a cycle");
      }
      pending.push_back(child);
    }
  }
  const TimePoint now = clock_->Now();
  Result<bool> created = alarms_->PutComposite(spec, tags, now);
  if (!created.ok()) return created.status();
  Result<StoredComposite> stored = alarms_->GetComposite(spec.alarm_name);
  if (!stored.ok()) return stored.status();
  // Suppression follows the configuration: none without a suppressor, and
  // Alarm from the start when the suppressor already is in ALARM.
  alarm::Suppression suppression = stored->suppression;
  if (spec.actions_suppressor.empty()) {
    suppression = alarm::Suppression{};
  } else if (suppression.by == alarm::SuppressedBy::kNone &&
             states->at(spec.actions_suppressor).state.value == alarm::StateValue::kAlarm) {
    suppression.by = alarm::SuppressedBy::kAlarm;
  }
  TW_RETURN_IF_ERROR(alarms_->SetSuppression(spec.alarm_name, suppression));
  alarm::Evaluation e = alarm::EvaluateComposite(stored->spec, stored->rule, stored->state, *states,
                                                 std::nullopt, now);
  if (e.changed) {
    TW_RETURN_IF_ERROR(CompositeTransition(*stored, e, nullptr));
    TW_RETURN_IF_ERROR(CascadeComposites(spec.alarm_name));
  }
  return Status::Ok();
}

Status Engine::DeleteAlarms(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mutex_);
  Result<store::Transaction> tx = store::Transaction::Begin(notifier_->db());
  if (!tx.ok()) return tx.status();
  Result<std::vector<StoredComposite>> composites = alarms_->ListComposites();
  if (!composites.ok()) return composites.status();
  const std::set<std::string> deleting(names.begin(), names.end());
  std::vector<std::string> needed;
  for (const std::string& name : names) {
    Result<AnyAlarm> found = alarms_->Find(name);
    const std::string arn = found.ok() ? found->Arn() : "";
    const bool depended_on =
        std::any_of(composites->begin(), composites->end(), [&](const StoredComposite& c) {
          if (deleting.count(c.spec.alarm_name)) return false;
          const std::vector<std::string>& children = c.rule.Children();
          return std::find(children.begin(), children.end(), name) != children.end() ||
                 (!arn.empty() &&
                  std::find(children.begin(), children.end(), arn) != children.end());
        });
    if (depended_on && std::find(needed.begin(), needed.end(), name) == needed.end()) {
      needed.push_back(name);
    }
  }
  if (!needed.empty()) {
    std::string list;
    for (const std::string& n : needed) list += (list.empty() ? "" : ",") + n;
    // AWS's words (recorded from DeleteAlarms' ValidationError).
    return InvalidArgument("Cannot delete " + list +
                           " as there are composite alarm(s) depending on " +
                           (needed.size() == 1 ? "it." : "them."));
  }
  TW_RETURN_IF_ERROR(alarms_->Delete(names));
  return tx->Commit();
}

Status Engine::CascadeComposites(const std::string& changed) {
  // This runs after every metric alarm's transition: without composites,
  // one read of an empty table is all it costs.
  Result<std::vector<StoredComposite>> composites = alarms_->ListComposites();
  if (!composites.ok()) return composites.status();
  if (composites->empty()) return Status::Ok();
  Result<std::map<std::string, alarm::ChildState>> states = AlarmStates(*composites);
  if (!states.ok()) return states.status();
  if (auto self = states->find(changed); self != states->end()) {
    TW_RETURN_IF_ERROR(FollowSuppressor(*composites, changed, self->second));
  }
  std::vector<alarm::CompositeState> running;
  for (const StoredComposite& c : *composites) running.push_back({&c.spec, &c.rule, c.state});
  for (const alarm::CascadeStep& step :
       alarm::CascadeComposites(&running, &*states, changed, clock_->Now())) {
    StoredComposite before = (*composites)[step.composite];
    before.state = step.previous;
    TW_RETURN_IF_ERROR(CompositeTransition(before, step.evaluation, &step.trigger));
    TW_RETURN_IF_ERROR(FollowSuppressor(*composites, before.spec.alarm_name,
                                        {before.spec.alarm_arn, step.evaluation.state}));
  }
  return Status::Ok();
}

Status Engine::FollowSuppressor(const std::vector<StoredComposite>& composites,
                                const std::string& changed, const alarm::ChildState& state) {
  for (const StoredComposite& c : composites) {
    const std::string& suppressor = c.spec.actions_suppressor;
    if (suppressor.empty() || (suppressor != changed && suppressor != state.arn)) continue;
    // Read again: a transition earlier in this cascade may have changed it.
    Result<StoredComposite> stored = alarms_->GetComposite(c.spec.alarm_name);
    if (!stored.ok()) return stored.status();
    alarm::Suppression suppression = stored->suppression;
    alarm::SuppressorChanged(c.spec, state.state.value, &suppression, state.state.updated);
    TW_RETURN_IF_ERROR(alarms_->SetSuppression(c.spec.alarm_name, suppression));
  }
  return Status::Ok();
}

Status Engine::LiftEndedSuppressions(TimePoint now) {
  Result<std::vector<StoredComposite>> ended = alarms_->SuppressionsEnded(now);
  if (!ended.ok()) return ended.status();
  for (const StoredComposite& c : *ended) {
    alarm::Suppression suppression = c.suppression;
    std::optional<alarm::StateValue> held = alarm::LiftEnded(&suppression, now);
    TW_RETURN_IF_ERROR(alarms_->SetSuppression(c.spec.alarm_name, suppression));
    // The composite performs the actions of the state it is in, if it
    // changed while they were held.
    if (!held || *held == c.state.value || !c.spec.actions_enabled) continue;
    alarm::Evaluation performed;
    performed.state.updated = now;
    performed.actions = alarm::ActionsFor(c.spec, c.state.value);
    performed.history = alarm::ActionHistory(performed.actions, now);
    MuteIfSilenced(c.tags, &performed);
    for (const alarm::HistoryItem& item : performed.history) {
      TW_RETURN_IF_ERROR(alarms_->AddHistory(c.spec.alarm_name, item));
    }
    if (performed.actions.empty()) continue;
    TW_RETURN_IF_ERROR(PublishComposite(c, *held, c.state, performed.actions, nullptr));
  }
  return Status::Ok();
}

Status Engine::PublishComposite(const StoredComposite& composite, alarm::StateValue old_state,
                                const alarm::AlarmState& new_state,
                                const std::vector<std::string>& actions,
                                const alarm::ChildState* trigger) {
  TransitionFacts facts;
  facts.old_state = old_state;
  facts.new_state = new_state;
  facts.configuration_updated = composite.configuration_updated;
  notify::AlarmChange change =
      DescribeAlarmChange(composite.spec, facts, trigger, options_.region, options_.account_id,
                          ConsoleAlarmUrl(options_.public_url, composite.spec.alarm_name));
  return Notify(change, actions);
}

Status Engine::CompositeTransition(const StoredComposite& composite,
                                   const alarm::Evaluation& evaluation,
                                   const alarm::ChildState* trigger) {
  alarm::Evaluation e = evaluation;
  const alarm::CompositeSpec& spec = composite.spec;
  if (!spec.actions_suppressor.empty()) {
    // The suppression as stored now: a transition earlier in this cascade
    // may have changed it.
    Result<StoredComposite> stored = alarms_->GetComposite(spec.alarm_name);
    if (!stored.ok()) return stored.status();
    alarm::Suppression suppression = stored->suppression;
    std::optional<alarm::StateValue> suppressor;
    Result<AnyAlarm> found = alarms_->Find(alarm::AlarmNameOf(spec.actions_suppressor));
    if (found.ok()) suppressor = found->State().value;
    alarm::HoldActions(spec, suppressor, composite.state.value, &e, &suppression, e.state.updated);
    TW_RETURN_IF_ERROR(alarms_->SetSuppression(spec.alarm_name, suppression));
  }
  MuteIfSilenced(composite.tags, &e);
  TW_RETURN_IF_ERROR(alarms_->RecordComposite(composite.spec.alarm_name, e));
  if (options_.on_transition) {
    options_.on_transition(composite.spec.alarm_name, composite.state.value, e);
  }
  if (e.actions.empty()) return Status::Ok();
  return PublishComposite(composite, composite.state.value, e.state, e.actions, trigger);
}

Status Engine::Transition(const StoredAlarm& alarm, const alarm::Evaluation& unmuted,
                          const AlarmEvaluation& evidence) {
  alarm::Evaluation evaluation = unmuted;
  MuteIfSilenced(alarm.tags, &evaluation);
  std::string evidence_json;
  if (evaluation.state.value == alarm::StateValue::kAlarm) {
    evidence_json = "{\"time\":";
    AppendJsonString(&evidence_json, FormatIso8601Millis(evaluation.state.updated));
    evidence_json += ",\"total\":" + std::to_string(evidence.evidence_total) + ",\"events\":[";
    for (std::size_t i = 0; i < evidence.evidence.size(); ++i) {
      std::string line;
      notify::AppendEvidenceJson(&line, evidence.evidence[i]);
      line.pop_back();  // the closing brace: "raw" joins the object
      line += ",\"raw\":";
      AppendJsonString(&line, evidence.evidence_messages[i]);
      evidence_json += (i > 0 ? "," : "") + line + "}";
    }
    evidence_json += "]}";
  }
  TW_RETURN_IF_ERROR(alarms_->Record(alarm.spec.alarm_name, evaluation, evidence_json));
  if (options_.on_transition) {
    options_.on_transition(alarm.spec.alarm_name, alarm.state.value, evaluation);
  }
  TW_RETURN_IF_ERROR(Publish(alarm, evaluation, evidence));
  // The composites that name this alarm follow it, after its own message.
  return CascadeComposites(alarm.spec.alarm_name);
}

Status Engine::Publish(const StoredAlarm& alarm, const alarm::Evaluation& evaluation,
                       const AlarmEvaluation& evidence) {
  if (evaluation.actions.empty()) return Status::Ok();
  TransitionFacts facts;
  facts.old_state = alarm.state.value;
  facts.new_state = evaluation.state;
  facts.configuration_updated = alarm.configuration_updated;
  facts.evidence = evidence.evidence;
  facts.evidence_total = evidence.evidence_total;
  notify::AlarmChange change =
      DescribeAlarmChange(alarm.spec, facts, options_.region, options_.account_id,
                          ConsoleAlarmUrl(options_.public_url, alarm.spec.alarm_name));
  return Notify(change, evaluation.actions);
}

Status Engine::Notify(const notify::AlarmChange& change, const std::vector<std::string>& actions) {
  std::vector<std::string> warnings;
  Result<std::vector<std::string>> published =
      notifier_->PublishTransition(change, actions, &warnings);
  if (options_.on_warning) {
    for (const std::string& warning : warnings) options_.on_warning(warning);
  }
  return published.ok() ? Status::Ok() : published.status();
}

Status Engine::ReadEvidence(const alarm::AlarmSpec& spec, AlarmEvaluation* step) {
  if (step->evidence_minutes.empty() || !step->evidence.empty()) return Status::Ok();
  Result<std::vector<metrics::EvidenceEvent>> events = metrics_->StoredEvidence(
      spec.metric(), step->evidence_minutes, options_.evidence_per_transition);
  if (!events.ok()) return events.status();
  for (const metrics::EvidenceEvent& e : *events) {
    std::optional<std::string> message = e.message;
    if (e.event_id > 0) {
      Result<std::optional<std::string>> stored =
          logs_->EventMessage(e.log_group, ToEpochMillis(e.timestamp), e.event_id);
      if (!stored.ok()) return stored.status();
      message = std::move(stored).value();
    }
    if (!message) continue;
    step->evidence.push_back(DescribeEvent(*message, e.timestamp));
    step->evidence_messages.push_back(std::move(*message));
  }
  return Status::Ok();
}

Status Engine::SetAlarmState(const std::string& name, alarm::StateValue value,
                             const std::string& reason, const std::string& reason_data) {
  std::lock_guard<std::mutex> lock(mutex_);
  store::Database& db = notifier_->db();
  Result<store::Transaction> tx = store::Transaction::Begin(db);
  if (!tx.ok()) return tx.status();
  Result<StoredAlarm> alarm = alarms_->Get(name);
  if (alarm.ok()) {
    alarm::Evaluation e =
        alarm::SetState(alarm->spec, alarm->state, value, reason, reason_data, clock_->Now());
    if (e.changed) TW_RETURN_IF_ERROR(Transition(*alarm, e, AlarmEvaluation{}));
  } else {
    if (alarm.status().code() != StatusCode::kNotFound) return alarm.status();
    // A composite too, until a child's next transition evaluates its rule.
    Result<StoredComposite> composite = alarms_->GetComposite(name);
    if (!composite.ok()) return composite.status();
    if (composite->state.value != value) {
      alarm::AlarmState next{value, reason, reason_data, clock_->Now()};
      const alarm::CompositeSpec& spec = composite->spec;
      alarm::Evaluation e = alarm::StateChange(
          composite->state, std::move(next), spec.actions_enabled, alarm::ActionsFor(spec, value));
      TW_RETURN_IF_ERROR(CompositeTransition(*composite, e, nullptr));
      TW_RETURN_IF_ERROR(CascadeComposites(name));
    }
  }
  TW_RETURN_IF_ERROR(tx->Commit());
  notifier_->deliverer().Wake();  // the outbox rows are visible now
  return Status::Ok();
}

namespace {
constexpr std::string_view kEvaluatorLeaseName = "evaluator";
}  // namespace

Status Engine::EvaluateAlarms(TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  return EvaluateBoundary(now, /*as_evaluator=*/false);
}

Result<bool> Engine::HoldEvaluatorLease() {
  std::lock_guard<std::mutex> lock(mutex_);
  store::Database& db = notifier_->db();
  if (db.engine() == store::Engine::kSqlite) {
    evaluator_ = true;
    return true;
  }
  Result<bool> held = store::Lease::Acquire(db, kEvaluatorLeaseName, notifier_->node(),
                                            clock_->Now(), kEvaluatorLease);
  evaluator_ = held.ok() && *held;
  return held;
}

Status Engine::FollowSharedStore() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (notifier_->db().engine() != store::Engine::kPostgres) return Status::Ok();
  Result<bool> filters_changed = logs_->FollowFilterChanges();
  if (!filters_changed.ok()) return filters_changed.status();
  return ReadOtherNodesMetrics();
}

Status Engine::ReadOtherNodesMetrics() {
  if (notifier_->db().engine() != store::Engine::kPostgres) return Status::Ok();
  Result<std::int64_t> read = metrics_->Refresh(clock_->Now());
  return read.ok() ? Status::Ok() : read.status();
}

Result<std::vector<TimePoint>> Engine::EvaluateDue(TimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<TimePoint> evaluated;
  if (!evaluator_) return evaluated;
  TW_RETURN_IF_ERROR(ReadOtherNodesMetrics());
  Result<std::optional<TimePoint>> last = alarms_->LastEvaluated();
  if (!last.ok()) return last.status();
  TimePoint first = now;
  if (*last) {
    if (**last >= now) return evaluated;
    first = std::max(**last + kEvaluationTick, FloorTo(now - kEvaluatorCatchUp, kEvaluationTick));
  }
  for (TimePoint boundary = first; boundary <= now; boundary += kEvaluationTick) {
    // A failure stops the catch-up: the boundaries left are the next
    // step's (or the next evaluator's).
    TW_RETURN_IF_ERROR(EvaluateBoundary(boundary, /*as_evaluator=*/true));
    evaluated.push_back(boundary);
  }
  return evaluated;
}

Status Engine::EvaluateBoundary(TimePoint now, bool as_evaluator) {
  store::Database& db = notifier_->db();
  Result<store::Transaction> tx = store::Transaction::Begin(db);
  if (!tx.ok()) return tx.status();
  if (as_evaluator) {
    // Inside the writers' lock: an evaluator whose lease ran out, or a
    // boundary recorded meanwhile, writes nothing.
    if (db.engine() == store::Engine::kPostgres) {
      TW_RETURN_IF_ERROR(
          store::Lease::CheckHeld(db, kEvaluatorLeaseName, notifier_->node(), clock_->Now()));
    }
    Result<std::optional<TimePoint>> last = alarms_->LastEvaluated();
    if (!last.ok()) return last.status();
    if (*last && **last >= now) return Status::Ok();
    TW_RETURN_IF_ERROR(alarms_->RecordEvaluated(now));
  }
  // A minute alarm is evaluated on minute boundaries only; a
  // high-resolution one on every 10-second boundary, so the ticks between
  // minutes read only those.
  const bool on_the_minute = FloorTo(now, std::chrono::minutes(1)) == now;
  Result<std::vector<StoredAlarm>> alarms =
      on_the_minute ? alarms_->List() : alarms_->ListHighResolution();
  if (!alarms.ok()) return alarms.status();
  for (const StoredAlarm& a : *alarms) {
    if (FloorTo(now, alarm::EvaluationInterval(a.spec)) != now) continue;
    AlarmEvaluation step =
        EvaluateAlarm(a.spec, a.state, metrics_->store(), now, options_.evidence_per_transition);
    if (!step.evaluation.changed) continue;
    TW_RETURN_IF_ERROR(ReadEvidence(a.spec, &step));
    TW_RETURN_IF_ERROR(Transition(a, step.evaluation, step));
  }
  TW_RETURN_IF_ERROR(LiftEndedSuppressions(now));
  if (on_the_minute) TW_RETURN_IF_ERROR(SendReminders(now));
  TW_RETURN_IF_ERROR(tx->Commit());
  notifier_->deliverer().Wake();
  return Status::Ok();
}

Result<std::optional<TimePoint>> Engine::ReminderDue(const std::string& name,
                                                     const std::map<std::string, std::string>& tags,
                                                     const alarm::AlarmState& state,
                                                     TimePoint in_alarm_since, TimePoint now) {
  if (state.value != alarm::StateValue::kAlarm) return std::optional<TimePoint>();
  Result<alarm::Silencing> silencing = alarm::SilencingOf(tags);
  if (!silencing.ok() || !silencing->remind_every) return std::optional<TimePoint>();
  // The newest reminder since the alarm entered ALARM, from its history.
  HistoryQuery query{.alarm_name = name, .type = "Action", .start = in_alarm_since};
  std::optional<std::string> next;
  Result<std::vector<HistoryRecord>> actions = alarms_->History(query, &next);
  if (!actions.ok()) return actions.status();
  std::optional<TimePoint> last;
  for (const HistoryRecord& r : *actions) {
    if (r.item.summary.starts_with(alarm::kReminderSummaryPrefix)) {
      last = r.item.timestamp;
      break;
    }
  }
  return alarm::ReminderDue(*silencing, in_alarm_since, last, now);
}

Result<alarm::StateValue> Engine::StateBefore(const std::string& name) {
  HistoryQuery query{.alarm_name = name, .type = "StateUpdate", .limit = 1};
  std::optional<std::string> next;
  Result<std::vector<HistoryRecord>> updates = alarms_->History(query, &next);
  if (!updates.ok()) return updates.status();
  if (!updates->empty()) {
    nlohmann::json data = nlohmann::json::parse(updates->front().item.data, nullptr, false);
    if (data.is_object() && data.contains("oldState")) {
      const std::string old = data["oldState"].value("stateValue", "");
      if (old == "OK") return alarm::StateValue::kOk;
      if (old == "ALARM") return alarm::StateValue::kAlarm;
    }
  }
  return alarm::StateValue::kInsufficientData;
}

Status Engine::SendReminders(TimePoint now) {
  // One alarm of either kind; `describe(old_state)` makes its message.
  auto remind = [&](const std::string& name, const std::map<std::string, std::string>& tags,
                    const alarm::AlarmState& state, TimePoint in_alarm_since,
                    const std::vector<std::string>& actions, auto describe) -> Status {
    Result<std::optional<TimePoint>> due = ReminderDue(name, tags, state, in_alarm_since, now);
    if (!due.ok()) return due.status();
    if (!*due) return Status::Ok();
    Result<alarm::StateValue> before = StateBefore(name);
    if (!before.ok()) return before.status();
    for (const std::string& arn : actions) {
      TW_RETURN_IF_ERROR(
          alarms_->AddHistory(name, alarm::ReminderHistory(arn, in_alarm_since, now)));
    }
    TransitionFacts facts;
    facts.old_state = *before;
    facts.new_state = state;
    notify::AlarmChange change = describe(facts);
    change.reminder = now;
    return Notify(change, actions);
  };
  Result<std::vector<StoredAlarm>> alarms = alarms_->List();
  if (!alarms.ok()) return alarms.status();
  for (const StoredAlarm& a : *alarms) {
    if (!a.spec.actions_enabled || a.spec.alarm_actions.empty()) continue;
    TW_RETURN_IF_ERROR(remind(a.spec.alarm_name, a.tags, a.state, a.state_transitioned,
                              a.spec.alarm_actions, [&](TransitionFacts facts) {
                                facts.configuration_updated = a.configuration_updated;
                                return DescribeAlarmChange(
                                    a.spec, facts, options_.region, options_.account_id,
                                    ConsoleAlarmUrl(options_.public_url, a.spec.alarm_name));
                              }));
  }
  Result<std::vector<StoredComposite>> composites = alarms_->ListComposites();
  if (!composites.ok()) return composites.status();
  for (const StoredComposite& c : *composites) {
    // Actions held by a suppressor are not reminded of either.
    if (!c.spec.actions_enabled || c.spec.alarm_actions.empty() ||
        c.suppression.by != alarm::SuppressedBy::kNone) {
      continue;
    }
    TW_RETURN_IF_ERROR(remind(c.spec.alarm_name, c.tags, c.state, c.state_transitioned,
                              c.spec.alarm_actions, [&](TransitionFacts facts) {
                                facts.configuration_updated = c.configuration_updated;
                                return DescribeAlarmChange(
                                    c.spec, facts, nullptr, options_.region, options_.account_id,
                                    ConsoleAlarmUrl(options_.public_url, c.spec.alarm_name));
                              }));
  }
  return Status::Ok();
}

Status Engine::EarlyAlarms(const metrics::MetricStore& batch) {
  std::set<metrics::MetricKey> touched;
  for (const metrics::MetricKey& key : batch.Keys()) touched.insert(key);
  if (touched.empty()) return Status::Ok();
  // The samples other nodes added to the same minutes count too.
  TW_RETURN_IF_ERROR(ReadOtherNodesMetrics());
  store::Database& db = notifier_->db();
  Result<store::Transaction> tx = store::Transaction::Begin(db);
  if (!tx.ok()) return tx.status();
  Result<std::vector<StoredAlarm>> alarms = alarms_->List();
  if (!alarms.ok()) return alarms.status();
  const TimePoint now = clock_->Now();
  // As if the current minute were complete: its samples can only grow the
  // statistic, so a breach now is a breach at the boundary too.
  const TimePoint boundary = FloorTo(now, std::chrono::minutes(1)) + std::chrono::minutes(1);
  for (const StoredAlarm& a : *alarms) {
    if (a.state.value == alarm::StateValue::kAlarm || !CanAlarmEarly(a.spec) ||
        !touched.count(a.spec.metric())) {
      continue;
    }
    AlarmEvaluation step = EvaluateAlarm(a.spec, a.state, metrics_->store(), boundary,
                                         options_.evidence_per_transition);
    if (!step.evaluation.changed || step.evaluation.state.value != alarm::StateValue::kAlarm) {
      continue;  // only a breach is certain before the minute ends
    }
    TW_RETURN_IF_ERROR(ReadEvidence(a.spec, &step));
    alarm::Evaluation early = alarm::SetState(a.spec, a.state, alarm::StateValue::kAlarm,
                                              step.evaluation.state.reason + kEarlySuffix,
                                              step.evaluation.state.reason_data, now);
    TW_RETURN_IF_ERROR(Transition(a, early, step));
  }
  TW_RETURN_IF_ERROR(tx->Commit());
  notifier_->deliverer().Wake();
  return Status::Ok();
}

Result<RetentionReport> Engine::Maintain() {
  RetentionReport report;
  TimePoint now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    now = clock_->Now();
    store::Database& db = notifier_->db();
    Result<store::Transaction> tx = store::Transaction::Begin(db);
    if (!tx.ok()) return tx.status();
    Result<std::int64_t> log_events = logs_->ApplyRetention(now);
    if (!log_events.ok()) return log_events.status();
    // Retention leaves blocks half empty and small batches leave small
    // blocks; merging them keeps the compression ratio and scans short.
    Result<std::int64_t> merged = logs_->CompactEvents();
    if (!merged.ok()) return merged.status();
    Result<std::int64_t> metric_minutes = metrics_->DropExpired(now);
    if (!metric_minutes.ok()) return metric_minutes.status();
    TW_RETURN_IF_ERROR(tx->Commit());
    report.log_events = *log_events;
    report.metric_minutes = *metric_minutes;
  }
  // AWS's documents disagree on how long alarm history is kept: the CLI
  // reference of mon-describe-alarm-history and the CloudWatch blog ("the
  // standard 14 day alarm history") say two weeks, today's
  // DescribeAlarmHistory reference names no period, and newer user-guide
  // text says 30 days (spec aws-protocols-alarms.md, DescribeAlarmHistory).
  // The default of 30 days keeps at least what AWS keeps.
  const TimePoint cutoff = now - options_.history_retention;
  // Batches, each its own commit under the lock, so that a first prune of a
  // large backlog does not hold API calls for the whole of it.
  constexpr std::size_t kBatch = 2000;
  while (true) {
    std::lock_guard<std::mutex> lock(mutex_);
    Result<store::Transaction> tx = store::Transaction::Begin(notifier_->db());
    if (!tx.ok()) return tx.status();
    notify::Outbox outbox(&notifier_->db());
    Result<std::int64_t> deliveries = outbox.PruneFinished(cutoff, kBatch);
    if (!deliveries.ok()) return deliveries.status();
    Result<std::int64_t> history = alarms_->PruneHistory(cutoff, kBatch);
    if (!history.ok()) return history.status();
    TW_RETURN_IF_ERROR(tx->Commit());
    report.deliveries += *deliveries;
    report.alarm_history += *history;
    if (*deliveries < static_cast<std::int64_t>(kBatch) &&
        *history < static_cast<std::int64_t>(kBatch)) {
      return report;
    }
  }
}

}  // namespace tw::server
