// HTTP(S) POST with libcurl, as SNS delivers to http/https subscriptions.

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "notify/transport.h"
#include "notify/transport_internal.h"

namespace tw::notify {
namespace {

using internal::CurlEasy;
using internal::CurlSlist;
using internal::CurlUrl;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 token characters.
bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool IsHeaderValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

size_t DiscardBody(char* /*data*/, size_t size, size_t count, void* /*user*/) {
  return size * count;
}

// What the open-socket callback needs, and what it found.
struct SocketGuard {
  const AddressPolicy* policy;
  std::string refused;  // "endpoint address 10.0.0.5 is not allowed (private)"; first one only
};

// CURLOPT_OPENSOCKETFUNCTION: libcurl calls this with each address it is
// about to connect to, after its own DNS resolution. Checking here rather
// than only at Subscribe means a name that resolved to a public address
// then and to 127.0.0.1 now (DNS rebinding) still cannot get through. A
// refused address gets no socket at all, so nothing about it (open,
// closed, filtered) can leak into the attempt's detail.
curl_socket_t OpenCheckedSocket(void* user, curlsocktype /*purpose*/, curl_sockaddr* address) {
  auto* guard = static_cast<SocketGuard*>(user);
  std::optional<IpAddress> ip = IpAddress::FromSockaddr(&address->addr, address->addrlen);
  std::optional<std::string> refusal =
      ip ? guard->policy->Refusal(*ip) : std::optional<std::string>("not an IP address");
  if (refusal) {
    if (guard->refused.empty()) {
      guard->refused = "endpoint address " + (ip ? ip->ToString() : std::string("?")) +
                       " is not allowed (" + *refusal + ")";
    }
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

AttemptResult Final(std::string detail) {
  AttemptResult result;
  result.outcome = AttemptOutcome::kFinal;
  result.detail = std::move(detail);
  return result;
}

// SNS's rule (developer guide, "Step 1: Make sure your endpoint is ready to
// process Amazon SNS messages"): a status outside 200-4xx is a failed
// attempt. So 3xx counts as delivered too; we do not follow redirects (SNS
// documents none) and say so.
AttemptResult FromStatus(long status) {
  AttemptResult result;
  result.status_code = static_cast<int>(status);
  std::string code = "HTTP " + std::to_string(status);
  if (status >= 200 && status < 300) {
    result.outcome = AttemptOutcome::kDelivered;
    result.detail = code;
  } else if (status >= 300 && status < 400) {
    result.outcome = AttemptOutcome::kDelivered;
    result.detail = code + " (redirect not followed, not retried)";
  } else if (status == 429) {
    // SNS's HTTPS fan-out guide: "all 5XX errors and 429 (too many requests
    // sent) errors" are retryable. A throttled endpoint will take it later.
    result.outcome = AttemptOutcome::kRetryable;
    result.detail = code + " (too many requests)";
  } else if (status >= 400 && status < 500) {
    result.outcome = AttemptOutcome::kDelivered;
    result.detail = code + " (client error, not retried)";
  } else if (status >= 500 && status < 600) {
    result.outcome = AttemptOutcome::kRetryable;
    result.detail = code;
  } else {
    result.outcome = AttemptOutcome::kRetryable;
    result.detail = code + " (not a valid status)";
  }
  return result;
}

class CurlHttpSender final : public HttpSender {
 public:
  explicit CurlHttpSender(HttpSenderOptions options) : options_(std::move(options)) {}

  AttemptResult Post(const HttpRequest& request) override {
    auto start = std::chrono::steady_clock::now();
    AttemptResult result = Attempt(request);
    result.elapsed = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start);
    return result;
  }

 private:
  AttemptResult Attempt(const HttpRequest& request) const {
    // Parse the URL ourselves first: the scheme is checked, and details name
    // host:port, never the user:password SNS allows in a URL.
    CurlUrl url(curl_url());
    if (url == nullptr) return Final("out of memory");
    if (curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), 0) != CURLUE_OK) {
      return Final("invalid URL");
    }
    std::string scheme = internal::UrlPart(url.get(), CURLUPART_SCHEME);
    if (scheme != "http" && scheme != "https") {
      return Final("unsupported URL scheme '" + scheme + "' (http or https only)");
    }
    std::string host_port = internal::UrlPart(url.get(), CURLUPART_HOST) + ":" +
                            internal::UrlPart(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);

    // Headers in the caller's order. curl adds Host, Content-Length and,
    // unless told otherwise, "Accept: */*", a form Content-Type and "Expect:
    // 100-continue" for large bodies: SNS sends none of these, so an empty
    // "Name:" line removes each one the caller did not set.
    CurlSlist headers;
    bool has_accept = false;
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
      if (!IsHeaderName(name)) return Final("invalid header name '" + name + "'");
      if (!IsHeaderValue(value)) return Final("header " + name + " contains CR, LF or NUL");
      has_accept = has_accept || EqualsIgnoreCase(name, "Accept");
      has_content_type = has_content_type || EqualsIgnoreCase(name, "Content-Type");
      // "Name;" is curl's spelling of a header with an empty value.
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      if (!internal::SlistAppend(headers, line)) return Final("out of memory");
    }
    if (!internal::SlistAppend(headers, "Expect:") ||
        (!has_accept && !internal::SlistAppend(headers, "Accept:")) ||
        (!has_content_type && !internal::SlistAppend(headers, "Content-Type:"))) {
      return Final("out of memory");
    }

    internal::EnsureCurlInitialized();
    CurlEasy curl(curl_easy_init());
    if (curl == nullptr) return Final("out of memory");
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // several threads may post at once
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, DiscardBody);
    if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
    SocketGuard guard{&options_.address_policy, {}};
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, OpenCheckedSocket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &guard);

    CURLcode code = curl_easy_perform(c);
    if (code != CURLE_OK) {
      // Retrying cannot make the address acceptable and would only knock
      // on it again at every retry: final.
      if (!guard.refused.empty()) return Final(guard.refused);
      return internal::TransportFailure(c, code, host_port, error_buffer, options_.timeout);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return FromStatus(status);
  }

  const HttpSenderOptions options_;
};

}  // namespace

std::unique_ptr<HttpSender> MakeHttpSender(const HttpSenderOptions& options) {
  internal::EnsureCurlInitialized();
  return std::make_unique<CurlHttpSender>(options);
}

}  // namespace tw::notify
