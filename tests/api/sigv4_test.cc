// SigV4 verification against the spec's vectors (§2.4), AWS's error texts
// (§2.5, §2.6) and the canonicalisation rules (§2.2).
//
// Where the texts were checked (beyond the spec):
//   - mismatch suffix "\n\nThe Canonical String for this request should have
//     been\n'...'\n\nThe String-to-Sign should have been\n'...'\n": real
//     responses quoted in aws/aws-sdk-cpp#17 and mhart/aws4#110, and the
//     DynamoDB responses recorded in mhart/dynalite's index.js;
//   - "Authorization header requires 'Credential' parameter. ... Authorization=<header>":
//     API Gateway responses in aws/chalice#828, nordcloud/cognitocurl#28;
//   - "Signature expired: ... (... - 15 min.)" and "Signature not yet current:
//     ... is still later than ... (... + 5 min.)": aws/aws-sdk-js#254,
//     hassy/artillery-dino#2 and CodeDeploy / botocore outputs quoted in blog posts;
//   - "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.":
//     aws/aws-sdk-php#2469; the credential-scope texts, "Unsupported AWS
//     'algorithm'", "Date must be in ISO-8601 'basic format'", "Found both ...",
//     "AWS query-string parameters must include ...": DynamoDB responses
//     recorded in mhart/dynalite and the AWS IAM user guide's "Troubleshoot
//     signed requests"; x-amz-content-sha256 and X-Amz-Expires texts: S3's.

#include "api/sigv4.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <cctype>
#include <random>
#include <string>
#include <vector>

namespace tw::api {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kMismatchText =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr std::string_view kSnsBody = "Action=ListTopics&Version=2010-03-31";
constexpr std::string_view kSnsBodyHash =
    "55e772bd3d832d8507965af84ab07fd17d9be3cbb788151ceb0d7fc2be442a54";

TimePoint At(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return TimePoint(std::chrono::sys_days(std::chrono::year(y) / mo / d)) + hours(h) + minutes(mi) +
         seconds(s);
}

const TimePoint kVectorTime = At(2023, 11, 14, 22, 13, 20);  // 20231114T221320Z

SecretLookup Secrets() {
  return [](std::string_view id) -> std::optional<std::string> {
    if (id == kAccessKey) return std::string(kSecret);
    return std::nullopt;
  };
}

const Credentials kCredentials{std::string(kAccessKey), std::string(kSecret)};

Result<VerifiedRequest, AuthError> Verify(const SignedRequest& r, TimePoint now,
                                          VerifyOptions options = {}) {
  return VerifySigV4(r, Secrets(), now, options);
}

// The error of a verification that must fail.
AuthError ErrorOf(const Result<VerifiedRequest, AuthError>& result) {
  if (result.ok()) return AuthError{AuthErrorKind::kMissing, "<verified>"};
  return result.error();
}

std::string* Header(SignedRequest* r, std::string_view name) {
  for (auto& [n, v] : r->headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

void SetHeader(SignedRequest* r, std::string_view name, std::string value) {
  if (std::string* v = Header(r, name)) {
    *v = std::move(value);
  } else {
    r->headers.emplace_back(std::string(name), std::move(value));
  }
}

void RemoveHeader(SignedRequest* r, std::string_view name) {
  std::erase_if(r->headers, [&](const auto& h) { return h.first == name; });
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = text.find('\n', start);
    out.push_back(text.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// --- An independent signer (OpenSSL directly), for the forms SignSigV4 does
// not produce: presigned URLs and the Date header. ---

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string OracleSignature(std::string_view date8, std::string_view region,
                            std::string_view service, std::string_view string_to_sign) {
  std::string k = Hmac("AWS4" + std::string(kSecret), date8);
  k = Hmac(k, region);
  k = Hmac(k, service);
  k = Hmac(k, "aws4_request");
  return Hex(Hmac(k, string_to_sign));
}

std::string OracleStringToSign(std::string_view amz_date, std::string_view scope,
                               const std::string& canonical) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
         Sha256Hex(canonical);
}

// --- The spec's vectors (§2.4) ---

constexpr std::string_view kCanonicalA =
    "POST\n"
    "/\n"
    "\n"
    "content-type:application/x-amz-json-1.1\n"
    "host:127.0.0.1:4566\n"
    "x-amz-date:20231114T221320Z\n"
    "x-amz-target:Logs_20140328.CreateLogGroup\n"
    "\n"
    "content-type;host;x-amz-date;x-amz-target\n"
    "94755fa8c768d697f1d58e520ca60ada6f9f8f2352d4f8f6cfc6785bf809c10d";
constexpr std::string_view kSignatureA =
    "9349bebdfef4ff176f3cb2d62e4dec4ba038efd7b0f306059ec873c8b0bba4c0";

SignedRequest VectorA() {
  return SignedRequest{
      "POST",
      "/",
      "",
      {{"host", "127.0.0.1:4566"},
       {"accept-encoding", "identity"},
       {"x-amz-target", "Logs_20140328.CreateLogGroup"},
       {"content-type", "application/x-amz-json-1.1"},
       {"user-agent", "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64.debian.12"},
       {"x-amz-date", "20231114T221320Z"},
       {"authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/logs/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
            std::string(kSignatureA)},
       {"content-length", "29"}},
      R"({"logGroupName": "/app/test"})"};
}

constexpr std::string_view kCanonicalB =
    "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; "
    "charset=utf-8\nhost:127.0.0.1:4566\nx-amz-date:20231114T221320Z\n\ncontent-type;host;x-amz-"
    "date\n55e772bd3d832d8507965af84ab07fd17d9be3cbb788151ceb0d7fc2be442a54";
constexpr std::string_view kSignatureB =
    "5bb9fa42ba25cc654261cbdaff2bb3e5a0084817fff4a5927661166ee1aa1846";

SignedRequest VectorB() {
  return SignedRequest{
      "POST",
      "/",
      "",
      {{"host", "127.0.0.1:4566"},
       {"accept-encoding", "identity"},
       {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
       {"user-agent", "Boto3/1.26.27 Python/3.11.2 Linux/6.1.0 Botocore/1.29.27"},
       {"x-amz-date", "20231114T221320Z"},
       {"authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/sns/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=" +
            std::string(kSignatureB)},
       {"content-length", "36"}},
      std::string(kSnsBody)};
}

const std::vector<std::string> kSignedHeadersC = {
    "amz-sdk-invocation-id", "amz-sdk-request", "content-length",  "content-type", "host",
    "x-amz-content-sha256",  "x-amz-date",      "x-amz-user-agent"};
constexpr std::string_view kSignatureC =
    "febd28e252bf23becdd2d9ea4d479cc785e46b7a214e2383c2d6acd5cad61065";
const TimePoint kVectorTimeC = At(2026, 11, 29, 3, 2, 13);  // 20261129T030213Z

SignedRequest VectorC() {
  return SignedRequest{
      "POST",
      "/",
      "",
      {{"content-type", "application/x-www-form-urlencoded"},
       {"user-agent", "aws-sdk-js/3.1168.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#18.19.0"},
       {"x-amz-user-agent", "aws-sdk-js/3.1168.0"},
       {"amz-sdk-invocation-id", "68feedb3-d5bb-4b92-8fbb-39c66a1f5207"},
       {"amz-sdk-request", "attempt=1; max=1"},
       {"x-amz-date", "20261129T030213Z"},
       {"x-amz-content-sha256", std::string(kSnsBodyHash)},
       {"authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/sns/aws4_request, "
        "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-"
        "amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=" +
            std::string(kSignatureC)},
       {"content-length", "36"},
       {"host", "127.0.0.1:4599"},
       {"connection", "keep-alive"}},
      std::string(kSnsBody)};
}

TEST(SigV4VectorTest, VectorALogsJson11) {
  SignedRequest r = VectorA();
  std::string canonical = CanonicalRequest(
      r, {"content-type", "host", "x-amz-date", "x-amz-target"}, Sha256Hex(r.body));
  EXPECT_EQ(canonical, kCanonicalA);
  EXPECT_EQ(Sha256Hex(canonical),
            "0f4cabc77d93e00c4a874aaef4972bc9980eb0cd75dba4ccf766ce77d7a07c5a");
  EXPECT_EQ(OracleSignature("20231114", "us-east-1", "logs",
                            OracleStringToSign("20231114T221320Z",
                                               "20231114/us-east-1/logs/aws4_request", canonical)),
            kSignatureA);

  Result<VerifiedRequest, AuthError> v = Verify(r, kVectorTime, {.expected_service = "logs"});
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(v->region, "us-east-1");
  EXPECT_EQ(v->service, "logs");
  EXPECT_EQ(v->signed_at, kVectorTime);
}

TEST(SigV4VectorTest, VectorBSnsQueryWithCharset) {
  SignedRequest r = VectorB();
  EXPECT_EQ(Sha256Hex(r.body), kSnsBodyHash);
  EXPECT_EQ(CanonicalRequest(r, {"content-type", "host", "x-amz-date"}, Sha256Hex(r.body)),
            kCanonicalB);
  Result<VerifiedRequest, AuthError> v = Verify(r, kVectorTime, {.expected_service = "sns"});
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->service, "sns");
}

TEST(SigV4VectorTest, VectorCJsV3ManySignedHeaders) {
  SignedRequest r = VectorC();
  std::string canonical = CanonicalRequest(r, kSignedHeadersC, kSnsBodyHash);
  EXPECT_EQ(
      canonical,
      "POST\n/\n\n"
      "amz-sdk-invocation-id:68feedb3-d5bb-4b92-8fbb-39c66a1f5207\n"
      "amz-sdk-request:attempt=1; max=1\n"
      "content-length:36\n"
      "content-type:application/x-www-form-urlencoded\n"
      "host:127.0.0.1:4599\n"
      "x-amz-content-sha256:55e772bd3d832d8507965af84ab07fd17d9be3cbb788151ceb0d7fc2be442a54\n"
      "x-amz-date:20261129T030213Z\n"
      "x-amz-user-agent:aws-sdk-js/3.1168.0\n"
      "\n"
      "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-"
      "sha256;x-amz-date;x-amz-user-agent\n"
      "55e772bd3d832d8507965af84ab07fd17d9be3cbb788151ceb0d7fc2be442a54");
  EXPECT_EQ(OracleSignature("20261129", "us-east-1", "sns",
                            OracleStringToSign("20261129T030213Z",
                                               "20261129/us-east-1/sns/aws4_request", canonical)),
            kSignatureC);
  Result<VerifiedRequest, AuthError> v = Verify(r, kVectorTimeC, {.expected_service = "sns"});
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->signed_at, kVectorTimeC);
}

TEST(SigV4VectorTest, SignerReproducesTheVectors) {
  auto authorization = [](SignedRequest r) {
    SignSigV4(&r, kCredentials, "us-east-1", "logs", kVectorTime, {"x-amz-target"});
    return *Header(&r, "authorization");
  };
  SignedRequest a = VectorA();
  std::string a_authorization = *Header(&a, "authorization");
  EXPECT_EQ(authorization(a), a_authorization);

  SignedRequest b = VectorB();
  SignSigV4(&b, kCredentials, "us-east-1", "sns", kVectorTime);
  SignedRequest expected_b = VectorB();
  EXPECT_EQ(*Header(&b, "authorization"), *Header(&expected_b, "authorization"));
  EXPECT_EQ(*Header(&b, "x-amz-date"), "20231114T221320Z");

  SignedRequest c = VectorC();
  SignSigV4(&c, kCredentials, "us-east-1", "sns", kVectorTimeC,
            {"amz-sdk-invocation-id", "amz-sdk-request", "content-length", "x-amz-content-sha256",
             "x-amz-user-agent"});
  SignedRequest expected_c = VectorC();
  EXPECT_EQ(*Header(&c, "authorization"), *Header(&expected_c, "authorization"));
}

TEST(SigV4VectorTest, ComponentSpacingIsOptional) {
  for (std::string_view form :
       {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/logs/aws4_request,"
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target,Signature=",
        "  AWS4-HMAC-SHA256   Credential=AKIDEXAMPLE/20231114/us-east-1/logs/aws4_request ,\t"
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target ,  Signature=",
        "AWS4-HMAC-SHA256 "
        "Signature=9349bebdfef4ff176f3cb2d62e4dec4ba038efd7b0f306059ec873c8b0bba4c0"
        ", Credential=AKIDEXAMPLE/20231114/us-east-1/logs/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="}) {
    SignedRequest r = VectorA();
    SetHeader(&r, "authorization", std::string(form) + std::string(kSignatureA));
    EXPECT_TRUE(Verify(r, kVectorTime).ok()) << form;
  }
}

// --- One test per AuthErrorKind, with AWS's exact text ---

TEST(SigV4ErrorTest, MissingWithoutAnySignature) {
  SignedRequest r = VectorA();
  RemoveHeader(&r, "authorization");
  EXPECT_FALSE(HasSignature(r));
  AuthError e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kMissing);
  EXPECT_EQ(e.message, "Missing Authentication Token");

  // Another scheme is not SigV4 material either (DynamoDB answers the same).
  SetHeader(&r, "authorization", "Basic dXNlcjpwYXNz");
  EXPECT_FALSE(HasSignature(r));
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).kind, AuthErrorKind::kMissing);

  EXPECT_TRUE(HasSignature(VectorA()));
}

TEST(SigV4ErrorTest, IncompleteListsEveryMissingPiece) {
  SignedRequest r = VectorA();
  RemoveHeader(&r, "x-amz-date");
  SetHeader(&r, "authorization", "AWS4-HMAC-SHA256");
  AuthError e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete);
  EXPECT_EQ(e.message,
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            "Authorization=AWS4-HMAC-SHA256");
}

TEST(SigV4ErrorTest, UnknownKey) {
  SignedRequest r = VectorA();
  SignSigV4(&r, {"AKIDOTHER", std::string(kSecret)}, "us-east-1", "logs", kVectorTime,
            {"x-amz-target"});
  std::vector<std::string> asked;
  SecretLookup lookup = [&](std::string_view id) -> std::optional<std::string> {
    asked.emplace_back(id);
    return std::nullopt;
  };
  Result<VerifiedRequest, AuthError> v = VerifySigV4(r, lookup, kVectorTime, {});
  AuthError e = ErrorOf(v);
  EXPECT_EQ(e.kind, AuthErrorKind::kUnknownKey);
  EXPECT_EQ(e.message, "The security token included in the request is invalid.");
  EXPECT_EQ(asked, std::vector<std::string>{"AKIDOTHER"});
}

TEST(SigV4ErrorTest, MismatchCarriesCanonicalRequestAndStringToSign) {
  SignedRequest r = VectorA();
  SetHeader(&r, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/logs/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
                std::string(64, '0'));
  AuthError e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kMismatch);
  EXPECT_EQ(e.message, std::string(kMismatchText) +
                           "\n\nThe Canonical String for this request should have been\n'" +
                           std::string(kCanonicalA) +
                           "'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"
                           "20231114T221320Z\n20231114/us-east-1/logs/aws4_request\n"
                           "0f4cabc77d93e00c4a874aaef4972bc9980eb0cd75dba4ccf766ce77d7a07c5a'\n");
}

TEST(SigV4ErrorTest, MismatchOnWrongSecretShortSignatureOrTamperedBody) {
  SignedRequest wrong_secret = VectorA();
  SignSigV4(&wrong_secret, {std::string(kAccessKey), "not-the-secret"}, "us-east-1", "logs",
            kVectorTime, {"x-amz-target"});
  EXPECT_EQ(ErrorOf(Verify(wrong_secret, kVectorTime)).kind, AuthErrorKind::kMismatch);

  SignedRequest short_signature = VectorA();
  std::string* auth = Header(&short_signature, "authorization");
  auth->resize(auth->size() - 1);
  EXPECT_EQ(ErrorOf(Verify(short_signature, kVectorTime)).kind, AuthErrorKind::kMismatch);

  SignedRequest upper = VectorA();
  auth = Header(&upper, "authorization");
  for (size_t i = auth->size() - 64; i < auth->size(); ++i) (*auth)[i] = toupper((*auth)[i]);
  EXPECT_EQ(ErrorOf(Verify(upper, kVectorTime)).kind, AuthErrorKind::kMismatch);

  SignedRequest body = VectorA();
  body.body = R"({"logGroupName": "/app/tesT"})";
  EXPECT_EQ(ErrorOf(Verify(body, kVectorTime)).kind, AuthErrorKind::kMismatch);

  SignedRequest method = VectorA();
  method.method = "PUT";
  EXPECT_EQ(ErrorOf(Verify(method, kVectorTime)).kind, AuthErrorKind::kMismatch);
}

TEST(SigV4ErrorTest, ExpiredInThePast) {
  AuthError e = ErrorOf(Verify(VectorA(), kVectorTime + minutes(15) + seconds(1)));
  EXPECT_EQ(e.kind, AuthErrorKind::kExpired);
  EXPECT_EQ(e.message,
            "Signature expired: 20231114T221320Z is now earlier than 20231114T221321Z "
            "(20231114T222821Z - 15 min.)");
}

TEST(SigV4ErrorTest, WrongServiceScope) {
  AuthError e = ErrorOf(Verify(VectorB(), kVectorTime, {.expected_service = "logs"}));
  EXPECT_EQ(e.kind, AuthErrorKind::kWrongScope);
  EXPECT_EQ(e.message, "Credential should be scoped to correct service: 'logs'.");
}

// --- Clock skew ---

TEST(SigV4SkewTest, PastJustInsideAndJustOutside) {
  EXPECT_TRUE(Verify(VectorA(), kVectorTime + minutes(15)).ok());
  EXPECT_TRUE(Verify(VectorA(), kVectorTime + minutes(15) - milliseconds(1)).ok());
  EXPECT_EQ(ErrorOf(Verify(VectorA(), kVectorTime + minutes(15) + milliseconds(1))).kind,
            AuthErrorKind::kExpired);
  EXPECT_EQ(ErrorOf(Verify(VectorA(), kVectorTime + hours(30))).kind, AuthErrorKind::kExpired);
}

TEST(SigV4SkewTest, FutureJustInsideAndJustOutside) {
  EXPECT_TRUE(Verify(VectorA(), kVectorTime - minutes(15)).ok());
  AuthError e = ErrorOf(Verify(VectorA(), kVectorTime - minutes(15) - seconds(1)));
  EXPECT_EQ(e.kind, AuthErrorKind::kExpired);
  EXPECT_EQ(e.message,
            "Signature not yet current: 20231114T221320Z is still later than 20231114T221319Z "
            "(20231114T215819Z + 15 min.)");
  EXPECT_EQ(ErrorOf(Verify(VectorA(), kVectorTime - minutes(15) - milliseconds(1))).kind,
            AuthErrorKind::kExpired);
}

TEST(SigV4SkewTest, WindowComesFromOptions) {
  VerifyOptions logs{.expected_service = "logs", .max_skew = minutes(5)};
  EXPECT_TRUE(Verify(VectorA(), kVectorTime + minutes(5), logs).ok());
  AuthError past = ErrorOf(Verify(VectorA(), kVectorTime + minutes(5) + seconds(1), logs));
  EXPECT_EQ(past.message,
            "Signature expired: 20231114T221320Z is now earlier than 20231114T221321Z "
            "(20231114T221821Z - 5 min.)");
  AuthError future = ErrorOf(Verify(VectorA(), kVectorTime - minutes(6), logs));
  EXPECT_EQ(future.message,
            "Signature not yet current: 20231114T221320Z is still later than 20231114T221220Z "
            "(20231114T220720Z + 5 min.)");
  AuthError odd = ErrorOf(Verify(VectorA(), kVectorTime + seconds(91), {.max_skew = seconds(90)}));
  EXPECT_EQ(odd.message,
            "Signature expired: 20231114T221320Z is now earlier than 20231114T221321Z "
            "(20231114T221451Z - 90 sec.)");
}

// --- The other kIncomplete and kWrongScope cases ---

struct AuthorizationCase {
  std::string authorization;
  std::string message;
};

TEST(SigV4IncompleteTest, AuthorizationHeaderProblems) {
  const std::string cred = "Credential=AKIDEXAMPLE/20231114/us-east-1/logs/aws4_request";
  const std::string signed_headers = "SignedHeaders=content-type;host;x-amz-date;x-amz-target";
  const std::string sig = "Signature=" + std::string(kSignatureA);
  const std::vector<AuthorizationCase> cases = {
      {"AWS4-HMAC-SHA256 " + cred,
       "Authorization header requires 'Signature' parameter. Authorization header requires "
       "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 " +
           cred},
      {"AWS4-HMAC-SHA256 " + cred + ", Signature=, " + signed_headers,
       "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " +
           cred + ", Signature=, " + signed_headers},
      {"AWS4-HMAC-SHA256 FooBar, BazBurp",
       "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header: "
       "'AWS4-HMAC-SHA256 FooBar, BazBurp'."},
      {"AWS4-HMAC-SHA512 " + cred + ", " + signed_headers + ", " + sig,
       "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now)."},
      {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/logs, " + signed_headers + ", " +
           sig,
       "Credential must have exactly 5 slash-delimited elements, e.g. "
       "keyid/date/region/service/term, got 'AKIDEXAMPLE/20231114/us-east-1/logs'"},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=content-type;x-amz-date;x-amz-target, " + sig,
       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
      {"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig,
       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
      {"AWS4-HMAC-SHA256 " + cred +
           ", SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, " + sig,
       "Header 'x-amz-security-token' is listed in SignedHeaders but absent from the request."},
  };
  for (const AuthorizationCase& c : cases) {
    SignedRequest r = VectorA();
    SetHeader(&r, "authorization", c.authorization);
    AuthError e = ErrorOf(Verify(r, kVectorTime));
    EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete) << c.authorization;
    EXPECT_EQ(e.message, c.message) << c.authorization;
  }
}

TEST(SigV4IncompleteTest, SignerCannotHideAnAbsentHeaderOrMissingHost) {
  SignedRequest absent = VectorA();
  SignSigV4(&absent, kCredentials, "us-east-1", "logs", kVectorTime,
            {"x-amz-target", "x-amz-security-token"});
  EXPECT_EQ(
      ErrorOf(Verify(absent, kVectorTime)).message,
      "Header 'x-amz-security-token' is listed in SignedHeaders but absent from the request.");

  SignedRequest no_host = VectorA();
  RemoveHeader(&no_host, "host");
  SignSigV4(&no_host, kCredentials, "us-east-1", "logs", kVectorTime, {"x-amz-target"});
  EXPECT_NE(Header(&no_host, "authorization")->find("SignedHeaders=content-type;x-amz-date;"),
            std::string::npos);
  AuthError e = ErrorOf(Verify(no_host, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete);
  EXPECT_EQ(e.message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST(SigV4IncompleteTest, MalformedDates) {
  for (std::string_view date :
       {"2023-11-14T22:13:20Z", "20231114T221320", "20231314T221320Z", "20230230T221320Z",
        "20231114T241320Z", "20231114T226020Z", "20231114t221320Z", "2023111AT221320Z"}) {
    SignedRequest r = VectorA();
    SetHeader(&r, "x-amz-date", std::string(date));
    AuthError e = ErrorOf(Verify(r, kVectorTime));
    EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete) << date;
    EXPECT_EQ(e.message, "Date must be in ISO-8601 'basic format'. Got '" + std::string(date) +
                             "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  for (std::string_view date : {"14 Nov 2023 22:13:20 GMT", "Tue, 14 Nov 2023 22:13:20 UTC",
                                "Xyz, 14 Nov 2023 22:13:20 GMT", "Tue, 31 Nov 2023 22:13:20 GMT",
                                "Tue, 14 Foo 2023 22:13:20 GMT"}) {
    SignedRequest r = VectorA();
    RemoveHeader(&r, "x-amz-date");
    SetHeader(&r, "date", std::string(date));
    AuthError e = ErrorOf(Verify(r, kVectorTime));
    EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete) << date;
    EXPECT_EQ(
        e.message,
        "Date header must be an RFC 7231 date such as 'Tue, 14 Nov 2023 22:13:20 GMT'. Got '" +
            std::string(date) + "'.");
  }
}

TEST(SigV4IncompleteTest, BothFormsAtOnce) {
  SignedRequest r = VectorA();
  r.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
  AuthError e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete);
  EXPECT_EQ(e.message,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
            "header.");
  r.query = "X-Amz-Signature=abc";
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).message, e.message);
}

TEST(SigV4ScopeTest, ScopeDateMustBeTheRequestDate) {
  SignedRequest r = VectorA();
  SignSigV4(&r, kCredentials, "us-east-1", "logs", At(2023, 11, 14, 23, 59, 59), {"x-amz-target"});
  SetHeader(&r, "x-amz-date", "20231115T000001Z");
  AuthError e = ErrorOf(Verify(r, At(2023, 11, 15, 0, 0, 0)));
  EXPECT_EQ(e.kind, AuthErrorKind::kWrongScope);
  EXPECT_EQ(e.message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            "HTTP: '20231114' != '20231115', from '20231115T000001Z'.");
}

TEST(SigV4ScopeTest, EveryScopeProblemInOneMessage) {
  SignedRequest r = VectorA();
  SetHeader(&r, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231113//sns/aws5_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" +
                std::string(kSignatureA));
  AuthError e = ErrorOf(Verify(r, kVectorTime, {.expected_service = "logs"}));
  EXPECT_EQ(e.kind, AuthErrorKind::kWrongScope);
  EXPECT_EQ(e.message,
            "Credential should be scoped to a valid region, not ''. Credential should be scoped "
            "to correct service: 'logs'. Credential should be scoped with a valid terminator: "
            "'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD "
            "from ISO-8601 version of date from HTTP: '20231113' != '20231114', from "
            "'20231114T221320Z'.");
}

TEST(SigV4ScopeTest, AnyRegionAndAnyServiceWhenNoneExpected) {
  SignedRequest r = VectorB();
  SignSigV4(&r, kCredentials, "eu-west-1", "monitoring", kVectorTime);
  Result<VerifiedRequest, AuthError> v = Verify(r, kVectorTime);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->region, "eu-west-1");
  EXPECT_EQ(v->service, "monitoring");
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime, {.expected_service = "sns"})).message,
            "Credential should be scoped to correct service: 'sns'.");
}

// --- Canonicalisation (§2.2) ---

std::string CanonicalQueryOf(std::string query) {
  SignedRequest r{"GET", "/", std::move(query), {{"host", "h"}}, ""};
  return Lines(CanonicalRequest(r, {"host"}, "UNSIGNED-PAYLOAD"))[2];
}

std::string CanonicalPathOf(std::string path) {
  SignedRequest r{"GET", std::move(path), "", {{"host", "h"}}, ""};
  return Lines(CanonicalRequest(r, {"host"}, "UNSIGNED-PAYLOAD"))[1];
}

TEST(SigV4CanonicalTest, Query) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"b=2&a=1", "a=1&b=2"},
      {"a=2&a=1&a=10", "a=1&a=10&a=2"},
      {"a", "a="},
      {"a=", "a="},
      {"a=&b", "a=&b="},
      {"a&&b&", "a=&b="},
      {"a=b=c", "a=b%3Dc"},
      {"q=hello world", "q=hello%20world"},
      {"q=hello%20world", "q=hello%20world"},
      {"q=a+b", "q=a%20b"},  // a space, as the form decoding reads it
      {"q=a%2Bb", "q=a%2Bb"},
      {"q=a%2bb", "q=a%2Bb"},
      {"q=~tilde", "q=~tilde"},
      {"q=%7E", "q=~"},
      {"q=-_.", "q=-_."},
      {"p=/a/b", "p=%2Fa%2Fb"},
      {"p=%2Fa", "p=%2Fa"},
      {"q=\xC3\xA9", "q=%C3%A9"},
      {"q=%c3%a9", "q=%C3%A9"},
      {"q=%zz&r=%&s=%4", "q=%25zz&r=%25&s=%254"},
      {"%41=1", "A=1"},
      {"B=1&a=1&_=1&~=1&-=1&.=1", "-=1&.=1&B=1&_=1&a=1&~=1"},
      {"Action=ListTopics&Version=2010-03-31&X-Amz-Signature=abc",
       "Action=ListTopics&Version=2010-03-31"},
      {"AlarmActions=&AlarmName=cpu%20high", "AlarmActions=&AlarmName=cpu%20high"},
  };
  for (const auto& [raw, canonical] : cases) {
    EXPECT_EQ(CanonicalQueryOf(raw), canonical) << raw;
  }
}

TEST(SigV4CanonicalTest, Path) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "/"},
      {"/", "/"},
      {"/service/GraniteServiceVersion20100801/operation/PutMetricData",
       "/service/GraniteServiceVersion20100801/operation/PutMetricData"},
      {"/a b", "/a%20b"},
      {"/a%20b", "/a%2520b"},  // non-S3 services encode the path again
      {"/a/./b/../c", "/a/c"},
      {"//a//b/", "/a/b/"},
      {"/..", "/"},
      {"/~user/-_.", "/~user/-_."},
      {"/\xC3\xA9:+", "/%C3%A9%3A%2B"},
  };
  for (const auto& [raw, canonical] : cases) {
    EXPECT_EQ(CanonicalPathOf(raw), canonical) << raw;
  }
}

TEST(SigV4CanonicalTest, RepeatedHeadersJoinInOrder) {
  SignedRequest r{"POST",
                  "/",
                  "",
                  {{"host", "h"}, {"x-amz-meta", "a"}, {"x-amz-meta", "  b   c "}, {"x-y", ""}},
                  ""};
  EXPECT_EQ(Lines(CanonicalRequest(r, {"host", "x-amz-meta", "x-y"}, "h"))[4], "x-amz-meta:a,b c");

  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime, {"x-amz-meta"});
  EXPECT_TRUE(Verify(r, kVectorTime).ok());
  std::swap(r.headers[1].second, r.headers[2].second);  // the order is signed
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).kind, AuthErrorKind::kMismatch);
}

TEST(SigV4CanonicalTest, WhitespaceIsTrimmedAndCollapsed) {
  SignedRequest r{"POST", "/", "", {{"host", "h"}, {"x-note", " \t a \t  b   c\t "}}, ""};
  EXPECT_EQ(Lines(CanonicalRequest(r, {"host", "x-note"}, "h"))[4], "x-note:a b c");

  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime, {"x-note"});
  SetHeader(&r, "x-note", "a b\tc");  // the same canonical value
  EXPECT_TRUE(Verify(r, kVectorTime).ok());
  SetHeader(&r, "x-note", "a bc");
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).kind, AuthErrorKind::kMismatch);
}

TEST(SigV4CanonicalTest, SignedQueryIsVerified) {
  SignedRequest r{
      "GET", "/", "Version=2010-03-31&Action=ListTopics&Name=a%20b", {{"host", "h"}}, ""};
  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime);
  EXPECT_TRUE(Verify(r, kVectorTime).ok());
  r.query = "Action=ListTopics&Name=a%20b&Version=2010-03-31";  // order is not signed
  EXPECT_TRUE(Verify(r, kVectorTime).ok());
  r.query = "Action=ListTopics&Name=a%20c&Version=2010-03-31";
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).kind, AuthErrorKind::kMismatch);
}

// --- Payload hash ---

TEST(SigV4PayloadTest, ContentSha256MustMatchTheBody) {
  SignedRequest r = VectorB();
  SetHeader(&r, "x-amz-content-sha256", Sha256Hex("Action=DeleteTopic"));
  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime, {"x-amz-content-sha256"});
  AuthError e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kMismatch);
  EXPECT_EQ(e.message,
            "The provided 'x-amz-content-sha256' header does not match what was computed.");

  // Hex in upper case is the same digest.
  std::string upper(kSnsBodyHash);
  for (char& c : upper) c = static_cast<char>(toupper(c));
  SetHeader(&r, "x-amz-content-sha256", upper);
  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime, {"x-amz-content-sha256"});
  EXPECT_TRUE(Verify(r, kVectorTime).ok());

  SetHeader(&r, "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime, {"x-amz-content-sha256"});
  e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete);
  EXPECT_EQ(e.message,
            "x-amz-content-sha256 must be the hex SHA-256 of the payload, got "
            "'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'.");
}

// Issue 12: an UNSIGNED-PAYLOAD request signed nothing of its body, so one
// captured request carried any body (a bearer token). Only S3 takes it.
TEST(SigV4PayloadTest, UnsignedPayloadIsRefused) {
  SignedRequest r = VectorB();
  SetHeader(&r, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime, {"x-amz-content-sha256"});
  AuthError e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete);
  EXPECT_EQ(e.message,
            "x-amz-content-sha256 UNSIGNED-PAYLOAD is not accepted: CloudWatch Logs, CloudWatch "
            "and SNS requests sign the SHA-256 of their payload.");
  r.body = "Action=DeleteTopic";
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).kind, AuthErrorKind::kIncomplete);
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(SigV4PayloadTest, GzipBodyIsHashedAsSent) {
  std::string json = R"({"Namespace":"App","MetricData":[)";
  for (int i = 0; i < 400; ++i) {
    json +=
        std::string(i ? "," : "") + R"({"MetricName":"Latency","Value":)" + std::to_string(i) + "}";
  }
  json += "]}";
  std::string gz = Gzip(json);
  ASSERT_GT(gz.size(), 10u);
  ASSERT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);

  // JS v3: x-amz-content-sha256 over the compressed bytes.
  SignedRequest js{"POST",
                   "/",
                   "",
                   {{"host", "127.0.0.1:4599"},
                    {"content-type", "application/x-amz-json-1.0"},
                    {"content-encoding", "gzip"},
                    {"x-amz-target", "GraniteServiceVersion20100801.PutMetricData"},
                    {"x-amz-content-sha256", Sha256Hex(gz)}},
                   gz};
  SignSigV4(&js, kCredentials, "us-east-1", "monitoring", kVectorTime,
            {"content-encoding", "x-amz-content-sha256", "x-amz-target"});
  EXPECT_TRUE(Verify(js, kVectorTime, {.expected_service = "monitoring"}).ok());

  SignedRequest over_plain = js;
  SetHeader(&over_plain, "x-amz-content-sha256", Sha256Hex(json));
  SignSigV4(&over_plain, kCredentials, "us-east-1", "monitoring", kVectorTime,
            {"content-encoding", "x-amz-content-sha256", "x-amz-target"});
  EXPECT_EQ(ErrorOf(Verify(over_plain, kVectorTime)).message,
            "The provided 'x-amz-content-sha256' header does not match what was computed.");

  // botocore style: no header, the hash is still over the raw bytes.
  SignedRequest boto = js;
  RemoveHeader(&boto, "x-amz-content-sha256");
  SignSigV4(&boto, kCredentials, "us-east-1", "monitoring", kVectorTime,
            {"content-encoding", "x-amz-target"});
  EXPECT_TRUE(Verify(boto, kVectorTime).ok());
  boto.body = json;
  EXPECT_EQ(ErrorOf(Verify(boto, kVectorTime)).kind, AuthErrorKind::kMismatch);
}

// Issue 12: an HTTP layer that inflated gzip bodies made the verifier trust
// the declared hash; a captured request re-sent with "Content-Encoding:
// gzip" and another body was accepted. The hash is always the body's.
TEST(SigV4PayloadTest, TheDeclaredHashMustBeTheBodys) {
  std::string json = R"({"Namespace":"App","MetricData":[{"MetricName":"Latency","Value":1}]})";
  std::string gz = Gzip(json);
  SignedRequest r{"POST",
                  "/",
                  "",
                  {{"host", "127.0.0.1:4599"},
                   {"content-encoding", "gzip"},
                   {"x-amz-content-sha256", Sha256Hex(gz)}},
                  gz};
  SignSigV4(&r, kCredentials, "us-east-1", "monitoring", kVectorTime,
            {"content-encoding", "x-amz-content-sha256"});
  EXPECT_TRUE(Verify(r, kVectorTime).ok());
  r.body = json;  // another body under the same signature
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).message,
            "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

TEST(SigV4PayloadTest, HeadOnlyStopsBeforeTheBody) {
  SignedRequest r = VectorB();
  SignSigV4(&r, kCredentials, "us-east-1", "sns", kVectorTime);
  SignedRequest head = r;
  head.body.clear();
  EXPECT_TRUE(Verify(head, kVectorTime, {.head_only = true}).ok());
  EXPECT_EQ(ErrorOf(Verify(head, kVectorTime)).kind, AuthErrorKind::kMismatch);
  // What needs no body is still checked: the key, the scope, the date.
  EXPECT_EQ(ErrorOf(Verify(head, kVectorTime + hours(1), {.head_only = true})).kind,
            AuthErrorKind::kExpired);
  SignedRequest stranger = r;
  SignSigV4(&stranger, {"AKIDSTRANGER", "x"}, "us-east-1", "sns", kVectorTime);
  stranger.body.clear();
  EXPECT_EQ(ErrorOf(Verify(stranger, kVectorTime, {.head_only = true})).kind,
            AuthErrorKind::kUnknownKey);
}

TEST(SigV4PayloadTest, RoundTripRandomRequests) {
  std::mt19937 rng(20231114);
  auto random_bytes = [&](size_t max) {
    std::string s(std::uniform_int_distribution<size_t>(0, max)(rng), '\0');
    for (char& c : s) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    return s;
  };
  for (int i = 0; i < 300; ++i) {
    SignedRequest r{i % 2 ? "POST" : "GET",
                    "/" + random_bytes(20),
                    random_bytes(40),
                    {{"host", "127.0.0.1:" + std::to_string(4000 + i)}},
                    random_bytes(3000)};
    std::vector<std::string> extra;
    int headers = std::uniform_int_distribution<int>(0, 4)(rng);
    for (int h = 0; h < headers; ++h) {
      std::string name = "x-h" + std::to_string(h % 3);
      r.headers.emplace_back(name, random_bytes(30));
      extra.push_back(name);
    }
    if (r.query.find("X-Amz-") != std::string::npos) r.query.clear();
    TimePoint now = kVectorTime + seconds(i * 7919);
    SignSigV4(&r, kCredentials, "us-east-1", "logs", now, extra);
    Result<VerifiedRequest, AuthError> v = Verify(r, now + seconds(i % 900));
    ASSERT_TRUE(v.ok()) << i << ": " << v.error().message;
    EXPECT_EQ(v->signed_at, std::chrono::floor<seconds>(now));
    if (!r.body.empty()) {
      size_t at = std::uniform_int_distribution<size_t>(0, r.body.size() - 1)(rng);
      r.body[at] = static_cast<char>(r.body[at] ^ (1 << (i % 8)));
      EXPECT_EQ(ErrorOf(Verify(r, now)).kind, AuthErrorKind::kMismatch) << i;
    }
  }
}

// --- The Date header instead of X-Amz-Date ---

TEST(SigV4DateHeaderTest, Rfc7231DateIsAccepted) {
  SignedRequest r{"POST",
                  "/",
                  "",
                  {{"host", "127.0.0.1:4566"},
                   {"date", "Tue, 14 Nov 2023 22:13:20 GMT"},
                   {"content-type", "application/x-www-form-urlencoded"}},
                  std::string(kSnsBody)};
  std::string canonical = CanonicalRequest(r, {"content-type", "date", "host"}, Sha256Hex(r.body));
  std::string signature = OracleSignature(
      "20231114", "us-east-1", "sns",
      OracleStringToSign("20231114T221320Z", "20231114/us-east-1/sns/aws4_request", canonical));
  r.headers.emplace_back("authorization",
                         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/sns/"
                         "aws4_request, SignedHeaders=content-type;date;host, Signature=" +
                             signature);
  Result<VerifiedRequest, AuthError> v = Verify(r, kVectorTime + minutes(3));
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->signed_at, kVectorTime);

  AuthError late = ErrorOf(Verify(r, kVectorTime + minutes(16)));
  EXPECT_EQ(late.message,
            "Signature expired: 20231114T221320Z is now earlier than 20231114T221420Z "
            "(20231114T222920Z - 15 min.)");
}

// --- Presigned (query) form ---

// A presigned URL as botocore's SigV4QueryAuth builds it for these services
// (generate_presigned_url): the operation's parameters moved into the
// query, and the payload hash that of the empty body (only S3's presigner
// writes UNSIGNED-PAYLOAD). Signed by the oracle.
SignedRequest Presigned(std::string extra_query, std::optional<int> expires = 300) {
  SignedRequest r{"GET", "/", "", {{"host", "127.0.0.1:4566"}}, ""};
  const std::string amz_date = "20231114T221320Z";  // kVectorTime
  std::string scope = amz_date.substr(0, 8) + "/us-east-1/sns/aws4_request";
  r.query = extra_query + (extra_query.empty() ? "" : "&") +
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F" +
            amz_date.substr(0, 8) + "%2Fus-east-1%2Fsns%2Faws4_request&X-Amz-Date=" + amz_date +
            (expires ? "&X-Amz-Expires=" + std::to_string(*expires) : "") +
            "&X-Amz-SignedHeaders=host";
  std::string canonical = CanonicalRequest(r, {"host"}, Sha256Hex(""));
  r.query += "&X-Amz-Signature=" + OracleSignature(amz_date.substr(0, 8), "us-east-1", "sns",
                                                   OracleStringToSign(amz_date, scope, canonical));
  return r;
}

TEST(SigV4PresignedTest, VerifiesUntilExpiry) {
  SignedRequest r = Presigned("Action=ListTopics&Version=2010-03-31");
  EXPECT_TRUE(HasSignature(r));
  Result<VerifiedRequest, AuthError> v = Verify(r, kVectorTime, {.expected_service = "sns"});
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(v->service, "sns");
  EXPECT_TRUE(Verify(r, kVectorTime + seconds(300)).ok());
  AuthError e = ErrorOf(Verify(r, kVectorTime + seconds(301)));
  EXPECT_EQ(e.kind, AuthErrorKind::kExpired);
  EXPECT_EQ(e.message,
            "Request has expired: X-Amz-Date 20231114T221320Z + X-Amz-Expires 300 seconds is "
            "earlier than 20231114T221821Z.");
  AuthError future = ErrorOf(Verify(r, kVectorTime - minutes(16)));
  EXPECT_EQ(future.message,
            "Signature not yet current: 20231114T221320Z is still later than 20231114T221220Z "
            "(20231114T215720Z + 15 min.)");
}

TEST(SigV4PresignedTest, LongExpiryOutlivesTheSkewWindow) {
  SignedRequest r = Presigned("Action=ListTopics", 86400);
  EXPECT_TRUE(Verify(r, kVectorTime + hours(23)).ok());
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime + hours(25))).kind, AuthErrorKind::kExpired);
}

TEST(SigV4PresignedTest, WithoutExpiresTheSkewWindowApplies) {
  SignedRequest r = Presigned("Action=ListTopics", std::nullopt);
  EXPECT_TRUE(Verify(r, kVectorTime + minutes(15)).ok());
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime + minutes(16))).message,
            "Signature expired: 20231114T221320Z is now earlier than 20231114T221420Z "
            "(20231114T222920Z - 15 min.)");
}

TEST(SigV4PresignedTest, TamperingFails) {
  SignedRequest r = Presigned("Action=ListTopics&Version=2010-03-31");
  SignedRequest changed = r;
  changed.query.replace(changed.query.find("ListTopics"), 10, "DeleteTopic");
  EXPECT_EQ(ErrorOf(Verify(changed, kVectorTime)).kind, AuthErrorKind::kMismatch);
  SignedRequest host = r;
  SetHeader(&host, "host", "127.0.0.1:4567");
  EXPECT_EQ(ErrorOf(Verify(host, kVectorTime)).kind, AuthErrorKind::kMismatch);
  SignedRequest other_service = r;
  EXPECT_EQ(ErrorOf(Verify(other_service, kVectorTime, {.expected_service = "monitoring"})).kind,
            AuthErrorKind::kWrongScope);
  SignedRequest both = r;
  both.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 Credential=x");
  EXPECT_EQ(ErrorOf(Verify(both, kVectorTime)).kind, AuthErrorKind::kIncomplete);
  // Issue 12: a presigned URL is not a bearer token for a body.
  SignedRequest with_body = r;
  with_body.method = "POST";
  with_body.body = "Action=DeleteTopic&TopicArn=arn";
  EXPECT_EQ(ErrorOf(Verify(with_body, kVectorTime)).kind, AuthErrorKind::kMismatch);
  SignedRequest unsigned_payload = r;
  unsigned_payload.headers.emplace_back("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  EXPECT_EQ(ErrorOf(Verify(unsigned_payload, kVectorTime)).kind, AuthErrorKind::kIncomplete);
}

// Issue 12: the verifier read '+' as a plus sign and the Router's form
// decoding as a space, so what was signed and what ran could differ.
TEST(SigV4PresignedTest, PlusIsASpaceAsTheRouterReadsIt) {
  SignedRequest spaced = Presigned("Action=Publish&Message=a%20b");
  SignedRequest plus = spaced;
  plus.query.replace(plus.query.find("a%20b"), 5, "a+b");
  EXPECT_TRUE(Verify(plus, kVectorTime).ok());
  SignedRequest plus_sign = spaced;
  plus_sign.query.replace(plus_sign.query.find("a%20b"), 5, "a%2Bb");
  EXPECT_EQ(ErrorOf(Verify(plus_sign, kVectorTime)).kind, AuthErrorKind::kMismatch);
}

TEST(SigV4PresignedTest, MissingParameters) {
  SignedRequest r{"GET", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=", {{"host", "h"}}, ""};
  AuthError e = ErrorOf(Verify(r, kVectorTime));
  EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete);
  EXPECT_EQ(e.message,
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
            "parameters must include 'X-Amz-Signature'. AWS query-string parameters must include "
            "'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
            "Re-examine the query-string parameters.");
}

TEST(SigV4PresignedTest, BadExpires) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc", "X-Amz-Expires should be a number"},
      {"", "X-Amz-Expires should be a number"},
      {"-5", "X-Amz-Expires must be non-negative"},
      {"604801",
       "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
       "must be less than 604800 seconds"},
      {"99999999999999999999999",
       "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
       "must be less than 604800 seconds"},
  };
  for (const auto& [value, message] : cases) {
    SignedRequest r = Presigned("Action=ListTopics");
    size_t at = r.query.find("X-Amz-Expires=300");
    r.query.replace(at, 17, "X-Amz-Expires=" + value);
    AuthError e = ErrorOf(Verify(r, kVectorTime));
    EXPECT_EQ(e.kind, AuthErrorKind::kIncomplete) << value;
    EXPECT_EQ(e.message, message) << value;
  }
}

TEST(SigV4PresignedTest, ContentSha256HeaderMustBeTheBodys) {
  SignedRequest r{"POST",
                  "/",
                  "",
                  {{"host", "h"}, {"x-amz-content-sha256", std::string(kSnsBodyHash)}},
                  std::string(kSnsBody)};
  r.query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-east-1%2Fsns%"
      "2Faws4_request&X-Amz-Date=20231114T221320Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-"
      "amz-content-sha256";
  std::string canonical = CanonicalRequest(r, {"host", "x-amz-content-sha256"}, kSnsBodyHash);
  r.query += "&X-Amz-Signature=" +
             OracleSignature("20231114", "us-east-1", "sns",
                             OracleStringToSign("20231114T221320Z",
                                                "20231114/us-east-1/sns/aws4_request", canonical));
  EXPECT_TRUE(Verify(r, kVectorTime).ok());
  r.body = "Action=DeleteTopic";
  EXPECT_EQ(ErrorOf(Verify(r, kVectorTime)).message,
            "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

}  // namespace
}  // namespace tw::api
