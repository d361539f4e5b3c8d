#include "notify/delivery_policy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace tw::notify {
namespace {

using std::chrono::seconds;
using Json = nlohmann::json;

constexpr std::int64_t kMaxRetries = 100;
constexpr std::int64_t kMinDelaySeconds = 1;
constexpr std::int64_t kMaxDelaySeconds = 3600;
constexpr std::int64_t kMaxTotalRetrySeconds = 3600;  // SNS: "a hard limit"

struct BackoffName {
  BackoffFunction function;
  const char* name;
  int exponent;  // p in the header's f(x) = 1 - (1 - x)^p
};
constexpr std::array<BackoffName, 4> kBackoffs = {{
    {BackoffFunction::kLinear, "linear", 1},
    {BackoffFunction::kArithmetic, "arithmetic", 2},
    {BackoffFunction::kGeometric, "geometric", 3},
    {BackoffFunction::kExponential, "exponential", 4},
}};

const BackoffName& Backoff(BackoffFunction function) {
  for (const BackoffName& b : kBackoffs) {
    if (b.function == function) return b;
  }
  return kBackoffs[0];  // unreachable for a valid enumerator
}

// The media types the SNS guide lists for HTTP/S deliveries (the raw-delivery
// list, which contains the two of the JSON envelope). A policy does not know
// whether its subscription is raw, so it accepts them all.
constexpr std::array<std::string_view, 12> kContentTypes = {
    "text/plain",
    "text/css",
    "text/csv",
    "text/html",
    "text/xml",
    "application/json",
    "application/xml",
    "application/atom+xml",
    "application/octet-stream",
    "application/soap+xml",
    "application/x-www-form-urlencoded",
    "application/xhtml+xml",
};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// SNS's own default carries "; charset=UTF-8", so that parameter must be
// accepted; any other parameter would be passed to receivers unchecked.
bool IsAcceptedContentType(std::string_view value) {
  std::string_view type = value;
  if (std::size_t semicolon = value.find(';'); semicolon != std::string_view::npos) {
    type = value.substr(0, semicolon);
    if (!EqualsIgnoreCase(TrimSpaces(value.substr(semicolon + 1)), "charset=utf-8")) return false;
  }
  type = TrimSpaces(type);
  return std::any_of(kContentTypes.begin(), kContentTypes.end(),
                     [&](std::string_view t) { return EqualsIgnoreCase(type, t); });
}

// --- Reading members ---------------------------------------------------------

Status Invalid(const std::string& what) { return InvalidArgument("DeliveryPolicy: " + what); }

std::string Join(const std::string& path, const std::string& member) {
  return path.empty() ? member : path + "." + member;
}

// SNS names a misspelt member rather than ignoring it, so a typo cannot
// silently leave a default in force.
Status CheckMembers(const Json& object, const std::string& path,
                    std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Invalid("Unexpected JSON member: " + Join(path, key));
    }
  }
  return Status::Ok();
}

// The member, or nullptr when it is absent or null (both mean "default":
// SNS itself stores unset retry members as null).
const Json* Member(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Status CheckObject(const Json& value, const std::string& path) {
  if (!value.is_object()) return Invalid(path + " must be a JSON object");
  return Status::Ok();
}

// A JSON integer as int64, saturating beyond its range so that range checks
// still name the member; 20.0 counts as 20 since JSON has one number type.
Result<std::int64_t> ReadInteger(const Json& value, const std::string& path) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (value.is_number_unsigned()) {
    auto u = value.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(kMax) ? kMax : static_cast<std::int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::isfinite(d) && d == std::trunc(d)) {
      if (d >= 9.2e18) return kMax;
      if (d <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
      return static_cast<std::int64_t>(d);
    }
  }
  return Invalid(path + " must be an integer");
}

// Reads an optional integer member into `out` (left alone when absent).
Status ReadIntegerMember(const Json& object, const char* key, const std::string& path,
                         std::int64_t& out) {
  const Json* value = Member(object, key);
  if (value == nullptr) return Status::Ok();
  Result<std::int64_t> n = ReadInteger(*value, Join(path, key));
  if (!n.ok()) return n.status();
  out = *n;
  return Status::Ok();
}

Status AtLeast(std::int64_t value, std::int64_t bound, const std::string& path) {
  if (value < bound) {
    return Invalid(path + " must be greater than or equal to " + std::to_string(bound));
  }
  return Status::Ok();
}

Status AtMost(std::int64_t value, std::int64_t bound, const std::string& path) {
  if (value > bound) {
    return Invalid(path + " must be less than or equal to " + std::to_string(bound));
  }
  return Status::Ok();
}

// --- The three sub-policies --------------------------------------------------

Result<RetryPolicy> ParseRetryPolicy(const Json& object, const std::string& path) {
  TW_RETURN_IF_ERROR(CheckObject(object, path));
  TW_RETURN_IF_ERROR(
      CheckMembers(object, path,
                   {"minDelayTarget", "maxDelayTarget", "numRetries", "numNoDelayRetries",
                    "numMinDelayRetries", "numMaxDelayRetries", "backoffFunction"}));
  const RetryPolicy defaults = DefaultHttpRetryPolicy();
  std::int64_t min_delay = defaults.min_delay_target.count();
  std::int64_t max_delay = defaults.max_delay_target.count();
  std::int64_t retries = defaults.num_retries;
  std::int64_t no_delay = defaults.num_no_delay_retries;
  std::int64_t min_delay_retries = defaults.num_min_delay_retries;
  std::int64_t max_delay_retries = defaults.num_max_delay_retries;
  TW_RETURN_IF_ERROR(ReadIntegerMember(object, "minDelayTarget", path, min_delay));
  TW_RETURN_IF_ERROR(ReadIntegerMember(object, "maxDelayTarget", path, max_delay));
  TW_RETURN_IF_ERROR(ReadIntegerMember(object, "numRetries", path, retries));
  TW_RETURN_IF_ERROR(ReadIntegerMember(object, "numNoDelayRetries", path, no_delay));
  TW_RETURN_IF_ERROR(ReadIntegerMember(object, "numMinDelayRetries", path, min_delay_retries));
  TW_RETURN_IF_ERROR(ReadIntegerMember(object, "numMaxDelayRetries", path, max_delay_retries));

  TW_RETURN_IF_ERROR(AtLeast(min_delay, kMinDelaySeconds, Join(path, "minDelayTarget")));
  TW_RETURN_IF_ERROR(AtMost(max_delay, kMaxDelaySeconds, Join(path, "maxDelayTarget")));
  if (max_delay < min_delay) {
    return Invalid(Join(path, "maxDelayTarget") +
                   " must be greater than or equal to minDelayTarget");
  }
  TW_RETURN_IF_ERROR(AtLeast(retries, 0, Join(path, "numRetries")));
  TW_RETURN_IF_ERROR(AtMost(retries, kMaxRetries, Join(path, "numRetries")));
  TW_RETURN_IF_ERROR(AtLeast(no_delay, 0, Join(path, "numNoDelayRetries")));
  TW_RETURN_IF_ERROR(AtLeast(min_delay_retries, 0, Join(path, "numMinDelayRetries")));
  TW_RETURN_IF_ERROR(AtLeast(max_delay_retries, 0, Join(path, "numMaxDelayRetries")));
  // Each phase is compared alone first so that the sum cannot overflow.
  if (no_delay > retries || min_delay_retries > retries || max_delay_retries > retries ||
      no_delay + min_delay_retries + max_delay_retries > retries) {
    return Invalid(Join(path, "numRetries") +
                   " must be greater than or equal to total of numMinDelayRetries, "
                   "numNoDelayRetries and numMaxDelayRetries");
  }

  RetryPolicy policy;
  policy.min_delay_target = seconds(min_delay);
  policy.max_delay_target = seconds(max_delay);
  policy.num_retries = static_cast<int>(retries);
  policy.num_no_delay_retries = static_cast<int>(no_delay);
  policy.num_min_delay_retries = static_cast<int>(min_delay_retries);
  policy.num_max_delay_retries = static_cast<int>(max_delay_retries);
  if (const Json* function = Member(object, "backoffFunction")) {
    const std::string member = Join(path, "backoffFunction");
    if (!function->is_string()) return Invalid(member + " must be a string");
    const auto& name = function->get_ref<const std::string&>();
    auto it = std::find_if(kBackoffs.begin(), kBackoffs.end(),
                           [&](const BackoffName& b) { return EqualsIgnoreCase(name, b.name); });
    if (it == kBackoffs.end()) {
      return Invalid(member + ": the value [" + name +
                     "] is not a valid backoff function (linear, arithmetic, geometric or "
                     "exponential)");
    }
    policy.backoff_function = it->function;
  }

  std::int64_t total = 0;
  for (seconds delay : RetryDelays(policy)) total += delay.count();
  if (total > kMaxTotalRetrySeconds) {
    return Invalid(path + ": the total retry time of " + std::to_string(total) +
                   " seconds must be less than or equal to " +
                   std::to_string(kMaxTotalRetrySeconds) + " seconds");
  }
  return policy;
}

Result<std::optional<int>> ParseThrottlePolicy(const Json& object, const std::string& path) {
  TW_RETURN_IF_ERROR(CheckObject(object, path));
  TW_RETURN_IF_ERROR(CheckMembers(object, path, {"maxReceivesPerSecond"}));
  const Json* value = Member(object, "maxReceivesPerSecond");
  if (value == nullptr) return std::optional<int>();
  const std::string member = Join(path, "maxReceivesPerSecond");
  Result<std::int64_t> n = ReadInteger(*value, member);
  if (!n.ok()) return n.status();
  TW_RETURN_IF_ERROR(AtLeast(*n, 1, member));
  TW_RETURN_IF_ERROR(AtMost(*n, std::numeric_limits<int>::max(), member));
  return std::optional<int>(static_cast<int>(*n));
}

Result<std::string> ParseRequestPolicy(const Json& object, const std::string& path,
                                       std::string content_type) {
  TW_RETURN_IF_ERROR(CheckObject(object, path));
  TW_RETURN_IF_ERROR(CheckMembers(object, path, {"headerContentType"}));
  const Json* value = Member(object, "headerContentType");
  if (value == nullptr) return content_type;
  const std::string member = Join(path, "headerContentType");
  if (!value->is_string()) return Invalid(member + " must be a string");
  const auto& text = value->get_ref<const std::string&>();
  if (!IsAcceptedContentType(text)) {
    return Invalid(member + ": the value [" + text + "] is not a supported content type");
  }
  return text;
}

Status ParseBoolean(const Json& object, const char* key, const std::string& path, bool& out) {
  const Json* value = Member(object, key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_boolean()) return Invalid(Join(path, key) + " must be a boolean");
  out = value->get<bool>();
  return Status::Ok();
}

// Only a healthy policy is modelled: SNS uses the sickly one for endpoints
// it has marked unhealthy, which we never do.
Status CheckSicklyAbsent(const Json& object, const char* key, const std::string& path) {
  if (Member(object, key) != nullptr) return Invalid(Join(path, key) + " is not supported");
  return Status::Ok();
}

// The body shared by a subscription policy and a topic's "http" section,
// which differ only in their member names.
struct MemberNames {
  const char* retry;
  const char* sickly;
  const char* throttle;
  const char* request;
};

Result<DeliveryPolicy> ParsePolicyBody(const Json& object, const std::string& path,
                                       const MemberNames& names) {
  DeliveryPolicy policy;
  if (const Json* retry = Member(object, names.retry)) {
    Result<RetryPolicy> parsed = ParseRetryPolicy(*retry, Join(path, names.retry));
    if (!parsed.ok()) return parsed.status();
    policy.retry = *parsed;
  }
  TW_RETURN_IF_ERROR(CheckSicklyAbsent(object, names.sickly, path));
  if (const Json* throttle = Member(object, names.throttle)) {
    Result<std::optional<int>> parsed = ParseThrottlePolicy(*throttle, Join(path, names.throttle));
    if (!parsed.ok()) return parsed.status();
    policy.max_receives_per_second = *parsed;
  }
  if (const Json* request = Member(object, names.request)) {
    Result<std::string> parsed = ParseRequestPolicy(*request, Join(path, names.request),
                                                    std::move(policy.header_content_type));
    if (!parsed.ok()) return parsed.status();
    policy.header_content_type = std::move(*parsed);
  }
  return policy;
}

Result<Json> ParseDocument(std::string_view text) {
  Json document = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Invalid("invalid JSON");
  if (!document.is_object()) return Invalid("must be a JSON object");
  return document;
}

// --- The schedule ------------------------------------------------------------

// Retry i of n in the backoff phase. Exact for every parseable policy: there
// m <= 99 and span <= 3599, so m^4 and span * (m^p - j^p) are integers well
// below 2^53, the quotient is the correctly rounded double of the rational,
// and no rational with that denominator lies close enough to k + 1/2 to be
// rounded across it.
std::int64_t BackoffDelay(std::int64_t min, std::int64_t max, std::int64_t i, std::int64_t n,
                          int exponent) {
  if (n <= 1) return min;
  const double m = static_cast<double>(n - 1);
  const double j = static_cast<double>(n - 1 - i);  // steps still to go
  double m_p = 1;
  double j_p = 1;
  for (int k = 0; k < exponent; ++k) {
    m_p *= m;
    j_p *= j;
  }
  const double q = static_cast<double>(max - min) * (m_p - j_p) / m_p;
  return min + static_cast<std::int64_t>(std::floor(q + 0.5));
}

}  // namespace

RetryPolicy DefaultHttpRetryPolicy() { return RetryPolicy{}; }

RetryPolicy DefaultEmailRetryPolicy() {
  RetryPolicy policy;
  policy.min_delay_target = seconds(10);
  policy.max_delay_target = seconds(600);
  policy.num_retries = 50;
  policy.num_no_delay_retries = 0;
  policy.num_min_delay_retries = 2;
  policy.num_max_delay_retries = 38;
  policy.backoff_function = BackoffFunction::kExponential;
  return policy;
}

Result<DeliveryPolicy> ParseSubscriptionDeliveryPolicy(std::string_view json) {
  Result<Json> document = ParseDocument(json);
  if (!document.ok()) return document.status();
  TW_RETURN_IF_ERROR(CheckMembers(*document, "",
                                  {"healthyRetryPolicy", "sicklyRetryPolicy", "throttlePolicy",
                                   "requestPolicy", "guaranteed"}));
  bool guaranteed = false;  // read for its type only: SNS shows it, we do not model it
  TW_RETURN_IF_ERROR(ParseBoolean(*document, "guaranteed", "", guaranteed));
  return ParsePolicyBody(
      *document, "",
      {"healthyRetryPolicy", "sicklyRetryPolicy", "throttlePolicy", "requestPolicy"});
}

Result<TopicDeliveryPolicy> ParseTopicDeliveryPolicy(std::string_view json) {
  Result<Json> document = ParseDocument(json);
  if (!document.ok()) return document.status();
  TW_RETURN_IF_ERROR(CheckMembers(*document, "", {"http"}));
  TopicDeliveryPolicy topic;
  const Json* http = Member(*document, "http");
  if (http == nullptr) return topic;
  TW_RETURN_IF_ERROR(CheckObject(*http, "http"));
  TW_RETURN_IF_ERROR(CheckMembers(
      *http, "http",
      {"defaultHealthyRetryPolicy", "defaultSicklyRetryPolicy", "disableSubscriptionOverrides",
       "defaultThrottlePolicy", "defaultRequestPolicy"}));
  Result<DeliveryPolicy> defaults =
      ParsePolicyBody(*http, "http",
                      {"defaultHealthyRetryPolicy", "defaultSicklyRetryPolicy",
                       "defaultThrottlePolicy", "defaultRequestPolicy"});
  if (!defaults.ok()) return defaults.status();
  topic.defaults = std::move(*defaults);
  TW_RETURN_IF_ERROR(ParseBoolean(*http, "disableSubscriptionOverrides", "http",
                                  topic.disable_subscription_overrides));
  return topic;
}

DeliveryPolicy EffectiveDeliveryPolicy(const std::optional<TopicDeliveryPolicy>& topic,
                                       const std::optional<DeliveryPolicy>& subscription) {
  if (topic.has_value() && topic->disable_subscription_overrides) return topic->defaults;
  if (subscription.has_value()) return *subscription;
  if (topic.has_value()) return topic->defaults;
  return DeliveryPolicy{};
}

std::vector<seconds> RetryDelays(const RetryPolicy& policy) {
  std::int64_t left = std::max(policy.num_retries, 0);
  auto take = [&left](int wanted) {
    std::int64_t n = std::clamp<std::int64_t>(wanted, 0, left);
    left -= n;
    return n;
  };
  const std::int64_t no_delay = take(policy.num_no_delay_retries);
  const std::int64_t min_delay_retries = take(policy.num_min_delay_retries);
  const std::int64_t max_delay_retries = take(policy.num_max_delay_retries);
  const std::int64_t backoff = left;
  const std::int64_t min = std::max<std::int64_t>(policy.min_delay_target.count(), 0);
  const std::int64_t max = std::max<std::int64_t>(policy.max_delay_target.count(), min);
  const int exponent = Backoff(policy.backoff_function).exponent;

  std::vector<seconds> delays;
  delays.reserve(static_cast<std::size_t>(std::max(policy.num_retries, 0)));
  delays.insert(delays.end(), static_cast<std::size_t>(no_delay), seconds(0));
  delays.insert(delays.end(), static_cast<std::size_t>(min_delay_retries), seconds(min));
  for (std::int64_t i = 0; i < backoff; ++i) {
    delays.push_back(seconds(BackoffDelay(min, max, i, backoff, exponent)));
  }
  delays.insert(delays.end(), static_cast<std::size_t>(max_delay_retries), seconds(max));
  return delays;
}

std::string EffectiveDeliveryPolicyJson(const DeliveryPolicy& policy) {
  using Ordered = nlohmann::ordered_json;
  const RetryPolicy& r = policy.retry;
  Ordered retry;
  retry["minDelayTarget"] = r.min_delay_target.count();
  retry["maxDelayTarget"] = r.max_delay_target.count();
  retry["numRetries"] = r.num_retries;
  retry["numMaxDelayRetries"] = r.num_max_delay_retries;
  retry["numNoDelayRetries"] = r.num_no_delay_retries;
  retry["numMinDelayRetries"] = r.num_min_delay_retries;
  retry["backoffFunction"] = Backoff(r.backoff_function).name;

  Ordered body;
  body["healthyRetryPolicy"] = std::move(retry);
  body["sicklyRetryPolicy"] = nullptr;
  if (policy.max_receives_per_second.has_value()) {
    body["throttlePolicy"] = Ordered{{"maxReceivesPerSecond", *policy.max_receives_per_second}};
  } else {
    body["throttlePolicy"] = nullptr;
  }
  body["requestPolicy"] = Ordered{{"headerContentType", policy.header_content_type}};
  body["guaranteed"] = false;
  // A hand-built policy could hold invalid UTF-8; replacing it keeps dump()
  // from throwing.
  return body.dump(-1, ' ', false, Ordered::error_handler_t::replace);
}

}  // namespace tw::notify
