#include "api/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>

namespace tw::api {
namespace {

// How long an idle keep-alive connection stays open (see Start()).
constexpr std::chrono::seconds kIdleKeepAlive{5};  // httplib's own default

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->handler_ = std::move(handler);
  s->tls_ = !options.tls_cert_file.empty() && !options.tls_key_file.empty();
  if (s->tls_) {
    for (const std::string& file : {options.tls_cert_file, options.tls_key_file}) {
      if (!std::filesystem::exists(file)) {
        return Status(StatusCode::kUnavailable, "cannot read TLS file " + file);
      }
    }
    auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                    options.tls_key_file.c_str());
    if (!tls->is_valid()) {
      return Status(StatusCode::kUnavailable,
                    "cannot use the TLS certificate " + options.tls_cert_file + " and key " +
                        options.tls_key_file + " (not PEM, or the key does not match)");
    }
    s->server_ = std::move(tls);
  } else {
    s->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *s->server_;
  const int threads = std::max(1, options.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  // An idle keep-alive connection holds a worker thread, and Stop() waits
  // for it: httplib 0.11 only notices the stop once the idle wait ends. A
  // long wait would let any connected SDK client delay SIGTERM past
  // Docker's 10 s grace period (and idle clients starve the pool), while SDK
  // clients reconnect transparently to a server that closed an idle
  // connection.
  server.set_keep_alive_timeout(kIdleKeepAlive.count());
  server.set_read_timeout(30);
  server.set_write_timeout(30);

  HttpServer* self = s.get();
  auto serve = [self](const httplib::Request& req, httplib::Response& res) {
    HttpRequest request;
    request.method = req.method;
    const std::string& target = req.target.empty() ? req.path : req.target;
    std::size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    for (const auto& [name, value] : req.headers) {
      // httplib adds these itself; they are not the client's.
      if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
          name == "LOCAL_PORT") {
        continue;
      }
      request.headers.emplace_back(Lower(name), value);
    }
    request.body = req.body;
    // httplib inflates gzip request bodies before handing them over.
    std::string encoding = Lower(req.get_header_value("Content-Encoding"));
    request.body_decoded = encoding.find("gzip") != std::string::npos;
    request.remote_address = req.remote_addr;
    HttpResponse response = self->handler_(request);
    res.status = response.status;
    std::string content_type = "application/octet-stream";
    for (const auto& [name, value] : response.headers) {
      if (Lower(name) == "content-type") {
        content_type = value;
      } else {
        res.set_header(name, value);
      }
    }
    res.set_content(std::move(response.body), content_type);
  };
  server.Get(".*", serve);
  server.Post(".*", serve);
  server.Put(".*", serve);
  server.Delete(".*", serve);
  server.Patch(".*", serve);
  server.Options(".*", serve);
  if (options.port == 0) {
    s->port_ = server.bind_to_any_port(options.host);
  } else {
    s->port_ = server.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (s->port_ < 0) {
    return Status(StatusCode::kUnavailable, "cannot listen on " + options.host + ":" +
                                                std::to_string(options.port) +
                                                " (is the port in use?)");
  }
  s->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return s;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tw::api
