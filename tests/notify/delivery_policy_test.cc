#include "notify/delivery_policy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tw::notify {
namespace {

using std::chrono::seconds;

std::vector<seconds> Secs(std::initializer_list<std::int64_t> values) {
  std::vector<seconds> out;
  for (std::int64_t v : values) out.push_back(seconds(v));
  return out;
}

std::vector<seconds> Repeat(std::int64_t value, int count) {
  return std::vector<seconds>(static_cast<std::size_t>(count), seconds(value));
}

std::vector<seconds> Concat(std::initializer_list<std::vector<seconds>> parts) {
  std::vector<seconds> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

RetryPolicy Policy(std::int64_t min, std::int64_t max, int retries, int no_delay, int min_retries,
                   int max_retries, BackoffFunction function) {
  RetryPolicy p;
  p.min_delay_target = seconds(min);
  p.max_delay_target = seconds(max);
  p.num_retries = retries;
  p.num_no_delay_retries = no_delay;
  p.num_min_delay_retries = min_retries;
  p.num_max_delay_retries = max_retries;
  p.backoff_function = function;
  return p;
}

RetryPolicy Backoff(std::int64_t min, std::int64_t max, int retries, BackoffFunction function) {
  return Policy(min, max, retries, 0, 0, 0, function);
}

constexpr BackoffFunction kAllFunctions[] = {BackoffFunction::kLinear, BackoffFunction::kArithmetic,
                                             BackoffFunction::kGeometric,
                                             BackoffFunction::kExponential};

// --- Schedules ---------------------------------------------------------------

TEST(DeliveryPolicyScheduleTest, DefaultHttpPolicyIsThreeRetriesTwentySecondsApart) {
  RetryPolicy p = DefaultHttpRetryPolicy();
  EXPECT_EQ(p, Backoff(20, 20, 3, BackoffFunction::kLinear));
  EXPECT_EQ(RetryDelays(p), Secs({20, 20, 20}));
}

TEST(DeliveryPolicyScheduleTest, EmailPolicyIsFiftyRetriesInFourPhases) {
  RetryPolicy p = DefaultEmailRetryPolicy();
  EXPECT_EQ(p, Policy(10, 600, 50, 0, 2, 38, BackoffFunction::kExponential));
  std::vector<seconds> want = Concat(
      {Repeat(10, 2), Secs({10, 232, 384, 483, 544, 577, 593, 599, 600, 600}), Repeat(600, 38)});
  std::vector<seconds> got = RetryDelays(p);
  ASSERT_EQ(got.size(), 50u);
  EXPECT_EQ(got, want);
  std::int64_t total = 0;
  for (seconds s : got) total += s.count();
  EXPECT_EQ(total, 27442);
}

// The four curves over AWS's graph of the backoff functions (10 retries,
// 5 s to 260 s); the same numbers are in the header.
TEST(DeliveryPolicyScheduleTest, BackoffFunctionsOverAwsGraph) {
  EXPECT_EQ(RetryDelays(Backoff(5, 260, 10, BackoffFunction::kLinear)),
            Secs({5, 33, 62, 90, 118, 147, 175, 203, 232, 260}));
  EXPECT_EQ(RetryDelays(Backoff(5, 260, 10, BackoffFunction::kArithmetic)),
            Secs({5, 59, 106, 147, 181, 210, 232, 247, 257, 260}));
  EXPECT_EQ(RetryDelays(Backoff(5, 260, 10, BackoffFunction::kGeometric)),
            Secs({5, 81, 140, 184, 216, 238, 251, 257, 260, 260}));
  EXPECT_EQ(RetryDelays(Backoff(5, 260, 10, BackoffFunction::kExponential)),
            Secs({5, 101, 167, 210, 236, 250, 257, 259, 260, 260}));
}

TEST(DeliveryPolicyScheduleTest, BackoffFunctionsOverFourRetries) {
  EXPECT_EQ(RetryDelays(Backoff(2, 32, 4, BackoffFunction::kLinear)), Secs({2, 12, 22, 32}));
  EXPECT_EQ(RetryDelays(Backoff(2, 32, 4, BackoffFunction::kArithmetic)), Secs({2, 19, 29, 32}));
  EXPECT_EQ(RetryDelays(Backoff(2, 32, 4, BackoffFunction::kGeometric)), Secs({2, 23, 31, 32}));
  EXPECT_EQ(RetryDelays(Backoff(2, 32, 4, BackoffFunction::kExponential)), Secs({2, 26, 32, 32}));
}

TEST(DeliveryPolicyScheduleTest, PhasesRunInOrder) {
  // 1 immediate, 2 at min, 4 backing off, 3 at max.
  EXPECT_EQ(RetryDelays(Policy(5, 30, 10, 1, 2, 3, BackoffFunction::kLinear)),
            Secs({0, 5, 5, 5, 13, 22, 30, 30, 30, 30}));
  // No backoff phase left: the curve does not matter.
  for (BackoffFunction f : kAllFunctions) {
    EXPECT_EQ(RetryDelays(Policy(5, 30, 6, 1, 2, 3, f)), Secs({0, 5, 5, 30, 30, 30}));
  }
}

// The sample policy of AWS's "Creating an HTTP/S delivery policy".
TEST(DeliveryPolicyScheduleTest, AwsGuideSamplePolicy) {
  std::vector<seconds> got =
      RetryDelays(Policy(1, 60, 50, 3, 2, 35, BackoffFunction::kExponential));
  EXPECT_EQ(got, Concat({Repeat(0, 3), Repeat(1, 2), Secs({1, 23, 38, 48, 54, 58, 59, 60, 60, 60}),
                         Repeat(60, 35)}));
}

TEST(DeliveryPolicyScheduleTest, ShortBackoffPhases) {
  for (BackoffFunction f : kAllFunctions) {
    SCOPED_TRACE(static_cast<int>(f));
    EXPECT_EQ(RetryDelays(Backoff(7, 90, 0, f)), Secs({}));
    EXPECT_EQ(RetryDelays(Backoff(7, 90, 1, f)), Secs({7}));  // the first backoff retry waits min
    EXPECT_EQ(RetryDelays(Backoff(7, 90, 2, f)), Secs({7, 90}));
    EXPECT_EQ(RetryDelays(Backoff(30, 30, 5, f)), Repeat(30, 5));
  }
}

TEST(DeliveryPolicyScheduleTest, HalvesRoundUp) {
  // Linear 1 -> 4 over 3 retries: the middle one is 2.5 s.
  EXPECT_EQ(RetryDelays(Backoff(1, 4, 3, BackoffFunction::kLinear)), Secs({1, 3, 4}));
}

// The exact rational definition from the header, in integers.
std::int64_t ReferenceDelay(std::int64_t min, std::int64_t max, std::int64_t i, std::int64_t n,
                            int p) {
  if (n == 1) return min;
  std::int64_t m_p = 1, j_p = 1;
  for (int k = 0; k < p; ++k) {
    m_p *= n - 1;
    j_p *= n - 1 - i;
  }
  // min + floor(span * (m^p - j^p) / m^p + 1/2)
  return min + (2 * (max - min) * (m_p - j_p) + m_p) / (2 * m_p);
}

// Every backoff phase SNS can accept, against the integer reference, and the
// shape the header promises: monotone, from min to max, curves ordered.
TEST(DeliveryPolicyScheduleTest, MatchesReferenceAndShapeForEveryPhaseLength) {
  const std::pair<std::int64_t, std::int64_t> ranges[] = {
      {1, 1}, {1, 2}, {1, 3600}, {5, 260}, {20, 20}, {17, 1234}, {999, 3600}, {3599, 3600}};
  for (auto [min, max] : ranges) {
    for (int n = 1; n <= 100; ++n) {
      std::vector<std::vector<seconds>> curves;
      for (BackoffFunction f : kAllFunctions) {
        const int p = static_cast<int>(f) + 1;
        std::vector<seconds> got = RetryDelays(Backoff(min, max, n, f));
        ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
          ASSERT_EQ(got[i].count(), ReferenceDelay(min, max, i, n, p))
              << "min " << min << " max " << max << " n " << n << " p " << p << " i " << i;
          if (i > 0) {
            ASSERT_LE(got[i - 1], got[i]);
          }
        }
        ASSERT_EQ(got.front(), seconds(min));
        if (n > 1) {
          ASSERT_EQ(got.back(), seconds(max));
        }
        curves.push_back(std::move(got));
      }
      for (std::size_t c = 1; c < curves.size(); ++c) {
        for (int i = 0; i < n; ++i) ASSERT_LE(curves[c - 1][i], curves[c][i]);
      }
    }
  }
}

TEST(DeliveryPolicyScheduleTest, ClampsPoliciesNoParserAccepts) {
  // Phases take what numRetries leaves, in the order immediate, pre, post.
  EXPECT_EQ(RetryDelays(Policy(5, 9, 4, 2, 5, 5, BackoffFunction::kLinear)), Secs({0, 0, 5, 5}));
  EXPECT_EQ(RetryDelays(Policy(5, 9, 3, 0, 1, 9, BackoffFunction::kLinear)), Secs({5, 9, 9}));
  EXPECT_EQ(RetryDelays(Policy(5, 9, 3, -4, -1, -2, BackoffFunction::kLinear)), Secs({5, 7, 9}));
  EXPECT_EQ(RetryDelays(Policy(5, 9, -1, 0, 0, 0, BackoffFunction::kLinear)), Secs({}));
  // Negative delays count as 0; a max below min counts as min.
  EXPECT_EQ(RetryDelays(Policy(-5, 4, 3, 0, 0, 0, BackoffFunction::kLinear)), Secs({0, 2, 4}));
  EXPECT_EQ(RetryDelays(Policy(9, 4, 3, 0, 1, 1, BackoffFunction::kLinear)), Secs({9, 9, 9}));
}

// --- Parsing: accepted policies ---------------------------------------------

TEST(ParseSubscriptionDeliveryPolicyTest, EmptyObjectIsSnsDefault) {
  Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy("{}");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, DeliveryPolicy{});
  EXPECT_EQ(p->retry, DefaultHttpRetryPolicy());
  EXPECT_EQ(p->max_receives_per_second, std::nullopt);
  EXPECT_EQ(p->header_content_type, "text/plain; charset=UTF-8");
}

// AWS's own example: "sets the delivery policy to 5 total retries".
TEST(ParseSubscriptionDeliveryPolicyTest, MissingMembersTakeDefaults) {
  Result<DeliveryPolicy> p =
      ParseSubscriptionDeliveryPolicy(R"({"healthyRetryPolicy":{"numRetries":5}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->retry, Backoff(20, 20, 5, BackoffFunction::kLinear));
  EXPECT_EQ(RetryDelays(p->retry), Repeat(20, 5));
}

TEST(ParseSubscriptionDeliveryPolicyTest, AwsGuideSample) {
  Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(R"({
    "healthyRetryPolicy": {
      "minDelayTarget": 1,
      "maxDelayTarget": 60,
      "numRetries": 50,
      "numNoDelayRetries": 3,
      "numMinDelayRetries": 2,
      "numMaxDelayRetries": 35,
      "backoffFunction": "exponential"
    },
    "throttlePolicy": {
      "maxReceivesPerSecond": 10
    },
    "requestPolicy": {
      "headerContentType": "application/json"
    }
  })");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->retry, Policy(1, 60, 50, 3, 2, 35, BackoffFunction::kExponential));
  EXPECT_EQ(p->max_receives_per_second, 10);
  EXPECT_EQ(p->header_content_type, "application/json");
}

TEST(ParseSubscriptionDeliveryPolicyTest, BackoffFunctionNamesInAnyCase) {
  const std::pair<const char*, BackoffFunction> names[] = {
      {"linear", BackoffFunction::kLinear},
      {"arithmetic", BackoffFunction::kArithmetic},
      {"geometric", BackoffFunction::kGeometric},
      {"exponential", BackoffFunction::kExponential},
      {"EXPONENTIAL", BackoffFunction::kExponential},  // what CDK sends
      {"Geometric", BackoffFunction::kGeometric},
  };
  for (auto [name, function] : names) {
    Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(
        std::string(R"({"healthyRetryPolicy":{"backoffFunction":")") + name + "\"}}");
    ASSERT_TRUE(p.ok()) << name << ": " << p.status().ToString();
    EXPECT_EQ(p->retry.backoff_function, function) << name;
  }
}

TEST(ParseSubscriptionDeliveryPolicyTest, NullMeansDefault) {
  // SNS stores unset retry members as null and echoes them back.
  Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(
      R"({"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":20,"numRetries":5,)"
      R"("numMaxDelayRetries":null,"numNoDelayRetries":null,"numMinDelayRetries":null,)"
      R"("backoffFunction":null},"sicklyRetryPolicy":null,"throttlePolicy":null,)"
      R"("requestPolicy":null,"guaranteed":false})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->retry, Backoff(5, 20, 5, BackoffFunction::kLinear));
  EXPECT_EQ(p->max_receives_per_second, std::nullopt);
  EXPECT_EQ(p->header_content_type, "text/plain; charset=UTF-8");
  EXPECT_TRUE(ParseSubscriptionDeliveryPolicy(R"({"healthyRetryPolicy":null})").ok());
  EXPECT_TRUE(
      ParseSubscriptionDeliveryPolicy(R"({"throttlePolicy":{"maxReceivesPerSecond":null}})").ok());
}

TEST(ParseSubscriptionDeliveryPolicyTest, IntegralFloatsAreIntegers) {
  Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(
      R"({"healthyRetryPolicy":{"minDelayTarget":2.0,"maxDelayTarget":4e1,"numRetries":3.0},)"
      R"("throttlePolicy":{"maxReceivesPerSecond":1.0}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->retry, Backoff(2, 40, 3, BackoffFunction::kLinear));
  EXPECT_EQ(p->max_receives_per_second, 1);
}

TEST(ParseSubscriptionDeliveryPolicyTest, BoundsAreInclusive) {
  EXPECT_TRUE(
      ParseSubscriptionDeliveryPolicy(
          R"({"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":100}})")
          .ok());
  EXPECT_TRUE(
      ParseSubscriptionDeliveryPolicy(
          R"({"healthyRetryPolicy":{"minDelayTarget":3600,"maxDelayTarget":3600,"numRetries":1}})")
          .ok());
  EXPECT_TRUE(ParseSubscriptionDeliveryPolicy(R"({"healthyRetryPolicy":{"numRetries":0}})").ok());
  // Phases that use up every retry leave an empty backoff phase.
  EXPECT_TRUE(ParseSubscriptionDeliveryPolicy(
                  R"({"healthyRetryPolicy":{"numRetries":6,"numNoDelayRetries":1,)"
                  R"("numMinDelayRetries":2,"numMaxDelayRetries":3}})")
                  .ok());
  EXPECT_TRUE(
      ParseSubscriptionDeliveryPolicy(R"({"throttlePolicy":{"maxReceivesPerSecond":1}})").ok());
  EXPECT_TRUE(
      ParseSubscriptionDeliveryPolicy(R"({"throttlePolicy":{"maxReceivesPerSecond":2147483647}})")
          .ok());
}

// 100 retries 36 s apart is exactly the 3600 s SNS allows.
TEST(ParseSubscriptionDeliveryPolicyTest, TotalRetryTimeMayBeExactlyAnHour) {
  Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(
      R"({"healthyRetryPolicy":{"minDelayTarget":36,"maxDelayTarget":36,"numRetries":100}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(RetryDelays(p->retry), Repeat(36, 100));
}

TEST(ParseSubscriptionDeliveryPolicyTest, AcceptedContentTypes) {
  const char* accepted[] = {
      "text/plain",
      "text/plain; charset=UTF-8",
      "text/plain;charset=utf-8",
      "application/json; charset=UTF-8",
      "Application/JSON",
      "application/xml",
      "text/css",
      "text/csv",
      "text/html",
      "text/xml",
      "application/atom+xml",
      "application/octet-stream",
      "application/soap+xml",
      "application/x-www-form-urlencoded",
      "application/xhtml+xml",
  };
  for (const char* type : accepted) {
    Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(
        std::string(R"({"requestPolicy":{"headerContentType":")") + type + "\"}}");
    ASSERT_TRUE(p.ok()) << type << ": " << p.status().ToString();
    EXPECT_EQ(p->header_content_type, type);  // kept as written
  }
}

// --- Parsing: every validation error -----------------------------------------

struct ErrorCase {
  const char* json;
  const char* message;
};

void ExpectSubscriptionError(const ErrorCase& c) {
  Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(c.json);
  ASSERT_FALSE(p.ok()) << c.json;
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.json;
  EXPECT_EQ(p.status().message(), c.message) << c.json;
}

void ExpectTopicError(const ErrorCase& c) {
  Result<TopicDeliveryPolicy> p = ParseTopicDeliveryPolicy(c.json);
  ASSERT_FALSE(p.ok()) << c.json;
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.json;
  EXPECT_EQ(p.status().message(), c.message) << c.json;
}

TEST(DeliveryPolicyErrorsTest, Document) {
  ExpectSubscriptionError({"", "DeliveryPolicy: invalid JSON"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":)", "DeliveryPolicy: invalid JSON"});
  ExpectSubscriptionError({"{} {}", "DeliveryPolicy: invalid JSON"});
  ExpectSubscriptionError({"[]", "DeliveryPolicy: must be a JSON object"});
  ExpectSubscriptionError({"null", "DeliveryPolicy: must be a JSON object"});
  ExpectSubscriptionError({R"("text")", "DeliveryPolicy: must be a JSON object"});
}

TEST(DeliveryPolicyErrorsTest, UnknownMembers) {
  ExpectSubscriptionError({R"({"bogus":1})", "DeliveryPolicy: Unexpected JSON member: bogus"});
  ExpectSubscriptionError({R"({"http":{}})", "DeliveryPolicy: Unexpected JSON member: http"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"numRetrys":5}})",
                           "DeliveryPolicy: Unexpected JSON member: healthyRetryPolicy.numRetrys"});
  ExpectSubscriptionError(
      {R"({"throttlePolicy":{"maxReceivesPerMinute":5}})",
       "DeliveryPolicy: Unexpected JSON member: throttlePolicy.maxReceivesPerMinute"});
  ExpectSubscriptionError({R"({"requestPolicy":{"contentType":"text/plain"}})",
                           "DeliveryPolicy: Unexpected JSON member: requestPolicy.contentType"});
}

TEST(DeliveryPolicyErrorsTest, WrongTypes) {
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":5})", "DeliveryPolicy: healthyRetryPolicy must be a JSON object"});
  ExpectSubscriptionError(
      {R"({"throttlePolicy":[]})", "DeliveryPolicy: throttlePolicy must be a JSON object"});
  ExpectSubscriptionError({R"({"requestPolicy":"application/json"})",
                           "DeliveryPolicy: requestPolicy must be a JSON object"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"minDelayTarget":"20"}})",
                           "DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be an integer"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"maxDelayTarget":true}})",
                           "DeliveryPolicy: healthyRetryPolicy.maxDelayTarget must be an integer"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"numRetries":1.5}})",
                           "DeliveryPolicy: healthyRetryPolicy.numRetries must be an integer"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numNoDelayRetries":[1]}})",
       "DeliveryPolicy: healthyRetryPolicy.numNoDelayRetries must be an integer"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numMinDelayRetries":{}}})",
       "DeliveryPolicy: healthyRetryPolicy.numMinDelayRetries must be an integer"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numMaxDelayRetries":"0"}})",
       "DeliveryPolicy: healthyRetryPolicy.numMaxDelayRetries must be an integer"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"backoffFunction":1}})",
                           "DeliveryPolicy: healthyRetryPolicy.backoffFunction must be a string"});
  ExpectSubscriptionError(
      {R"({"throttlePolicy":{"maxReceivesPerSecond":0.5}})",
       "DeliveryPolicy: throttlePolicy.maxReceivesPerSecond must be an integer"});
  ExpectSubscriptionError({R"({"requestPolicy":{"headerContentType":7}})",
                           "DeliveryPolicy: requestPolicy.headerContentType must be a string"});
  ExpectSubscriptionError(
      {R"({"guaranteed":"no"})", "DeliveryPolicy: guaranteed must be a boolean"});
}

TEST(DeliveryPolicyErrorsTest, RetryPolicyRanges) {
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"minDelayTarget":0}})",
       "DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater than or "
       "equal to 1"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":3601}})",
                           "DeliveryPolicy: healthyRetryPolicy.maxDelayTarget must be less than or "
                           "equal to 3600"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":3}})",
       "DeliveryPolicy: healthyRetryPolicy.maxDelayTarget must be greater than or "
       "equal to minDelayTarget"});
  // A min above the default max of 20 s, with max left out, is the same error.
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"minDelayTarget":30}})",
       "DeliveryPolicy: healthyRetryPolicy.maxDelayTarget must be greater than or "
       "equal to minDelayTarget"});
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"numRetries":-1}})",
                           "DeliveryPolicy: healthyRetryPolicy.numRetries must be greater than or "
                           "equal to 0"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numRetries":101}})",
       "DeliveryPolicy: healthyRetryPolicy.numRetries must be less than or equal "
       "to 100"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numRetries":18446744073709551615}})",
       "DeliveryPolicy: healthyRetryPolicy.numRetries must be less than or equal "
       "to 100"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numNoDelayRetries":-1}})",
       "DeliveryPolicy: healthyRetryPolicy.numNoDelayRetries must be greater than "
       "or equal to 0"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numMinDelayRetries":-2}})",
       "DeliveryPolicy: healthyRetryPolicy.numMinDelayRetries must be greater than "
       "or equal to 0"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"numMaxDelayRetries":-3}})",
       "DeliveryPolicy: healthyRetryPolicy.numMaxDelayRetries must be greater than "
       "or equal to 0"});
}

TEST(DeliveryPolicyErrorsTest, PhasesExceedRetries) {
  const char* message =
      "DeliveryPolicy: healthyRetryPolicy.numRetries must be greater than or equal to total of "
      "numMinDelayRetries, numNoDelayRetries and numMaxDelayRetries";
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"numRetries":20,"numNoDelayRetries":7,)"
                           R"("numMinDelayRetries":7,"numMaxDelayRetries":7}})",
                           message});
  // numRetries defaults to 3.
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"numNoDelayRetries":4}})", message});
  // Phase counts too large to add up.
  ExpectSubscriptionError({R"({"healthyRetryPolicy":{"numNoDelayRetries":9223372036854775807,)"
                           R"("numMinDelayRetries":9223372036854775807}})",
                           message});
}

TEST(DeliveryPolicyErrorsTest, UnknownBackoffFunction) {
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"backoffFunction":"quadratic"}})",
       "DeliveryPolicy: healthyRetryPolicy.backoffFunction: the value [quadratic] "
       "is not a valid backoff function (linear, arithmetic, geometric or "
       "exponential)"});
}

// The limit is on the whole schedule, so a policy that sets one member is
// still checked with the defaults of the others: 20 s, then 3600 s.
TEST(DeliveryPolicyErrorsTest, TotalRetryTimeOverAnHour) {
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"maxDelayTarget":3600,"numRetries":2}})",
       "DeliveryPolicy: healthyRetryPolicy: the total retry time of 3620 seconds "
       "must be less than or equal to 3600 seconds"});
  ExpectSubscriptionError(
      {R"({"healthyRetryPolicy":{"minDelayTarget":37,"maxDelayTarget":37,)"
       R"("numRetries":100}})",
       "DeliveryPolicy: healthyRetryPolicy: the total retry time of 3700 seconds "
       "must be less than or equal to 3600 seconds"});
}

TEST(DeliveryPolicyErrorsTest, Throttle) {
  ExpectSubscriptionError(
      {R"({"throttlePolicy":{"maxReceivesPerSecond":0}})",
       "DeliveryPolicy: throttlePolicy.maxReceivesPerSecond must be greater than "
       "or equal to 1"});
  ExpectSubscriptionError(
      {R"({"throttlePolicy":{"maxReceivesPerSecond":2147483648}})",
       "DeliveryPolicy: throttlePolicy.maxReceivesPerSecond must be less than or "
       "equal to 2147483647"});
}

TEST(DeliveryPolicyErrorsTest, ContentType) {
  const char* rejected[] = {
      "image/png",        "", "text/plain; charset=ISO-8859-1", "text/plain; q=1", "text/plainx",
      "application/json;"};
  for (const char* type : rejected) {
    std::string json = std::string(R"({"requestPolicy":{"headerContentType":")") + type + "\"}}";
    std::string message =
        std::string("DeliveryPolicy: requestPolicy.headerContentType: the value [") + type +
        "] is not a supported content type";
    ExpectSubscriptionError({json.c_str(), message.c_str()});
  }
}

TEST(DeliveryPolicyErrorsTest, SicklyPolicyIsNotSupported) {
  ExpectSubscriptionError({R"({"sicklyRetryPolicy":{"numRetries":1}})",
                           "DeliveryPolicy: sicklyRetryPolicy is not supported"});
  ExpectTopicError({R"({"http":{"defaultSicklyRetryPolicy":{}}})",
                    "DeliveryPolicy: http.defaultSicklyRetryPolicy is not supported"});
}

// Topic paths carry "http." and the "default..." names.
TEST(DeliveryPolicyErrorsTest, TopicPaths) {
  ExpectTopicError({"{", "DeliveryPolicy: invalid JSON"});
  ExpectTopicError({"[1]", "DeliveryPolicy: must be a JSON object"});
  ExpectTopicError({R"({"https":{}})", "DeliveryPolicy: Unexpected JSON member: https"});
  // A subscription policy set on a topic (SNS's words for this mistake).
  ExpectTopicError({R"({"throttlePolicy":{"maxReceivesPerSecond":5}})",
                    "DeliveryPolicy: Unexpected JSON member: throttlePolicy"});
  ExpectTopicError({R"({"http":{"healthyRetryPolicy":{}}})",
                    "DeliveryPolicy: Unexpected JSON member: http.healthyRetryPolicy"});
  ExpectTopicError({R"({"http":true})", "DeliveryPolicy: http must be a JSON object"});
  ExpectTopicError(
      {R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}})",
       "DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be less than or "
       "equal to 100"});
  ExpectTopicError(
      {R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":40,"maxDelayTarget":30}}})",
       "DeliveryPolicy: http.defaultHealthyRetryPolicy.maxDelayTarget must be greater "
       "than or equal to minDelayTarget"});
  ExpectTopicError(
      {R"({"http":{"defaultHealthyRetryPolicy":{"maxDelayTarget":3600,"numRetries":2}}})",
       "DeliveryPolicy: http.defaultHealthyRetryPolicy: the total retry time of 3620 "
       "seconds must be less than or equal to 3600 seconds"});
  ExpectTopicError({R"({"http":{"defaultHealthyRetryPolicy":{"nope":1}}})",
                    "DeliveryPolicy: Unexpected JSON member: http.defaultHealthyRetryPolicy.nope"});
  ExpectTopicError({R"({"http":{"disableSubscriptionOverrides":"yes"}})",
                    "DeliveryPolicy: http.disableSubscriptionOverrides must be a boolean"});
  ExpectTopicError(
      {R"({"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":0}}})",
       "DeliveryPolicy: http.defaultThrottlePolicy.maxReceivesPerSecond must be greater "
       "than or equal to 1"});
  ExpectTopicError({R"({"http":{"defaultRequestPolicy":{"headerContentType":"text/bogus"}}})",
                    "DeliveryPolicy: http.defaultRequestPolicy.headerContentType: the value "
                    "[text/bogus] is not a supported content type"});
}

// Whatever the bytes, parsing returns a value and never throws.
TEST(DeliveryPolicyErrorsTest, ArbitraryInputNeverThrows) {
  const std::string valid =
      R"({"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,)"
      R"("numNoDelayRetries":3,"numMinDelayRetries":2,"numMaxDelayRetries":35,)"
      R"("backoffFunction":"exponential"},"throttlePolicy":{"maxReceivesPerSecond":10},)"
      R"("requestPolicy":{"headerContentType":"application/json"}})";
  std::mt19937 rng(20240601);
  for (int round = 0; round < 3000; ++round) {
    std::string text = valid;
    std::uniform_int_distribution<std::size_t> pos(0, text.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    if (round % 3 == 0) {
      text.resize(pos(rng));  // a prefix
    } else {
      for (int k = 0; k < 1 + round % 4; ++k) text[pos(rng)] = static_cast<char>(byte(rng));
    }
    EXPECT_NO_THROW({
      Result<DeliveryPolicy> s = ParseSubscriptionDeliveryPolicy(text);
      if (!s.ok()) {
        EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
      }
      Result<TopicDeliveryPolicy> t = ParseTopicDeliveryPolicy("{\"http\":" + text + "}");
      if (!t.ok()) {
        EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
      }
    }) << text;
  }
}

// --- Topic policies ----------------------------------------------------------

TEST(ParseTopicDeliveryPolicyTest, EmptyAndHttpLessPoliciesAreDefaults) {
  for (const char* json : {"{}", R"({"http":{}})", R"({"http":null})"}) {
    Result<TopicDeliveryPolicy> p = ParseTopicDeliveryPolicy(json);
    ASSERT_TRUE(p.ok()) << json << ": " << p.status().ToString();
    EXPECT_EQ(*p, TopicDeliveryPolicy{}) << json;
  }
}

TEST(ParseTopicDeliveryPolicyTest, FullPolicy) {
  Result<TopicDeliveryPolicy> p = ParseTopicDeliveryPolicy(R"({"http":{
      "defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":30,"numRetries":10,
        "numNoDelayRetries":1,"numMinDelayRetries":2,"numMaxDelayRetries":3,
        "backoffFunction":"exponential"},
      "disableSubscriptionOverrides":true,
      "defaultSicklyRetryPolicy":null,
      "defaultThrottlePolicy":{"maxReceivesPerSecond":5},
      "defaultRequestPolicy":{"headerContentType":"application/json"}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->defaults.retry, Policy(5, 30, 10, 1, 2, 3, BackoffFunction::kExponential));
  EXPECT_EQ(p->defaults.max_receives_per_second, 5);
  EXPECT_EQ(p->defaults.header_content_type, "application/json");
  EXPECT_TRUE(p->disable_subscription_overrides);
}

// AWS's SetTopicAttributes example: "sets the delivery policy to 5 total retries".
TEST(ParseTopicDeliveryPolicyTest, MissingMembersTakeDefaults) {
  Result<TopicDeliveryPolicy> p =
      ParseTopicDeliveryPolicy(R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->defaults.retry, Backoff(20, 20, 5, BackoffFunction::kLinear));
  EXPECT_EQ(p->defaults.max_receives_per_second, std::nullopt);
  EXPECT_EQ(p->defaults.header_content_type, "text/plain; charset=UTF-8");
  EXPECT_FALSE(p->disable_subscription_overrides);
}

// --- EffectiveDeliveryPolicyJson and round trips -----------------------------

TEST(EffectiveDeliveryPolicyJsonTest, DefaultIsSnsText) {
  EXPECT_EQ(
      EffectiveDeliveryPolicyJson(DeliveryPolicy{}),
      R"({"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,)"
      R"("numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,)"
      R"("backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,)"
      R"("requestPolicy":{"headerContentType":"text/plain; charset=UTF-8"},"guaranteed":false})");
}

TEST(EffectiveDeliveryPolicyJsonTest, EveryMember) {
  DeliveryPolicy p;
  p.retry = Policy(5, 30, 10, 1, 2, 3, BackoffFunction::kExponential);
  p.max_receives_per_second = 5;
  p.header_content_type = "application/json";
  EXPECT_EQ(EffectiveDeliveryPolicyJson(p),
            R"({"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":30,"numRetries":10,)"
            R"("numMaxDelayRetries":3,"numNoDelayRetries":1,"numMinDelayRetries":2,)"
            R"("backoffFunction":"exponential"},"sicklyRetryPolicy":null,)"
            R"("throttlePolicy":{"maxReceivesPerSecond":5},)"
            R"("requestPolicy":{"headerContentType":"application/json"},"guaranteed":false})");
}

TEST(EffectiveDeliveryPolicyJsonTest, InvalidUtf8DoesNotThrow) {
  DeliveryPolicy p;
  p.header_content_type = "text/plain\xff";
  std::string json;
  EXPECT_NO_THROW(json = EffectiveDeliveryPolicyJson(p));
  EXPECT_NE(json.find("\"headerContentType\":\"text/plain\xEF\xBF\xBD\""), std::string::npos)
      << json;
}

TEST(EffectiveDeliveryPolicyJsonTest, RoundTrips) {
  std::vector<DeliveryPolicy> policies;
  policies.push_back(DeliveryPolicy{});
  for (BackoffFunction f : kAllFunctions) {
    DeliveryPolicy p;
    p.retry = Policy(1, 60, 50, 3, 2, 35, f);
    p.max_receives_per_second = 10;
    p.header_content_type = "application/json; charset=UTF-8";
    policies.push_back(p);
  }
  DeliveryPolicy no_retries;
  no_retries.retry = Backoff(1, 3600, 0, BackoffFunction::kGeometric);
  no_retries.header_content_type = "application/xml";
  policies.push_back(no_retries);

  for (const DeliveryPolicy& p : policies) {
    std::string json = EffectiveDeliveryPolicyJson(p);
    Result<DeliveryPolicy> back = ParseSubscriptionDeliveryPolicy(json);
    ASSERT_TRUE(back.ok()) << json << ": " << back.status().ToString();
    EXPECT_EQ(*back, p) << json;
    EXPECT_EQ(EffectiveDeliveryPolicyJson(*back), json);
  }
}

// What SNS stores for a subscription policy reads back as what was written.
TEST(EffectiveDeliveryPolicyJsonTest, ParsedPolicyShowsItsDefaults) {
  Result<DeliveryPolicy> p = ParseSubscriptionDeliveryPolicy(
      R"({"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":4,"numRetries":2,)"
      R"("backoffFunction":"LINEAR"},"throttlePolicy":{"maxReceivesPerSecond":1},)"
      R"("requestPolicy":{"headerContentType":"text/plain"}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(EffectiveDeliveryPolicyJson(*p),
            R"({"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":4,"numRetries":2,)"
            R"("numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,)"
            R"("backoffFunction":"linear"},"sicklyRetryPolicy":null,)"
            R"("throttlePolicy":{"maxReceivesPerSecond":1},)"
            R"("requestPolicy":{"headerContentType":"text/plain"},"guaranteed":false})");
}

// --- Precedence --------------------------------------------------------------

class EffectiveDeliveryPolicyTest : public ::testing::Test {
 protected:
  static TopicDeliveryPolicy Topic(bool disable_overrides) {
    TopicDeliveryPolicy t;
    t.defaults.retry = Backoff(5, 5, 7, BackoffFunction::kLinear);
    t.defaults.header_content_type = "application/json";
    t.disable_subscription_overrides = disable_overrides;
    return t;
  }
  static DeliveryPolicy Subscription() {
    DeliveryPolicy s;
    s.retry = Backoff(9, 9, 2, BackoffFunction::kLinear);
    s.max_receives_per_second = 3;
    s.header_content_type = "application/xml";
    return s;
  }
};

TEST_F(EffectiveDeliveryPolicyTest, NeitherSetIsSnsDefault) {
  EXPECT_EQ(EffectiveDeliveryPolicy(std::nullopt, std::nullopt), DeliveryPolicy{});
  EXPECT_EQ(EffectiveDeliveryPolicy(std::nullopt, std::nullopt).retry, DefaultHttpRetryPolicy());
}

TEST_F(EffectiveDeliveryPolicyTest, TopicDefaultsApplyWithoutSubscriptionPolicy) {
  EXPECT_EQ(EffectiveDeliveryPolicy(Topic(false), std::nullopt), Topic(false).defaults);
  EXPECT_EQ(EffectiveDeliveryPolicy(Topic(true), std::nullopt), Topic(true).defaults);
}

TEST_F(EffectiveDeliveryPolicyTest, SubscriptionPolicyWithoutTopicPolicy) {
  EXPECT_EQ(EffectiveDeliveryPolicy(std::nullopt, Subscription()), Subscription());
}

TEST_F(EffectiveDeliveryPolicyTest, SubscriptionOverridesTopic) {
  EXPECT_EQ(EffectiveDeliveryPolicy(Topic(false), Subscription()), Subscription());
}

TEST_F(EffectiveDeliveryPolicyTest, DisableSubscriptionOverridesKeepsTopic) {
  EXPECT_EQ(EffectiveDeliveryPolicy(Topic(true), Subscription()), Topic(true).defaults);
}

// The same precedence from the attribute texts a client would send.
TEST_F(EffectiveDeliveryPolicyTest, FromParsedAttributes) {
  Result<TopicDeliveryPolicy> open = ParseTopicDeliveryPolicy(
      R"({"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}})");
  Result<TopicDeliveryPolicy> closed = ParseTopicDeliveryPolicy(
      R"({"http":{"disableSubscriptionOverrides":true,)"
      R"("defaultRequestPolicy":{"headerContentType":"application/json"}}})");
  Result<DeliveryPolicy> sub = ParseSubscriptionDeliveryPolicy(
      R"({"requestPolicy":{"headerContentType":"application/xml"}})");
  ASSERT_TRUE(open.ok() && closed.ok() && sub.ok());
  EXPECT_EQ(EffectiveDeliveryPolicy(*open, std::nullopt).header_content_type, "application/json");
  EXPECT_EQ(EffectiveDeliveryPolicy(*open, *sub).header_content_type, "application/xml");
  EXPECT_EQ(EffectiveDeliveryPolicy(*closed, *sub).header_content_type, "application/json");
  EXPECT_EQ(EffectiveDeliveryPolicy(std::nullopt, std::nullopt).header_content_type,
            "text/plain; charset=UTF-8");
}

}  // namespace
}  // namespace tw::notify
