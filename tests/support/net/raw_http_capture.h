// A minimal HTTP/1.1 listener on 127.0.0.1 that records each request's
// bytes exactly as they came off the socket: request line, headers in the
// client's order and spelling, and the body (Content-Length bodies only).
// It answers every request "HTTP/1.1 200 OK" and closes the connection.
// For tests of what a client puts on the wire; HttpReceiver is the server
// for everything else.
//
//   Result<std::unique_ptr<RawHttpCapture>> capture = RawHttpCapture::Start();
//   ... POST to "http://127.0.0.1:" + port ...
//   std::vector<std::string> raw = (*capture)->WaitForRequests(1, std::chrono::seconds(10));
//
// One connection at a time, on one thread; the destructor stops and joins
// it. Every method may be called from any thread.

#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace tw::testing {

class RawHttpCapture {
 public:
  // kUnavailable when no socket can be bound on 127.0.0.1.
  static Result<std::unique_ptr<RawHttpCapture>> Start();

  RawHttpCapture(const RawHttpCapture&) = delete;
  RawHttpCapture& operator=(const RawHttpCapture&) = delete;
  ~RawHttpCapture();

  int port() const { return port_; }

  // Waits until at least `count` whole requests arrived or `timeout`
  // passes; returns the requests (head and body, as sent) received by then.
  std::vector<std::string> WaitForRequests(size_t count, Duration timeout) const;

 private:
  RawHttpCapture(int listen_fd, int wake_fd, int wake_write_fd, int port)
      : listen_fd_(listen_fd), wake_fd_(wake_fd), wake_write_fd_(wake_write_fd), port_(port) {}
  void Run();
  void Serve(int fd);

  const int listen_fd_;
  const int wake_fd_;        // readable when the destructor wants Run() to return
  const int wake_write_fd_;  // the other end of that pipe
  const int port_;
  std::thread thread_;

  mutable std::mutex mu_;
  mutable std::condition_variable arrived_;
  std::vector<std::string> requests_;  // GUARDED_BY(mu_)
};

}  // namespace tw::testing
