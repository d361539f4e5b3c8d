// The SNS envelope fields of a delivered JSON body, as a subscriber reads
// them before calling notify::VerifyEnvelope.

#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "notify/signing.h"

namespace tw::testing {

inline notify::SnsEnvelope EnvelopeFromJson(const nlohmann::json& body) {
  notify::SnsEnvelope e;
  e.type = body.value("Type", "");
  e.message_id = body.value("MessageId", "");
  e.token = body.value("Token", "");
  e.topic_arn = body.value("TopicArn", "");
  if (body.contains("Subject")) e.subject = body["Subject"].get<std::string>();
  e.message = body.value("Message", "");
  e.timestamp = body.value("Timestamp", "");
  e.signature_version = body.value("SignatureVersion", "");
  e.signature = body.value("Signature", "");
  e.signing_cert_url = body.value("SigningCertURL", "");
  e.subscribe_url = body.value("SubscribeURL", "");
  e.unsubscribe_url = body.value("UnsubscribeURL", "");
  return e;
}

}  // namespace tw::testing
