// Issue 12, SSRF at delivery time: the HTTP(S) transport checks the address
// libcurl is about to connect to (CURLOPT_OPENSOCKETFUNCTION), so an
// address that was acceptable when the subscription was made (or that a
// subscription stored before the policy existed points at) is still never
// connected to, and the attempt's detail does not tell an open port from a
// closed one.
//
// Before: the transport connected to whatever the URL named. A POST to a
// receiver on 127.0.0.1 was delivered ("HTTP 200"), a closed port said
// "connection refused (127.0.0.1:N)" while an open one said "HTTP 404" or
// similar: a port scanner with retries.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/time.h"
#include "notify/address_policy.h"
#include "notify/outbox.h"
#include "notify/sns.h"
#include "notify/transport.h"
#include "store/database.h"
#include "support/net/http_receiver.h"

namespace tw::notify {
namespace {

namespace fs = std::filesystem;
using testing::HttpReceiver;

constexpr auto kQuiet = std::chrono::milliseconds(500);  // long enough for a stray request

std::unique_ptr<HttpReceiver> StartReceiver() {
  Result<std::unique_ptr<HttpReceiver>> r =
      HttpReceiver::Start({.behaviour = HttpReceiver::Always(200)});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : nullptr;
}

// A port on 127.0.0.1 with nothing listening: bound, never listen()ed.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~ClosedPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

HttpRequest Post(const std::string& url) {
  return HttpRequest{url, {{"Content-Type", "text/plain; charset=UTF-8"}}, "{}"};
}

TEST(SsrfDeliveryTest, ALoopbackReceiverGetsNothingAndTheAttemptIsFinal) {
  std::unique_ptr<HttpReceiver> receiver = StartReceiver();
  ASSERT_TRUE(receiver);
  AttemptResult result = MakeHttpSender({})->Post(Post(receiver->url("/hook")));
  EXPECT_EQ(result.outcome, AttemptOutcome::kFinal);
  EXPECT_EQ(result.status_code, 0);
  EXPECT_EQ(result.detail, "endpoint address 127.0.0.1 is not allowed (loopback)");
  EXPECT_TRUE(receiver->WaitForRequests(1, kQuiet).empty());
}

TEST(SsrfDeliveryTest, OpenAndClosedPortsGiveTheSameAnswer) {
  std::unique_ptr<HttpReceiver> open = StartReceiver();
  ASSERT_TRUE(open);
  ClosedPort closed;
  ASSERT_GT(closed.port(), 0);
  std::unique_ptr<HttpSender> sender = MakeHttpSender({});
  AttemptResult to_open = sender->Post(Post(open->url("/")));
  AttemptResult to_closed =
      sender->Post(Post("http://127.0.0.1:" + std::to_string(closed.port()) + "/"));
  EXPECT_EQ(to_open.outcome, to_closed.outcome);
  EXPECT_EQ(to_open.status_code, to_closed.status_code);
  EXPECT_EQ(to_open.detail, to_closed.detail);
  EXPECT_EQ(to_closed.detail, "endpoint address 127.0.0.1 is not allowed (loopback)");
}

TEST(SsrfDeliveryTest, NamesAndNumericFormsAreJudgedByTheAddressConnectedTo) {
  std::unique_ptr<HttpReceiver> receiver = StartReceiver();
  ASSERT_TRUE(receiver);
  const std::string port = std::to_string(receiver->port());
  std::unique_ptr<HttpSender> sender = MakeHttpSender({});
  for (const std::string host : {"localhost", "2130706433", "0177.0.0.1", "127.1", "0x7f.1"}) {
    AttemptResult result = sender->Post(Post("http://" + host + ":" + port + "/"));
    EXPECT_EQ(result.outcome, AttemptOutcome::kFinal) << host;
    EXPECT_TRUE(result.detail.starts_with("endpoint address ")) << host << ": " << result.detail;
    EXPECT_TRUE(result.detail.ends_with(" is not allowed (loopback)"))
        << host << ": " << result.detail;
  }
  EXPECT_TRUE(receiver->WaitForRequests(1, kQuiet).empty());
}

TEST(SsrfDeliveryTest, TheAllowListLetsTheReceiverThrough) {
  std::unique_ptr<HttpReceiver> receiver = StartReceiver();
  ASSERT_TRUE(receiver);
  Result<AddressPolicy> policy = AddressPolicy::Allowing({"127.0.0.1/32"});
  ASSERT_TRUE(policy.ok());
  AttemptResult result =
      MakeHttpSender({.address_policy = *policy})->Post(Post(receiver->url("/hook")));
  EXPECT_EQ(result.outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(result.detail, "HTTP 200");
  EXPECT_EQ(receiver->WaitForRequests(1, kQuiet).size(), 1u);
}

// Subscribe, with the default policy: http, https and slack endpoints on
// refused addresses are InvalidParameter, also when confirmed (a template),
// and nothing is stored or queued: the confirmation request would
// otherwise be the first request sent there.
TEST(SsrfSubscribeTest, RefusedEndpointsAreNeitherStoredNorSentAConfirmation) {
  std::string pattern = (fs::temp_directory_path() / "tw-ssrf-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern;
  ManualClock clock(*ParseTimestamp("2024-03-01T12:00:00Z"));
  {
    Result<store::Database> db = store::Database::Open(dir + "/trailwatch.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Result<std::unique_ptr<Sns>> sns = Sns::Open(&*db, {}, &clock);
    ASSERT_TRUE(sns.ok()) << sns.status().ToString();
    Result<Topic> topic = (*sns)->CreateTopic("alerts", {});
    ASSERT_TRUE(topic.ok());
    const std::string tail =
        "; trailwatch refuses private, loopback and link-local endpoints unless "
        "--allow-endpoint covers them";
    struct Case {
      const char* protocol;
      const char* endpoint;
      bool confirmed;
      const char* what;
    };
    for (const Case& c : std::vector<Case>{
             {"http", "http://127.0.0.1:6379/", false, "127.0.0.1 is a loopback address"},
             {"https", "https://169.254.169.254/latest/meta-data/", false,
              "169.254.169.254 is a link-local address"},
             {"slack", "https://192.168.1.10/services/T/B/X", false,
              "192.168.1.10 is a private address"},
             {"http", "http://[::ffff:10.0.0.5]/", true, "::ffff:10.0.0.5 is a private address"},
         }) {
      Result<Subscription> sub =
          (*sns)->Subscribe(topic->arn, c.protocol, c.endpoint, {}, c.confirmed);
      ASSERT_FALSE(sub.ok()) << c.endpoint;
      EXPECT_EQ(sub.status().code(), StatusCode::kInvalidArgument) << c.endpoint;
      EXPECT_EQ(sub.status().message(),
                std::string("Invalid parameter: Endpoint Reason: ") + c.what + tail);
    }
    Result<std::vector<Subscription>> subs = (*sns)->ListSubscriptions();
    ASSERT_TRUE(subs.ok());
    EXPECT_TRUE(subs->empty());
    Outbox outbox(&*db);
    Result<OutboxCounts> counts = outbox.Counts();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->pending, 0);
    // E-mail goes to the operator's SMTP server: not an address of the endpoint's choosing.
    EXPECT_TRUE((*sns)->Subscribe(topic->arn, "email", "ops@127.0.0.1", {}).ok());
  }
  fs::remove_all(dir);
}

// DNS rebinding between the check and the use: when the subscription was
// made, its host resolved to a public address; when the notification
// leaves, the same name resolves to 127.0.0.1. The check at connect time
// refuses it, and the delivery is dead after one attempt, not retried.
TEST(SsrfDeliveryTest, AnAddressAllowedAtSubscribeTimeIsStillRefusedAtConnectTime) {
  std::string pattern = (fs::temp_directory_path() / "tw-ssrf-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern;
  std::unique_ptr<HttpReceiver> receiver = StartReceiver();
  ASSERT_TRUE(receiver);
  ManualClock clock(*ParseTimestamp("2024-03-01T12:00:00Z"));
  {
    Result<store::Database> db = store::Database::Open(dir + "/trailwatch.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    SnsOptions options;
    // What DNS said at Subscribe: "localhost" is a public address.
    options.resolve_host = [](const std::string&) -> Result<std::vector<IpAddress>> {
      return std::vector<IpAddress>{*IpAddress::Parse("93.184.216.34")};
    };
    Result<std::unique_ptr<Sns>> sns = Sns::Open(&*db, options, &clock);
    ASSERT_TRUE(sns.ok()) << sns.status().ToString();
    Result<Topic> topic = (*sns)->CreateTopic("alerts", {});
    ASSERT_TRUE(topic.ok());
    const std::string url = "http://localhost:" + std::to_string(receiver->port()) + "/hook";
    ASSERT_TRUE((*sns)->Subscribe(topic->arn, "http", url, {}, /*confirmed=*/true).ok());
    ASSERT_TRUE((*sns)->Publish(topic->arn, {.message = "hello"}).ok());

    // The real resolver and the default policy at delivery.
    std::unique_ptr<HttpSender> http = MakeHttpSender({});
    Result<std::unique_ptr<Deliverer>> deliverer =
        Deliverer::Open(dir + "/trailwatch.db", http.get(), nullptr, &clock);
    ASSERT_TRUE(deliverer.ok()) << deliverer.status().ToString();
    Result<int> attempted = (*deliverer)->DeliverDue();
    ASSERT_TRUE(attempted.ok());
    EXPECT_EQ(*attempted, 1);

    Outbox outbox(&*db);
    Result<std::vector<Delivery>> rows = outbox.List({});
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].state, DeliveryState::kDead);
    EXPECT_EQ((*rows)[0].attempts, 1);
    EXPECT_TRUE((*rows)[0].last_detail.starts_with("endpoint address ")) << (*rows)[0].last_detail;
    EXPECT_TRUE((*rows)[0].last_detail.ends_with(" is not allowed (loopback)"))
        << (*rows)[0].last_detail;
  }
  EXPECT_TRUE(receiver->WaitForRequests(1, kQuiet).empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tw::notify
