// libFuzzer target for SigV4 verification. The input is split into a
// method, path, query, headers and body. Nothing may crash, hang or trip a
// sanitizer, and the checks below abort on a broken contract:
//   - VerifySigV4 answers kMissing exactly when HasSignature is false;
//   - the same request signed with SignSigV4 (host added, every header
//     signed) verifies, at any time inside the skew window;
//   - flipping one bit of a signed byte (method, path, query, a signed
//     header's value, Authorization, X-Amz-Date, body) makes verification
//     fail, unless the flip leaves the canonical request unchanged (a path
//     that normalises the same, "%41" vs "A" in the query), in which case
//     it must still verify.
//
//   build-fuzz-sigv4/fuzz/sigv4_fuzz -max_total_time=60

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/sigv4.h"

namespace {

using tw::api::AuthErrorKind;
using tw::api::SignedRequest;

constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const tw::TimePoint kNow = tw::FromEpochMillis(1700000000000);  // 20231114T221320Z

void Check(bool condition) {
  if (!condition) std::abort();
}

std::optional<std::string> Lookup(std::string_view id) {
  if (id == kAccessKey) return std::string(kSecret);
  return std::nullopt;
}

bool IsMissing(const tw::Result<tw::api::VerifiedRequest, tw::api::AuthError>& v) {
  return !v.ok() && v.error().kind == AuthErrorKind::kMissing;
}

// Names that steer the verifier into its interesting branches.
constexpr const char* kNames[] = {"authorization", "x-amz-date",           "date",
                                  "host",          "x-amz-content-sha256", "content-type"};

std::string HeaderName(FuzzedDataProvider* in) {
  if (in->ConsumeBool()) return kNames[in->ConsumeIntegralInRange<size_t>(0, 5)];
  return in->ConsumeRandomLengthString(24);
}

// A header name the signer and verifier can round-trip: [a-z0-9-]+.
std::string Tame(std::string_view name) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  std::string out = "x-";
  for (char c : name) out += kAlphabet[static_cast<unsigned char>(c) % (sizeof(kAlphabet) - 1)];
  return out;
}

// Method, canonical URI and canonical query: what a path or query flip can change.
std::string UnsignedCanonical(const SignedRequest& r) {
  return tw::api::CanonicalRequest(r, {}, "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  SignedRequest raw;
  raw.method = in.ConsumeRandomLengthString(16);
  raw.path = in.ConsumeRandomLengthString(64);
  raw.query = in.ConsumeRandomLengthString(160);
  int header_count = in.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < header_count; ++i) {
    std::string name = HeaderName(&in);
    raw.headers.emplace_back(std::move(name), in.ConsumeRandomLengthString(200));
  }
  raw.body = in.ConsumeRandomLengthString(2048);
  std::string service = in.ConsumeBool() ? "logs" : "sns";
  tw::api::VerifyOptions options{.expected_service = in.ConsumeBool() ? service : ""};
  std::chrono::seconds offset(in.ConsumeIntegralInRange(-900, 900));
  size_t flip_at = in.ConsumeIntegral<size_t>();
  int flip_bit = in.ConsumeIntegralInRange(0, 7);

  // 1. Arbitrary input.
  auto verdict = tw::api::VerifySigV4(raw, Lookup, kNow, options);
  Check(IsMissing(verdict) == !tw::api::HasSignature(raw));

  // 2. The same request, signed.
  SignedRequest signed_request;
  signed_request.method = raw.method;
  signed_request.path = raw.path;
  signed_request.query = raw.query;
  signed_request.body = raw.body;
  if (tw::api::HasSignature(signed_request)) signed_request.query.clear();
  std::vector<std::string> names;
  for (const auto& [name, value] : raw.headers) {
    std::string tame = Tame(name);
    if (tame == "x-amz-content-sha256") continue;  // its value would be the payload hash
    signed_request.headers.emplace_back(tame, value);
    names.push_back(tame);
  }
  signed_request.headers.emplace_back("host", raw.query.substr(0, 20));
  tw::api::SignSigV4(&signed_request, {std::string(kAccessKey), std::string(kSecret)}, "us-east-1",
                     service, kNow, names);
  auto good = tw::api::VerifySigV4(signed_request, Lookup, kNow + offset, options);
  Check(good.ok());
  Check(good.value().signed_at == kNow);

  // 3. One flipped bit in a signed byte.
  std::vector<std::string*> targets = {&signed_request.method, &signed_request.path,
                                       &signed_request.query, &signed_request.body};
  for (auto& header : signed_request.headers) targets.push_back(&header.second);
  size_t total = 0;
  for (const std::string* t : targets) total += t->size();
  if (total == 0) return 0;
  flip_at %= total;
  size_t which = 0;
  while (flip_at >= targets[which]->size()) flip_at -= targets[which++]->size();

  SignedRequest flipped = signed_request;
  std::string* target = which < 4 ? std::vector<std::string*>{&flipped.method, &flipped.path,
                                                              &flipped.query, &flipped.body}[which]
                                  : &flipped.headers[which - 4].second;
  (*target)[flip_at] = static_cast<char>((*target)[flip_at] ^ (1 << flip_bit));
  bool unchanged =
      (which == 1 || which == 2) && UnsignedCanonical(flipped) == UnsignedCanonical(signed_request);
  auto after = tw::api::VerifySigV4(flipped, Lookup, kNow + offset, options);
  Check(after.ok() == unchanged);
  return 0;
}
