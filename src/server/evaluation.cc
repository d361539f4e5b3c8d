#include "server/evaluation.h"

#include <nlohmann/json.hpp>
#include <optional>

namespace tw::server {
namespace {

std::string StringMember(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

AlarmEvaluation EvaluateAlarm(const alarm::AlarmSpec& spec, const alarm::AlarmState& state,
                              const metrics::MetricStore& store, TimePoint now,
                              std::size_t evidence_limit) {
  const metrics::MetricKey key = spec.metric();
  std::vector<alarm::Bucket> buckets;
  std::vector<std::optional<metrics::Aggregate>> aggregates;
  for (TimePoint start : alarm::BucketStarts(spec, now)) {
    aggregates.push_back(store.Query(key, start, spec.period, spec.unit));
    buckets.push_back(
        {start, aggregates.back() ? std::optional(aggregates.back()->statistics) : std::nullopt});
  }
  AlarmEvaluation out;
  out.evaluation = alarm::Evaluate(spec, state, buckets, now);
  if (!out.evaluation.changed || out.evaluation.state.value != alarm::StateValue::kAlarm) {
    return out;
  }
  for (TimePoint start : out.evaluation.deciding_buckets) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      if (buckets[i].start != start || !aggregates[i]) continue;
      out.evidence_total += aggregates[i]->evidence_total;
      out.evidence_minutes.insert(out.evidence_minutes.end(),
                                  aggregates[i]->evidence_minutes.begin(),
                                  aggregates[i]->evidence_minutes.end());
      for (const metrics::EvidenceEvent* e : aggregates[i]->evidence) {
        if (out.evidence.size() < evidence_limit) {
          out.evidence.push_back(DescribeEvent(e->message, e->timestamp));
          out.evidence_messages.push_back(e->message);
        }
      }
    }
  }
  return out;
}

notify::EvidenceLine DescribeEvent(std::string_view message, std::optional<TimePoint> logged) {
  notify::EvidenceLine record;
  if (logged) record.event_time = FormatIso8601(*logged);
  nlohmann::json event = nlohmann::json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return record;
  if (std::string time = StringMember(event, "eventTime"); !time.empty()) {
    record.event_time = std::move(time);
  }
  record.event_name = StringMember(event, "eventName");
  record.event_source = StringMember(event, "eventSource");
  record.source_ip_address = StringMember(event, "sourceIPAddress");
  record.aws_region = StringMember(event, "awsRegion");
  record.error_code = StringMember(event, "errorCode");
  record.error_message = StringMember(event, "errorMessage");
  // Sign-in events tell a failure only here: {"ConsoleLogin": "Failure"}
  // (CheckMfa, SwitchRole, ExitRole alike).
  auto response = event.find("responseElements");
  if (response != event.end() && response->is_object()) {
    for (const auto& [key, value] : response->items()) {
      if (value.is_string() && value.get_ref<const std::string&>() == "Failure") {
        record.response_failure = key + ": Failure";
        break;
      }
    }
  }
  auto identity = event.find("userIdentity");
  if (identity != event.end() && identity->is_object()) {
    record.principal = StringMember(*identity, "arn");
    if (record.principal.empty()) {
      std::string type = StringMember(*identity, "type");
      std::string name = StringMember(*identity, "userName");
      if (name.empty()) name = StringMember(*identity, "principalId");
      if (name.empty()) name = StringMember(*identity, "invokedBy");
      record.principal = type.empty() ? name : (name.empty() ? type : type + " " + name);
    }
  }
  auto parameters = event.find("requestParameters");
  record.request_parameters = parameters == event.end() ? "null" : parameters->dump();
  return record;
}

}  // namespace tw::server
