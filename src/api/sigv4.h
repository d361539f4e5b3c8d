// AWS Signature Version 4, verified on the server side (spec
// aws-protocols-alarms.md §2), and the signer the tests use to act as a
// client.
//
// Verification follows §2.1-2.5 exactly: the Authorization header form
// (the presigned query form too), the canonical request with exactly the
// signed headers, the payload hash (always SHA-256 of the body as received;
// x-amz-content-sha256, when sent, must equal it: UNSIGNED-PAYLOAD is S3's
// alone, and a presigned URL signs the hash of its empty body, as botocore
// makes them), the credential
// scope, a constant-time comparison and the clock-skew window. Failures are
// AuthError values whose kind selects the protocol's error (§2.6); the
// message is AWS's text.
//
// The checks run in the order AWS runs them, so that the first problem of a
// request gets AWS's message for it:
//   1. an Authorization header and X-Amz-Algorithm/X-Amz-Signature both
//      present (kIncomplete); no SigV4 material at all (kMissing);
//   2. components: key=value syntax, missing Credential / Signature /
//      SignedHeaders / date (one message listing every missing piece);
//   3. the date's format, then its age (kExpired; for the presigned form
//      X-Amz-Expires, then the future side of the skew window);
//   4. 'host' among the signed headers, the algorithm, the credential's
//      five elements (kIncomplete);
//   5. the scope: region, expected service, terminator, date (kWrongScope,
//      one message listing every problem);
//   6. the access key (kUnknownKey);
//   7. every signed header present, x-amz-content-sha256 against the body,
//      and finally the signature (kMismatch, with AWS's canonical request
//      and string-to-sign appended).
//
// Pure and thread-safe: time is passed in, secrets come from a lookup.
//
//   VerifyOptions options{.expected_service = "logs", .max_skew = std::chrono::minutes(5)};
//   Result<VerifiedRequest, AuthError> v = VerifySigV4(request, secrets, clock.Now(), options);
//   if (!v.ok()) ...;  // v.error().kind selects the protocol's error, .message is its text

#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace tw::api {

// What the verifier sees of an HTTP request.
struct SignedRequest {
  std::string method;  // "POST"
  std::string path;    // raw path as sent, without the query: "/"
  std::string query;   // raw query string without '?', possibly empty
  // Header names lower-case; a name may repeat (values are then joined by
  // ',' in the canonical form, in order). Lookups ignore case anyway.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // raw bytes as received (before any gunzip)
};

enum class AuthErrorKind {
  kMissing,     // no SigV4 Authorization header (absent, or another scheme
                // such as "Basic") and no X-Amz-Algorithm/X-Amz-Signature
  kIncomplete,  // malformed header, a signed header absent, no date, host not signed...
  kUnknownKey,  // the access key ID is not known
  kMismatch,    // the signature does not match, or x-amz-content-sha256 does
                // not match the body
  kExpired,     // X-Amz-Date outside the allowed skew (past or future), or a
                // presigned request past X-Amz-Expires
  kWrongScope,  // credential scope names another service, or its date is not
                // the request's, or its terminator is not aws4_request
};

struct AuthError {
  AuthErrorKind kind;
  std::string
      message;  // AWS's words, e.g. "Signature expired: 20231114T221320Z is now earlier than ..."
};

struct VerifiedRequest {
  std::string access_key_id;
  std::string region;   // from the credential scope
  std::string service;  // "logs", "monitoring" or "sns"
  TimePoint signed_at;  // X-Amz-Date (or the Date header)
};

// The secret of an access key ID, or nullopt when unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct VerifyOptions {
  // The scope service the routed operation requires ("logs", ...); empty
  // accepts any.
  std::string expected_service;
  // Allowed distance between the request's date and `now`, both ways. AWS
  // uses 5 minutes for Logs and 15 for the query services (§2.5). A
  // presigned request may be older: it is valid until X-Amz-Date +
  // X-Amz-Expires instead.
  Duration max_skew = std::chrono::minutes(15);
  // Checks everything that does not need the body (steps 1-6 and the
  // presence of the signed headers) and stops there: a server can refuse an
  // unsigned request, or one of an unknown key, before reading its body.
  bool head_only = false;
};

// Verifies `request` against the secret of the access key it names. Never
// throws; every failure is an AuthError. `secrets` is called at most once.
Result<VerifiedRequest, AuthError> VerifySigV4(const SignedRequest& request,
                                               const SecretLookup& secrets, TimePoint now,
                                               const VerifyOptions& options);

// True when the request carries any SigV4 material (header or query form),
// i.e. when VerifySigV4 would not answer kMissing.
bool HasSignature(const SignedRequest& request);

// --- Signing (for tests and test clients) ---
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};

// Signs `request` as botocore does: removes any Authorization and
// X-Amz-Date headers, adds "x-amz-date" (from `now`, whole seconds) and
// "authorization" (header form, "Credential=..., SignedHeaders=...,
// Signature=..."). The signed headers are content-type and host when the
// request has them, x-amz-date, and every name in `signed_headers`
// (lower-case), sorted and deduplicated. host is never invented: a request
// without a host header is signed without it, and VerifySigV4 then rejects
// it. A name in `signed_headers` that the request lacks is signed with an
// empty value (the verifier rejects that too), which lets tests build such
// requests. The payload hash is x-amz-content-sha256 when the request has
// that header, else SHA-256 of the body.
void SignSigV4(SignedRequest* request, const Credentials& credentials, std::string_view region,
               std::string_view service, TimePoint now,
               std::vector<std::string> signed_headers = {});

// Pieces, exposed for tests against the spec's vectors.

// The canonical request (§2.2) of `request` over `signed_headers` (in the
// given order; a missing header contributes "name:"), with `payload_hash`
// as its last line. A query parameter named X-Amz-Signature is left out, as
// the presigned form requires (VerifySigV4 rejects a header-form request
// that carries one).
std::string CanonicalRequest(const SignedRequest& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);

// Lower-case hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);

}  // namespace tw::api
