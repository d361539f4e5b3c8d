#include "cli/json_output.h"

#include "common/url.h"

namespace tw::cli {

std::string DumpJson(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::ordered_json DeliveryJson(const notify::Delivery& d) {
  using Json = nlohmann::ordered_json;
  Json j{{"id", d.id},
         {"state", notify::DeliveryStateName(d.state)},
         {"messageId", d.item.message_id},
         {"messageType", d.item.type},
         {"topicArn", d.item.topic_arn},
         {"subscriptionArn", d.item.subscription_arn},
         {"protocol", d.item.protocol},
         {"endpoint", RedactUrlPasswords(d.item.endpoint)},
         {"subject", d.item.subject},
         {"origin", d.item.origin},
         {"attempts", d.attempts},
         {"created", FormatIso8601(d.created)},
         {"lastStatus", d.last_status_code},
         {"lastDetail", RedactUrlPasswords(d.last_detail)}};
  if (d.state == notify::DeliveryState::kPending) {
    j["nextAttempt"] = FormatIso8601(d.next_attempt);
  } else if (d.finished) {
    j["finished"] = FormatIso8601(*d.finished);
  }
  if (!d.history.empty()) {
    Json attempts = Json::array();
    for (const notify::AttemptRecord& a : d.history) {
      attempts.push_back({{"number", a.number},
                          {"started", FormatIso8601(a.started)},
                          {"elapsedMs", a.elapsed.count()},
                          {"outcome", notify::AttemptOutcomeName(a.outcome)},
                          {"status", a.status_code},
                          {"detail", RedactUrlPasswords(a.detail)}});
    }
    j["history"] = attempts;
  }
  return j;
}

}  // namespace tw::cli
