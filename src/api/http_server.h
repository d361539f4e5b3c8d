// The HTTP(S) listener: cpp-httplib turned into api::HttpRequest /
// HttpResponse values for a handler (the Router). httplib.h is included in
// http_server.cc and nowhere else.
//
// Start() binds before returning (so a port in use is an error value, and
// port 0 picks a free port), then serves on its own threads until Stop().
// Keep-alive stays on (the JS SDK reuses connections); an idle connection
// is closed after 5 s, which also bounds how long Stop() waits for one. The
// handler is called concurrently from the server's worker threads.

#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "api/router.h"
#include "common/status.h"

namespace httplib {
class Server;
}

namespace tw::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 4566;  // 0: any free port
  // HTTPS with these PEM files when both are set.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  int threads = 16;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // kUnavailable when the address cannot be bound or the TLS files do not
  // load, with the reason.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler);
  ~HttpServer();  // Stop()s

  int port() const { return port_; }
  bool tls() const { return tls_; }
  // Stops accepting, finishes the requests in flight, joins.
  void Stop();

 private:
  HttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  HttpHandler handler_;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace tw::api
