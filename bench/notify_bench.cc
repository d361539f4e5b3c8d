// How long a healthy subscriber waits when another one's endpoint is dead.
//
//   BM_MailBehindDeadWebhook/N   N notifications queued for a webhook that
//                                accepts the request and never answers (the
//                                sender's timeout is serve's default, 15 s),
//                                then one e-mail; the time is from the
//                                Deliverer's start until a real SMTP server
//                                (aiosmtpd, tests/support/net/smtp_sink.py)
//                                has accepted that e-mail.
//
// Real parts only: libcurl against an HTTP receiver on 127.0.0.1 that hangs,
// libcurl against the SMTP sink, the outbox in SQLite in a temporary
// directory. Before the clock stops, the mail's recipient and Subject are
// checked against what was queued, so a lost or wrong mail produces no
// number. Each iteration stops the hanging receiver before the Deliverer
// (which waits for attempts in flight), so teardown costs no timeout.
//
//   build/bench/notify_bench --benchmark_filter=BM_MailBehindDeadWebhook

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "notify/outbox.h"
#include "notify/transport.h"
#include "support/net/http_receiver.h"
#include "support/net/smtp_sink.h"

namespace {

namespace fs = std::filesystem;
using namespace tw;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "notify_bench: %s\n", why.c_str());
  std::exit(1);
}

notify::OutboxItem Webhook(const std::string& url, int n) {
  notify::OutboxItem item;
  item.message_id = "dead-" + std::to_string(n);
  item.type = "Notification";
  item.topic_arn = "arn:aws:sns:us-east-1:000000000000:alerts";
  item.subscription_arn = item.topic_arn + ":webhook";
  item.protocol = "http";
  item.endpoint = url;
  item.http = notify::HttpRequest{url, {{"Content-Type", "text/plain; charset=UTF-8"}}, "{}"};
  item.retry_delays = {std::chrono::seconds(20), std::chrono::seconds(20)};
  return item;
}

notify::OutboxItem Mail() {
  notify::OutboxItem item;
  item.message_id = "fast-mail";
  item.type = "Notification";
  item.topic_arn = "arn:aws:sns:us-east-1:000000000000:alerts";
  item.subscription_arn = item.topic_arn + ":mail";
  item.protocol = "email";
  item.endpoint = "ops@example.com";
  item.mail = notify::MailEnvelope{
      "trailwatch@example.com",
      {"ops@example.com"},
      "From: trailwatch@example.com\r\nTo: ops@example.com\r\nSubject: ALARM: bench\r\n\r\nx\r\n"};
  item.retry_delays = {std::chrono::seconds(20)};
  return item;
}

void BM_MailBehindDeadWebhook(benchmark::State& state) {
  const int dead_rows = static_cast<int>(state.range(0));
  Result<std::unique_ptr<testing::SmtpSink>> sink = testing::SmtpSink::Start();
  if (!sink.ok()) Die(sink.status().ToString());
  Result<std::unique_ptr<notify::MailSender>> mail =
      notify::MakeSmtpSender({.url = (*sink)->url()});
  if (!mail.ok()) Die(mail.status().ToString());
  notify::HttpSenderOptions http_options;  // timeout: 15 s, as serve's default
  http_options.address_policy = notify::AddressPolicy({*notify::Cidr::Parse("127.0.0.1/32")});
  std::unique_ptr<notify::HttpSender> http = notify::MakeHttpSender(http_options);
  SystemClock clock;
  std::size_t mails_before = 0;

  for (auto _ : state) {
    std::string dir = (fs::temp_directory_path() / "tw-notify-bench-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp failed");
    const std::string db_path = dir + "/trailwatch.db";
    Result<std::unique_ptr<testing::HttpReceiver>> dead =
        testing::HttpReceiver::Start({.behaviour = testing::HttpReceiver::Hang(std::chrono::minutes(5))});
    if (!dead.ok()) Die(dead.status().ToString());
    Result<std::unique_ptr<notify::Deliverer>> deliverer =
        notify::Deliverer::Open(db_path, http.get(), mail->get(), &clock);
    if (!deliverer.ok()) Die(deliverer.status().ToString());
    {
      Result<store::Database> db = store::Database::Open(db_path);
      if (!db.ok()) Die(db.status().ToString());
      notify::Outbox outbox(&*db);
      for (int i = 0; i < dead_rows; ++i) {
        if (!outbox.Enqueue(Webhook((*dead)->url("/hook"), i), clock.Now()).ok()) Die("enqueue");
      }
      if (!outbox.Enqueue(Mail(), clock.Now()).ok()) Die("enqueue");
    }

    const auto start = std::chrono::steady_clock::now();
    (*deliverer)->Start();
    std::vector<testing::ReceivedMail> got =
        (*sink)->WaitForMessages(mails_before + 1, std::chrono::seconds(60));
    const auto end = std::chrono::steady_clock::now();
    if (got.size() != mails_before + 1) Die("the e-mail did not arrive within 60 s");
    if (got.back().rcpt_tos != std::vector<std::string>{"ops@example.com"} ||
        got.back().data.find("Subject: ALARM: bench") == std::string::npos) {
      Die("the e-mail that arrived is not the one queued");
    }
    mails_before = got.size();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    state.counters["dead_requests_open"] = static_cast<double>((*dead)->requests().size());

    dead->reset();  // answers the hanging requests, so Stop() does not wait for the timeout
    (*deliverer)->Stop();
    deliverer->reset();
    fs::remove_all(dir);
  }
}
BENCHMARK(BM_MailBehindDeadWebhook)
    ->Arg(8)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
