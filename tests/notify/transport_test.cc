#include "notify/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/net/http_receiver.h"
#include "support/net/mail_parse.h"
#include "support/net/raw_http_capture.h"
#include "support/net/smtp_sink.h"
#include "support/net/test_certificate.h"

namespace tw::notify {
namespace {

namespace fs = std::filesystem;
using tw::testing::HttpReceiver;
using tw::testing::HttpReceiverOptions;
using tw::testing::HttpReply;
using tw::testing::RawHttpCapture;
using tw::testing::ReceivedMail;
using tw::testing::ReceivedRequest;
using tw::testing::SmtpSink;
using tw::testing::SmtpSinkOptions;

constexpr auto kWait = std::chrono::seconds(10);  // generous: only bounds a failure

// The receivers listen on 127.0.0.1, which the default address policy
// refuses (address_policy.h; its own tests are in tests/security).
HttpSenderOptions LoopbackAllowed(HttpSenderOptions options = {}) {
  options.address_policy = AddressPolicy({*Cidr::Parse("127.0.0.1/32")});
  return options;
}

::testing::AssertionResult StartsWith(std::string_view text, std::string_view prefix) {
  if (text.starts_with(prefix)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\" does not start with \"" << prefix << "\"";
}

::testing::AssertionResult Contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

::testing::AssertionResult FullyMatches(const std::string& text, const std::string& pattern) {
  if (std::regex_match(text, std::regex(pattern))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not match /" << pattern << "/";
}

// A fresh directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tw-transport-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A port on 127.0.0.1 that refuses connections: bound, never listening.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One certificate for the suites that need TLS.
class TlsFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    Result<tw::testing::TestCertificate> cert = tw::testing::MakeTestCertificate(dir_->path());
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    cert_ = new tw::testing::TestCertificate(*cert);
  }
  static void TearDownTestSuite() {
    delete cert_;
    cert_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(cert_, nullptr); }

  static TempDir* dir_;
  static tw::testing::TestCertificate* cert_;
};
TempDir* TlsFixture::dir_ = nullptr;
tw::testing::TestCertificate* TlsFixture::cert_ = nullptr;

// ---------------------------------------------------------------------------
// HTTP(S)

class HttpTransportTest : public TlsFixture {
 protected:
  static HttpRequest Notification(std::string url) {
    HttpRequest request;
    request.url = std::move(url);
    request.headers = {
        {"x-amz-sns-message-type", "Notification"},
        {"x-amz-sns-message-id", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
        {"x-amz-sns-topic-arn", "arn:aws:sns:us-east-1:123456789012:alarms"},
        {"Content-Type", "text/plain; charset=UTF-8"},
    };
    request.body = "{\"Type\" : \"Notification\", \"Message\" : \"caf\xc3\xa9\\nline two\"}\n";
    return request;
  }

  std::unique_ptr<tw::testing::HttpReceiver> Receiver(tw::testing::HttpBehaviour behaviour,
                                                      bool https = false) {
    HttpReceiverOptions options;
    options.behaviour = std::move(behaviour);
    if (https) {
      options.cert_file = cert_->cert_file;
      options.key_file = cert_->key_file;
    }
    Result<std::unique_ptr<HttpReceiver>> receiver = HttpReceiver::Start(std::move(options));
    EXPECT_TRUE(receiver.ok()) << receiver.status().ToString();
    return receiver.ok() ? std::move(*receiver) : nullptr;
  }
};

TEST_F(HttpTransportTest, PutsExactlyTheGivenHeadersAndBodyOnTheWire) {
  Result<std::unique_ptr<RawHttpCapture>> capture = RawHttpCapture::Start();
  ASSERT_TRUE(capture.ok()) << capture.status().ToString();
  const std::string port = std::to_string((*capture)->port());
  HttpRequest request = Notification("http://127.0.0.1:" + port + "/hook?source=sns");
  request.headers.emplace_back("X-Empty", "");

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(request);

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(result.detail, "HTTP 200");
  std::vector<std::string> raw = (*capture)->WaitForRequests(1, kWait);
  ASSERT_EQ(raw.size(), 1u);
  // The caller's headers in the caller's order and spelling, curl's Host,
  // User-Agent and Content-Length, and nothing else: no Accept, no Expect.
  EXPECT_EQ(raw[0],
            "POST /hook?source=sns HTTP/1.1\r\n"
            "Host: 127.0.0.1:" +
                port +
                "\r\n"
                "User-Agent: Amazon Simple Notification Service Agent\r\n"
                "x-amz-sns-message-type: Notification\r\n"
                "x-amz-sns-message-id: 22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\r\n"
                "x-amz-sns-topic-arn: arn:aws:sns:us-east-1:123456789012:alarms\r\n"
                "Content-Type: text/plain; charset=UTF-8\r\n"
                "X-Empty:\r\n"
                "Content-Length: " +
                std::to_string(request.body.size()) +
                "\r\n"
                "\r\n" +
                request.body);
}

TEST_F(HttpTransportTest, CallerUserAgentReplacesTheDefaultAndNoContentTypeIsInvented) {
  Result<std::unique_ptr<RawHttpCapture>> capture = RawHttpCapture::Start();
  ASSERT_TRUE(capture.ok()) << capture.status().ToString();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string((*capture)->port()) + "/";
  request.headers = {{"User-Agent", "custom/1.0"}};
  request.body = "a=b";

  HttpSenderOptions options;
  options.user_agent = "never sent";
  EXPECT_EQ(MakeHttpSender(LoopbackAllowed(options))->Post(request).outcome, AttemptOutcome::kDelivered);

  std::vector<std::string> raw = (*capture)->WaitForRequests(1, kWait);
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0], "POST / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string((*capture)->port()) +
                        "\r\nUser-Agent: custom/1.0\r\nContent-Length: 3\r\n\r\na=b");
}

TEST_F(HttpTransportTest, Status200IsDeliveredAndTheReceiverGetsTheRequest) {
  auto receiver = Receiver(HttpReceiver::Always(200));
  ASSERT_NE(receiver, nullptr);
  HttpRequest request = Notification(receiver->url("/hook"));

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(request);

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(result.detail, "HTTP 200");
  std::vector<ReceivedRequest> got = receiver->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].path, "/hook");
  EXPECT_EQ(got[0].body, request.body);
  EXPECT_EQ(got[0].Header("x-amz-sns-message-type"), "Notification");
  EXPECT_EQ(got[0].Header("x-amz-sns-message-id"), "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324");
  EXPECT_EQ(got[0].Header("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(got[0].Header("User-Agent"), "Amazon Simple Notification Service Agent");
  EXPECT_FALSE(got[0].HasHeader("Expect"));
  EXPECT_FALSE(got[0].HasHeader("Accept"));
}

TEST_F(HttpTransportTest, ClientErrorIsDeliveredAndNotRetried) {
  auto receiver = Receiver(HttpReceiver::Always(404));
  ASSERT_NE(receiver, nullptr);

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(Notification(receiver->url("/missing")));

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(result.status_code, 404);
  EXPECT_EQ(result.detail, "HTTP 404 (client error, not retried)");
}

TEST_F(HttpTransportTest, TooManyRequestsIsRetryable) {
  auto receiver = Receiver(HttpReceiver::Always(429));
  ASSERT_NE(receiver, nullptr);

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(Notification(receiver->url("/busy")));

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 429);
  EXPECT_EQ(result.detail, "HTTP 429 (too many requests)");
}

TEST_F(HttpTransportTest, ServerErrorIsRetryable) {
  auto receiver = Receiver(HttpReceiver::Always(500));
  ASSERT_NE(receiver, nullptr);

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(Notification(receiver->url("/hook")));

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 500);
  EXPECT_EQ(result.detail, "HTTP 500");
}

TEST_F(HttpTransportTest, EachAttemptIsJudgedOnItsOwnResponse) {
  auto receiver = Receiver(HttpReceiver::FailFirst(2, 503));
  ASSERT_NE(receiver, nullptr);
  std::unique_ptr<HttpSender> sender = MakeHttpSender(LoopbackAllowed());
  HttpRequest request = Notification(receiver->url("/hook"));

  AttemptResult first = sender->Post(request);
  AttemptResult second = sender->Post(request);
  AttemptResult third = sender->Post(request);

  EXPECT_EQ(first.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(first.detail, "HTTP 503");
  EXPECT_EQ(second.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(third.outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(third.detail, "HTTP 200");
  std::vector<ReceivedRequest> got = receiver->WaitForRequests(3, kWait);
  ASSERT_EQ(got.size(), 3u);
  for (const ReceivedRequest& r : got) EXPECT_EQ(r.body, request.body);
}

TEST_F(HttpTransportTest, RedirectIsDeliveredAndNotFollowed) {
  auto receiver = Receiver([](const ReceivedRequest&) {
    HttpReply reply;
    reply.status = 302;
    reply.headers = {{"Location", "/elsewhere"}};
    return reply;
  });
  ASSERT_NE(receiver, nullptr);

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(Notification(receiver->url("/hook")));

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(result.status_code, 302);
  EXPECT_EQ(result.detail, "HTTP 302 (redirect not followed, not retried)");
  // Post() has returned, so a followed redirect would already be here.
  std::vector<ReceivedRequest> got = receiver->requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/hook");
}

TEST_F(HttpTransportTest, ReceiverSlowerThanTheTimeoutIsRetryable) {
  auto receiver = Receiver(HttpReceiver::Hang(std::chrono::seconds(30)));
  ASSERT_NE(receiver, nullptr);
  HttpSenderOptions options;
  options.timeout = std::chrono::seconds(1);

  AttemptResult result = MakeHttpSender(LoopbackAllowed(options))->Post(Notification(receiver->url("/hook")));

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_EQ(result.detail, "timed out after 1 s");
  EXPECT_LT(result.elapsed, std::chrono::seconds(20));  // not the receiver's 30 s
  EXPECT_EQ(receiver->requests().size(), 1u);
}

TEST_F(HttpTransportTest, RefusedConnectionIsRetryable) {
  RefusingPort closed;
  ASSERT_GT(closed.port(), 0);
  const std::string port = std::to_string(closed.port());

  AttemptResult result =
      MakeHttpSender(LoopbackAllowed())->Post(Notification("http://127.0.0.1:" + port + "/hook"));

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_EQ(result.detail, "connection refused (127.0.0.1:" + port + ")");
}

TEST_F(HttpTransportTest, UnresolvableHostIsRetryable) {
  // A 64-character label is not a DNS name: the resolver fails it at once,
  // without asking a name server, so the test does not depend on the network.
  const std::string host = std::string(64, 'a') + ".invalid";

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(Notification("http://" + host + "/"));

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_TRUE(StartsWith(result.detail, "cannot resolve host (" + host + ":80): "));
}

TEST_F(HttpTransportTest, HttpsWithTheCertificateTrustedIsDelivered) {
  auto receiver = Receiver(HttpReceiver::Always(200), /*https=*/true);
  ASSERT_NE(receiver, nullptr);
  ASSERT_TRUE(StartsWith(receiver->url("/"), "https://127.0.0.1:"));
  HttpSenderOptions options;
  options.ca_file = cert_->cert_file;
  HttpRequest request = Notification(receiver->url("/secure"));

  AttemptResult result = MakeHttpSender(LoopbackAllowed(options))->Post(request);

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered) << result.detail;
  EXPECT_EQ(result.detail, "HTTP 200");
  std::vector<ReceivedRequest> got = receiver->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].tls);
  EXPECT_EQ(got[0].path, "/secure");
  EXPECT_EQ(got[0].body, request.body);
}

TEST_F(HttpTransportTest, HttpsWithAnUntrustedCertificateIsARetryableTlsFailure) {
  auto receiver = Receiver(HttpReceiver::Always(200), /*https=*/true);
  ASSERT_NE(receiver, nullptr);

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(Notification(receiver->url("/secure")));

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_TRUE(StartsWith(result.detail,
                         "TLS failure (127.0.0.1:" + std::to_string(receiver->port()) + "): "));
  EXPECT_TRUE(Contains(result.detail, "certificate"));
  EXPECT_TRUE(receiver->requests().empty());
}

TEST_F(HttpTransportTest, UrlsThatAreNotHttpAreFinal) {
  std::unique_ptr<HttpSender> sender = MakeHttpSender(LoopbackAllowed());
  for (const char* url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "not a url", ""}) {
    SCOPED_TRACE(url);
    AttemptResult result = sender->Post(Notification(url));
    EXPECT_EQ(result.outcome, AttemptOutcome::kFinal);
    EXPECT_EQ(result.status_code, 0);
  }
  EXPECT_EQ(sender->Post(Notification("ftp://127.0.0.1/x")).detail,
            "unsupported URL scheme 'ftp' (http or https only)");
}

TEST_F(HttpTransportTest, HeaderWithLineBreakIsFinalAndNothingIsSent) {
  auto receiver = Receiver(HttpReceiver::Always(200));
  ASSERT_NE(receiver, nullptr);
  HttpRequest request = Notification(receiver->url("/hook"));
  request.headers.emplace_back("x-amz-sns-subject", "hi\r\nX-Injected: 1");

  AttemptResult result = MakeHttpSender(LoopbackAllowed())->Post(request);

  EXPECT_EQ(result.outcome, AttemptOutcome::kFinal);
  EXPECT_EQ(result.detail, "header x-amz-sns-subject contains CR, LF or NUL");
  EXPECT_TRUE(receiver->requests().empty());
}

TEST(TransportTest, OutcomeNames) {
  EXPECT_STREQ(AttemptOutcomeName(AttemptOutcome::kDelivered), "delivered");
  EXPECT_STREQ(AttemptOutcomeName(AttemptOutcome::kRetryable), "retryable");
  EXPECT_STREQ(AttemptOutcomeName(AttemptOutcome::kFinal), "final");
}

// ---------------------------------------------------------------------------
// SMTP, against a real aiosmtpd server

class SmtpTransportTest : public TlsFixture {
 protected:
  static std::unique_ptr<SmtpSink> Sink(SmtpSinkOptions options = {}) {
    Result<std::unique_ptr<SmtpSink>> sink = SmtpSink::Start(std::move(options));
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(*sink) : nullptr;
  }

  static std::unique_ptr<MailSender> Sender(SmtpOptions options) {
    Result<std::unique_ptr<MailSender>> sender = MakeSmtpSender(options);
    EXPECT_TRUE(sender.ok()) << sender.status().ToString();
    return sender.ok() ? std::move(*sender) : nullptr;
  }

  static MailEnvelope Mail(std::vector<std::string> recipients = {"ops@example.com"}) {
    MailEnvelope mail;
    mail.from = "alarms@trailwatch.test";
    mail.recipients = std::move(recipients);
    // Lines SMTP must escape (".", ".." at the start) and a lone "." that
    // would end DATA early if it were not.
    mail.data =
        "From: alarms@trailwatch.test\r\nTo: ops@example.com\r\nSubject: test\r\n\r\n"
        "first line\r\n.\r\n..two dots\r\n.one dot\r\n\r\nlast line\r\n";
    return mail;
  }
};

TEST_F(SmtpTransportTest, PlainDeliveryArrivesByteForByte) {
  auto sink = Sink();
  ASSERT_NE(sink, nullptr);
  auto sender = Sender({.url = sink->url()});
  ASSERT_NE(sender, nullptr);
  MailEnvelope mail = Mail({"ops@example.com", "oncall@example.com"});

  AttemptResult result = sender->Send(mail);

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered) << result.detail;
  EXPECT_EQ(result.status_code, 250);
  EXPECT_EQ(result.detail, "250 2.0.0 OK: queued as 1");
  std::vector<ReceivedMail> got = sink->WaitForMessages(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, mail.data);
  EXPECT_EQ(got[0].mail_from, "alarms@trailwatch.test");
  EXPECT_EQ(got[0].rcpt_tos, (std::vector<std::string>{"ops@example.com", "oncall@example.com"}));
  EXPECT_FALSE(got[0].tls);
  EXPECT_FALSE(got[0].authenticated);
  EXPECT_EQ(sink->Stop(), "exit 0");  // the sink shuts down cleanly on SIGTERM
}

TEST_F(SmtpTransportTest, BuiltMimeMessageArrivesIntact) {
  auto sink = Sink();
  ASSERT_NE(sink, nullptr);
  auto sender = Sender({.url = sink->url()});
  ASSERT_NE(sender, nullptr);
  MailContent content;
  content.from_name = "AWS Notifications";
  content.from_address = "alarms@trailwatch.test";
  content.to = "ops@example.com";
  content.subject = "ALARM: \"root-login\" in EU (Z\xc3\xbcrich)";
  content.text = std::string(200, 'x') + "\n.\nend\n";
  content.html = "<p>end</p>";
  content.date = FromEpochMillis(1700000000000);
  content.message_id = "abc@trailwatch";
  MailEnvelope mail{"alarms@trailwatch.test", {"ops@example.com"}, BuildMimeMessage(content)};

  ASSERT_EQ(sender->Send(mail).outcome, AttemptOutcome::kDelivered);

  std::vector<ReceivedMail> got = sink->WaitForMessages(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, mail.data);
}

TEST_F(SmtpTransportTest, RequiredStartTlsWithAuthUsesBoth) {
  SmtpSinkOptions sink_options;
  sink_options.starttls_cert = cert_->cert_file;
  sink_options.starttls_key = cert_->key_file;
  sink_options.require_starttls = true;
  sink_options.auth = "alice:p@ss:w/rd %";
  auto sink = Sink(sink_options);
  ASSERT_NE(sink, nullptr);
  SmtpOptions options;
  options.url = sink->url("alice:p%40ss%3Aw%2Frd%20%25");  // percent-encoded in the URL
  options.require_starttls = true;
  options.ca_file = cert_->cert_file;
  auto sender = Sender(options);
  ASSERT_NE(sender, nullptr);

  AttemptResult result = sender->Send(Mail());

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered) << result.detail;
  std::vector<ReceivedMail> got = sink->WaitForMessages(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].tls);
  EXPECT_TRUE(got[0].authenticated);
  EXPECT_EQ(got[0].auth_login, "alice");
  EXPECT_TRUE(FullyMatches(got[0].auth_mechanism, "PLAIN|LOGIN"));
  EXPECT_EQ(got[0].data, Mail().data);
}

TEST_F(SmtpTransportTest, DescribeNamesTheServerButNeverThePassword) {
  auto starttls =
      Sender({.url = "smtp://alice:hunter2@mail.example.com:587", .require_starttls = true});
  ASSERT_NE(starttls, nullptr);
  EXPECT_EQ(starttls->Describe(), "smtp://mail.example.com:587 (STARTTLS, AUTH as alice)");
  auto plain = Sender({.url = "smtp://mail.example.com"});
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->Describe(), "smtp://mail.example.com:25");
  auto smtps = Sender({.url = "smtps://bob:s%40cret@mail.example.com"});
  ASSERT_NE(smtps, nullptr);
  EXPECT_EQ(smtps->Describe(), "smtps://mail.example.com:465 (TLS, AUTH as bob)");
}

TEST_F(SmtpTransportTest, ImplicitTlsDelivers) {
  SmtpSinkOptions sink_options;
  sink_options.smtps_cert = cert_->cert_file;
  sink_options.smtps_key = cert_->key_file;
  sink_options.auth = "alice:secret";
  auto sink = Sink(sink_options);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(StartsWith(sink->url(), "smtps://"));
  auto sender = Sender({.url = sink->url("alice:secret"), .ca_file = cert_->cert_file});
  ASSERT_NE(sender, nullptr);

  AttemptResult result = sender->Send(Mail());

  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered) << result.detail;
  EXPECT_EQ(result.status_code, 250);
  std::vector<ReceivedMail> got = sink->WaitForMessages(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].tls);
  EXPECT_TRUE(got[0].authenticated);
}

TEST_F(SmtpTransportTest, WrongPasswordIsFinal) {
  SmtpSinkOptions sink_options;
  sink_options.starttls_cert = cert_->cert_file;
  sink_options.starttls_key = cert_->key_file;
  sink_options.auth = "alice:secret";
  auto sink = Sink(sink_options);
  ASSERT_NE(sink, nullptr);
  auto sender = Sender(
      {.url = sink->url("alice:wrong"), .require_starttls = true, .ca_file = cert_->cert_file});
  ASSERT_NE(sender, nullptr);

  AttemptResult result = sender->Send(Mail());

  EXPECT_EQ(result.outcome, AttemptOutcome::kFinal);
  EXPECT_EQ(result.status_code, 535);
  EXPECT_EQ(result.detail, "535 5.7.8 Authentication credentials invalid");
  EXPECT_TRUE(sink->Messages().empty());
}

TEST_F(SmtpTransportTest, RejectedRecipientIsFinalAndNothingIsSent) {
  SmtpSinkOptions sink_options;
  sink_options.reject_recipients = {"nobody@example.com"};
  auto sink = Sink(sink_options);
  ASSERT_NE(sink, nullptr);
  auto sender = Sender({.url = sink->url()});
  ASSERT_NE(sender, nullptr);

  AttemptResult alone = sender->Send(Mail({"nobody@example.com"}));
  AttemptResult with_others = sender->Send(Mail({"ops@example.com", "nobody@example.com"}));

  EXPECT_EQ(alone.outcome, AttemptOutcome::kFinal);
  EXPECT_EQ(alone.status_code, 550);
  EXPECT_EQ(alone.detail,
            "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown");
  EXPECT_EQ(with_others.outcome, AttemptOutcome::kFinal);
  EXPECT_EQ(with_others.status_code, 550);
  EXPECT_TRUE(sink->Messages().empty());
}

TEST_F(SmtpTransportTest, TemporaryFailureIsRetryableAndTheRetryDelivers) {
  SmtpSinkOptions sink_options;
  sink_options.tempfail = 1;
  auto sink = Sink(sink_options);
  ASSERT_NE(sink, nullptr);
  auto sender = Sender({.url = sink->url()});
  ASSERT_NE(sender, nullptr);

  AttemptResult first = sender->Send(Mail());
  AttemptResult retry = sender->Send(Mail());

  EXPECT_EQ(first.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(first.status_code, 451);
  EXPECT_EQ(first.detail, "451 4.3.0 Temporary failure, try again later");
  EXPECT_EQ(retry.outcome, AttemptOutcome::kDelivered) << retry.detail;
  std::vector<ReceivedMail> got = sink->WaitForMessages(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, Mail().data);
}

TEST_F(SmtpTransportTest, NoServerIsRetryable) {
  RefusingPort closed;
  ASSERT_GT(closed.port(), 0);
  const std::string port = std::to_string(closed.port());
  auto sender = Sender({.url = "smtp://127.0.0.1:" + port});
  ASSERT_NE(sender, nullptr);

  AttemptResult result = sender->Send(Mail());

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_EQ(result.detail, "connection refused (127.0.0.1:" + port + ")");
}

TEST_F(SmtpTransportTest, RequiredStartTlsThatTheServerDoesNotOfferIsRetryable) {
  auto sink = Sink();
  ASSERT_NE(sink, nullptr);
  auto sender = Sender({.url = sink->url(), .require_starttls = true});
  ASSERT_NE(sender, nullptr);

  AttemptResult result = sender->Send(Mail());

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_EQ(result.detail,
            "STARTTLS required but not offered by 127.0.0.1:" + std::to_string(sink->port()));
  EXPECT_TRUE(sink->Messages().empty());
}

TEST_F(SmtpTransportTest, UntrustedCertificateIsARetryableTlsFailure) {
  SmtpSinkOptions sink_options;
  sink_options.smtps_cert = cert_->cert_file;
  sink_options.smtps_key = cert_->key_file;
  auto sink = Sink(sink_options);
  ASSERT_NE(sink, nullptr);
  auto sender = Sender({.url = sink->url()});  // no ca_file: the system's CAs
  ASSERT_NE(sender, nullptr);

  AttemptResult result = sender->Send(Mail());

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_TRUE(
      StartsWith(result.detail, "TLS failure (127.0.0.1:" + std::to_string(sink->port()) + "): "));
  EXPECT_TRUE(sink->Messages().empty());
}

TEST_F(SmtpTransportTest, AddressesThatCouldInjectCommandsAreFinalAndNothingIsSent) {
  auto sink = Sink();
  ASSERT_NE(sink, nullptr);
  auto sender = Sender({.url = sink->url()});
  ASSERT_NE(sender, nullptr);

  MailEnvelope bad_from = Mail();
  bad_from.from = "a@example.com>\r\nRCPT TO:<evil@example.com";
  MailEnvelope bad_rcpt = Mail({"ops@example.com\r\nRCPT TO:<evil@example.com>"});
  MailEnvelope none = Mail({});

  EXPECT_EQ(sender->Send(bad_from).outcome, AttemptOutcome::kFinal);
  EXPECT_EQ(sender->Send(bad_rcpt).outcome, AttemptOutcome::kFinal);
  AttemptResult no_recipients = sender->Send(none);
  EXPECT_EQ(no_recipients.outcome, AttemptOutcome::kFinal);
  EXPECT_EQ(no_recipients.detail, "no recipients");
  EXPECT_TRUE(sink->Messages().empty());
}

TEST_F(SmtpTransportTest, UrlsThatAreNotSmtpAreRejected) {
  for (const char* url :
       {"http://mail.example.com", "smtp://", "mail.example.com:25", "", "smtp://:25"}) {
    SCOPED_TRACE(url);
    Result<std::unique_ptr<MailSender>> sender = MakeSmtpSender({.url = url});
    ASSERT_FALSE(sender.ok());
    EXPECT_EQ(sender.status().code(), StatusCode::kInvalidArgument);
  }
}

// ---------------------------------------------------------------------------
// Maildir

TEST(MaildirTransportTest, WritesTheMessageIntoNewAndLeavesNothingInTmp) {
  TempDir temp;
  ASSERT_FALSE(temp.path().empty());
  const std::string dir = temp.path() + "/mail/box";  // parents are created too
  std::unique_ptr<MailSender> sender = MakeMaildirSender(dir);
  EXPECT_EQ(sender->Describe(), "Maildir " + dir);
  MailEnvelope mail{"alarms@trailwatch.test",
                    {"ops@example.com"},
                    "Subject: one\r\n\r\nbody\r\n.\r\n\xc3\xa9\r\n"};

  AttemptResult result = sender->Send(mail);

  ASSERT_EQ(result.outcome, AttemptOutcome::kDelivered) << result.detail;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir + "/new")) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(result.detail, "written to " + files[0].string());
  EXPECT_EQ(ReadFile(files[0]), mail.data);
  EXPECT_TRUE(FullyMatches(files[0].filename().string(),
                           "[0-9]+\\." + std::to_string(getpid()) + "_[0-9]+\\..+"));
  EXPECT_TRUE(fs::is_empty(dir + "/tmp"));
  EXPECT_TRUE(fs::is_directory(dir + "/cur"));
  EXPECT_EQ(fs::status(files[0]).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(MaildirTransportTest, EveryMessageGetsAFileOfItsOwn) {
  TempDir temp;
  ASSERT_FALSE(temp.path().empty());
  std::unique_ptr<MailSender> first = MakeMaildirSender(temp.path());
  std::unique_ptr<MailSender> second = MakeMaildirSender(temp.path() + "/");

  std::map<std::string, std::string> expected;
  for (int i = 0; i < 5; ++i) {
    MailSender& sender = i % 2 == 0 ? *first : *second;
    std::string data = "Subject: " + std::to_string(i) + "\r\n\r\nbody\r\n";
    AttemptResult result = sender.Send({"a@example.com", {"b@example.com"}, data});
    ASSERT_EQ(result.outcome, AttemptOutcome::kDelivered) << result.detail;
    expected[result.detail.substr(std::string("written to ").size())] = data;
  }

  std::map<std::string, std::string> found;
  for (const auto& entry : fs::directory_iterator(temp.path() + "/new")) {
    found[entry.path().string()] = ReadFile(entry.path());
  }
  EXPECT_EQ(found, expected);
  EXPECT_TRUE(fs::is_empty(temp.path() + "/tmp"));
}

TEST(MaildirTransportTest, DirectoryThatCannotBeCreatedIsRetryable) {
  TempDir temp;
  ASSERT_FALSE(temp.path().empty());
  const std::string file = temp.path() + "/plain-file";
  std::ofstream(file) << "not a directory";

  AttemptResult result =
      MakeMaildirSender(file + "/maildir")->Send({"a@example.com", {"b@example.com"}, "x\r\n"});

  EXPECT_EQ(result.outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(result.detail, "cannot create " + file + "/maildir: Not a directory");
}

// ---------------------------------------------------------------------------
// MIME. The checks below parse the message with support/net/mail_parse (header
// unfolding, RFC 2047 B and Q decoding, quoted-printable decoding, multipart
// splitting), independent of the encoder.

using testing::CanonicalLineBreaks;
using testing::DecodeEncodedWords;
using testing::DecodeQuotedPrintable;
using testing::ParsedMail;

// Headers as sent (encoded-words not decoded), for the checks below.
ParsedMail Parse(std::string_view message) { return testing::ParseMail(message); }

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = text.size();
    lines.emplace_back(text.substr(pos, eol - pos));
    pos = eol + 2;
  }
  return lines;
}

// Every line ends in CRLF (no bare CR or LF), is 7-bit and at most `limit`
// characters long.
void ExpectWellFormedLines(std::string_view text, size_t limit) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    ASSERT_LT(c, 0x80) << "8-bit byte at " << i;
    if (c == '\r') {
      ASSERT_EQ(text.substr(i, 2), "\r\n") << "bare CR at " << i;
    }
    if (c == '\n') {
      ASSERT_TRUE(i > 0 && text[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  for (const std::string& line : Lines(text)) EXPECT_LE(line.size(), limit) << line;
}

MailContent BasicContent() {
  MailContent content;
  content.from_name = "AWS Notifications";
  content.from_address = "no-reply@sns.trailwatch.test";
  content.to = "ops@example.com";
  content.subject = "ALARM: \"root-login\" in US East (N. Virginia)";
  content.text = "You are receiving this email because your alarm changed state.\n";
  content.date = FromEpochMillis(1700000000456);  // Tue, 14 Nov 2023 22:13:20.456 UTC
  content.message_id = "0b5e1c2d@trailwatch";
  return content;
}

TEST(MimeTest, TextOnlyMessageIsExactlyThis) {
  MailContent content = BasicContent();
  content.extra_headers = {{"X-Amz-Sns-Message-Id", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"}};

  EXPECT_EQ(BuildMimeMessage(content),
            "From: \"AWS Notifications\" <no-reply@sns.trailwatch.test>\r\n"
            "To: ops@example.com\r\n"
            "Subject: ALARM: \"root-login\" in US East (N. Virginia)\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            "Message-ID: <0b5e1c2d@trailwatch>\r\n"
            "MIME-Version: 1.0\r\n"
            "X-Amz-Sns-Message-Id: 22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
            "You are receiving this email because your alarm changed state.\r\n");
}

TEST(MimeTest, DateIsRfc5322InUtc) {
  MailContent content = BasicContent();
  content.date = FromEpochMillis(1709596800000);  // 2024-03-05T00:00:00Z, a Tuesday
  EXPECT_EQ(Parse(BuildMimeMessage(content)).RawHeader("Date"), "Tue, 05 Mar 2024 00:00:00 +0000");
  content.date = FromEpochMillis(0);
  EXPECT_EQ(Parse(BuildMimeMessage(content)).RawHeader("Date"), "Thu, 01 Jan 1970 00:00:00 +0000");
  content.date = FromEpochMillis(951782399999);  // 2000-02-28T23:59:59.999Z
  EXPECT_EQ(Parse(BuildMimeMessage(content)).RawHeader("Date"), "Mon, 28 Feb 2000 23:59:59 +0000");
}

TEST(MimeTest, NonAsciiSubjectAndDisplayNameAreEncodedWords) {
  MailContent content = BasicContent();
  content.subject =
      "ALARM: \"\xc3\x9c"
      "berlast\" in EU (Frankfurt) \xe2\x80\x93 \xe6\x97\xa5\xe6\x9c\xac\xe8"
      "\xaa\x9e \xe2\x9c\x85 and a long tail so that several encoded-words are needed here";
  content.from_name = "Betrieb M\xc3\xbcnchen";

  std::string message = BuildMimeMessage(content);

  size_t head_end = message.find("\r\n\r\n");
  ExpectWellFormedLines(std::string_view(message).substr(0, head_end + 2), 76);
  ParsedMail parsed = Parse(message);
  std::string subject = parsed.RawHeader("Subject").value_or("");
  EXPECT_TRUE(StartsWith(subject, "=?UTF-8?"));
  EXPECT_EQ(DecodeEncodedWords(subject), content.subject);
  std::string from = parsed.RawHeader("From").value_or("");
  EXPECT_TRUE(StartsWith(from, "=?UTF-8?"));
  EXPECT_EQ(DecodeEncodedWords(from), "Betrieb M\xc3\xbcnchen <no-reply@sns.trailwatch.test>");
}

TEST(MimeTest, TextThatLooksLikeAnEncodedWordIsEncodedItself) {
  MailContent content = BasicContent();
  content.subject = "=?UTF-8?B?SGk=?= is not a greeting";
  std::string subject = Parse(BuildMimeMessage(content)).RawHeader("Subject").value_or("");
  EXPECT_EQ(DecodeEncodedWords(subject), content.subject);
}

TEST(MimeTest, LongAsciiSubjectIsFoldedAtSpaces) {
  MailContent content = BasicContent();
  content.subject = "ALARM: \"" + std::string(60, 'a') + "\" in " + std::string(30, 'b') +
                    " and then some more words to go past one line";

  std::string message = BuildMimeMessage(content);

  ExpectWellFormedLines(message.substr(0, message.find("\r\n\r\n") + 2), 78);
  EXPECT_TRUE(Contains(message, "\r\n "));  // folded
  EXPECT_EQ(Parse(message).RawHeader("Subject"), content.subject);
}

TEST(MimeTest, DisplayNameIsQuoted) {
  MailContent content = BasicContent();
  content.from_name = "Ops \"Team\" \\ A, B";
  EXPECT_EQ(Parse(BuildMimeMessage(content)).RawHeader("From"),
            "\"Ops \\\"Team\\\" \\\\ A, B\" <no-reply@sns.trailwatch.test>");
  content.from_name = "";
  EXPECT_EQ(Parse(BuildMimeMessage(content)).RawHeader("From"), "no-reply@sns.trailwatch.test");
}

TEST(MimeTest, QuotedPrintableWrapsLongLinesAndDecodesBackExactly) {
  MailContent content = BasicContent();
  content.text = std::string(300, 'x') + "\n" +                // one long word
                 "trailing spaces   \n" + "tab\tat end\t\n" +  // whitespace at line ends
                 "a=b, 100% \xe2\x82\xac and caf\xc3\xa9\n" +  // '=' and UTF-8
                 ".leading dot\n" + "From the start\n" +       // transports mangle these
                 std::string(74, 'y') + "=\n" +                // an escape at the edge
                 "lone CR\rand CRLF\r\nend without newline";
  std::string message = BuildMimeMessage(content);
  ParsedMail parsed = Parse(message);
  ASSERT_EQ(parsed.RawHeader("Content-Transfer-Encoding"), "quoted-printable");

  ExpectWellFormedLines(message, 76);
  for (const std::string& line : Lines(parsed.body)) {
    EXPECT_NE(line[0], '.') << line;
    EXPECT_FALSE(line.starts_with("From ")) << line;
    EXPECT_FALSE(!line.empty() && (line.back() == ' ' || line.back() == '\t')) << line;
  }
  // Line breaks of every kind come back as CRLF; the body ends with one,
  // which the text did not have.
  EXPECT_EQ(DecodeQuotedPrintable(parsed.body), CanonicalLineBreaks(content.text) + "\r\n");
}

TEST(MimeTest, HeaderInjectionIsNeutralized) {
  MailContent content = BasicContent();
  content.subject = "Hi\r\nBcc: victim@example.com";
  content.from_name = "Evil\nX-Injected: 1";
  content.to = "ops@example.com\r\nCc: other@example.com";
  content.message_id = "id@trailwatch>\r\nX-Evil: <x";
  content.extra_headers = {{"X-Amz-Sns-Topic-Arn", "arn\r\n\r\nbody"},
                           {"Bad Name", "dropped"},
                           {"Bcc:", "dropped"},
                           {"Subject", "a second subject"}};

  std::string message = BuildMimeMessage(content);
  ParsedMail parsed = Parse(message);

  std::vector<std::string> names;
  for (const auto& [name, value] : parsed.headers) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"From", "To", "Subject", "Date", "Message-ID",
                                             "MIME-Version", "X-Amz-Sns-Topic-Arn", "Content-Type",
                                             "Content-Transfer-Encoding"}));
  EXPECT_EQ(parsed.RawHeader("Subject"), "Hi Bcc: victim@example.com");
  EXPECT_EQ(parsed.RawHeader("From"), "\"Evil X-Injected: 1\" <no-reply@sns.trailwatch.test>");
  EXPECT_EQ(parsed.RawHeader("To"), "ops@example.comCc:other@example.com");
  EXPECT_EQ(parsed.RawHeader("Message-ID"), "<id@trailwatchX-Evil:x>");
  EXPECT_EQ(parsed.RawHeader("X-Amz-Sns-Topic-Arn"), "arn body");
  EXPECT_EQ(DecodeQuotedPrintable(parsed.body), CanonicalLineBreaks(content.text));
}

TEST(MimeTest, EmptyMessageIdOmitsTheHeader) {
  MailContent content = BasicContent();
  content.message_id = "";
  EXPECT_FALSE(Parse(BuildMimeMessage(content)).RawHeader("Message-ID").has_value());
}

TEST(MimeTest, HtmlAlternativeIsAMultipartWithBothParts) {
  MailContent content = BasicContent();
  // Text that contains what a boundary could look like.
  content.text = "Alarm details\n--=_tw_0000000000000000\n--\n";
  content.html = "<html><body><p>Alarm <b>details</b> \xe2\x80\x94 " + std::string(100, 'z') +
                 "</p></body></html>\n";

  std::string message = BuildMimeMessage(content);
  ExpectWellFormedLines(message, 78);
  ParsedMail parsed = Parse(message);

  std::string type = parsed.RawHeader("Content-Type").value_or("");
  const std::string prefix = "multipart/alternative; boundary=\"";
  ASSERT_TRUE(StartsWith(type, prefix));
  ASSERT_EQ(type.back(), '"');
  std::string boundary = type.substr(prefix.size(), type.size() - prefix.size() - 1);
  EXPECT_TRUE(FullyMatches(boundary, "=_tw_[0-9a-f]{16}"));
  EXPECT_FALSE(parsed.RawHeader("Content-Transfer-Encoding").has_value());

  // Split at the delimiter lines (RFC 2046 §5.1.1): CRLF--boundary.
  std::string body = "\r\n" + parsed.body;
  std::vector<std::string> parts;
  size_t pos = body.find("\r\n--" + boundary + "\r\n");
  ASSERT_NE(pos, std::string::npos);
  while (true) {
    size_t start = body.find("\r\n", pos + 2) + 2;
    size_t next = body.find("\r\n--" + boundary, start);
    ASSERT_NE(next, std::string::npos);
    parts.push_back(body.substr(start, next - start));
    pos = next;
    if (body.compare(next + 4 + boundary.size(), 2, "--") == 0) break;
  }
  EXPECT_EQ(body.substr(pos), "\r\n--" + boundary + "--\r\n");
  ASSERT_EQ(parts.size(), 2u);

  ParsedMail text = Parse(parts[0]);
  EXPECT_EQ(text.RawHeader("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(text.RawHeader("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(DecodeQuotedPrintable(text.body), CanonicalLineBreaks(content.text));
  ParsedMail html = Parse(parts[1]);
  EXPECT_EQ(html.RawHeader("Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(html.RawHeader("Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(DecodeQuotedPrintable(html.body), CanonicalLineBreaks(content.html));

  // The same content gives the same bytes (retries resend identical mail).
  EXPECT_EQ(BuildMimeMessage(content), message);
}

}  // namespace
}  // namespace tw::notify
