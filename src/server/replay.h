// `trailwatch replay`: archived CloudTrail files through a template's metric
// filters and alarms, on event time.
//
// Replay() reads every record of every file (ingest::MessageReader), runs the
// log group's metric filters on it (one JSON parse per event), aggregates the
// observations per minute (metrics::MetricStore), then evaluates every alarm
// at every minute boundary of event time from the first event until each
// alarm's evaluation range has passed the last one, so that an alarm that
// fired can return to OK. Composite alarms then follow their children's
// transitions in time order (alarm::CascadeComposites, as `serve` does),
// after an evaluation at the start as at their creation. The result equals processing the records
// in eventTime order: aggregation does not depend on order, and evidence keeps the earliest events
// of each minute.
//
// A file that cannot be read or is malformed is reported and contributes
// nothing; the others go on.

#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm.h"
#include "alarm/composite.h"
#include "common/status.h"
#include "common/time.h"
#include "metrics/metrics.h"
#include "notify/alarm_message.h"
#include "server/evaluation.h"
#include "server/template.h"

namespace tw::server {

struct ReplayOptions {
  std::optional<std::string> log_group;  // default: the one the template's filters read
  std::vector<std::string> paths;        // files or directories (recursive)
  std::size_t evidence_per_transition = 10;
  // Evaluate at every minute from the first event to the end instead of only
  // where data can change the outcome. Same result, much slower on sparse
  // data; tests use it to check that the shortcut changes nothing.
  bool evaluate_every_minute = false;
};

// One event behind an alarm, in the fields a person needs: principal is
// userIdentity.arn, else "<type> <userName|principalId>"; request_parameters
// is compact JSON, or "null".
using EvidenceRecord = notify::EvidenceLine;

struct ReplayTransition {
  TimePoint time;
  std::string alarm_name;
  alarm::StateValue old_state = alarm::StateValue::kInsufficientData;
  alarm::StateValue new_state = alarm::StateValue::kInsufficientData;
  std::string reason;
  std::string reason_data;  // JSON text
  std::vector<std::string> actions;
  std::vector<EvidenceRecord> evidence;  // for transitions to ALARM
  std::uint64_t evidence_total = 0;
  // A composite alarm's transition: no evidence of its own; the child whose
  // change caused it, unless it is the evaluation at the start.
  bool composite = false;
  std::optional<alarm::ChildState> trigger;
};

struct SkippedFile {
  std::string path;
  std::string reason;
};

struct AlarmSummary {
  std::string alarm_name;
  alarm::StateValue state = alarm::StateValue::kInsufficientData;
  int transitions = 0;
  std::uint64_t matched_events = 0;  // events matched by the filters feeding its metric
  std::int64_t seconds_in_alarm = 0;
};

struct MetricSummary {
  metrics::MetricKey key;
  double samples = 0;
  double sum = 0;
};

struct ReplayResult {
  std::string log_group;
  std::uint64_t events = 0;
  std::uint64_t events_without_time = 0;  // records without a readable eventTime: not ingested
  std::uint64_t files = 0;
  std::vector<SkippedFile> skipped_files;
  std::optional<TimePoint> first_event, last_event;
  std::vector<ReplayTransition> transitions;  // in time order, then alarm name
  std::vector<AlarmSummary> alarms;
  std::vector<MetricSummary> metrics;
};

// Called after each file with (files done, files total, events so far).
using ReplayProgress = std::function<void(std::size_t, std::size_t, std::uint64_t)>;

Result<ReplayResult> Replay(const Configuration& config, const ReplayOptions& options,
                            const ReplayProgress& progress = {});

// The files a list of paths names: files as given, directories walked
// recursively for *.json, *.json.gz, *.jsonl, *.ndjson (and .gz of those),
// sorted. Paths that do not exist are returned as skipped.
std::vector<std::string> CollectInputFiles(const std::vector<std::string>& paths,
                                           std::vector<SkippedFile>* missing);

}  // namespace tw::server
