// One evaluation of one alarm over a MetricStore, with the evidence behind
// a change to ALARM: the step that replay (on event time) and the live
// server (on the wall clock) share, so both evaluate alike.

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "common/time.h"
#include "metrics/metrics.h"
#include "notify/alarm_message.h"

namespace tw::server {

struct AlarmEvaluation {
  alarm::Evaluation evaluation;
  // For a change to ALARM: the earliest events of the deciding buckets (at
  // most `evidence_limit`), and how many matched in them in all.
  std::vector<notify::EvidenceLine> evidence;
  std::vector<std::string> evidence_messages;  // the same events' whole messages
  std::uint64_t evidence_total = 0;
  // The minutes of the deciding buckets that hold matching events: a
  // store that keeps evidence elsewhere (serve) reads it from there.
  std::vector<TimePoint> evidence_minutes;
};

// Evaluates `spec` in `state` at `now` (alarm::Evaluate over the buckets of
// alarm::BucketStarts, read from `store`).
AlarmEvaluation EvaluateAlarm(const alarm::AlarmSpec& spec, const alarm::AlarmState& state,
                              const metrics::MetricStore& store, TimePoint now,
                              std::size_t evidence_limit);

// The fields of one CloudTrail record that evidence shows: principal is
// userIdentity.arn, else "<type> <userName|principalId>"; request_parameters
// is compact JSON, or "null"; errorMessage and a responseElements "Failure"
// are kept for EvidenceLine::Failure(). Without an eventTime, the time the
// event was logged (`logged`) stands in. A message that is not a JSON object
// gives empty fields (but that time).
notify::EvidenceLine DescribeEvent(std::string_view message,
                                   std::optional<TimePoint> logged = std::nullopt);

}  // namespace tw::server
