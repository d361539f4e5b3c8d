// Front door of alarm: CloudWatch metric alarms as a pure state machine
// (aws-protocols-alarms.md §4).
//
// The evaluator reads no clock and no store: the caller passes the alarm,
// its current state, the statistics of each bucket of the evaluation range
// and the evaluation time, and gets back the new state, AWS-format
// StateReason / StateReasonData, the history items and the actions to run.
// Replay drives it with event time; the server with wall time.
//
//   std::vector<TimePoint> starts = BucketStarts(spec, now);   // newest first
//   std::vector<Bucket> buckets;  for (t : starts) buckets.push_back({t, store.Query(...)});
//   Evaluation e = Evaluate(spec, state, buckets, now);
//   if (e.changed) { state = e.state; fire(e.actions); }

#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "metrics/metrics.h"

namespace tw::alarm {

enum class StateValue { kOk, kAlarm, kInsufficientData };
const char* StateName(StateValue state);  // "OK", "ALARM", "INSUFFICIENT_DATA"

enum class ComparisonOperator {
  kGreaterThanOrEqualToThreshold,
  kGreaterThanThreshold,
  kLessThanThreshold,
  kLessThanOrEqualToThreshold,
};

enum class TreatMissingData { kMissing, kBreaching, kNotBreaching, kIgnore };

// AWS::CloudWatch::Alarm / PutMetricAlarm (single-metric alarms).
struct AlarmSpec {
  std::string alarm_name;                  // AlarmName
  std::string alarm_description;           // AlarmDescription
  std::string alarm_arn;                   // arn:aws:cloudwatch:<region>:<account>:alarm:<name>
  std::string metric_namespace;            // Namespace
  std::string metric_name;                 // MetricName
  metrics::Dimensions dimensions;          // Dimensions (sorted by name)
  std::string statistic;                   // Statistic, or empty
  std::string extended_statistic;          // ExtendedStatistic ("p99"), or empty
  std::chrono::seconds period{300};        // Period
  int evaluation_periods = 1;              // EvaluationPeriods (N)
  std::optional<int> datapoints_to_alarm;  // DatapointsToAlarm (M), default N
  double threshold = 0;                    // Threshold
  ComparisonOperator comparison_operator = ComparisonOperator::kGreaterThanThreshold;
  TreatMissingData treat_missing_data = TreatMissingData::kMissing;  // TreatMissingData
  // Whether TreatMissingData was given: DescribeAlarms shows it only then,
  // as AWS does (the behaviour is "missing" either way).
  bool treat_missing_data_given = false;
  bool evaluate_low_sample_count_percentile = true;    // EvaluateLowSampleCountPercentile
  std::optional<std::string> unit;                     // Unit
  bool actions_enabled = true;                         // ActionsEnabled
  std::vector<std::string> alarm_actions;              // AlarmActions
  std::vector<std::string> ok_actions;                 // OKActions
  std::vector<std::string> insufficient_data_actions;  // InsufficientDataActions

  int m() const { return datapoints_to_alarm.value_or(evaluation_periods); }
  metrics::MetricKey metric() const { return {metric_namespace, metric_name, dimensions}; }
};

// PutMetricAlarm's validation. The message names the CloudFormation
// property: "Period: must be 10, 30 or a multiple of 60",
// "DatapointsToAlarm: must be less than or equal to EvaluationPeriods",
// "Period: Period * EvaluationPeriods must be at most 86400 (one day)",
// "ExtendedStatistic: Statistic and ExtendedStatistic are mutually exclusive", ...
Status Validate(const AlarmSpec& spec);

// Parses CloudFormation/API enum spellings ("GreaterThanThreshold",
// "notBreaching", ...). Unknown -> error naming the accepted values.
Result<ComparisonOperator> ParseComparisonOperator(std::string_view text);
Result<TreatMissingData> ParseTreatMissingData(std::string_view text);
const char* ComparisonOperatorName(ComparisonOperator op);
const char* TreatMissingDataName(TreatMissingData mode);

struct AlarmState {
  StateValue value = StateValue::kInsufficientData;
  std::string reason = "Unchecked: Initial alarm creation";
  std::string reason_data;  // JSON text, or empty
  TimePoint updated;        // StateUpdatedTimestamp
};

// The state of a new alarm (created at `now`).
AlarmState InitialState(TimePoint now);

// One bucket of the evaluation range: [start, start + period).
struct Bucket {
  TimePoint start;
  std::optional<metrics::Statistics> statistics;  // nullopt: no sample (missing)
};

// How often CloudWatch evaluates an alarm: every minute, and every 10
// seconds for a high-resolution alarm (Period 10 or 30).
Duration EvaluationInterval(const AlarmSpec& spec);

// The starts of the buckets an evaluation at `now` reads, newest first:
// R = max(N, 5) buckets, the newest being [floor(now) - P, floor(now)), with
// now floored to the alarm's EvaluationInterval.
std::vector<TimePoint> BucketStarts(const AlarmSpec& spec, TimePoint now);

struct HistoryItem {
  TimePoint timestamp;
  std::string type;     // "StateUpdate" or "Action"
  std::string summary;  // "Alarm updated from OK to ALARM"
  std::string data;     // JSON text (aws-protocols-alarms.md §4.7)
};

struct Evaluation {
  bool changed = false;              // true iff state.value differs from the input state
  AlarmState state;                  // the new state (the input state when unchanged)
  std::vector<HistoryItem> history;  // StateUpdate (+ one Action per action), when changed
  std::vector<std::string> actions;  // ARNs to run, when changed and actions are enabled
  // The buckets that decided the outcome (breaching ones for ALARM), newest first.
  std::vector<TimePoint> deciding_buckets;
};

// One evaluation (aws-protocols-alarms.md §4.4–4.6). `buckets` are those of
// BucketStarts(spec, now), newest first.
Evaluation Evaluate(const AlarmSpec& spec, const AlarmState& current,
                    std::span<const Bucket> buckets, TimePoint now);

// The actions an alarm (metric or composite spec) runs on entering `state`.
template <typename Spec>
const std::vector<std::string>& ActionsFor(const Spec& spec, StateValue state) {
  return state == StateValue::kAlarm ? spec.alarm_actions
         : state == StateValue::kOk  ? spec.ok_actions
                                     : spec.insufficient_data_actions;
}

// One "Successfully executed action <arn>" history item per action, at `now`.
std::vector<HistoryItem> ActionHistory(const std::vector<std::string>& actions, TimePoint now);

// A change from `current` to `next` (its `updated` is the time): the
// StateUpdate history item and, when `actions_enabled`, `actions` with an
// Action item each. Metric and composite alarms change state this way.
Evaluation StateChange(const AlarmState& current, AlarmState next, bool actions_enabled,
                       const std::vector<std::string>& actions);

// SetAlarmState: a move to `value` with the caller's reason (and
// StateReasonData JSON, possibly empty), with the StateUpdate history item
// and the actions of the new state. Unchanged (changed == false) when the
// alarm is already in `value`.
Evaluation SetState(const AlarmSpec& spec, const AlarmState& current, StateValue value,
                    std::string reason, std::string reason_data, TimePoint now);

// PutMetricAlarm's ConfigurationUpdate history item: summary `Alarm "<name>"
// created` / `... updated`, data {"version":"1.0","type":"Create",
// "createdAlarm":{...}} (or "Update" / "updatedAlarm"), §4.7.
HistoryItem ConfigurationUpdate(const AlarmSpec& spec, const AlarmState& state, TimePoint now,
                                bool created);

}  // namespace tw::alarm
