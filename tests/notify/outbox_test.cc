// The outbox and its Deliverer against a real HTTP receiver on 127.0.0.1
// (and, for the mail lane, a real SMTP server), with a ManualClock so that
// retry schedules are checked to the second. The isolation tests use the
// wall clock and endpoints that hang: they assert what has arrived while a
// hanging request is still open, never how long anything took.

#include "notify/outbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "store/test_databases.h"
#include "support/net/http_receiver.h"
#include "support/net/smtp_sink.h"

namespace tw::notify {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using testing::HttpReceiver;
using testing::HttpReceiverOptions;

constexpr auto kWait = seconds(10);  // bounds a failure only

// Every test on both store engines: the SQLite file, and a PostgreSQL
// database (the Deliverer opens its own connection to either).
class OutboxTest : public ::testing::TestWithParam<store::Engine> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-outbox-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    TW_NEW_LOCATION_OR_SKIP(db_path_, GetParam(), dir_);
    Result<store::Database> db = store::Database::Open(db_path_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    ASSERT_TRUE(Outbox::Migrate(*db_).ok());
    HttpSenderOptions http;
    http.timeout = seconds(1);
    http.address_policy = AddressPolicy({*Cidr::Parse("127.0.0.1/32")});  // the receiver's
    http_ = MakeHttpSender(http);
  }
  void TearDown() override {
    deliverer_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  void StartReceiver(testing::HttpBehaviour behaviour) {
    HttpReceiverOptions options;
    options.behaviour = std::move(behaviour);
    Result<std::unique_ptr<HttpReceiver>> receiver = HttpReceiver::Start(options);
    ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();
    receiver_ = std::move(receiver).value();
  }

  Deliverer& OpenDeliverer(DelivererOptions options = {}) {
    Result<std::unique_ptr<Deliverer>> d =
        Deliverer::Open(db_path_, http_.get(), nullptr, &clock_, std::move(options));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    deliverer_ = std::move(d).value();
    return *deliverer_;
  }

  OutboxItem HttpItem(std::string message_id, std::vector<seconds> delays) {
    OutboxItem item;
    item.message_id = std::move(message_id);
    item.type = "Notification";
    item.topic_arn = "arn:aws:sns:us-east-1:000000000000:alerts";
    item.subscription_arn = item.topic_arn + ":sub-1";
    item.protocol = "http";
    item.endpoint = receiver_->url("/hook");
    item.subject = "ALARM";
    item.origin = "test";
    item.http = HttpRequest{
        item.endpoint,
        {{"x-amz-sns-message-id", item.message_id}, {"Content-Type", "text/plain; charset=UTF-8"}},
        "{\"MessageId\":\"" + item.message_id + "\"}"};
    item.retry_delays = std::move(delays);
    return item;
  }

  std::int64_t Enqueue(const OutboxItem& item) {
    Outbox outbox(&*db_);
    Result<std::int64_t> id = outbox.Enqueue(item, clock_.Now());
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : -1;
  }

  Delivery Get(std::int64_t id) {
    Outbox outbox(&*db_);
    Result<Delivery> d = outbox.Get(id);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : Delivery{};
  }

  int DeliverDueAt(seconds since_start) {
    clock_.Set(start_ + since_start);
    Result<int> n = deliverer_->DeliverDue();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  const TimePoint start_ = *ParseTimestamp("2024-03-01T12:00:00Z");
  ManualClock clock_{start_};
  std::string dir_, db_path_;
  std::optional<store::Database> db_;
  std::unique_ptr<HttpSender> http_;
  std::unique_ptr<HttpReceiver> receiver_;
  std::unique_ptr<Deliverer> deliverer_;
};

TEST_P(OutboxTest, RetriesFollowTheScheduleAndTheMessageArrivesOnceWithOneMessageId) {
  StartReceiver(HttpReceiver::FailFirst(2, 500));
  OpenDeliverer();
  std::int64_t id = Enqueue(HttpItem("m-1", {seconds(20), seconds(20), seconds(20)}));

  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);   // attempt 1: 500
  EXPECT_EQ(DeliverDueAt(seconds(19)), 0);  // not due yet
  EXPECT_EQ(DeliverDueAt(seconds(20)), 1);  // attempt 2: 500
  EXPECT_EQ(DeliverDueAt(seconds(39)), 0);
  EXPECT_EQ(DeliverDueAt(seconds(40)), 1);  // attempt 3: 200
  EXPECT_EQ(DeliverDueAt(seconds(1000)), 0);

  std::vector<testing::ReceivedRequest> got = receiver_->requests();
  ASSERT_EQ(got.size(), 3u);
  for (const testing::ReceivedRequest& r : got) {
    EXPECT_EQ(r.Header("x-amz-sns-message-id"), "m-1");
    EXPECT_EQ(r.body, "{\"MessageId\":\"m-1\"}");
  }
  Delivery d = Get(id);
  EXPECT_EQ(d.state, DeliveryState::kDelivered);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.finished, start_ + seconds(40));
  EXPECT_EQ(d.last_status_code, 200);
  ASSERT_EQ(d.history.size(), 3u);
  EXPECT_EQ(d.history[0].outcome, AttemptOutcome::kRetryable);
  EXPECT_EQ(d.history[0].status_code, 500);
  EXPECT_EQ(d.history[0].detail, "HTTP 500");
  EXPECT_EQ(d.history[0].started, start_);
  EXPECT_EQ(d.history[1].started, start_ + seconds(20));
  EXPECT_EQ(d.history[2].outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(d.history[2].number, 3);
  EXPECT_EQ(d.history[2].detail, "HTTP 200");
}

TEST_P(OutboxTest, ClientErrorIsDeliveredAfterOneAttempt) {
  StartReceiver(HttpReceiver::Always(404));
  OpenDeliverer();
  std::int64_t id = Enqueue(HttpItem("m-404", {seconds(20), seconds(20), seconds(20)}));
  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);
  EXPECT_EQ(DeliverDueAt(seconds(3600)), 0);
  EXPECT_EQ(receiver_->requests().size(), 1u);
  Delivery d = Get(id);
  EXPECT_EQ(d.state, DeliveryState::kDelivered);
  EXPECT_EQ(d.last_status_code, 404);
  EXPECT_EQ(d.last_detail, "HTTP 404 (client error, not retried)");
}

TEST_P(OutboxTest, AfterTheLastRetryTheDeliveryIsDeadAndCanBeRetriedByHand) {
  StartReceiver(HttpReceiver::Always(503));
  OpenDeliverer();
  std::int64_t id = Enqueue(HttpItem("m-dead", {seconds(1), seconds(2)}));
  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);
  EXPECT_EQ(DeliverDueAt(seconds(1)), 1);
  EXPECT_EQ(DeliverDueAt(seconds(2)), 0);
  EXPECT_EQ(DeliverDueAt(seconds(3)), 1);
  EXPECT_EQ(DeliverDueAt(seconds(100)), 0);
  EXPECT_EQ(receiver_->requests().size(), 3u);

  Delivery d = Get(id);
  EXPECT_EQ(d.state, DeliveryState::kDead);
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.last_detail, "HTTP 503");
  Outbox outbox(&*db_);
  Result<std::vector<Delivery>> dead = outbox.List({.state = DeliveryState::kDead});
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().id, id);
  Result<OutboxCounts> counts = outbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->dead, 1);
  EXPECT_EQ(counts->pending, 0);

  // A hand retry gets the whole schedule again; history keeps counting.
  clock_.Set(start_ + seconds(200));
  ASSERT_TRUE(outbox.Retry(id, clock_.Now()).ok());
  EXPECT_EQ(outbox.Retry(id, clock_.Now()).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(outbox.Retry(id + 100, clock_.Now()).code(), StatusCode::kNotFound);
  EXPECT_EQ(DeliverDueAt(seconds(200)), 1);
  EXPECT_EQ(DeliverDueAt(seconds(201)), 1);
  EXPECT_EQ(DeliverDueAt(seconds(203)), 1);
  d = Get(id);
  EXPECT_EQ(d.state, DeliveryState::kDead);
  EXPECT_EQ(d.attempts, 6);
  ASSERT_EQ(d.history.size(), 6u);
  EXPECT_EQ(d.history[5].number, 6);
}

// A hand retry while another connection (a deliverer leasing a row) writes:
// it waits for that write and then succeeds. (In SQLite a read left open
// across the other's commit could not become a write: "database is locked"
// at once, as the console's "Retry all" once met.)
TEST_P(OutboxTest, AHandRetryWaitsForAnotherConnectionsWrite) {
  StartReceiver(HttpReceiver::Always(503));
  OpenDeliverer();
  const std::int64_t dead = Enqueue(HttpItem("m-dead", {}));
  const std::int64_t other = Enqueue(HttpItem("m-other", {seconds(30)}));
  ASSERT_EQ(DeliverDueAt(seconds(0)), 2);
  ASSERT_EQ(Get(dead).state, DeliveryState::kDead);
  Result<store::Database> deliverer_side = store::Database::Open(db_path_);
  ASSERT_TRUE(deliverer_side.ok()) << deliverer_side.status().ToString();
  Result<store::Transaction> writing = store::Transaction::Begin(*deliverer_side);
  ASSERT_TRUE(writing.ok()) << writing.status().ToString();
  Outbox leasing(&*deliverer_side);
  Result<bool> leased = leasing.Lease(other, "node-b", start_ + seconds(30), seconds(45));
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  ASSERT_TRUE(*leased);
  Status retried;
  std::thread retry([&] {
    Outbox outbox(&*db_);
    retried = outbox.Retry(dead, start_ + seconds(31));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(writing->Commit().ok());
  retry.join();
  EXPECT_TRUE(retried.ok()) << retried.ToString();
  EXPECT_EQ(Get(dead).state, DeliveryState::kPending);
}

TEST_P(OutboxTest, AnEndpointSlowerThanTheTimeoutIsRetried) {
  StartReceiver([](const testing::ReceivedRequest& r) {
    testing::HttpReply reply;
    if (r.number == 1) reply.delay = seconds(3);  // the sender gives up after 1 s
    return reply;
  });
  OpenDeliverer();
  std::int64_t id = Enqueue(HttpItem("m-slow", {seconds(5)}));
  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);
  Delivery d = Get(id);
  EXPECT_EQ(d.state, DeliveryState::kPending);
  EXPECT_EQ(d.last_detail, "timed out after 1 s");
  EXPECT_EQ(d.next_attempt, start_ + seconds(5));
  EXPECT_EQ(DeliverDueAt(seconds(5)), 1);
  d = Get(id);
  EXPECT_EQ(d.state, DeliveryState::kDelivered);
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(2, kWait);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, got[1].body);
}

TEST_P(OutboxTest, PendingDeliveriesSurviveTheDelivererAndTheConnection) {
  StartReceiver(HttpReceiver::Always(200));
  std::int64_t id = Enqueue(HttpItem("m-later", {}));
  db_.reset();  // nothing of the writer's connection is needed
  {
    OpenDeliverer();
    deliverer_.reset();  // opened and closed without delivering
  }
  EXPECT_EQ(receiver_->requests().size(), 0u);
  OpenDeliverer();
  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);
  Result<store::Database> db = store::Database::Open(db_path_);
  ASSERT_TRUE(db.ok());
  db_.emplace(std::move(db).value());
  EXPECT_EQ(Get(id).state, DeliveryState::kDelivered);
  EXPECT_EQ(receiver_->requests().size(), 1u);
}

TEST_P(OutboxTest, WorkersDeliverEachRowExactlyOnce) {
  StartReceiver([](const testing::ReceivedRequest&) {
    testing::HttpReply reply;
    reply.delay = std::chrono::milliseconds(20);  // keeps several workers busy at once
    return reply;
  });
  SystemClock wall;
  Result<std::unique_ptr<Deliverer>> d =
      Deliverer::Open(db_path_, http_.get(), nullptr, &wall, {.http_workers = 4});
  ASSERT_TRUE(d.ok());
  constexpr int kRows = 40;
  for (int i = 0; i < kRows; ++i) {
    // Four endpoints, so that four workers can be busy at once (each endpoint
    // has one attempt in flight at a time).
    OutboxItem item = HttpItem("m-" + std::to_string(i), {seconds(1)});
    item.endpoint = receiver_->url("/hook-" + std::to_string(i % 4));
    item.http->url = item.endpoint;
    Enqueue(item);
  }
  (*d)->Start();
  ASSERT_TRUE((*d)->WaitUntilIdle(wall.Now() + kWait));
  (*d)->Stop();
  std::vector<testing::ReceivedRequest> got = receiver_->requests();
  std::multiset<std::string> ids;
  for (const testing::ReceivedRequest& r : got) ids.insert(r.Header("x-amz-sns-message-id"));
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), static_cast<std::size_t>(kRows));
  Result<OutboxCounts> counts = (*d)->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->delivered, kRows);
}

TEST_P(OutboxTest, RowsWrittenByAnotherConnectionAreFoundWithoutAWake) {
  StartReceiver(HttpReceiver::Always(200));
  SystemClock wall;
  Result<std::unique_ptr<Deliverer>> d =
      Deliverer::Open(db_path_, http_.get(), nullptr, &wall,
                      {.http_workers = 1, .poll_interval = std::chrono::milliseconds(50)});
  ASSERT_TRUE(d.ok());
  (*d)->Start();
  Outbox outbox(&*db_);
  ASSERT_TRUE(outbox.Enqueue(HttpItem("m-polled", {}), wall.Now()).ok());
  EXPECT_EQ(receiver_->WaitForRequests(1, kWait).size(), 1u);
  (*d)->Stop();
}

TEST_P(OutboxTest, ThrottleLimitsAttemptsPerSecondPerSubscription) {
  StartReceiver(HttpReceiver::Always(200));
  OpenDeliverer();
  for (int i = 0; i < 5; ++i) {
    OutboxItem item = HttpItem("m-t" + std::to_string(i), {});
    item.max_receives_per_second = 2;
    Enqueue(item);
  }
  EXPECT_EQ(DeliverDueAt(seconds(0)), 2);
  EXPECT_EQ(DeliverDueAt(seconds(0)), 0);  // the same second
  EXPECT_EQ(DeliverDueAt(seconds(1)), 2);
  EXPECT_EQ(DeliverDueAt(seconds(2)), 1);
  EXPECT_EQ(receiver_->requests().size(), 5u);
}

TEST_P(OutboxTest, AMailItemWithoutAMailTransportWaitsAndSaysWhy) {
  StartReceiver(HttpReceiver::Always(200));
  OpenDeliverer();
  OutboxItem item = HttpItem("m-mail", {seconds(10)});
  item.http.reset();
  item.protocol = "email";
  item.mail = MailEnvelope{"from@example.com", {"to@example.com"}, "Subject: x\r\n\r\nbody\r\n"};
  std::int64_t id = Enqueue(item);
  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);
  Delivery d = Get(id);
  EXPECT_EQ(d.state, DeliveryState::kPending);
  EXPECT_EQ(d.last_detail, "no mail transport configured");
  ASSERT_TRUE(d.item.mail.has_value());
  EXPECT_EQ(d.item.mail->data, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(d.item.mail->recipients, std::vector<std::string>{"to@example.com"});
}

TEST_P(OutboxTest, AnItemMustCarryExactlyOneRequest) {
  StartReceiver(HttpReceiver::Always(200));
  OutboxItem item = HttpItem("m-both", {});
  item.mail = MailEnvelope{"a@b", {"c@d"}, "x"};
  Outbox outbox(&*db_);
  EXPECT_EQ(outbox.Enqueue(item, clock_.Now()).status().code(), StatusCode::kInternal);
}

// --- Isolation: a slow or dead endpoint never delays the others -------------

class IsolationTest : public OutboxTest {
 protected:
  void SetUp() override {
    OutboxTest::SetUp();
    // Longer than the test: the hanging requests stay open until the test
    // stops their receiver.
    HttpSenderOptions http;
    http.timeout = seconds(120);
    http.address_policy = AddressPolicy({*Cidr::Parse("127.0.0.1/32")});
    http_ = MakeHttpSender(http);
    Result<std::unique_ptr<HttpReceiver>> dead =
        HttpReceiver::Start({.behaviour = HttpReceiver::Hang(seconds(300))});
    ASSERT_TRUE(dead.ok()) << dead.status().ToString();
    dead_ = std::move(dead).value();
  }
  void TearDown() override {
    dead_.reset();  // answers the hanging requests, so Stop() need not wait
    OutboxTest::TearDown();
  }

  OutboxItem DeadItem(const std::string& message_id, const std::string& path) {
    OutboxItem item = HttpItem(message_id, {seconds(60)});
    item.subscription_arn = item.topic_arn + ":dead" + path;
    item.endpoint = dead_->url(path);
    item.http->url = item.endpoint;
    return item;
  }

  std::vector<Delivery> Rows(const std::string& subscription_arn) {
    Outbox outbox(&*db_);
    Result<std::vector<Delivery>> rows = outbox.List({.subscription_arn = subscription_arn});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<Delivery>{};
  }

  SystemClock wall_;
  std::unique_ptr<HttpReceiver> dead_;
};

TEST_P(IsolationTest, ADeadEndpointHoldsOneWorkerWhileTheOthersAreDelivered) {
  StartReceiver(HttpReceiver::Always(200));
  // More rows for the dead endpoint than a claim looks at, all due before
  // the healthy endpoint's row.
  constexpr int kDeadRows = 12;
  for (int i = 0; i < kDeadRows; ++i) Enqueue(DeadItem("m-dead-" + std::to_string(i), "/dead"));
  OutboxItem fast = HttpItem("m-fast", {seconds(60)});
  fast.subscription_arn = fast.topic_arn + ":fast";
  std::int64_t fast_id = Enqueue(fast);

  Result<std::unique_ptr<Deliverer>> d =
      Deliverer::Open(db_path_, http_.get(), nullptr, &wall_, {.http_workers = 4});
  ASSERT_TRUE(d.ok());
  deliverer_ = std::move(d).value();
  deliverer_->Start();
  ASSERT_EQ(receiver_->WaitForRequests(1, kWait).size(), 1u);
  std::vector<testing::ReceivedRequest> dead = dead_->WaitForRequests(1, kWait);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].Header("x-amz-sns-message-id"), "m-dead-0");  // the oldest first

  // The healthy row is done while the dead endpoint's one request is still
  // open: that attempt has no outcome yet, and no second one was started.
  EXPECT_EQ(receiver_->requests()[0].Header("x-amz-sns-message-id"), "m-fast");
  Delivery delivered = Get(fast_id);
  for (int i = 0; i < 100 && delivered.state == DeliveryState::kPending; ++i) {
    deliverer_->WaitUntilIdle(wall_.Now() + std::chrono::milliseconds(20));
    delivered = Get(fast_id);
  }
  EXPECT_EQ(delivered.state, DeliveryState::kDelivered);
  std::vector<Delivery> waiting = Rows(fast.topic_arn + ":dead/dead");
  ASSERT_EQ(waiting.size(), static_cast<std::size_t>(kDeadRows));
  for (const Delivery& row : waiting) {
    EXPECT_EQ(row.state, DeliveryState::kPending);
    EXPECT_EQ(row.attempts, 0);
  }
  EXPECT_EQ(dead_->requests().size(), 1u);
}

// The two slow cases of issue 13 at once: dead webhooks hold HTTP workers,
// and a throttled subscription (one a second) has 30 notifications queued
// ahead of everything else; an e-mail and an unrelated topic's webhook
// still go out, long before the throttled backlog is through.
TEST_P(IsolationTest, MailIsNotKeptWaitingByWebhooksThatHang) {
  Result<std::unique_ptr<testing::SmtpSink>> sink = testing::SmtpSink::Start();
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  Result<std::unique_ptr<MailSender>> mail = MakeSmtpSender({.url = (*sink)->url()});
  ASSERT_TRUE(mail.ok());
  StartReceiver(HttpReceiver::Always(200));
  // Two dead endpoints take both HTTP workers.
  for (int i = 0; i < 3; ++i) {
    Enqueue(DeadItem("m-a-" + std::to_string(i), "/a"));
    Enqueue(DeadItem("m-b-" + std::to_string(i), "/b"));
  }
  for (int i = 0; i < 30; ++i) {
    OutboxItem throttled = HttpItem("m-t-" + std::to_string(i), {});
    throttled.endpoint = receiver_->url("/throttled");
    throttled.http->url = throttled.endpoint;
    throttled.subscription_arn = throttled.topic_arn + ":throttled";
    throttled.max_receives_per_second = 1;
    Enqueue(throttled);
  }
  OutboxItem other_topic = HttpItem("m-other", {});
  other_topic.topic_arn = "arn:aws:sns:us-east-1:000000000000:other";
  other_topic.subscription_arn = other_topic.topic_arn + ":sub-1";
  other_topic.endpoint = receiver_->url("/other");
  other_topic.http->url = other_topic.endpoint;
  const std::int64_t other_id = Enqueue(other_topic);
  OutboxItem item = HttpItem("m-mail", {seconds(60)});
  item.http.reset();
  item.protocol = "email";
  item.endpoint = "ops@example.com";
  item.subscription_arn = item.topic_arn + ":mail";
  item.mail = MailEnvelope{"alerts@example.com",
                           {"ops@example.com"},
                           "From: alerts@example.com\r\nTo: ops@example.com\r\n"
                           "Subject: ALARM\r\n\r\nbody\r\n"};
  std::int64_t mail_id = Enqueue(item);

  Result<std::unique_ptr<Deliverer>> d = Deliverer::Open(db_path_, http_.get(), mail->get(), &wall_,
                                                         {.http_workers = 3, .mail_workers = 1});
  ASSERT_TRUE(d.ok());
  deliverer_ = std::move(d).value();
  deliverer_->Start();
  std::vector<testing::ReceivedMail> mails = (*sink)->WaitForMessages(1, kWait);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].rcpt_tos, std::vector<std::string>{"ops@example.com"});
  // Both webhooks' first requests are open, one each, and none has an outcome.
  std::vector<testing::ReceivedRequest> dead = dead_->WaitForRequests(2, kWait);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(std::set<std::string>({dead[0].path, dead[1].path}),
            (std::set<std::string>{"/a", "/b"}));
  for (const std::string path : {"/a", "/b"}) {
    for (const Delivery& row : Rows(item.topic_arn + ":dead" + path)) {
      EXPECT_EQ(row.attempts, 0) << path;
    }
  }
  Delivery sent = Get(mail_id);
  for (int i = 0; i < 100 && sent.state == DeliveryState::kPending; ++i) {
    deliverer_->WaitUntilIdle(wall_.Now() + std::chrono::milliseconds(20));
    sent = Get(mail_id);
  }
  EXPECT_EQ(sent.state, DeliveryState::kDelivered);
  Delivery other = Get(other_id);
  for (int i = 0; i < 100 && other.state == DeliveryState::kPending; ++i) {
    deliverer_->WaitUntilIdle(wall_.Now() + std::chrono::milliseconds(20));
    other = Get(other_id);
  }
  EXPECT_EQ(other.state, DeliveryState::kDelivered);
  // At one a second, most of the throttled backlog is still waiting.
  std::size_t throttled_sent = 0;
  for (const testing::ReceivedRequest& r : receiver_->requests()) {
    throttled_sent += r.path == "/throttled" ? 1 : 0;
  }
  EXPECT_LT(throttled_sent, 20u);
  EXPECT_EQ(dead_->requests().size(), 2u);
  dead_.reset();
  deliverer_.reset();  // before the mail sender it uses
}

TEST(EndpointKeyTest, LanesAndKeys) {
  EXPECT_EQ(LaneOf("email"), Lane::kMail);
  EXPECT_EQ(LaneOf("email-json"), Lane::kMail);
  EXPECT_EQ(LaneOf("http"), Lane::kHttp);
  EXPECT_EQ(LaneOf("https"), Lane::kHttp);
  EXPECT_EQ(LaneOf("slack"), Lane::kHttp);
  EXPECT_EQ(EndpointKey("https", "https://hooks.example/a"), "https https://hooks.example/a");
}

TEST_P(OutboxTest, DueSkipsBusyEndpointsThrottledSubscriptionsAndOtherLanes) {
  StartReceiver(HttpReceiver::Always(200));
  OutboxItem a = HttpItem("m-a", {});
  OutboxItem b = HttpItem("m-b", {});
  b.endpoint = receiver_->url("/other");
  b.http->url = b.endpoint;
  b.subscription_arn = b.topic_arn + ":sub-2";
  OutboxItem mail = HttpItem("m-mail", {});
  mail.http.reset();
  mail.protocol = "email-json";
  mail.endpoint = "ops@example.com";
  mail.mail = MailEnvelope{"a@example.com", {"ops@example.com"}, "x"};
  const std::int64_t a_id = Enqueue(a), b_id = Enqueue(b), mail_id = Enqueue(mail);
  Outbox outbox(&*db_);
  auto ids = [&](const DueFilter& filter) {
    std::vector<std::int64_t> out;
    Result<std::vector<Delivery>> rows = outbox.Due(clock_.Now(), filter, 10);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const Delivery& d : *rows) out.push_back(d.id);
    }
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::int64_t>{a_id, b_id, mail_id}));
  EXPECT_EQ(ids({.lane = Lane::kHttp}), (std::vector<std::int64_t>{a_id, b_id}));
  EXPECT_EQ(ids({.lane = Lane::kMail}), std::vector<std::int64_t>{mail_id});
  EXPECT_EQ(ids({.lane = Lane::kHttp, .exclude_endpoints = {EndpointKey("http", a.endpoint)}}),
            std::vector<std::int64_t>{b_id});
  EXPECT_EQ(ids({.exclude_ids = {b_id}, .exclude_subscriptions = {a.subscription_arn}}),
            std::vector<std::int64_t>{});
  EXPECT_EQ(ids({.exclude_subscriptions = {b.subscription_arn, "x"}}),
            (std::vector<std::int64_t>{a_id, mail_id}));
}

// --- Deleted subscriptions and pruning ----------------------------------------

TEST_P(OutboxTest, RowsDroppedWhileBackingOffAreNeverSent) {
  StartReceiver(HttpReceiver::FailFirst(1, 503));
  OpenDeliverer();
  const std::int64_t id = Enqueue(HttpItem("m-retry", {seconds(5), seconds(5)}));
  OutboxItem goodbye = HttpItem("m-bye", {});
  goodbye.type = "UnsubscribeConfirmation";
  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);  // 503: backing off for 5 s
  EXPECT_EQ(Get(id).state, DeliveryState::kPending);
  const std::int64_t goodbye_id = Enqueue(goodbye);
  Outbox outbox(&*db_);
  Result<std::int64_t> dropped = outbox.DropUnsentToSubscription(goodbye.subscription_arn);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 1);
  EXPECT_EQ(outbox.Get(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(outbox.Request(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DeliverDueAt(seconds(10)), 1);  // the UnsubscribeConfirmation only
  std::vector<testing::ReceivedRequest> got = receiver_->requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header("x-amz-sns-message-id"), "m-retry");
  EXPECT_EQ(got[1].Header("x-amz-sns-message-id"), "m-bye");
  EXPECT_EQ(Get(goodbye_id).state, DeliveryState::kDelivered);
  Result<OutboxCounts> counts = outbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->delivered, 1);
}

TEST_P(OutboxTest, DroppingATopicLeavesOtherTopicsAndFinishedRows) {
  StartReceiver(HttpReceiver::Always(200));
  OpenDeliverer();
  const std::int64_t done = Enqueue(HttpItem("m-done", {}));
  EXPECT_EQ(DeliverDueAt(seconds(0)), 1);
  const std::int64_t waiting = Enqueue(HttpItem("m-waiting", {}));
  OutboxItem other = HttpItem("m-other", {});
  other.topic_arn = "arn:aws:sns:us-east-1:000000000000:other";
  other.subscription_arn = other.topic_arn + ":sub-1";
  const std::int64_t other_id = Enqueue(other);
  Outbox outbox(&*db_);
  Result<std::int64_t> dropped = outbox.DropUnsentToTopic(HttpItem("x", {}).topic_arn);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 1);
  EXPECT_EQ(outbox.Get(waiting).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Get(done).state, DeliveryState::kDelivered);
  EXPECT_EQ(Get(other_id).state, DeliveryState::kPending);
}

TEST_P(OutboxTest, PruningRemovesOnlyFinishedRowsOlderThanTheCutoff) {
  StartReceiver([](const testing::ReceivedRequest& r) {
    testing::HttpReply reply;
    reply.status = r.path == "/gone" ? 404 : r.path == "/down" ? 503 : 200;
    return reply;
  });
  OpenDeliverer();
  auto at = [&](std::string id, std::string path, std::vector<seconds> delays) {
    OutboxItem item = HttpItem(std::move(id), std::move(delays));
    item.endpoint = receiver_->url(path);
    item.http->url = item.endpoint;
    return Enqueue(item);
  };
  const std::int64_t delivered = at("m-delivered", "/ok", {});
  const std::int64_t dead = at("m-dead", "/down", {});
  const std::int64_t retrying = at("m-retrying", "/down", {seconds(3600 * 24 * 365)});
  const std::int64_t refused = at("m-refused", "/gone", {});  // 4xx: delivered, not retried
  EXPECT_EQ(DeliverDueAt(seconds(0)), 4);
  EXPECT_EQ(Get(dead).state, DeliveryState::kDead);
  EXPECT_EQ(Get(retrying).state, DeliveryState::kPending);
  const seconds day(86400);
  const std::int64_t young = at("m-young", "/ok", {});
  EXPECT_EQ(DeliverDueAt(40 * day), 1);  // finishes on day 40
  const std::int64_t unattempted = Enqueue(HttpItem("m-never", {}));

  Outbox outbox(&*db_);
  const TimePoint cutoff = start_ + 10 * day;
  Result<std::int64_t> pruned = outbox.PruneFinished(cutoff, 2);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, 2);
  pruned = outbox.PruneFinished(cutoff, 2);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 1);
  pruned = outbox.PruneFinished(cutoff, 2);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 0);
  for (std::int64_t gone : {delivered, dead, refused}) {
    EXPECT_EQ(outbox.Get(gone).status().code(), StatusCode::kNotFound) << gone;
  }
  EXPECT_EQ(Get(retrying).state, DeliveryState::kPending);
  EXPECT_EQ(Get(retrying).history.size(), 1u);
  EXPECT_EQ(Get(young).state, DeliveryState::kDelivered);
  EXPECT_EQ(Get(unattempted).state, DeliveryState::kPending);
  // The attempts went with their rows.
  Result<store::Statement> attempts =
      db_->Prepare("SELECT count(*), min(delivery_id) FROM delivery_attempts");
  ASSERT_TRUE(attempts.ok());
  ASSERT_TRUE(*attempts->Step());
  EXPECT_EQ(attempts->ColumnInt(0), 2);  // retrying's and young's
  EXPECT_EQ(attempts->ColumnInt(1), retrying);
}

// --- Several nodes on one store -----------------------------------------------

TEST_P(OutboxTest, ALeaseKeepsOtherNodesOffARowUntilItRunsOut) {
  StartReceiver(HttpReceiver::Always(200));
  const std::int64_t id = Enqueue(HttpItem("m-leased", {seconds(5)}));
  Outbox outbox(&*db_);
  const TimePoint now = clock_.Now();
  auto lease = [&](std::string_view holder, seconds at) {
    Result<bool> taken = outbox.Lease(id, holder, now + at, seconds(30));
    EXPECT_TRUE(taken.ok()) << taken.status().ToString();
    return taken.ok() && *taken;
  };
  auto due_for = [&](std::string holder, seconds at) {
    Result<std::vector<Delivery>> rows =
        outbox.Due(now + at, DueFilter{.lease_holder = std::move(holder)}, 10);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? rows->size() : 99u;
  };
  ASSERT_TRUE(lease("node-a", seconds(0)));
  EXPECT_FALSE(lease("node-b", seconds(29)));
  EXPECT_EQ(due_for("node-b", seconds(29)), 0u);
  EXPECT_EQ(due_for("node-a", seconds(29)), 1u);  // its holder knows what it has in flight
  // node-a died mid-attempt: when its lease runs out, node-b takes the row.
  EXPECT_TRUE(lease("node-b", seconds(30)));
  EXPECT_FALSE(lease("node-a", seconds(31)));
  // The attempt's outcome ends the lease: the retry is anybody's once due.
  Result<DeliveryState> state =
      outbox.RecordAttempt(id, AttemptResult{AttemptOutcome::kRetryable, 503, "HTTP 503"},
                           now + seconds(31), now + seconds(31));
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(*state, DeliveryState::kPending);
  EXPECT_FALSE(lease("node-c", seconds(35)));  // not due before 31 + 5 s
  EXPECT_TRUE(lease("node-c", seconds(36)));
  state = outbox.RecordAttempt(id, AttemptResult{AttemptOutcome::kDelivered, 200, "HTTP 200"},
                               now + seconds(36), now + seconds(36));
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(lease("node-c", seconds(100)));  // delivered: nothing to lease
  EXPECT_EQ(Get(id).attempts, 2);
}

TEST_P(OutboxTest, AnEndpointBusyOnAnotherNodeWaits) {
  StartReceiver(HttpReceiver::Always(200));
  OutboxItem other = HttpItem("m-other", {});
  other.endpoint = receiver_->url("/other");
  other.http->url = other.endpoint;
  const std::int64_t first = Enqueue(HttpItem("m-1", {}));
  const std::int64_t second = Enqueue(HttpItem("m-2", {}));
  const std::int64_t elsewhere = Enqueue(other);
  Outbox outbox(&*db_);
  ASSERT_TRUE(*outbox.Lease(first, "node-a", clock_.Now(), seconds(30)));
  auto ids = [&](std::string holder) {
    std::vector<std::int64_t> out;
    Result<std::vector<Delivery>> rows =
        outbox.Due(clock_.Now(),
                   DueFilter{.lease_holder = std::move(holder), .max_leased_per_endpoint = 1}, 10);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const Delivery& d : *rows) out.push_back(d.id);
    }
    return out;
  };
  // One attempt in flight per endpoint, whichever node makes it.
  EXPECT_EQ(ids("node-b"), std::vector<std::int64_t>{elsewhere});
  // node-a counts its own attempts itself (Deliverer::Claim).
  EXPECT_EQ(ids("node-a"), (std::vector<std::int64_t>{first, second, elsewhere}));
}

TEST_P(OutboxTest, ARowLeftByADeadNodeIsSentAfterItsLeaseWithTheSameMessageId) {
  StartReceiver(HttpReceiver::Always(200));
  const std::int64_t orphan = Enqueue(HttpItem("m-orphan", {}));
  const std::int64_t own = Enqueue(HttpItem("m-own", {}));
  Outbox outbox(&*db_);
  // node-a leased the first row and died mid-attempt; node-b leased the
  // second and was restarted (same name: its data directory).
  ASSERT_TRUE(*outbox.Lease(orphan, "node-a", clock_.Now(), seconds(45)));
  ASSERT_TRUE(*outbox.Lease(own, "node-b", clock_.Now(), seconds(45)));
  OpenDeliverer({.node = "node-b"});
  EXPECT_EQ(DeliverDueAt(seconds(1)), 1);  // its own row at once
  EXPECT_EQ(Get(own).state, DeliveryState::kDelivered);
  EXPECT_EQ(DeliverDueAt(seconds(44)), 0);
  EXPECT_EQ(Get(orphan).state, DeliveryState::kPending);
  EXPECT_EQ(DeliverDueAt(seconds(45)), 1);
  EXPECT_EQ(Get(orphan).state, DeliveryState::kDelivered);
  std::vector<testing::ReceivedRequest> got = receiver_->requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header("x-amz-sns-message-id"), "m-own");
  EXPECT_EQ(got[1].Header("x-amz-sns-message-id"), "m-orphan");
}

TEST_P(OutboxTest, TwoNodesOnOneStoreDeliverEachRowOnce) {
  StartReceiver([](const testing::ReceivedRequest&) {
    testing::HttpReply reply;
    reply.delay = std::chrono::milliseconds(10);  // attempts overlap across the nodes
    return reply;
  });
  SystemClock wall;
  std::vector<std::unique_ptr<Deliverer>> nodes;
  for (const char* name : {"node-a", "node-b"}) {
    Result<std::unique_ptr<Deliverer>> d = Deliverer::Open(
        db_path_, http_.get(), nullptr, &wall,
        {.http_workers = 4, .poll_interval = std::chrono::milliseconds(20), .node = name});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    nodes.push_back(std::move(d).value());
  }
  constexpr int kRows = 60;
  for (int i = 0; i < kRows; ++i) {
    OutboxItem item = HttpItem("m-" + std::to_string(i), {seconds(1)});
    item.endpoint = receiver_->url("/hook-" + std::to_string(i % 6));
    item.http->url = item.endpoint;
    Enqueue(item);
  }
  for (auto& node : nodes) node->Start();
  for (auto& node : nodes) ASSERT_TRUE(node->WaitUntilIdle(wall.Now() + kWait));
  for (auto& node : nodes) node->Stop();
  std::multiset<std::string> ids;
  for (const testing::ReceivedRequest& r : receiver_->requests()) {
    ids.insert(r.Header("x-amz-sns-message-id"));
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kRows));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), static_cast<std::size_t>(kRows));
  Outbox outbox(&*db_);
  Result<std::vector<Delivery>> rows = outbox.List({.limit = 1000});
  ASSERT_TRUE(rows.ok());
  for (const Delivery& d : *rows) EXPECT_EQ(d.attempts, 1) << d.item.message_id;
}

INSTANTIATE_TEST_SUITE_P(Engines, OutboxTest, store::kBothEngines, store::EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, IsolationTest, store::kBothEngines, store::EngineName);

}  // namespace
}  // namespace tw::notify
