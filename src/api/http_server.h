// The HTTP(S) listener: sockets turned into api::HttpRequest values for a
// handler (the Router), with the limits a service exposed to a hostile
// network needs applied before any work is done.
//
// One I/O thread owns every socket (epoll, non-blocking; TLS through
// OpenSSL's non-blocking API) and reads requests with HttpRequestParser;
// only complete requests reach the worker threads, so slow or idle clients
// hold a connection slot, never a worker (slowloris). What it enforces:
//   - connection caps: in all and per client IP address (over the cap a
//     connection is closed at once, or answered 503 when that is cheap);
//   - a head deadline: the TLS handshake and the whole request head within
//     head_timeout of the connection (or of the previous response);
//     a body deadline, an idle keep-alive timeout and a write deadline;
//   - HttpLimits on the request line, the head, the header count and the
//     body (Content-Length or chunked), checked before bytes are kept;
//   - a budget for request bodies buffered across all connections;
//   - check_head, the caller's look at a complete head before any body byte
//     is read (e.g. refusing a request with no or an unknown signature);
//   - the listening socket without SO_REUSEPORT, so a second server on the
//     same port fails with "address already in use" instead of sharing it,
//     and a listen backlog of `listen_backlog`.
//
// Start() binds before returning (a port in use is an error value; port 0
// picks a free port), then serves until Stop(), which finishes the requests
// in flight. httplib is not used here: Debian's compiled cpp-httplib 0.11
// fixes its backlog at 5, has no header-count limit, inflates gzip bodies
// before any hook can see them, caps form bodies at 8 KB and gives each
// connection a worker thread (docs/architecture.md).

#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http.h"
#include "api/http_parser.h"
#include "common/status.h"

namespace tw::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 4566;  // 0: any free port
  // HTTPS with these PEM files when both are set.
  std::string tls_cert_file;
  std::string tls_key_file;
  HttpLimits limits;
  int threads = 8;  // workers running the handler
  int listen_backlog = 1024;
  std::size_t max_connections = 512;
  std::size_t max_connections_per_client = 32;
  // Request bodies held in memory across all connections; a request that
  // would exceed it gets 503 (retryable) instead.
  std::size_t max_buffered_body_bytes = 256 * 1024 * 1024;
  // TLS handshake and request head, from the connection (or the end of the
  // previous response) until the head's last line.
  std::chrono::milliseconds head_timeout{10'000};
  // The whole body, from the end of the head.
  std::chrono::milliseconds body_timeout{60'000};
  // Keep-alive: a connection with no new request byte for this long is
  // closed. SDK clients reconnect transparently.
  std::chrono::milliseconds idle_timeout{5'000};
  // Writing one response.
  std::chrono::milliseconds write_timeout{30'000};
};

struct HttpHandlers {
  // The response to a complete request. Called on the worker threads,
  // concurrently.
  std::function<HttpResponse(const HttpRequest&)> handle;
  // Called on the I/O thread once a head is complete and before any body
  // byte is kept (and before "100 Continue"): a response refuses the
  // request, and the connection is closed after it. Must be quick and must
  // not block. Optional.
  std::function<std::optional<HttpResponse>(const HttpRequest& head)> check_head;
  // The response for a refusal by the HTTP layer itself: `status` (400,
  // 408, 413, 414, 417, 431, 501, 503, 505) and a message; `head` is as much
  // of the request as was parsed (method and path may be empty). Optional:
  // without it the answer is the message as plain text.
  std::function<HttpResponse(const HttpRequest& head, int status, const std::string& message)>
      refuse;
};

class HttpServer {
 public:
  // kUnavailable when the address cannot be bound (its message says
  // "address already in use" for EADDRINUSE) or the TLS files do not load.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandlers handlers);
  ~HttpServer();  // Stop()s

  int port() const;
  bool tls() const;
  // Stops accepting, finishes the requests in flight (up to a few seconds),
  // closes every connection, joins the threads. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tw::api
