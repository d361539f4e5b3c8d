// SNS delivery policies: how often and how long a failed HTTP(S) or e-mail
// delivery is retried (spec aws-protocols-alarms.md §5.2; AWS SNS developer
// guide, "Amazon SNS message delivery retries" and "Creating an HTTP/S
// delivery policy").
//
// A policy is JSON, set on a topic (attribute DeliveryPolicy, under "http")
// or on a subscription (attribute DeliveryPolicy):
//   topic:        {"http": {"defaultHealthyRetryPolicy": {...},
//                           "disableSubscriptionOverrides": false,
//                           "defaultThrottlePolicy": {"maxReceivesPerSecond": 10},
//                           "defaultRequestPolicy": {"headerContentType": "application/json"}}}
//   subscription: {"healthyRetryPolicy": {...}, "throttlePolicy": {...},
//                  "requestPolicy": {"headerContentType": "..."}}
// where a retry policy is {"minDelayTarget", "maxDelayTarget", "numRetries",
// "numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries",
// "backoffFunction": "linear"|"arithmetic"|"geometric"|"exponential"}.
//
// The retries of one delivery run through four phases: immediate
// (numNoDelayRetries, no delay), pre-backoff (numMinDelayRetries, each after
// minDelayTarget), backoff (the rest, growing from minDelayTarget to
// maxDelayTarget along backoffFunction), post-backoff (numMaxDelayRetries,
// each after maxDelayTarget). Delays are deterministic (AWS adds jitter; we
// do not, so that schedules can be tested and shown).
//
// The backoff curves. AWS documents only that the first backoff retry waits
// minDelayTarget, the last waits maxDelayTarget, and (in a graph) that the
// non-linear functions climb towards the maximum sooner than linear does,
// exponential soonest. It publishes no formula, so ours are our own choice:
// with n backoff retries, m = n - 1 and retry i = 0..m of the phase,
//   delay(i) = min + round(span * f(i / m)),   span = max - min,
//   f(x) = 1 - (1 - x)^p   with p = 1 linear, 2 arithmetic, 3 geometric,
//                                    4 exponential,
// rounded to the nearest second, halves up (n = 1: the one retry waits min).
// p = 1 gives equal steps; p = 2 gives steps that shrink by a constant amount
// (an arithmetic sequence); higher p reaches the maximum sooner. Every curve
// is monotone, starts exactly at min, ends exactly at max, and for the same
// policy linear <= arithmetic <= geometric <= exponential at every retry.
// For example 10 backoff retries from 5 s to 260 s (AWS's graph):
//   linear       5  33  62  90 118 147 175 203 232 260
//   arithmetic   5  59 106 147 181 210 232 247 257 260
//   geometric    5  81 140 184 216 238 251 257 260 260
//   exponential  5 101 167 210 236 250 257 259 260 260
//
// Everything here is pure and thread-safe.

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tw::notify {

enum class BackoffFunction { kLinear, kArithmetic, kGeometric, kExponential };

struct RetryPolicy {
  std::chrono::seconds min_delay_target{20};
  std::chrono::seconds max_delay_target{20};
  int num_retries = 3;  // retries after the first attempt (total attempts = 1 + num_retries)
  int num_no_delay_retries = 0;
  int num_min_delay_retries = 0;
  int num_max_delay_retries = 0;
  BackoffFunction backoff_function = BackoffFunction::kLinear;

  bool operator==(const RetryPolicy&) const = default;
};

// What a subscription's deliveries follow: the retry policy, an optional
// throttle, and the Content-Type of HTTP(S) requests.
struct DeliveryPolicy {
  RetryPolicy retry;
  std::optional<int> max_receives_per_second;  // throttlePolicy; nullopt: unlimited
  std::string header_content_type = "text/plain; charset=UTF-8";

  bool operator==(const DeliveryPolicy&) const = default;
};

// A topic's "http" section: defaults for its HTTP(S) subscriptions.
struct TopicDeliveryPolicy {
  DeliveryPolicy defaults;
  bool disable_subscription_overrides = false;

  bool operator==(const TopicDeliveryPolicy&) const = default;
};

// SNS's default for HTTP(S): 3 retries, 20 s apart (4 attempts).
RetryPolicy DefaultHttpRetryPolicy();
// SNS's policy for e-mail (SMTP), which customers cannot change: 0
// immediate, 2 at 10 s, 10 backing off exponentially from 10 s to 600 s, 38
// at 600 s: 50 retries over 27442 s (about 7.6 hours with our exponential
// curve; AWS says "over 6 hours"). That is longer than the 3600 s an HTTP(S)
// policy may last, so it could not be parsed; it never is.
RetryPolicy DefaultEmailRetryPolicy();

// Parse and validate with SNS's rules ("Creating an HTTP/S delivery
// policy"):
//   minDelayTarget >= 1 and maxDelayTarget <= 3600 (seconds), and
//     minDelayTarget <= maxDelayTarget;
//   numRetries 0..100; numNoDelayRetries, numMinDelayRetries and
//     numMaxDelayRetries >= 0 and together at most numRetries;
//   backoffFunction one of the four (in any letter case: CDK sends
//     "EXPONENTIAL"); it is kept in lower case;
//   the whole schedule (the sum of RetryDelays) at most 3600 s, SNS's "hard
//     limit" on the total retry time of an HTTP/S policy;
//   maxReceivesPerSecond >= 1;
//   headerContentType one of the media types SNS documents for HTTP/S
//     (text/plain, text/css, text/csv, text/html, text/xml, application/json,
//     application/xml, application/atom+xml, application/octet-stream,
//     application/soap+xml, application/x-www-form-urlencoded,
//     application/xhtml+xml; in any letter case), alone or followed by
//     "; charset=UTF-8" as in SNS's own default. It is kept as written.
// Numbers must be JSON integers (20.0 counts as 20). A member that is absent
// or null takes SNS's default, so {"healthyRetryPolicy":{"numRetries":5}} is
// 5 retries 20 s apart, and the whole schedule is still validated. Members
// SNS does not know are rejected. SNS's "sicklyRetryPolicy" (topic:
// "defaultSicklyRetryPolicy") may only be null, and "guaranteed" must be a
// boolean and is ignored, so that EffectiveDeliveryPolicyJson's output parses
// back. The empty string is not a policy (invalid JSON): callers treat an
// empty attribute as "unset" before calling.
//
// Errors are kInvalidArgument with SNS's wording where it is known, naming
// the member by its path (topic paths start with "http." and use the
// "default..." names); the API layer prefixes "Invalid parameter: ". E.g.
//   "DeliveryPolicy: healthyRetryPolicy.numRetries must be less than or equal to 100"
//   "DeliveryPolicy: http.defaultHealthyRetryPolicy.maxDelayTarget must be greater than or
//    equal to minDelayTarget"
//   "DeliveryPolicy: Unexpected JSON member: throttlePolicy"   (on a topic)
Result<DeliveryPolicy> ParseSubscriptionDeliveryPolicy(std::string_view json);
Result<TopicDeliveryPolicy> ParseTopicDeliveryPolicy(std::string_view json);

// The policy a subscription's HTTP(S) deliveries follow: the subscription's
// own (when set and the topic allows overrides), else the topic's defaults
// (when set), else SNS's default (DeliveryPolicy{}). The choice is of the
// whole policy: a subscription policy that sets only requestPolicy still
// brings SNS's default retries, not the topic's, because a parsed policy no
// longer knows which members were written.
DeliveryPolicy EffectiveDeliveryPolicy(const std::optional<TopicDeliveryPolicy>& topic,
                                       const std::optional<DeliveryPolicy>& subscription);

// The wait before each retry, in order: element i is the delay between
// attempt i+1 and attempt i+2 (so the size is num_retries): the immediate
// phase (0 s), the pre-backoff phase (min), the backoff phase (the curves
// above), the post-backoff phase (max). Never fails: for a policy that no
// parser would accept, negative counts and delays count as 0, the phases take
// what num_retries leaves in the order immediate, pre-backoff, post-backoff,
// and a max below min counts as min.
std::vector<std::chrono::seconds> RetryDelays(const RetryPolicy& policy);

// The JSON SNS shows for a subscription's EffectiveDeliveryPolicy attribute,
// compact, with SNS's member order:
// {"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,
//   "numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,
//   "backoffFunction":"linear"},"sicklyRetryPolicy":null,
//  "throttlePolicy":null|{"maxReceivesPerSecond":10},
//  "requestPolicy":{"headerContentType":"text/plain; charset=UTF-8"},"guaranteed":false}
// ParseSubscriptionDeliveryPolicy reads it back to an equal policy.
std::string EffectiveDeliveryPolicyJson(const DeliveryPolicy& policy);

}  // namespace tw::notify
