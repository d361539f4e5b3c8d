// The outbox and its Deliverer against a real HTTP receiver on 127.0.0.1,
// with a ManualClock so that retry schedules are checked to the second.

#include "notify/outbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "support/net/http_receiver.h"

namespace tw::notify {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using testing::HttpReceiver;
using testing::HttpReceiverOptions;

constexpr auto kWait = seconds(10);  // bounds a failure only

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-outbox-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_path_ = dir_ + "/trailwatch.db";
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

TEST_F(OutboxTest, RetriesFollowTheScheduleAndTheMessageArrivesOnceWithOneMessageId) {
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

TEST_F(OutboxTest, ClientErrorIsDeliveredAfterOneAttempt) {
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

TEST_F(OutboxTest, AfterTheLastRetryTheDeliveryIsDeadAndCanBeRetriedByHand) {
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

TEST_F(OutboxTest, AnEndpointSlowerThanTheTimeoutIsRetried) {
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

TEST_F(OutboxTest, PendingDeliveriesSurviveTheDelivererAndTheConnection) {
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

TEST_F(OutboxTest, WorkersDeliverEachRowExactlyOnce) {
  StartReceiver([](const testing::ReceivedRequest&) {
    testing::HttpReply reply;
    reply.delay = std::chrono::milliseconds(20);  // keeps several workers busy at once
    return reply;
  });
  SystemClock wall;
  Result<std::unique_ptr<Deliverer>> d =
      Deliverer::Open(db_path_, http_.get(), nullptr, &wall, {.workers = 4});
  ASSERT_TRUE(d.ok());
  constexpr int kRows = 40;
  for (int i = 0; i < kRows; ++i) Enqueue(HttpItem("m-" + std::to_string(i), {seconds(1)}));
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

TEST_F(OutboxTest, RowsWrittenByAnotherConnectionAreFoundWithoutAWake) {
  StartReceiver(HttpReceiver::Always(200));
  SystemClock wall;
  Result<std::unique_ptr<Deliverer>> d =
      Deliverer::Open(db_path_, http_.get(), nullptr, &wall,
                      {.workers = 1, .poll_interval = std::chrono::milliseconds(50)});
  ASSERT_TRUE(d.ok());
  (*d)->Start();
  Outbox outbox(&*db_);
  ASSERT_TRUE(outbox.Enqueue(HttpItem("m-polled", {}), wall.Now()).ok());
  EXPECT_EQ(receiver_->WaitForRequests(1, kWait).size(), 1u);
  (*d)->Stop();
}

TEST_F(OutboxTest, ThrottleLimitsAttemptsPerSecondPerSubscription) {
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

TEST_F(OutboxTest, AMailItemWithoutAMailTransportWaitsAndSaysWhy) {
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

TEST_F(OutboxTest, AnItemMustCarryExactlyOneRequest) {
  StartReceiver(HttpReceiver::Always(200));
  OutboxItem item = HttpItem("m-both", {});
  item.mail = MailEnvelope{"a@b", {"c@d"}, "x"};
  Outbox outbox(&*db_);
  EXPECT_EQ(outbox.Enqueue(item, clock_.Now()).status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace tw::notify
