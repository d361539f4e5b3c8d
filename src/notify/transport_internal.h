// Pieces shared by the libcurl senders (http_sender.cc, smtp_sender.cc).
// Private to notify: nothing outside src/notify includes this header.

#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/time.h"
#include "notify/transport.h"

namespace tw::notify::internal {

// curl_global_init, once per process, whichever thread asks first.
void EnsureCurlInitialized();

struct CurlEasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

// Appends `line` to `list`; false when libcurl cannot allocate.
bool SlistAppend(CurlSlist& list, const std::string& line);

// One part of a parsed URL ("" when absent). `flags` as for curl_url_get,
// e.g. CURLU_URLDECODE or CURLU_DEFAULT_PORT.
std::string UrlPart(CURLU* url, CURLUPart part, unsigned int flags = 0);

// "15 s" when `d` is whole seconds, else "1500 ms".
std::string FormatDuration(Duration d);

// The outcome of a transfer that failed below the protocol (no HTTP status,
// no decisive SMTP reply): refused or failed connections, DNS, TLS and
// timeouts are retryable; a URL libcurl cannot use is final.
// `host_port` names the peer in the detail ("connection refused
// (127.0.0.1:9)"); `error_buffer` is CURLOPT_ERRORBUFFER's text.
AttemptResult TransportFailure(CURL* curl, CURLcode code, std::string_view host_port,
                               std::string_view error_buffer, Duration timeout);

}  // namespace tw::notify::internal
