#include "api/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace tw::api {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often deadlines are swept; a deadline is honoured to within this.
constexpr milliseconds kSweepInterval{200};
// After a refusal the connection is half-closed and its unread input
// drained for this long, so the client reads the answer instead of a reset.
constexpr milliseconds kLingerTime{2'000};
// ... and for at most this many bytes: a client that keeps sending after a
// refusal is cut off rather than read forever.
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// A refusal caused by a timeout gets this long to be written.
constexpr milliseconds kRefusalWriteTime{2'000};
// Stop() lets requests in flight finish for this long.
constexpr milliseconds kStopGrace{5'000};
// When accept() runs out of file descriptors, it is retried after this.
constexpr milliseconds kAcceptPause{100};
constexpr std::size_t kReadChunk = 16 * 1024;
// Bodies are reserved from the shared budget in steps of this size as a
// chunked body grows.
constexpr std::size_t kBudgetStep = 64 * 1024;

enum class Phase {
  kHandshake,   // TLS handshake
  kIdle,        // waiting for the first byte of a request
  kHead,        // reading a request head
  kBody,        // reading its body
  kProcessing,  // a worker runs the handler; nothing is read
  kWriting,     // writing a response
  kLingering,   // refusal written and write side shut; draining input until EOF
};

struct Connection {
  std::uint64_t id = 0;
  int fd = -1;
  SSL* ssl = nullptr;
  std::string peer;
  Phase phase = Phase::kIdle;
  SteadyClock::time_point deadline;
  HttpRequestParser parser;
  bool head_checked = false;
  bool keep_alive = true;
  std::size_t reserved = 0;  // of the body budget
  std::string pending;       // bytes read past the end of the request in flight
  std::string out;           // to write
  std::size_t out_offset = 0;
  bool close_after_write = false;
  bool linger_after_write = false;
  bool ssl_read_wants_write = false;
  bool ssl_write_wants_read = false;
  std::size_t lingered = 0;  // bytes drained after a refusal
  std::uint32_t interest = 0;  // current epoll events
  bool hung_up = false;        // the peer went away while its request was handled

  explicit Connection(const HttpLimits& limits) : parser(limits) {}
};

struct Job {
  std::uint64_t connection = 0;
  HttpRequest request;
  bool keep_alive = true;
};

struct Completion {
  std::uint64_t connection = 0;
  std::string bytes;
  bool keep_alive = true;
};

std::string Errno(int error) { return std::strerror(error); }

// Header values the handler set may not split the response.
std::string SafeHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c != '\r' && c != '\n' && c != '\0') out.push_back(c);
  }
  return out;
}

std::string Serialize(const HttpResponse& response, bool keep_alive, bool head_request) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out += HttpReason(response.status);
  out += "\r\n";
  bool has_type = false;
  for (const auto& [name, value] : response.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Framing is this layer's, whatever the handler says.
    if (lower == "content-length" || lower == "connection" || lower == "transfer-encoding") {
      continue;
    }
    if (lower == "content-type") has_type = true;
    out += SafeHeaderValue(name);
    out += ": ";
    out += SafeHeaderValue(value);
    out += "\r\n";
  }
  if (!has_type && !response.body.empty()) out += "Content-Type: application/octet-stream\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!head_request) out += response.body;
  return out;
}

std::string PeerAddress(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    // An IPv4 client on a dual-stack socket counts as its IPv4 address.
    std::string_view v = text;
    if (v.starts_with("::ffff:") && v.find('.') != std::string_view::npos) {
      return std::string(v.substr(7));
    }
  }
  return text;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, HttpHandlers handlers)
      : options_(options), handlers_(std::move(handlers)) {}

  ~Impl() {
    Stop();
    if (listener_ >= 0) close(listener_);
    if (epoll_ >= 0) close(epoll_);
    if (wake_ >= 0) close(wake_);
    if (ssl_context_ != nullptr) SSL_CTX_free(ssl_context_);
  }

  Status Open();
  void Stop();
  int port() const { return port_; }
  bool tls() const { return ssl_context_ != nullptr; }

 private:
  Status OpenTls();
  Status Listen();
  void Loop();
  void Work();
  void Wake();

  void Accept();
  void OnEvent(Connection& c, std::uint32_t events);
  void Handshake(Connection& c);
  void ReadRequests(Connection& c);
  // Feeds `data` to the parser; returns the bytes used (fewer when the
  // request completed or failed inside it).
  std::size_t Feed(Connection& c, std::string_view data);
  void Dispatch(Connection& c);
  void Respond(Connection& c, std::string bytes, bool keep_alive);
  void Refuse(Connection& c, int status, const std::string& message);
  void RefuseWith(Connection& c, const HttpResponse& response);
  void Flush(Connection& c);
  void AfterResponse(Connection& c);
  void Close(std::uint64_t id);
  void UpdateInterest(Connection& c);
  bool Alive(std::uint64_t id) const { return connections_.count(id) != 0; }
  void Sweep(SteadyClock::time_point now);
  void DrainCompletions();
  bool Reserve(Connection& c, std::size_t total);
  void Release(Connection& c);

  // >0 bytes, 0 end of stream, -1 would block, -2 error.
  long ReadSome(Connection& c, char* buffer, std::size_t size);
  long WriteSome(Connection& c, const char* data, std::size_t size);

  HttpServerOptions options_;
  HttpHandlers handlers_;
  SSL_CTX* ssl_context_ = nullptr;
  int listener_ = -1;
  int epoll_ = -1;
  int wake_ = -1;
  int port_ = 0;

  std::thread loop_thread_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
  std::once_flag stopped_;

  // I/O thread only.
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::map<std::string, std::size_t> per_client_;
  std::uint64_t next_id_ = 1;
  std::size_t buffered_ = 0;  // body bytes reserved across connections
  bool accept_paused_ = false;
  SteadyClock::time_point accept_resume_;
  SteadyClock::time_point next_sweep_;

  // Shared between the I/O thread and the workers.
  std::mutex jobs_mutex_;
  std::condition_variable jobs_ready_;
  std::deque<Job> jobs_;
  bool workers_stopping_ = false;
  std::mutex completions_mutex_;
  std::vector<Completion> completions_;
};

Status HttpServer::Impl::OpenTls() {
  if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) return Status::Ok();
  ssl_context_ = SSL_CTX_new(TLS_server_method());
  if (ssl_context_ == nullptr) return Status(StatusCode::kUnavailable, "cannot start OpenSSL");
  SSL_CTX_set_min_proto_version(ssl_context_, TLS1_2_VERSION);
  SSL_CTX_set_options(ssl_context_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ssl_context_, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                     SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ssl_context_, options_.tls_cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ssl_context_, options_.tls_key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ssl_context_) != 1) {
    ERR_clear_error();
    return Status(StatusCode::kUnavailable,
                  "cannot use the TLS certificate " + options_.tls_cert_file + " and key " +
                      options_.tls_key_file + " (unreadable, not PEM, or the key does not match)");
  }
  return Status::Ok();
}

Status HttpServer::Impl::Listen() {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(options_.port);
  int rc = getaddrinfo(options_.host.empty() ? nullptr : options_.host.c_str(), port_text.c_str(),
                       &hints, &found);
  if (rc != 0) {
    return Status(StatusCode::kUnavailable,
                  "cannot listen on " + where + ": " + gai_strerror(rc));
  }
  std::string failure;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      if (failure.empty()) failure = Errno(errno);
      continue;
    }
    // SO_REUSEADDR lets a restart bind while old connections sit in
    // TIME_WAIT; SO_REUSEPORT is deliberately not set: with it a second
    // server on the port would start and the kernel would split requests
    // between the two.
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      int error = errno;
      close(fd);
      if (failure.empty()) {
        failure = error == EADDRINUSE
                      ? "address already in use (is another trailwatch serve running on it?)"
                      : Errno(error);
      }
      continue;
    }
    if (listen(fd, std::max(options_.listen_backlog, 16)) != 0) {
      int error = errno;
      close(fd);
      if (failure.empty()) failure = Errno(error);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = bound.ss_family == AF_INET6
                ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    listener_ = fd;
    break;
  }
  freeaddrinfo(found);
  if (listener_ < 0) {
    return Status(StatusCode::kUnavailable, "cannot listen on " + where + ": " + failure);
  }
  return Status::Ok();
}

Status HttpServer::Impl::Open() {
  // A peer that goes away mid-write must not kill the process (OpenSSL
  // writes with write(2), which raises SIGPIPE).
  std::signal(SIGPIPE, SIG_IGN);
  TW_RETURN_IF_ERROR(OpenTls());
  TW_RETURN_IF_ERROR(Listen());
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wake_ < 0) {
    return Status(StatusCode::kUnavailable, "cannot start the HTTP server: " + Errno(errno));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;  // the listener
  epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event);
  event.data.u64 = ~std::uint64_t{0};  // the wake-up eventfd
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
  const int threads = std::max(1, options_.threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  loop_thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void HttpServer::Impl::Wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_, &one, sizeof one);
}

void HttpServer::Impl::Stop() {
  std::call_once(stopped_, [this] {
    stopping_.store(true);
    if (wake_ >= 0) Wake();
    if (loop_thread_.joinable()) loop_thread_.join();
    {
      std::lock_guard<std::mutex> lock(jobs_mutex_);
      workers_stopping_ = true;
    }
    jobs_ready_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  });
}

void HttpServer::Impl::Work() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(jobs_mutex_);
      jobs_ready_.wait(lock, [this] { return workers_stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    HttpResponse response;
    try {
      response = handlers_.handle(job.request);
    } catch (const std::exception& e) {
      // Handlers return errors as values; this is a bug, but it must not
      // take the process down with it.
      response = HttpResponse{500, {{"Content-Type", "text/plain; charset=utf-8"}},
                              "internal error\n"};
    }
    Completion done{job.connection,
                    Serialize(response, job.keep_alive, job.request.method == "HEAD"),
                    job.keep_alive};
    {
      std::lock_guard<std::mutex> lock(completions_mutex_);
      completions_.push_back(std::move(done));
    }
    Wake();
  }
}

void HttpServer::Impl::Loop() {
  std::vector<epoll_event> events(256);
  next_sweep_ = SteadyClock::now() + kSweepInterval;
  std::optional<SteadyClock::time_point> stop_deadline;
  while (true) {
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                       static_cast<int>(kSweepInterval.count()));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      std::uint64_t key = events[i].data.u64;
      if (key == 0) {
        Accept();
      } else if (key == ~std::uint64_t{0}) {
        std::uint64_t count;
        while (read(wake_, &count, sizeof count) > 0) {
        }
      } else {
        auto it = connections_.find(key);
        if (it != connections_.end()) OnEvent(*it->second, events[i].events);
      }
    }
    DrainCompletions();
    SteadyClock::time_point now = SteadyClock::now();
    if (now >= next_sweep_) {
      Sweep(now);
      next_sweep_ = now + kSweepInterval;
    }
    if (stopping_.load()) {
      if (!stop_deadline) {
        stop_deadline = now + kStopGrace;
        epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
      }
      // Everything not in flight goes now; requests being handled or
      // answered get until the grace period ends.
      std::vector<std::uint64_t> idle;
      for (const auto& [id, c] : connections_) {
        if (c->phase != Phase::kProcessing && c->phase != Phase::kWriting) idle.push_back(id);
      }
      for (std::uint64_t id : idle) Close(id);
      if (connections_.empty() || now >= *stop_deadline) break;
    }
  }
  std::vector<std::uint64_t> all;
  for (const auto& [id, c] : connections_) all.push_back(id);
  for (std::uint64_t id : all) Close(id);
}

void HttpServer::Impl::Accept() {
  while (true) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    int fd = accept4(listener_, reinterpret_cast<sockaddr*>(&address), &length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop polling the listener for a moment
        // rather than spin on it.
        epoll_event event{};
        event.data.u64 = 0;
        epoll_ctl(epoll_, EPOLL_CTL_MOD, listener_, &event);
        accept_paused_ = true;
        accept_resume_ = SteadyClock::now() + kAcceptPause;
      }
      return;
    }
    std::string peer = PeerAddress(address);
    if (connections_.size() >= options_.max_connections) {
      close(fd);  // the cheapest refusal: no bytes, no state
      continue;
    }
    if (per_client_[peer] >= options_.max_connections_per_client) {
      if (ssl_context_ == nullptr) {
        static constexpr std::string_view kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 38\r\n"
            "Retry-After: 1\r\nConnection: close\r\n\r\ntoo many connections from one client\r\n";
        [[maybe_unused]] ssize_t sent = send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL);
      }
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>(options_.limits);
    c->id = next_id_++;
    c->fd = fd;
    c->peer = std::move(peer);
    if (ssl_context_ != nullptr) {
      c->ssl = SSL_new(ssl_context_);
      if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
        if (c->ssl != nullptr) SSL_free(c->ssl);
        close(fd);
        continue;
      }
      SSL_set_accept_state(c->ssl);
      c->phase = Phase::kHandshake;
      c->deadline = SteadyClock::now() + options_.head_timeout;
    } else {
      c->phase = Phase::kIdle;
      c->deadline = SteadyClock::now() + options_.idle_timeout;
    }
    ++per_client_[c->peer];
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = c->id;
    c->interest = EPOLLIN;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    connections_[c->id] = std::move(c);
  }
}

long HttpServer::Impl::ReadSome(Connection& c, char* buffer, std::size_t size) {
  if (c.ssl != nullptr) {
    c.ssl_read_wants_write = false;
    int n = SSL_read(c.ssl, buffer, static_cast<int>(size));
    if (n > 0) return n;
    switch (SSL_get_error(c.ssl, n)) {
      case SSL_ERROR_WANT_READ:
        return -1;
      case SSL_ERROR_WANT_WRITE:
        c.ssl_read_wants_write = true;
        return -1;
      case SSL_ERROR_ZERO_RETURN:
        return 0;
      default:
        ERR_clear_error();
        return -2;
    }
  }
  while (true) {
    ssize_t n = recv(c.fd, buffer, size, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
  }
}

long HttpServer::Impl::WriteSome(Connection& c, const char* data, std::size_t size) {
  if (c.ssl != nullptr) {
    c.ssl_write_wants_read = false;
    int n = SSL_write(c.ssl, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (n > 0) return n;
    switch (SSL_get_error(c.ssl, n)) {
      case SSL_ERROR_WANT_WRITE:
        return -1;
      case SSL_ERROR_WANT_READ:
        c.ssl_write_wants_read = true;
        return -1;
      default:
        ERR_clear_error();
        return -2;
    }
  }
  while (true) {
    ssize_t n = send(c.fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
  }
}

void HttpServer::Impl::UpdateInterest(Connection& c) {
  std::uint32_t want = 0;
  const bool reading = c.phase == Phase::kHandshake || c.phase == Phase::kIdle ||
                       c.phase == Phase::kHead || c.phase == Phase::kBody ||
                       c.phase == Phase::kLingering;
  if (reading || c.ssl_write_wants_read) want |= EPOLLIN;
  if (c.out_offset < c.out.size() || c.ssl_read_wants_write) want |= EPOLLOUT;
  if (c.phase == Phase::kHandshake && c.ssl_read_wants_write) want = EPOLLOUT;
  if (want == c.interest) return;
  c.interest = want;
  epoll_event event{};
  event.events = want;
  event.data.u64 = c.id;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
}

void HttpServer::Impl::OnEvent(Connection& c, std::uint32_t events) {
  const std::uint64_t id = c.id;
  if (c.phase == Phase::kProcessing) {
    // The peer hung up while its request is being handled: stop watching
    // the socket (a level-triggered hang-up would spin), drop it when the
    // answer comes back.
    if (events & (EPOLLHUP | EPOLLERR)) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      c.hung_up = true;
    }
    return;
  }
  if (c.phase == Phase::kHandshake) {
    Handshake(c);
    return;
  }
  if (c.out_offset < c.out.size()) {
    Flush(c);
    if (!Alive(id)) return;
  }
  if (c.phase == Phase::kIdle || c.phase == Phase::kHead || c.phase == Phase::kBody ||
      c.phase == Phase::kLingering) {
    ReadRequests(c);
    return;
  }
  if (c.phase == Phase::kWriting && (events & EPOLLERR)) Close(id);
}

void HttpServer::Impl::Handshake(Connection& c) {
  c.ssl_read_wants_write = false;
  int rc = SSL_accept(c.ssl);
  if (rc == 1) {
    c.phase = Phase::kIdle;
    c.deadline = std::min(c.deadline, SteadyClock::now() + options_.idle_timeout);
    UpdateInterest(c);
    ReadRequests(c);  // the first request may have come with the handshake
    return;
  }
  int error = SSL_get_error(c.ssl, rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    c.ssl_read_wants_write = error == SSL_ERROR_WANT_WRITE;
    UpdateInterest(c);
    return;
  }
  ERR_clear_error();
  Close(c.id);
}

void HttpServer::Impl::ReadRequests(Connection& c) {
  const std::uint64_t id = c.id;
  char buffer[kReadChunk];
  while (true) {
    if (c.phase == Phase::kLingering) {
      long n = ReadSome(c, buffer, sizeof buffer);
      if (n == -1) break;
      c.lingered += n > 0 ? static_cast<std::size_t>(n) : 0;
      if (n <= 0 || c.lingered > kMaxLingerBytes) {
        Close(id);
        return;
      }
      continue;
    }
    if (c.phase != Phase::kIdle && c.phase != Phase::kHead && c.phase != Phase::kBody) break;
    long n = ReadSome(c, buffer, sizeof buffer);
    if (n == -1) break;
    if (n <= 0) {
      Close(id);
      return;
    }
    std::string_view data(buffer, static_cast<std::size_t>(n));
    std::size_t used = Feed(c, data);
    if (!Alive(id)) return;
    if (used < data.size() && c.phase == Phase::kProcessing) {
      // Pipelined: the next request's first bytes wait for this answer.
      c.pending.append(data.substr(used));
    }
  }
  UpdateInterest(c);
}

std::size_t HttpServer::Impl::Feed(Connection& c, std::string_view data) {
  const SteadyClock::time_point now = SteadyClock::now();
  if (c.phase == Phase::kIdle && !data.empty()) {
    c.phase = Phase::kHead;
    c.deadline = now + options_.head_timeout;
  }
  std::size_t used = c.parser.Feed(data);
  if (c.parser.state() == HttpRequestParser::State::kFailed) {
    Refuse(c, c.parser.error().status, c.parser.error().message);
    return used;
  }
  if (c.parser.head_complete() && !c.head_checked) {
    c.head_checked = true;
    c.phase = Phase::kBody;
    c.deadline = now + options_.body_timeout;
    if (handlers_.check_head) {
      if (std::optional<HttpResponse> refusal = handlers_.check_head(c.parser.request())) {
        RefuseWith(c, *refusal);
        return used;
      }
    }
    if (c.parser.content_length() &&
        !Reserve(c, static_cast<std::size_t>(*c.parser.content_length()))) {
      Refuse(c, 503, "the server is holding too many request bodies; retry shortly");
      return used;
    }
    if (c.parser.expects_continue() &&
        c.parser.state() != HttpRequestParser::State::kDone) {
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      const std::uint64_t id = c.id;
      Flush(c);
      if (!Alive(id)) return used;
    }
  }
  if (c.parser.chunked() && c.parser.request().body.size() > c.reserved &&
      !Reserve(c, c.parser.request().body.size() + kBudgetStep)) {
    Refuse(c, 503, "the server is holding too many request bodies; retry shortly");
    return used;
  }
  if (c.parser.state() == HttpRequestParser::State::kDone) Dispatch(c);
  return used;
}

bool HttpServer::Impl::Reserve(Connection& c, std::size_t total) {
  if (total <= c.reserved) return true;
  std::size_t more = total - c.reserved;
  if (buffered_ + more > options_.max_buffered_body_bytes) return false;
  buffered_ += more;
  c.reserved = total;
  return true;
}

void HttpServer::Impl::Release(Connection& c) {
  buffered_ -= std::min(buffered_, c.reserved);
  c.reserved = 0;
}

void HttpServer::Impl::Dispatch(Connection& c) {
  c.keep_alive = c.parser.keep_alive() && !stopping_.load();
  Job job;
  job.connection = c.id;
  job.request = c.parser.TakeRequest();
  job.request.remote_address = c.peer;
  job.keep_alive = c.keep_alive;
  c.head_checked = false;
  c.phase = Phase::kProcessing;
  UpdateInterest(c);
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    jobs_.push_back(std::move(job));
  }
  jobs_ready_.notify_one();
}

void HttpServer::Impl::DrainCompletions() {
  std::vector<Completion> done;
  {
    std::lock_guard<std::mutex> lock(completions_mutex_);
    done.swap(completions_);
  }
  for (Completion& d : done) {
    auto it = connections_.find(d.connection);
    if (it == connections_.end()) continue;
    Connection& c = *it->second;
    if (c.hung_up) {
      Close(c.id);
      continue;
    }
    Release(c);
    Respond(c, std::move(d.bytes), d.keep_alive);
  }
}

void HttpServer::Impl::Respond(Connection& c, std::string bytes, bool keep_alive) {
  c.phase = Phase::kWriting;
  c.deadline = SteadyClock::now() + options_.write_timeout;
  c.close_after_write = !keep_alive;
  c.linger_after_write = false;
  c.out += bytes;
  Flush(c);
}

void HttpServer::Impl::Refuse(Connection& c, int status, const std::string& message) {
  HttpResponse response;
  if (handlers_.refuse) {
    response = handlers_.refuse(c.parser.request(), status, message);
  } else {
    response.status = status;
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body = message + "\n";
  }
  response.status = status;
  RefuseWith(c, response);
}

void HttpServer::Impl::RefuseWith(Connection& c, const HttpResponse& response) {
  // The rest of the request is never read: the connection ends after the
  // answer, which is lingered over so the client sees it.
  Release(c);
  c.pending.clear();
  c.phase = Phase::kWriting;
  c.deadline = SteadyClock::now() + kRefusalWriteTime;
  c.close_after_write = true;
  c.linger_after_write = true;
  c.out += Serialize(response, /*keep_alive=*/false, c.parser.request().method == "HEAD");
  Flush(c);
}

void HttpServer::Impl::Flush(Connection& c) {
  const std::uint64_t id = c.id;
  while (c.out_offset < c.out.size()) {
    long n = WriteSome(c, c.out.data() + c.out_offset, c.out.size() - c.out_offset);
    if (n == -1) {
      UpdateInterest(c);
      return;
    }
    if (n <= 0) {
      Close(id);
      return;
    }
    c.out_offset += static_cast<std::size_t>(n);
  }
  c.out.clear();
  c.out_offset = 0;
  if (c.phase == Phase::kWriting) {
    AfterResponse(c);
  } else {
    UpdateInterest(c);
  }
}

void HttpServer::Impl::AfterResponse(Connection& c) {
  if (c.close_after_write) {
    if (!c.linger_after_write) {
      Close(c.id);
      return;
    }
    if (c.ssl != nullptr) SSL_shutdown(c.ssl);
    shutdown(c.fd, SHUT_WR);
    c.phase = Phase::kLingering;
    c.deadline = SteadyClock::now() + kLingerTime;
    UpdateInterest(c);
    return;
  }
  c.phase = Phase::kIdle;
  c.deadline = SteadyClock::now() + options_.idle_timeout;
  std::string pending = std::move(c.pending);
  c.pending.clear();
  const std::uint64_t id = c.id;
  if (!pending.empty()) {
    std::size_t used = Feed(c, pending);
    if (!Alive(id)) return;
    if (c.phase == Phase::kProcessing) {
      c.pending = pending.substr(used);
      return;
    }
  }
  // TLS may hold decrypted bytes that epoll will never announce.
  UpdateInterest(c);
  ReadRequests(c);
}

void HttpServer::Impl::Close(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  Release(c);
  if (!c.hung_up) epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
  if (c.ssl != nullptr) SSL_free(c.ssl);
  close(c.fd);
  auto client = per_client_.find(c.peer);
  if (client != per_client_.end() && --client->second == 0) per_client_.erase(client);
  connections_.erase(it);
}

void HttpServer::Impl::Sweep(SteadyClock::time_point now) {
  if (accept_paused_ && now >= accept_resume_ && !stopping_.load()) {
    accept_paused_ = false;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = 0;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, listener_, &event);
  }
  std::vector<std::uint64_t> expired;
  for (const auto& [id, c] : connections_) {
    if (c->phase != Phase::kProcessing && now >= c->deadline) expired.push_back(id);
  }
  for (std::uint64_t id : expired) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    Connection& c = *it->second;
    if (c.phase == Phase::kHead) {
      Refuse(c, 408,
             "the request head did not arrive within " +
                 std::to_string(options_.head_timeout.count() / 1000) + " s");
    } else if (c.phase == Phase::kBody) {
      Refuse(c, 408,
             "the request body did not arrive within " +
                 std::to_string(options_.body_timeout.count() / 1000) + " s");
    } else {
      Close(id);  // idle, handshake, a stalled write, the end of a linger
    }
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandlers handlers) {
  auto impl = std::make_unique<Impl>(options, std::move(handlers));
  TW_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port(); }
bool HttpServer::tls() const { return impl_->tls(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace tw::api
