// libFuzzer target for SigV4's canonical form (sigv4.h CanonicalRequest)
// against the Router's reading of the same query: what is signed must be
// what is executed. The checks abort on a broken contract:
//   - the canonical query is a fixed point: canonicalising it again gives it
//     back (so it is in AWS's normal form: sorted, %XX upper-case, only
//     unreserved characters bare);
//   - it holds exactly the name/value pairs (X-Amz-Signature aside) that the
//     awsQuery form decoding reads from the raw query ('+' as a space, %XX),
//     whenever that decoding accepts the query: a '+' or a %2B cannot mean
//     one thing to the verifier and another to the operation;
//   - the canonical URI starts with '/' and has no empty, "." or ".."
//     segment left (it is not a fixed point: non-S3 services encode the
//     path twice, by design).
//
//   build-fuzz/fuzz/sigv4_canonical_fuzz -dict=fuzz/sigv4.dict

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "api/sigv4.h"
#include "common/url.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::string CanonicalQuery(const std::string& query) {
  tw::api::SignedRequest r{"GET", "/", query, {}, ""};
  return Lines(tw::api::CanonicalRequest(r, {}, ""))[2];
}

std::string CanonicalPath(const std::string& path) {
  tw::api::SignedRequest r{"GET", path, "", {}, ""};
  return Lines(tw::api::CanonicalRequest(r, {}, ""))[1];
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The pairs as the Router's form decoding (query_codec.cc) reads them;
// nullopt when it refuses the query.
std::optional<Pairs> FormPairs(std::string_view query, bool plus_is_space) {
  Pairs out;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    std::size_t eq = piece.find('=');
    std::optional<std::string> name = tw::PercentDecode(piece.substr(0, eq), plus_is_space);
    std::optional<std::string> value = tw::PercentDecode(
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1), plus_is_space);
    if (!name || !value) return std::nullopt;
    if (*name == "X-Amz-Signature") continue;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // The HTTP parser hands over origin-form paths only.
  std::string path = "/" + in.ConsumeRandomLengthString(128);
  std::string query = in.ConsumeRemainingBytesAsString();

  const std::string canonical = CanonicalQuery(query);
  Check(CanonicalQuery(canonical) == canonical);
  for (char c : canonical) {
    Check((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.' || c == '~' || c == '%' || c == '=' || c == '&');
  }
  if (std::optional<Pairs> executed = FormPairs(query, /*plus_is_space=*/true)) {
    std::optional<Pairs> signed_pairs = FormPairs(canonical, /*plus_is_space=*/false);
    Check(signed_pairs.has_value());
    Check(*signed_pairs == *executed);
  }

  const std::string uri = CanonicalPath(path);
  Check(!uri.empty() && uri.front() == '/');
  Check(uri.find("//") == std::string::npos);
  Check(uri.find("/./") == std::string::npos && uri.find("/../") == std::string::npos);
  Check(!uri.ends_with("/.") && !uri.ends_with("/.."));
  return 0;
}
