#include "notify/transport.h"

#include <curl/curl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "notify/transport_internal.h"

namespace tw::notify {

const char* AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kDelivered:
      return "delivered";
    case AttemptOutcome::kRetryable:
      return "retryable";
    case AttemptOutcome::kFinal:
      return "final";
  }
  return "unknown";
}

namespace internal {
namespace {

bool IsTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

}  // namespace

void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      // Nothing can be sent without it, and it only fails when the process
      // is out of memory or the TLS library is broken.
      std::abort();
    }
  });
}

bool SlistAppend(CurlSlist& list, const std::string& line) {
  curl_slist* appended = curl_slist_append(list.get(), line.c_str());
  if (appended == nullptr) return false;
  list.release();  // NOLINT: `appended` is the same list, now one longer
  list.reset(appended);
  return true;
}

std::string UrlPart(CURLU* url, CURLUPart part, unsigned int flags) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return "";
  std::string result(value);
  curl_free(value);
  return result;
}

std::string FormatDuration(Duration d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

AttemptResult TransportFailure(CURL* curl, CURLcode code, std::string_view host_port,
                               std::string_view error_buffer, Duration timeout) {
  AttemptResult result;
  result.outcome = AttemptOutcome::kRetryable;
  std::string reason = error_buffer.empty() ? curl_easy_strerror(code) : std::string(error_buffer);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      result.detail = "timed out after " + FormatDuration(timeout);
      return result;
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno == ECONNREFUSED) {
        result.detail = "connection refused (" + std::string(host_port) + ")";
      } else {
        result.detail = "cannot connect (" + std::string(host_port) + "): " + reason;
      }
      return result;
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      result.detail = "cannot resolve host (" + std::string(host_port) + "): " + reason;
      return result;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      // The same URL fails the same way next time.
      result.outcome = AttemptOutcome::kFinal;
      result.detail = "invalid URL: " + reason;
      return result;
    default:
      break;
  }
  if (IsTlsError(code)) {
    result.detail = "TLS failure (" + std::string(host_port) + "): " + reason;
  } else {
    result.detail = "transfer failed (" + std::string(host_port) + "): " + reason;
  }
  return result;
}

}  // namespace internal
}  // namespace tw::notify
