// How a notification leaves the machine: one attempt at one HTTP(S) POST or
// one e-mail, with an outcome that says whether to retry. libcurl is used
// here and nowhere else.
//
// The outbox (outbox.h) decides what to send and when; a transport only
// tries once and reports. Rules (spec aws-protocols-alarms.md §5.2):
//   HTTP(S): a response within the timeout (15 s) with status 200-499 is
//     delivered (4xx is not retried: the endpoint refused the message and
//     will refuse it again), except 429 Too Many Requests, which SNS's
//     HTTPS fan-out guide lists as retryable with the 5xx; 5xx, timeouts,
//     refused connections, DNS and TLS failures are retryable. SNS counts "a status code outside
//     the range of 200-4xx" as a failure (SNS developer guide, "Step 1: Make sure your endpoint is
//     ready to process Amazon SNS messages"), so a 3xx is delivered as well; redirects are not
//     followed. A URL that is not http(s) or not a URL, or a header with CR/LF, is final.
//     So is a connection to an address HttpSenderOptions::address_policy
//     refuses (address_policy.h): it is checked on each address libcurl is
//     about to connect to, before the socket exists, and the detail
//     ("endpoint address 10.0.0.5 is not allowed (private)") says nothing
//     of whether anything listens there.
//   SMTP: the server accepting the message (250 after DATA) is delivered; a
//     permanent 5xx reply (unknown recipient, rejected sender, bad
//     credentials) is final; 4xx replies, refused connections, timeouts and
//     TLS failures are retryable. One rejected recipient fails the whole
//     message (nothing is sent), so that a retry cannot deliver twice.
//   Maildir: a message written and renamed into new/ is delivered; an I/O
//     error is retryable (the disk may be freed).
//
// Thread safety: each sender may be called from several threads at once.

#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "notify/address_policy.h"

namespace tw::notify {

enum class AttemptOutcome {
  kDelivered,  // done (for HTTP, any status 200-499 but 429)
  kRetryable,  // try again later, as the retry policy allows
  kFinal,      // failed and retrying cannot help: dead-letter it now
};
const char* AttemptOutcomeName(AttemptOutcome outcome);  // "delivered", "retryable", "final"

struct AttemptResult {
  AttemptOutcome outcome = AttemptOutcome::kRetryable;
  // The HTTP status, or the SMTP reply code that decided the outcome (250,
  // 550, 451...). 0 when none came (refused, timed out, TLS failure...).
  int status_code = 0;
  // For people, e.g. "HTTP 200", "HTTP 404 (client error, not retried)",
  // "HTTP 503", "timed out after 15 s", "connection refused (127.0.0.1:9)",
  // "550 5.1.1 unknown user", "written to /data/maildir/new/1700000000.123_1.host".
  std::string detail;
  Duration elapsed{0};
};

// One POST. libcurl adds Host and Content-Length, and the User-Agent of
// HttpSenderOptions unless `headers` has one; it adds no Accept, no
// Content-Type and no "Expect: 100-continue" of its own.
struct HttpRequest {
  std::string url;  // http:// or https://; user:password@ in it is sent as Basic auth
  std::vector<std::pair<std::string, std::string>> headers;  // sent in this order
  std::string body;
};

class HttpSender {
 public:
  virtual ~HttpSender() = default;
  virtual AttemptResult Post(const HttpRequest& request) = 0;
};

struct HttpSenderOptions {
  Duration timeout = std::chrono::seconds(15);  // whole request, connect included
  std::string ca_file;  // PEM bundle to trust for https (default: the system's)
  std::string user_agent = "Amazon Simple Notification Service Agent";
  // Which addresses a POST may connect to. The default refuses loopback,
  // private, link-local and the other special-purpose ranges.
  AddressPolicy address_policy;
};
std::unique_ptr<HttpSender> MakeHttpSender(const HttpSenderOptions& options);

// One e-mail as the SMTP envelope sees it.
struct MailEnvelope {
  std::string from;                     // MAIL FROM address
  std::vector<std::string> recipients;  // RCPT TO addresses
  std::string data;                     // the RFC 5322 message, CRLF line ends
};

class MailSender {
 public:
  virtual ~MailSender() = default;
  virtual AttemptResult Send(const MailEnvelope& mail) = 0;
  // Where mail goes, for the log: "smtp://mail.example.com:587 (STARTTLS)",
  // "Maildir /data/maildir".
  virtual std::string Describe() const = 0;
};

struct SmtpOptions {
  // smtp://[user[:password]@]host[:port] (plain, port 25 by default) or
  // smtps://...(implicit TLS, port 465). User and password, percent-encoded
  // in the URL, enable AUTH (PLAIN or LOGIN, whichever the server offers).
  std::string url;
  bool require_starttls = false;  // smtp:// only: upgrade with STARTTLS or fail
  std::string ca_file;            // PEM bundle to trust (default: the system's)
  Duration timeout = std::chrono::seconds(60);
};
// kInvalidArgument when the URL is not smtp:// or smtps:// with a host.
// Describe() never shows the password: "smtp://mail.example.com:587
// (STARTTLS, AUTH as alice)".
Result<std::unique_ptr<MailSender>> MakeSmtpSender(const SmtpOptions& options);

// Writes each message as a file of a Maildir (`dir`/tmp, fsync, then renamed
// into `dir`/new, as the Maildir convention requires), creating `dir`, tmp,
// new and cur as needed. The file holds MailEnvelope::data byte for byte;
// its name is time.pid_counter.host. The envelope's addresses are not
// written anywhere (the To header says who it is for).
std::unique_ptr<MailSender> MakeMaildirSender(std::string dir);

// The parts of one e-mail.
struct MailContent {
  std::string from_name;     // display name, e.g. the topic's DisplayName or "AWS Notifications"
  std::string from_address;  // e.g. "trailwatch@host.example"
  std::string to;            // the recipient address
  std::string subject;
  std::string text;  // text/plain part (UTF-8)
  std::string html;  // text/html alternative (UTF-8); empty: text only
  TimePoint date;
  // The Message-ID without angle brackets, e.g. "0b5e...@trailwatch";
  // empty: no Message-ID header (the submission server adds one).
  std::string message_id;
  // e.g. X-Amz-Sns-Message-Id, after MIME-Version. Names that are not valid
  // field names, or that this function writes itself (From, To, Subject,
  // Date, Message-ID, MIME-Version, Content-Type, Content-Transfer-Encoding),
  // are dropped.
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// An RFC 5322 / MIME message with CRLF line ends: From, To, Subject (RFC 2047
// encoded when not ASCII), Date (RFC 5322 form), Message-ID, MIME-Version,
// extra headers, then a text/plain part or a multipart/alternative of text
// and HTML, each UTF-8 and quoted-printable so that no line exceeds 76
// characters whatever the content. Header values have each run of CR and
// LF replaced by one space (and addresses lose spaces, '<', '>' and ','),
// so content cannot inject headers; long header values are folded at
// spaces (78 columns) or written as encoded-words.
//
//   From: "AWS Notifications" <no-reply@sns.example>
//   To: ops@example.com
//   Subject: =?UTF-8?B?...?=
//   Date: Tue, 14 Nov 2023 22:13:20 +0000
//   Message-ID: <0b5e...@trailwatch>
//   MIME-Version: 1.0
//   Content-Type: multipart/alternative; boundary="=_tw_<16 hex digits>"
//
// The boundary starts with "=_", which quoted-printable text cannot
// contain, and its hex digits are a hash of the content: the same content
// gives the same bytes. Line breaks in `text` and `html` (LF, CR or CRLF)
// become CRLF, their canonical form.
std::string BuildMimeMessage(const MailContent& content);

}  // namespace tw::notify
