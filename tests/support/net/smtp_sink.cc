#include "support/net/smtp_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace tw::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kPython[] = "/usr/bin/python3";  // the system Python has aiosmtpd
constexpr auto kReadyTimeout = std::chrono::seconds(15);

Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}

std::string ErrnoText(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string StatusText(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// SIGTERM, a grace period, then SIGKILL; returns how the child ended.
std::string Terminate(pid_t pid) {
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return StatusText(status);
    if (r < 0 && errno != EINTR) return ErrnoText("waitpid");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return "did not stop on SIGTERM; " + StatusText(status);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Reads the child's stdout until "READY <port>\n"; 0 when it does not come.
int AwaitReady(int fd, std::string& output) {
  auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (true) {
    if (size_t nl = output.find('\n'); nl != std::string::npos) {
      if (output.compare(0, 6, "READY ") != 0) return 0;
      return std::atoi(output.c_str() + 6);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the child closed stdout: it exited
    output.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

Result<std::unique_ptr<SmtpSink>> SmtpSink::Start(SmtpSinkOptions options) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/tw-smtp-sink-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Unavailable(ErrnoText("mkdtemp " + pattern));
  std::string dir = pattern;
  auto fail = [&](std::string message) -> Result<std::unique_ptr<SmtpSink>> {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return Unavailable("smtp_sink.py: " + std::move(message));
  };

  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = {kPython, TW_SMTP_SINK, "--dir", dir};
  if (!options.starttls_cert.empty()) {
    args.insert(args.end(), {"--starttls", options.starttls_cert, options.starttls_key});
  }
  if (options.require_starttls) args.push_back("--require-starttls");
  if (!options.smtps_cert.empty()) {
    args.insert(args.end(), {"--smtps", options.smtps_cert, options.smtps_key});
  }
  if (!options.auth.empty()) args.insert(args.end(), {"--auth", options.auth});
  for (const std::string& rcpt : options.reject_recipients) {
    args.insert(args.end(), {"--reject-rcpt", rcpt});
  }
  if (options.tempfail > 0)
    args.insert(args.end(), {"--tempfail", std::to_string(options.tempfail)});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return fail(ErrnoText("pipe2"));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return fail(ErrnoText("fork"));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the parent died before prctl
    dup2(pipe_fds[1], STDOUT_FILENO);   // dup2's copy is not close-on-exec
    execv(kPython, argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  int port = AwaitReady(pipe_fds[0], output);
  close(pipe_fds[0]);
  if (port <= 0) {
    std::string how = Terminate(pid);
    return fail("not ready within 15 s (" + how + "); stdout: '" + output + "'");
  }
  return std::unique_ptr<SmtpSink>(
      new SmtpSink(pid, port, std::move(dir), !options.smtps_cert.empty()));
}

SmtpSink::~SmtpSink() {
  Stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string SmtpSink::Stop() {
  if (pid_ <= 0) return "already stopped";
  std::string how = Terminate(pid_);
  pid_ = -1;
  return how;
}

std::string SmtpSink::url(const std::string& userinfo) const {
  return std::string(smtps_ ? "smtps" : "smtp") + "://" + (userinfo.empty() ? "" : userinfo + "@") +
         "127.0.0.1:" + std::to_string(port_);
}

std::vector<ReceivedMail> SmtpSink::Messages() const {
  std::vector<ReceivedMail> mails;
  for (int n = 1;; ++n) {
    fs::path json_path = fs::path(dir_) / (std::to_string(n) + ".json");
    std::error_code ec;
    if (!fs::exists(json_path, ec)) break;
    ReceivedMail mail;
    mail.envelope_json = ReadFile(json_path);
    mail.data = ReadFile(fs::path(dir_) / (std::to_string(n) + ".eml"));
    nlohmann::json j =
        nlohmann::json::parse(mail.envelope_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      mail.mail_from = j.value("mail_from", "");
      if (j.contains("rcpt_tos") && j["rcpt_tos"].is_array()) {
        for (const auto& r : j["rcpt_tos"]) {
          if (r.is_string()) mail.rcpt_tos.push_back(r.get<std::string>());
        }
      }
      mail.tls = j.value("tls", false);
      mail.authenticated = j.value("authenticated", false);
      mail.auth_mechanism = j.value("auth_mechanism", "");
      mail.auth_login = j.value("auth_login", "");
    }
    mails.push_back(std::move(mail));
  }
  return mails;
}

std::vector<ReceivedMail> SmtpSink::WaitForMessages(size_t count, Duration timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::vector<ReceivedMail> mails = Messages();
    if (mails.size() >= count || std::chrono::steady_clock::now() >= deadline) return mails;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace tw::testing
