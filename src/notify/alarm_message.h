// What CloudWatch publishes when an alarm changes state, rebuilt from plain
// structs (spec aws-protocols-alarms.md §5): the SNS Subject, the JSON
// Message that HTTP/SQS/e-mail-json subscribers get, and the e-mail text that
// `email` subscribers get, plus an HTML alternative of it.
//
// notify knows nothing of alarms or metrics: server fills an AlarmChange from
// an alarm transition and its evidence. Every function here is pure (no clock,
// no I/O), never fails, and is safe to call from any thread.
//
//   AlarmChange change = ...;
//   std::string subject = AlarmSubject(change);
//   std::string json = AlarmMessageJson(change);
//   EmailBody mail = AlarmEmail(change, unsubscribe_url);

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace tw::notify {

struct MetricDimension {
  std::string name;
  std::string value;
};

// The Trigger object of the alarm message: the alarm's metric and condition.
struct AlarmTrigger {
  std::string metric_name;
  std::string metric_namespace;
  // PutMetricAlarm's Statistic ("Sum", "Average", "SampleCount", "Minimum",
  // "Maximum"). Ignored when extended_statistic is set.
  std::string statistic;
  std::string extended_statistic;   // "p99", ...; empty for a plain statistic
  std::optional<std::string> unit;  // nullopt: the alarm has no Unit
  std::vector<MetricDimension> dimensions;
  std::chrono::seconds period{60};
  int evaluation_periods = 1;
  std::optional<int> datapoints_to_alarm;  // nullopt: unset (means evaluation_periods)
  std::string comparison_operator;         // "GreaterThanThreshold", ...
  double threshold = 0;
  std::string treat_missing_data = "missing";
  std::string evaluate_low_sample_count_percentile;  // "" unless set
};

// One CloudTrail event that contributed to the alarm (server's EvidenceRecord).
struct EvidenceLine {
  std::string event_time;  // as CloudTrail wrote it, e.g. "2021-09-15T18:27:03Z"
  std::string event_name;
  std::string event_source;
  std::string principal;
  std::string source_ip_address;
  std::string aws_region;
  std::string error_code;          // errorCode; empty when absent
  std::string request_parameters;  // compact JSON text; "null" or empty when absent
  std::string error_message;       // errorMessage; empty when absent
  // A failure told only in responseElements, as sign-in events do
  // ({"ConsoleLogin": "Failure"}): "ConsoleLogin: Failure"; else empty.
  std::string response_failure;

  // How the call failed: errorCode, else errorMessage, else the
  // responseElements failure; empty when nothing says it failed.
  std::string Failure() const;
};

// One state change of one alarm, with everything the messages show.
struct AlarmChange {
  std::string alarm_name;
  std::optional<std::string> alarm_description;  // nullopt: JSON null
  std::string account_id;
  std::string region;  // code, e.g. "us-east-1"
  std::string alarm_arn;
  std::string old_state;  // "OK", "ALARM" or "INSUFFICIENT_DATA"
  std::string new_state;
  std::string new_state_reason;
  TimePoint state_change_time;
  TimePoint configuration_updated_time;
  std::vector<std::string> ok_actions;
  std::vector<std::string> alarm_actions;
  std::vector<std::string> insufficient_data_actions;
  AlarmTrigger trigger;  // metric alarms
  // Composite alarms: the rule (set only for them; then `trigger` is unused)
  // and the children whose transition caused this change.
  std::optional<std::string> alarm_rule;
  struct TriggeringChild {
    std::string arn;
    std::string state;  // "ALARM", ...
    TimePoint timestamp;
  };
  std::vector<TriggeringChild> triggering_children;
  // The events shown, earliest first, and how many matched in all
  // (evidence_total >= evidence.size()).
  std::vector<EvidenceLine> evidence;
  std::uint64_t evidence_total = 0;
  // Link under "View this alarm in ..." in the e-mail. Empty: AWS's console
  // deep link for region and alarm name, as CloudWatch writes it.
  std::string console_url;
  // A reminder (trailwatch extension, alarm/silencing.h): the alarm is
  // still in new_state at this time, since state_change_time. The message
  // JSON stays CloudWatch's; the subject, the mail and an attribute say it.
  std::optional<TimePoint> reminder;
};

// AWS's display name of a commercial region ("US East (N. Virginia)",
// "EU (Ireland)": the names CloudWatch alarm messages use, which say "EU"
// where the console now says "Europe"). An unknown code is returned as is.
std::string RegionDisplayName(std::string_view region_code);

// `<NEWSTATE>: "<name>" in <Region display name>`, at most 99 bytes because
// SNS rejects subjects of 100 characters or more. When too long, the alarm
// name is cut at a UTF-8 character boundary and ends in "..." inside the
// quotes; the state and region are kept. Control characters (SNS forbids
// them, and line breaks would break the mail header) become spaces.
std::string AlarmSubject(const AlarmChange& change);

// CloudWatch's alarm Message JSON, compact, keys in AWS's order (§5.1) and
// nothing else: a consumer written against CloudWatch's messages sees the
// same keys. The evidence travels beside it (AlarmEvidenceJson). A
// composite alarm has "AlarmRule" and "TriggeringChildren" ([{"Arn",
// "State": {"Value", "Timestamp"}}]) in place of "Trigger".
std::string AlarmMessageJson(const AlarmChange& change);

// The SNS message attribute that carries the evidence of an alarm
// notification (String): SNS envelopes (http/https, email-json) show it
// under MessageAttributes; raw delivery drops attributes, as on AWS.
inline constexpr std::string_view kEvidenceAttribute = "trailwatch.evidence";
// The attribute that marks a reminder (AlarmChange::reminder): String, the
// time the alarm entered its state.
inline constexpr std::string_view kReminderAttribute = "trailwatch.reminder";

// The evidence of a change as that attribute's value:
//   {"total": N, "events": [{"eventTime", "eventName", "eventSource",
//   "principal", "sourceIPAddress", "awsRegion", "errorCode" (null when
//   empty), "requestParameters" (the JSON value; null when empty or "null";
//   a string when the text is not valid JSON)}]}
// `total` counts every matching event, `events` the ones shown.
std::string AlarmEvidenceJson(const AlarmChange& change);

struct EmailBody {
  std::string text;  // text/plain; charset=UTF-8
  std::string html;  // text/html; charset=UTF-8, every field HTML-escaped
};

// The `email` protocol body: CloudWatch's alarm e-mail text (§5.1), then a
// "What happened" section with one line per evidence event (and "(and N more
// events not shown)" when evidence_total exceeds them), then SNS's footer
// with `unsubscribe_url` (§5.5). The HTML alternative has the same content,
// with the evidence as a table.
EmailBody AlarmEmail(const AlarmChange& change, std::string_view unsubscribe_url);

// SNS's e-mail footer (§5.5) as it follows any message: "\n\n--\nIf you
// wish to stop receiving ...:\n<url>\n\nPlease do not reply ...\n".
std::string EmailFooter(std::string_view unsubscribe_url);

// The `slack` protocol (trailwatch's extension): a Slack incoming-webhook
// payload, {"text": <fallback>, "blocks": [...]}, with the subject as a
// header, the reason, the alarm's condition and the "What happened" lines;
// everything from the alarm or its events is escaped for Slack's mrkdwn
// (& < >), so an event cannot ping a channel or forge a link.
std::string AlarmSlackPayload(const AlarmChange& change);
// Any other message: the subject (when present) as a header, then the text.
std::string SlackPayload(const std::optional<std::string>& subject, std::string_view message);

// One evidence event as the evidence attribute and `trailwatch replay
// --json` show it (see AlarmEvidenceJson).
void AppendEvidenceJson(std::string* out, const EvidenceLine& event);

}  // namespace tw::notify
