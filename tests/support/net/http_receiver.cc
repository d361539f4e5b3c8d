#include "support/net/http_receiver.h"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "support/net/text.h"

namespace tw::testing {
namespace {

// Headers httplib adds to every request itself.
bool IsPseudoHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "REMOTE_ADDR") || EqualsIgnoreCase(name, "REMOTE_PORT") ||
         EqualsIgnoreCase(name, "LOCAL_ADDR") || EqualsIgnoreCase(name, "LOCAL_PORT");
}

}  // namespace

std::string ReceivedRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return "";
}

bool ReceivedRequest::HasHeader(std::string_view name) const { return HeaderCount(name) > 0; }

size_t ReceivedRequest::HeaderCount(std::string_view name) const {
  return static_cast<size_t>(std::count_if(headers.begin(), headers.end(), [&](const auto& h) {
    return EqualsIgnoreCase(h.first, name);
  }));
}

HttpBehaviour HttpReceiver::Always(int status) {
  return [status](const ReceivedRequest&) {
    HttpReply reply;
    reply.status = status;
    return reply;
  };
}

HttpBehaviour HttpReceiver::FailFirst(int n, int status) {
  return [n, status](const ReceivedRequest& request) {
    HttpReply reply;
    reply.status = request.number <= n ? status : 200;
    return reply;
  };
}

HttpBehaviour HttpReceiver::Hang(Duration delay) {
  return [delay](const ReceivedRequest&) {
    HttpReply reply;
    reply.delay = delay;
    return reply;
  };
}

Result<std::unique_ptr<HttpReceiver>> HttpReceiver::Start(HttpReceiverOptions options) {
  // httplib sends with MSG_NOSIGNAL, but OpenSSL writes to the socket
  // itself: a reply to a client that gave up (a timeout test) would kill
  // the test process with SIGPIPE.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { signal(SIGPIPE, SIG_IGN); });
  std::unique_ptr<HttpReceiver> receiver(new HttpReceiver());
  receiver->behaviour_ = std::move(options.behaviour);
  if (!options.cert_file.empty() && !options.key_file.empty()) {
    receiver->server_ =
        std::make_unique<httplib::SSLServer>(options.cert_file.c_str(), options.key_file.c_str());
    receiver->https_ = true;
  } else {
    receiver->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *receiver->server_;
  if (!server.is_valid()) {
    return Status(StatusCode::kUnavailable,
                  "HTTP receiver: cannot load " + options.cert_file + " / " + options.key_file);
  }

  HttpReceiver* self = receiver.get();
  auto handler = [self](const httplib::Request& req, httplib::Response& res) {
    ReceivedRequest request;
    request.arrival = std::chrono::steady_clock::now();
    request.method = req.method;
    request.path = req.path;
    request.target = req.target;
    for (const auto& [name, value] : req.headers) {
      if (!IsPseudoHeader(name)) request.headers.emplace_back(name, value);
    }
    request.body = req.body;
    request.tls = self->https_;
    int status = 200;
    HttpReply reply;
    self->Handle(std::move(request), &status, &reply);
    res.status = status;
    for (const auto& [name, value] : reply.headers) res.set_header(name, value);
    res.set_content(reply.body, reply.content_type);
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  server.Options(".*", handler);

  receiver->port_ = server.bind_to_any_port("127.0.0.1");
  if (receiver->port_ <= 0) {
    return Status(StatusCode::kUnavailable, "HTTP receiver: cannot bind 127.0.0.1");
  }
  receiver->thread_ = std::thread([&server] { server.listen_after_bind(); });
  // The socket already listens (connections wait in its backlog); waiting
  // for the accept loop keeps stop() from racing its start.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server.is_running()) {
    return Status(StatusCode::kUnavailable, "HTTP receiver: accept loop did not start");
  }
  return receiver;
}

void HttpReceiver::Handle(ReceivedRequest request, int* status, HttpReply* reply) {
  std::unique_lock<std::mutex> lock(mu_);
  request.number = static_cast<int>(requests_.size()) + 1;
  requests_.push_back(request);
  changed_.notify_all();
  lock.unlock();

  *reply = behaviour_ ? behaviour_(request) : HttpReply();
  *status = reply->status;
  if (reply->delay.count() > 0) {
    lock.lock();
    changed_.wait_for(lock, reply->delay, [this] { return stopping_; });
  }
}

HttpReceiver::~HttpReceiver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string HttpReceiver::url(std::string_view path) const {
  return std::string(https_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
         std::string(path);
}

std::vector<ReceivedRequest> HttpReceiver::WaitForRequests(size_t count, Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count || stopping_; });
  return requests_;
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

}  // namespace tw::testing
