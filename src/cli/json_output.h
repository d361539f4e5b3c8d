// JSON as the commands print it: one compact document per line, invalid
// UTF-8 replaced rather than thrown over.

#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "notify/outbox.h"

namespace tw::cli {

// `value` compact (indent -1) or indented, never throwing.
std::string DumpJson(const nlohmann::ordered_json& value, int indent = -1);

// A delivery as `outbox list --json` and `replay --notify --json` print it:
// {"id", "state", "messageId", "messageType", "topicArn", "subscriptionArn",
//  "protocol", "endpoint", "subject", "origin", "attempts", "created",
//  "lastStatus", "lastDetail", "nextAttempt" | "finished", ["history"]}.
nlohmann::ordered_json DeliveryJson(const notify::Delivery& delivery);

}  // namespace tw::cli
