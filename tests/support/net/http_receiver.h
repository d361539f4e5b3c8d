// A real HTTP(S) server on 127.0.0.1 for the delivery tests (cpp-httplib,
// listening on a thread of its own), recording every request it gets.
//
// What it answers is up to the test: a function of the request number
// (1, 2, ...) returns the status, body, headers and how long to wait before
// answering, so a test can fail the first N requests with 500, answer 404,
// or hang longer than the client's timeout.
//
//   HttpReceiverOptions options;
//   options.behaviour = HttpReceiver::FailFirst(2, 503);
//   Result<std::unique_ptr<HttpReceiver>> receiver = HttpReceiver::Start(options);
//   ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();
//   ... POST to (*receiver)->url("/hook") ...
//   std::vector<ReceivedRequest> got = (*receiver)->WaitForRequests(3, std::chrono::seconds(10));
//
// The destructor stops the server, cutting short any reply delay, and joins
// its threads. Every method may be called from any thread. Start() makes
// the process ignore SIGPIPE (OpenSSL could raise it when a client hangs up).
//
// cpp-httplib keeps headers sorted by name (case-insensitively), so the
// order in which a client sent them is lost here; RawHttpCapture
// (support/net/raw_http_capture.h) records the bytes on the wire for tests of order.

#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace httplib {
class Server;
}

namespace tw::testing {

struct ReceivedRequest {
  int number = 0;      // 1 for the first request the receiver got
  std::string method;  // "POST"
  std::string path;    // percent-decoded, without the query: "/hook"
  std::string target;  // as sent: "/hook?x=1"
  // Name and value, sorted by name (see above); httplib's REMOTE_ADDR-style
  // pseudo-headers are left out.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::steady_clock::time_point arrival;  // before any reply delay
  bool tls = false;                               // came over HTTPS

  // The first value of header `name` (case-insensitive); "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // How many times header `name` came (case-insensitive).
  size_t HeaderCount(std::string_view name) const;
};

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Location", "/elsewhere"}
  Duration delay{0};                                         // wait this long before answering
};

// Decides the reply to request number `request.number`. Called on the
// server's threads, one call per request, possibly concurrently.
using HttpBehaviour = std::function<HttpReply(const ReceivedRequest& request)>;

struct HttpReceiverOptions {
  HttpBehaviour behaviour;  // empty: always 200 with an empty body
  // HTTPS with this PEM certificate and key (files) when both are set.
  std::string cert_file;
  std::string key_file;
};

class HttpReceiver {
 public:
  // kUnavailable when the server cannot bind or (HTTPS) load the
  // certificate and key.
  static Result<std::unique_ptr<HttpReceiver>> Start(HttpReceiverOptions options = {});

  // Behaviours for common cases.
  static HttpBehaviour Always(int status);
  // `status` for the first `n` requests, 200 afterwards.
  static HttpBehaviour FailFirst(int n, int status = 500);
  // 200 after waiting `delay` (longer than a client's timeout: it hangs).
  static HttpBehaviour Hang(Duration delay);

  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;
  ~HttpReceiver();

  int port() const { return port_; }
  bool https() const { return https_; }
  // "http://127.0.0.1:<port><path>" ("https://" for an HTTPS receiver).
  std::string url(std::string_view path = "/") const;

  // Waits until at least `count` requests arrived or `timeout` passes, and
  // returns the requests received by then, in arrival order.
  std::vector<ReceivedRequest> WaitForRequests(size_t count, Duration timeout) const;
  // The requests received so far.
  std::vector<ReceivedRequest> requests() const;

 private:
  HttpReceiver() = default;
  void Handle(ReceivedRequest request, int* status, HttpReply* reply);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  HttpBehaviour behaviour_;
  int port_ = 0;
  bool https_ = false;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // a request arrived, or stopping_
  std::vector<ReceivedRequest> requests_;    // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
};

}  // namespace tw::testing
