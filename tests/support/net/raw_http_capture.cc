#include "support/net/raw_http_capture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace tw::testing {
namespace {

constexpr int kIoTimeoutMs = 10000;

// The Content-Length of a request head (header names compared without
// case); 0 when there is none.
size_t ContentLength(std::string_view head) {
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    std::string_view line = head.substr(pos, head.find("\r\n", pos) - pos);
    constexpr std::string_view kName = "content-length:";
    if (line.size() > kName.size() &&
        std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
          return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
        })) {
      return static_cast<size_t>(
          std::strtoull(std::string(line.substr(kName.size())).c_str(), nullptr, 10));
    }
  }
  return 0;
}

}  // namespace

Result<std::unique_ptr<RawHttpCapture>> RawHttpCapture::Start() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status(StatusCode::kUnavailable, "socket: " + std::string(strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return Status(StatusCode::kUnavailable, "bind 127.0.0.1: " + error);
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    close(fd);
    return Status(StatusCode::kUnavailable, "pipe2: " + std::string(strerror(errno)));
  }
  std::unique_ptr<RawHttpCapture> capture(
      new RawHttpCapture(fd, wake[0], wake[1], ntohs(addr.sin_port)));
  capture->thread_ = std::thread([c = capture.get()] { c->Run(); });
  return capture;
}

RawHttpCapture::~RawHttpCapture() {
  char byte = 0;
  while (write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(wake_fd_);
  close(wake_write_fd_);
}

void RawHttpCapture::Run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int r = poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    Serve(conn);
    close(conn);
  }
}

void RawHttpCapture::Serve(int fd) {
  std::string data;
  size_t head_end = std::string::npos;
  size_t total = std::string::npos;
  while (total == std::string::npos || data.size() < total) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int r = poll(fds, 2, kIoTimeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || (fds[1].revents & POLLIN) != 0) return;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed before the request was whole
    data.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
      total = head_end + 4 + ContentLength(std::string_view(data).substr(0, head_end + 2));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(data.substr(0, total));
  }
  arrived_.notify_all();
  constexpr std::string_view kReply =
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  std::string_view left = kReply;
  while (!left.empty()) {
    ssize_t n = send(fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    left.remove_prefix(static_cast<size_t>(n));
  }
}

std::vector<std::string> RawHttpCapture::WaitForRequests(size_t count, Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  return requests_;
}

}  // namespace tw::testing
