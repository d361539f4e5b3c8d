// The live pipeline of `trailwatch serve`: log events through metric
// filters into metrics, alarms evaluated on the wall clock, transitions
// published through the outbox, everything in the store.
//
// One Engine per data directory. Every public method takes the engine's
// mutex, so the API threads, the minute evaluator and the CloudTrail
// watcher never interleave inside the store; each write is one transaction
// that commits before the method returns, so what a client was told
// succeeded survives a SIGKILL:
//   PutLogEvents = events + the metric minutes they produced (+ an early
//   alarm and its outbox rows, when enabled), in one commit;
//   EvaluateAlarms = every transition with its history and outbox rows, in
//   one commit, so no notification can be lost between the state change
//   and the outbox.
//
//   Result<std::unique_ptr<Engine>> engine = Engine::Open(&notifier, options, &clock);
//   (*engine)->PutLogEvents("CloudTrail/DefaultLogGroup", "stream", events);
//   (*engine)->EvaluateAlarms(FloorTo(clock.Now(), std::chrono::minutes(1)));

#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "alarm/alarm.h"
#include "common/status.h"
#include "common/time.h"
#include "server/alarm_service.h"
#include "server/evaluation.h"
#include "server/log_service.h"
#include "server/metric_service.h"
#include "server/notifications.h"
#include "server/template.h"

namespace tw::server {

// What one committed batch of log events did, for the service's own metrics.
struct IngestReport {
  std::string log_group;
  std::size_t events = 0;  // accepted and stored
  std::size_t bytes = 0;   // of their messages
  // Each metric filter of the group (by name) and how many of the events
  // matched its pattern.
  std::vector<std::pair<std::string, std::uint64_t>> filter_matches;
  // Observations published without their dimensions: new dimension sets
  // past metrics::DimensionLimit's 1,000 per filter and hour.
  std::size_t dimensions_dropped = 0;
  // PutLogEvents only (not the CloudTrail watcher): from the call to its
  // commit, lock wait included (a steady-clock measurement, not event time).
  std::optional<Duration> put_log_events_elapsed;
};

// What one retention pass deleted.
struct RetentionReport {
  std::int64_t log_events = 0;
  std::int64_t metric_minutes = 0;
  std::int64_t deliveries = 0;     // finished, with their attempts
  std::int64_t alarm_history = 0;  // history items
};

struct EngineOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string public_url = "http://127.0.0.1:4566";
  // Evaluate alarms whose statistic can only grow (Sum, Maximum,
  // SampleCount with > or >=) on the current, incomplete minute as soon as
  // data arrives, so ALARM goes out within a second (trailwatch extension).
  bool early_alarm = false;
  std::size_t evidence_per_transition = 10;
  // How long finished deliveries (delivered or dead, with their attempts)
  // and alarm history items are kept; Maintain() removes older ones.
  // Pending deliveries are kept whatever their age. (serve
  // --keep-history-days; the default follows the 30 days AWS is said to
  // keep alarm history for, see engine.cc.)
  Duration history_retention = std::chrono::days(30);
  // Called (under the engine's lock) for each transition, for the log and
  // the /metrics counters; `from` is the state before it.
  std::function<void(const std::string& alarm, alarm::StateValue from, const alarm::Evaluation&)>
      on_transition;
  // Called after each committed batch of log events, for the /metrics
  // counters, on the thread that sent the batch (PutLogEvents: not under the
  // engine's lock). Must be quick and thread-safe.
  std::function<void(const IngestReport&)> on_ingest;
  // Called (under the engine's lock) with what a transition's notifications
  // could not do (a topic that does not exist, a subscription pending
  // confirmation), for the log.
  std::function<void(const std::string&)> on_warning;
};

// The services, for operations that need more than one call under one lock.
struct Services {
  LogService& logs;
  MetricService& metrics;
  AlarmService& alarms;
  notify::Sns& sns;
  notify::Deliverer& deliverer;  // Wake() it after queueing messages
  store::Database& db;
  const EngineOptions& options;
};

class Engine {
 public:
  // Opens the services on the notifier's store. `notifier` and `clock` must
  // outlive the engine.
  static Result<std::unique_ptr<Engine>> Open(Notifier* notifier, EngineOptions options,
                                              const Clock* clock);

  const EngineOptions& options() const { return options_; }
  const Clock& clock() const { return *clock_; }

  // Runs `f(services)` under the engine's lock.
  template <typename F>
  decltype(auto) Locked(F&& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    Services services{
        *logs_,          *metrics_, *alarms_, notifier_->sns(), notifier_->deliverer(),
        notifier_->db(), options_};
    return f(services);
  }

  // Applies a template: its log groups, metric filters, alarms, topics and
  // subscriptions are created or updated (nothing is deleted).
  Status ApplyConfiguration(const Configuration& config, std::vector<std::string>* warnings);

  // PutLogEvents, with the group's metric filters run on the accepted events.
  Result<PutLogEventsResult> PutLogEvents(const std::string& group, const std::string& stream,
                                          const std::vector<InputLogEvent>& events);
  // CloudTrail records of one file, stored (no time window) and counted by
  // the group's filters, together with `checkpoint`, which runs in the same
  // transaction (the watcher records the file there). Returns the count.
  Result<std::size_t> IngestRecords(const std::string& group, const std::string& stream,
                                    const std::vector<InputLogEvent>& events,
                                    const std::function<Status(store::Database&)>& checkpoint);
  // GetLogEvents, FilterLogEvents and the console's newest events: the
  // group or stream is checked under the engine's lock, then the events are
  // scanned outside it, on a reader connection of their own (WAL), so that
  // a search through millions of events never holds up ingest.
  Result<GetLogEventsResult> GetLogEvents(const std::string& group, const std::string& stream,
                                          std::optional<std::int64_t> start_ms,
                                          std::optional<std::int64_t> end_ms,
                                          const std::optional<std::string>& token, int limit,
                                          bool start_from_head);
  Result<std::vector<StoredLogEvent>> FilterLogEvents(const std::string& group,
                                                      const FilterLogEventsQuery& query,
                                                      Page* page);
  Result<std::vector<StoredLogEvent>> RecentEvents(const std::string& group, int limit);

  // PutMetricData, already validated and turned into a batch.
  Status PutMetrics(const metrics::MetricStore& batch);

  // PutMetricAlarm (validated spec).
  Status PutMetricAlarm(const alarm::AlarmSpec& spec,
                        const std::map<std::string, std::string>& tags);
  // PutCompositeAlarm (spec validated by alarm::ValidateComposite): the
  // rule may name only alarms that exist, and no alarm named by another
  // kind; a rule that would close a cycle of composites is refused
  // (kInvalidArgument, the message says which). Evaluated at once, its
  // actions run as for any transition.
  Status PutCompositeAlarm(const alarm::CompositeSpec& spec,
                           const std::map<std::string, std::string>& tags);
  // DeleteAlarms, metric and composite: refused (kInvalidArgument, "Cannot
  // delete a,b as there are composite alarm(s) depending on them.") while
  // a composite not deleted with them names one of them; nothing is deleted
  // then. Unknown names are ignored.
  Status DeleteAlarms(const std::vector<std::string>& names);
  // SetAlarmState: kNotFound for an unknown alarm.
  Status SetAlarmState(const std::string& name, alarm::StateValue value, const std::string& reason,
                       const std::string& reason_data);
  // Evaluates the alarms due at `now`, a 10-second boundary: every alarm on
  // a minute boundary, only the high-resolution ones (Period 10 or 30) on
  // the others (alarm::EvaluationInterval).
  Status EvaluateAlarms(TimePoint now);

  // Evaluation boundaries are this far apart (high-resolution alarms).
  static constexpr Duration kEvaluationTick = std::chrono::seconds(10);
  // The evaluator's lease (store/lease.h), renewed every second by its
  // holder: a node that dies is replaced about this long after.
  static constexpr Duration kEvaluatorLease = std::chrono::seconds(10);
  // How far back an evaluator catches up on boundaries nobody evaluated.
  static constexpr Duration kEvaluatorCatchUp = std::chrono::minutes(1);

  // Takes or renews the evaluator's lease for this node (Notifier::node());
  // serve calls it every second. True when this node is the evaluator. On
  // the embedded store, whose data directory admits one process, always.
  Result<bool> HoldEvaluatorLease();
  // On a shared store, serve calls it every second: reads the metric
  // minutes the other nodes wrote since the last call (EvaluateDue and the
  // early alarms read them first too), and drops the compiled metric
  // filters when another node changed them, so that this node's ingest
  // counts with them within a second. Nothing on the embedded store.
  Status FollowSharedStore();
  // The evaluator's step at boundary `now` (serve's ticker): on the node
  // holding the lease, evaluates each boundary after the last one any node
  // recorded, oldest first and at most kEvaluatorCatchUp back, as
  // EvaluateAlarms does, each recorded in the transaction of its
  // transitions and refused there if the lease ran out meanwhile, so that
  // a takeover neither repeats nor skips a boundary. Returns the boundaries
  // evaluated: none on another node.
  Result<std::vector<TimePoint>> EvaluateDue(TimePoint now);
  // Retention of log events and metric minutes, then of finished
  // deliveries and alarm history (options().history_retention), in
  // batches that each take the lock briefly; returns what it deleted.
  Result<RetentionReport> Maintain();

 private:
  Engine(Notifier* notifier, EngineOptions options, const Clock* clock)
      : notifier_(notifier), options_(std::move(options)), clock_(clock) {}

  // The observations of `events` by `filters` (those of `group`), ingested
  // at `now`, within the dimension limit; fills `report`'s counts (not its
  // elapsed time). Evidence refers to the events by id, `first_id` the
  // first's (1 when the store has not numbered them yet: see
  // MetricStore::Merge). Needs no lock.
  metrics::MetricStore Observe(const metrics::FilterSet& filters, const std::string& group,
                               std::span<const InputLogEvent* const> events, TimePoint now,
                               std::int64_t first_id, IngestReport* report);
  // For a change to ALARM evaluated on the store in memory (which keeps no
  // evidence): reads the deciding minutes' evidence from the store, then
  // the events themselves. An event deleted since (retention) is left out.
  Status ReadEvidence(const alarm::AlarmSpec& spec, AlarmEvaluation* step);
  // Group commit: queues `put` and waits until a commit has written it,
  // running that commit itself when none is running. Returns its first id.
  struct PendingPut;
  Result<std::int64_t> CommitTogether(PendingPut* put);
  // Writes `puts` in one transaction, each in its own savepoint, under the
  // engine's lock, and sets each one's outcome.
  void CommitPuts(const std::vector<PendingPut*>& puts);
  // Stores a changed evaluation and publishes it; inside a transaction.
  // A muted alarm's transition runs no action (alarm/silencing.h).
  Status Transition(const StoredAlarm& alarm, const alarm::Evaluation& unmuted,
                    const AlarmEvaluation& evidence);
  // The notifications of a metric alarm's transition, to its actions.
  Status Publish(const StoredAlarm& alarm, const alarm::Evaluation& evaluation,
                 const AlarmEvaluation& evidence);
  // PutCompositeAlarm's work, inside the caller's lock and transaction.
  Status PutComposite(const alarm::CompositeSpec& spec,
                      const std::map<std::string, std::string>& tags);
  // Re-evaluates the composites that name `changed` (an alarm's name; by
  // name or ARN in their rules), and those naming them in turn; inside a
  // transaction. Each composite that changes publishes as any alarm does.
  Status CascadeComposites(const std::string& changed);
  // Stores a composite's changed evaluation and publishes it; `trigger` is
  // the child whose transition caused it, when one did.
  Status CompositeTransition(const StoredComposite& composite, const alarm::Evaluation& evaluation,
                             const alarm::ChildState* trigger);
  // Publishes a change to its actions' topics; what could not be done goes
  // to on_warning.
  Status Notify(const notify::AlarmChange& change, const std::vector<std::string>& actions);
  // The notifications of a composite's change from `old_state` to `new_state`.
  Status PublishComposite(const StoredComposite& composite, alarm::StateValue old_state,
                          const alarm::AlarmState& new_state,
                          const std::vector<std::string>& actions,
                          const alarm::ChildState* trigger);
  // The composites in `composites` whose ActionsSuppressor is `changed`
  // (by name or ARN) follow its new state.
  Status FollowSuppressor(const std::vector<StoredComposite>& composites,
                          const std::string& changed, const alarm::ChildState& state);
  // The WaitPeriods and ExtensionPeriods ended by `now`: lifted, and the
  // actions of a change they held performed.
  Status LiftEndedSuppressions(TimePoint now);
  // The state of every alarm a rule may name, by name and by ARN: the
  // metric alarms from the store and the given composites.
  Result<std::map<std::string, alarm::ChildState>> AlarmStates(
      const std::vector<StoredComposite>& composites);
  // The reminders due at `now` (a minute boundary) of alarms that stay in
  // ALARM with trailwatch:RemindEvery (alarm/silencing.h): each sends the
  // ALARM actions again, marked as a reminder, with an Action history item.
  Status SendReminders(TimePoint now);
  // The reminder due for one alarm, from its tags and its history.
  Result<std::optional<TimePoint>> ReminderDue(const std::string& name,
                                               const std::map<std::string, std::string>& tags,
                                               const alarm::AlarmState& state,
                                               TimePoint in_alarm_since, TimePoint now);
  // The state an alarm was in before its latest change (its history's
  // newest StateUpdate), for a reminder's OldStateValue.
  Result<alarm::StateValue> StateBefore(const std::string& name);
  // After a commit that added `batch`: early alarms on its metrics.
  Status EarlyAlarms(const metrics::MetricStore& batch);
  // The metric minutes of FollowSharedStore, under the lock.
  Status ReadOtherNodesMetrics();
  // EvaluateAlarms under the lock; `as_evaluator`: EvaluateDue's fencing
  // and record of the boundary.
  Status EvaluateBoundary(TimePoint now, bool as_evaluator);

  std::mutex mutex_;
  // The group commit's queue (CommitTogether); taken without mutex_ held.
  std::mutex commit_mutex_;
  std::condition_variable commit_done_;
  std::vector<PendingPut*> commit_queue_;
  bool committing_ = false;
  Notifier* notifier_;
  EngineOptions options_;
  const Clock* clock_;
  std::unique_ptr<LogService> logs_;
  std::unique_ptr<MetricService> metrics_;
  std::unique_ptr<AlarmService> alarms_;
  metrics::DimensionLimit dimension_limit_;
  std::unique_ptr<store::EventReaders> readers_;
  bool evaluator_ = false;  // the last HoldEvaluatorLease() took the lease
};

}  // namespace tw::server
