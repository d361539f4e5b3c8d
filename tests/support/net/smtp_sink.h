// A real SMTP server on 127.0.0.1 for the delivery tests: smtp_sink.py
// (Debian's aiosmtpd) run by /usr/bin/python3 as a child process.
//
// Start() forks the script, waits until it prints "READY <port>", and
// returns the running sink; the destructor stops it (SIGTERM, then waitpid)
// and deletes the directory its messages were saved in. The child also gets
// SIGTERM if the test process dies first.
//
//   Result<std::unique_ptr<SmtpSink>> sink = SmtpSink::Start({.auth = "alice:s3cret"});
//   ASSERT_TRUE(sink.ok()) << sink.status().ToString();
//   ... send to (*sink)->url() ...
//   std::vector<ReceivedMail> mails = (*sink)->WaitForMessages(1, std::chrono::seconds(10));
//   ASSERT_EQ(mails.size(), 1u);
//
// Thread safety: WaitForMessages() and Messages() may be called from any
// thread; they only read the sink's directory.

#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace tw::testing {

struct SmtpSinkOptions {
  // Offer STARTTLS with this PEM certificate and key (files).
  std::string starttls_cert;
  std::string starttls_key;
  bool require_starttls = false;  // with STARTTLS: refuse mail until it is used
  // Implicit TLS (smtps) with this PEM certificate and key; excludes STARTTLS.
  std::string smtps_cert;
  std::string smtps_key;
  // "user:password": AUTH PLAIN or LOGIN is required (offered only over TLS
  // when TLS is configured; in the clear otherwise).
  std::string auth;
  std::vector<std::string> reject_recipients;  // RCPT TO answered with 550 5.1.1
  int tempfail = 0;  // the first N messages are answered 451 after DATA (not saved)
};

// One message the sink accepted.
struct ReceivedMail {
  std::string data;       // the bytes after DATA, as received (dot-unstuffed)
  std::string mail_from;  // MAIL FROM address, without angle brackets
  std::vector<std::string> rcpt_tos;
  bool tls = false;            // the connection was encrypted (STARTTLS or smtps)
  bool authenticated = false;  // the client completed AUTH
  std::string auth_mechanism;  // "PLAIN" or "LOGIN"; "" without AUTH
  std::string auth_login;      // the user name that authenticated
  std::string envelope_json;   // the sink's <n>.json as written
};

class SmtpSink {
 public:
  // kUnavailable when the script cannot start or does not get ready within
  // 15 s (the message includes its exit status).
  static Result<std::unique_ptr<SmtpSink>> Start(SmtpSinkOptions options = {});

  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;
  ~SmtpSink();

  int port() const { return port_; }
  // "smtp://127.0.0.1:<port>" (scheme "smtps" for an smtps sink), with
  // `userinfo` ("user:password", percent-encoded by the caller) when given.
  std::string url(const std::string& userinfo = "") const;

  // Waits until at least `count` messages were accepted or `timeout`
  // passes, and returns the messages accepted by then, in arrival order.
  std::vector<ReceivedMail> WaitForMessages(size_t count, Duration timeout) const;
  // The messages accepted so far.
  std::vector<ReceivedMail> Messages() const;

  // Stops the sink now (the destructor does it otherwise). Returns the
  // script's exit status text, "exit 0" when it stopped cleanly.
  std::string Stop();

 private:
  SmtpSink(pid_t pid, int port, std::string dir, bool smtps)
      : pid_(pid), port_(port), dir_(std::move(dir)), smtps_(smtps) {}

  pid_t pid_;
  int port_;
  std::string dir_;  // messages; removed by the destructor
  bool smtps_;
};

}  // namespace tw::testing
