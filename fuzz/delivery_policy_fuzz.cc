// libFuzzer target for SNS delivery policies: arbitrary text goes to both
// parsers. Nothing may crash, hang, throw or trip a sanitizer, and the
// checks below abort on a broken contract:
//   - a rejected policy has a message that names it ("DeliveryPolicy: ...");
//   - an accepted policy gives exactly numRetries delays, each within
//     [0, maxDelayTarget], and its EffectiveDeliveryPolicy JSON parses back
//     to the same policy.
//
//   build-fuzz/fuzz/delivery_policy_fuzz fuzz/corpus/delivery

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "notify/delivery_policy.h"

namespace {

using tw::notify::DeliveryPolicy;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckAccepted(const DeliveryPolicy& policy) {
  std::vector<std::chrono::seconds> delays = tw::notify::RetryDelays(policy.retry);
  Check(static_cast<int>(delays.size()) == policy.retry.num_retries);
  for (std::chrono::seconds d : delays) {
    Check(d.count() >= 0 && d <= policy.retry.max_delay_target);
  }
  tw::Result<DeliveryPolicy> again =
      tw::notify::ParseSubscriptionDeliveryPolicy(tw::notify::EffectiveDeliveryPolicyJson(policy));
  Check(again.ok() && *again == policy);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tw::Result<DeliveryPolicy> subscription = tw::notify::ParseSubscriptionDeliveryPolicy(text);
  if (subscription.ok()) {
    CheckAccepted(*subscription);
  } else {
    Check(subscription.status().message().starts_with("DeliveryPolicy: "));
  }
  tw::Result<tw::notify::TopicDeliveryPolicy> topic = tw::notify::ParseTopicDeliveryPolicy(text);
  if (topic.ok()) {
    CheckAccepted(topic->defaults);
  } else {
    Check(topic.status().message().starts_with("DeliveryPolicy: "));
  }
  return 0;
}
