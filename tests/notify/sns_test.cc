// Topics, subscriptions, the confirmation flow and Publish, end to end
// through the outbox to a real HTTP receiver and a real SMTP server
// (aiosmtpd) on 127.0.0.1.

#include "notify/sns.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "notify/outbox.h"
#include "store/database.h"
#include "support/net/http_receiver.h"
#include "support/net/mail_parse.h"
#include "support/net/smtp_sink.h"
#include "support/net/sns_envelope.h"

namespace tw::notify {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using std::chrono::seconds;
using testing::HttpReceiver;

constexpr auto kWait = seconds(10);  // bounds a failure only

AlarmChange SeedChange() {
  AlarmChange c;
  c.alarm_name = "IAMPolicyChanges";
  c.account_id = "123456789012";
  c.region = "us-east-1";
  c.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:IAMPolicyChanges";
  c.old_state = "OK";
  c.new_state = "ALARM";
  c.new_state_reason =
      "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (01/03/24 11:55:00)] was greater "
      "than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).";
  c.state_change_time = *ParseTimestamp("2024-03-01T12:00:00Z");
  c.configuration_updated_time = *ParseTimestamp("2024-03-01T11:00:00Z");
  c.alarm_actions = {"arn:aws:sns:us-east-1:123456789012:alerts"};
  c.trigger.metric_name = "IAMPolicyEventCount";
  c.trigger.metric_namespace = "CloudTrailMetrics";
  c.trigger.statistic = "Maximum";
  c.trigger.period = seconds(300);
  c.trigger.comparison_operator = "GreaterThanThreshold";
  c.trigger.threshold = 0;
  c.trigger.treat_missing_data = "notBreaching";
  c.evidence = {{"2024-03-01T11:57:12Z", "DeletePolicy", "iam.amazonaws.com",
                 "arn:aws:iam::123456789012:user/mallory", "198.51.100.7", "us-east-1", "",
                 R"({"policyArn":"arn:aws:iam::123456789012:policy/ops"})"}};
  c.evidence_total = 3;
  return c;
}

std::string QueryValue(const std::string& url, const std::string& key) {
  std::size_t at = url.find(key + "=");
  if (at == std::string::npos) return "";
  std::size_t end = url.find('&', at);
  return url.substr(at + key.size() + 1,
                    end == std::string::npos ? std::string::npos : end - at - key.size() - 1);
}

class SnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-sns-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Result<store::Database> db = store::Database::Open(dir_ + "/trailwatch.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    SnsOptions options;
    options.region = "us-east-1";
    options.account_id = "123456789012";
    options.public_url = "http://127.0.0.1:4566";
    options.mail_from = "alerts@trailwatch.test";
    // The receivers are on 127.0.0.1, which the default policy refuses.
    options.address_policy = loopback_allowed_;
    Result<std::unique_ptr<Sns>> sns = Sns::Open(&*db_, options, &clock_);
    ASSERT_TRUE(sns.ok()) << sns.status().ToString();
    sns_ = std::move(sns).value();
    Result<std::unique_ptr<HttpReceiver>> receiver =
        HttpReceiver::Start({.behaviour = HttpReceiver::Always(200)});
    ASSERT_TRUE(receiver.ok());
    receiver_ = std::move(receiver).value();
    http_ = MakeHttpSender({.address_policy = loopback_allowed_});
  }
  void TearDown() override {
    deliverer_.reset();
    sns_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  void UseSmtp() {
    Result<std::unique_ptr<testing::SmtpSink>> sink = testing::SmtpSink::Start();
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    sink_ = std::move(sink).value();
    Result<std::unique_ptr<MailSender>> mail = MakeSmtpSender({.url = sink_->url()});
    ASSERT_TRUE(mail.ok());
    mail_ = std::move(mail).value();
  }

  // Delivers everything due now, on this thread.
  void DeliverDue() {
    if (!deliverer_) {
      Result<std::unique_ptr<Deliverer>> d =
          Deliverer::Open(dir_ + "/trailwatch.db", http_.get(), mail_.get(), &clock_);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      deliverer_ = std::move(d).value();
    }
    ASSERT_TRUE(deliverer_->DeliverDue().ok());
  }

  Topic MakeTopic(const std::map<std::string, std::string>& attributes = {}) {
    Result<Topic> topic = sns_->CreateTopic("alerts", attributes);
    EXPECT_TRUE(topic.ok()) << topic.status().ToString();
    return topic.ok() ? *topic : Topic{};
  }

  const AddressPolicy loopback_allowed_{{*Cidr::Parse("127.0.0.1/32")}};
  ManualClock clock_{*ParseTimestamp("2024-03-01T12:00:00.250Z")};
  std::string dir_;
  std::optional<store::Database> db_;
  std::unique_ptr<Sns> sns_;
  std::unique_ptr<HttpReceiver> receiver_;
  std::unique_ptr<testing::SmtpSink> sink_;
  std::unique_ptr<HttpSender> http_;
  std::unique_ptr<MailSender> mail_;
  std::unique_ptr<Deliverer> deliverer_;
};

TEST_F(SnsTest, AlarmNotificationOverHttpIsTheSnsEnvelopeSignedAndVerifiable) {
  Topic topic = MakeTopic();
  EXPECT_EQ(topic.arn, "arn:aws:sns:us-east-1:123456789012:alerts");
  Result<Subscription> sub = sns_->Subscribe(topic.arn, "http", receiver_->url("/hook"), {}, true);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  AlarmChange change = SeedChange();
  Result<std::string> id = sns_->Publish(topic.arn, AlarmPublication(change));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  DeliverDue();

  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  const testing::ReceivedRequest& r = got[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/hook");
  EXPECT_EQ(r.Header("x-amz-sns-message-type"), "Notification");
  EXPECT_EQ(r.Header("x-amz-sns-message-id"), *id);
  EXPECT_EQ(r.Header("x-amz-sns-topic-arn"), topic.arn);
  EXPECT_EQ(r.Header("x-amz-sns-subscription-arn"), sub->arn);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(r.Header("User-Agent"), "Amazon Simple Notification Service Agent");
  EXPECT_EQ(r.Header("Connection"), "Keep-Alive");
  EXPECT_EQ(r.Header("Accept-Encoding"), "gzip,deflate");
  EXPECT_FALSE(r.HasHeader("Accept"));
  EXPECT_FALSE(r.HasHeader("Expect"));

  Json body = Json::parse(r.body);
  std::vector<std::string> keys;
  for (auto it = body.begin(); it != body.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(body["Type"], "Notification");
  EXPECT_EQ(body["MessageId"], *id);
  EXPECT_EQ(body["TopicArn"], topic.arn);
  EXPECT_EQ(body["Subject"], "ALARM: \"IAMPolicyChanges\" in US East (N. Virginia)");
  EXPECT_EQ(body["Message"], AlarmMessageJson(change));
  EXPECT_EQ(body["Timestamp"], "2024-03-01T12:00:00.250Z");
  EXPECT_EQ(body["SignatureVersion"], "1");
  EXPECT_EQ(body["SigningCertURL"], sns_->SigningCertUrl());
  EXPECT_TRUE(
      sns_->SigningCertUrl().starts_with("http://127.0.0.1:4566/SimpleNotificationService-"));
  EXPECT_EQ(body["UnsubscribeURL"],
            "http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=" + sub->arn);
  // The message is CloudWatch's, key for key; the evidence rides beside it
  // as a message attribute, the envelope's last key as on AWS.
  Json message = Json::parse(body["Message"].get<std::string>());
  EXPECT_FALSE(message.contains("Evidence"));
  auto ordered = nlohmann::ordered_json::parse(r.body);
  EXPECT_EQ(std::prev(ordered.end()).key(), "MessageAttributes");
  ASSERT_EQ(body["MessageAttributes"].size(), 1u);
  EXPECT_EQ(body["MessageAttributes"]["trailwatch.evidence"]["Type"], "String");
  Json evidence =
      Json::parse(body["MessageAttributes"]["trailwatch.evidence"]["Value"].get<std::string>());
  EXPECT_EQ(evidence["total"], 3);
  EXPECT_EQ(evidence["events"][0]["principal"], "arn:aws:iam::123456789012:user/mallory");
  EXPECT_EQ(evidence["events"][0]["sourceIPAddress"], "198.51.100.7");

  SnsEnvelope envelope = testing::EnvelopeFromJson(body);
  EXPECT_TRUE(VerifyEnvelope(envelope, sns_->signing_key().certificate_pem()).ok());
  envelope.message += " ";
  EXPECT_FALSE(VerifyEnvelope(envelope, sns_->signing_key().certificate_pem()).ok());
}

TEST_F(SnsTest, SignatureVersion2TopicsSignWithSha256) {
  Topic topic = MakeTopic({{"SignatureVersion", "2"}});
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "https", "https://127.0.0.1:1/x", {}, true).ok());
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "http", receiver_->url("/v2"), {}, true).ok());
  ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "hello"}).ok());
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  Json body = Json::parse(got[0].body);
  EXPECT_EQ(body["SignatureVersion"], "2");
  EXPECT_FALSE(body.contains("Subject"));
  EXPECT_TRUE(
      VerifyEnvelope(testing::EnvelopeFromJson(body), sns_->signing_key().certificate_pem()).ok());
  SnsEnvelope as_v1 = testing::EnvelopeFromJson(body);
  as_v1.signature_version = "1";
  EXPECT_FALSE(VerifyEnvelope(as_v1, sns_->signing_key().certificate_pem()).ok());
}

TEST_F(SnsTest, RawMessageDeliverySendsOnlyTheMessage) {
  Topic topic = MakeTopic();
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "http", receiver_->url("/raw"),
                              {{"RawMessageDelivery", "true"}}, true)
                  .ok());
  Result<std::string> id = sns_->Publish(topic.arn, {.subject = "s", .message = "just this"});
  ASSERT_TRUE(id.ok());
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "just this");
  EXPECT_EQ(got[0].Header("x-amz-sns-rawdelivery"), "true");
  EXPECT_EQ(got[0].Header("x-amz-sns-message-id"), *id);
}

TEST_F(SnsTest, RawDeliveryOfAnAlarmIsCloudWatchsMessageAlone) {
  Topic topic = MakeTopic();
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "http", receiver_->url("/raw"),
                              {{"RawMessageDelivery", "true"}}, true)
                  .ok());
  AlarmChange change = SeedChange();
  ASSERT_TRUE(sns_->Publish(topic.arn, AlarmPublication(change)).ok());
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, AlarmMessageJson(change));
  for (const auto& [name, value] : got[0].headers) {
    EXPECT_EQ(name.find("evidence"), std::string::npos) << name;
  }
}

TEST(AlarmPublicationTest, EvidenceOnlyWhenEventsMatched) {
  AlarmChange change = SeedChange();
  Publication with = AlarmPublication(change);
  EXPECT_EQ(with.message, AlarmMessageJson(change));
  EXPECT_EQ(with.subject, AlarmSubject(change));
  ASSERT_EQ(with.attributes.size(), 1u);
  EXPECT_EQ(with.attributes.at("trailwatch.evidence"),
            (MessageAttribute{"String", AlarmEvidenceJson(change)}));
  EXPECT_EQ(with.origin,
            "alarm:" + change.alarm_arn + "@" + FormatIso8601(change.state_change_time));

  change.evidence.clear();
  change.evidence_total = 0;
  EXPECT_TRUE(AlarmPublication(change).attributes.empty());
}

TEST_F(SnsTest, MessageStructureAndAttributesReachTheEnvelope) {
  Topic topic = MakeTopic();
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "http", receiver_->url("/s"), {}, true).ok());
  Publication p;
  p.message = "default text";
  p.per_protocol = {{"http", "for http"}, {"email", "for email"}};
  p.attributes = {{"severity", {"String", "high"}}};
  ASSERT_TRUE(sns_->Publish(topic.arn, p).ok());
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  Json body = Json::parse(got[0].body);
  EXPECT_EQ(body["Message"], "for http");
  EXPECT_EQ(body["MessageAttributes"],
            Json::parse(R"({"severity":{"Type":"String","Value":"high"}})"));
}

TEST_F(SnsTest, HttpSubscriptionFollowsTheConfirmationFlow) {
  Topic topic = MakeTopic();
  Result<Subscription> sub = sns_->Subscribe(topic.arn, "http", receiver_->url("/confirm"), {});
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_FALSE(sub->confirmed);
  Result<std::map<std::string, std::string>> attributes = sns_->TopicAttributes(topic.arn);
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ(attributes->at("SubscriptionsPending"), "1");
  EXPECT_EQ(attributes->at("SubscriptionsConfirmed"), "0");

  // Nothing is published to a pending subscription.
  ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "too early"}).ok());
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  const testing::ReceivedRequest& confirmation = got[0];
  EXPECT_EQ(confirmation.Header("x-amz-sns-message-type"), "SubscriptionConfirmation");
  EXPECT_FALSE(confirmation.HasHeader("x-amz-sns-subscription-arn"));
  Json body = Json::parse(confirmation.body);
  EXPECT_EQ(body["Type"], "SubscriptionConfirmation");
  EXPECT_EQ(body["Message"],
            "You have chosen to subscribe to the topic " + topic.arn +
                ".\nTo confirm the subscription, visit the SubscribeURL included in this message.");
  const std::string token = body["Token"];
  EXPECT_EQ(token.size(), 128u);
  Result<std::string> pending_token = sns_->PendingToken(sub->arn);
  ASSERT_TRUE(pending_token.ok());
  EXPECT_EQ(*pending_token, token);
  EXPECT_EQ(body["SubscribeURL"], "http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=" +
                                      topic.arn + "&Token=" + token);
  EXPECT_TRUE(
      VerifyEnvelope(testing::EnvelopeFromJson(body), sns_->signing_key().certificate_pem()).ok());

  // AWS's recorded texts: not hex digits, a token matching nothing, a
  // wrong topic.
  EXPECT_EQ(sns_->ConfirmSubscription(topic.arn, "nope").status().message(), "Invalid token");
  EXPECT_EQ(sns_->ConfirmSubscription(topic.arn, std::string(256, 'a')).status().message(),
            "Invalid parameter: Token");
  EXPECT_EQ(sns_->ConfirmSubscription(topic.arn + "x", token).status().message(),
            "Invalid parameter: Token");
  Result<Subscription> confirmed = sns_->ConfirmSubscription(topic.arn, token);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status().ToString();
  EXPECT_EQ(confirmed->arn, sub->arn);
  EXPECT_TRUE(confirmed->confirmed);
  EXPECT_TRUE(sns_->ConfirmSubscription(topic.arn, token).ok());  // twice is fine

  ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "now"}).ok());
  DeliverDue();
  got = receiver_->WaitForRequests(2, kWait);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Json::parse(got[1].body)["Message"], "now");
}

TEST_F(SnsTest, ConfirmationTokensExpire) {
  Topic topic = MakeTopic();
  Result<Subscription> sub = sns_->Subscribe(topic.arn, "http", receiver_->url("/late"), {});
  ASSERT_TRUE(sub.ok());
  Result<std::string> token = sns_->PendingToken(sub->arn);
  ASSERT_TRUE(token.ok());
  clock_.Advance(std::chrono::hours(73));
  EXPECT_EQ(sns_->ConfirmSubscription(topic.arn, *token).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SnsTest, UnsubscribeSendsAnUnsubscribeConfirmationWhoseLinkRestores) {
  Topic topic = MakeTopic();
  Result<Subscription> sub = sns_->Subscribe(topic.arn, "http", receiver_->url("/u"), {}, true);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sns_->Unsubscribe(sub->arn, Authentication::kSigned).ok());
  EXPECT_EQ(sns_->Unsubscribe(sub->arn, Authentication::kSigned).code(), StatusCode::kNotFound);
  EXPECT_EQ(sns_->GetSubscription(sub->arn).status().code(), StatusCode::kNotFound);
  Result<std::map<std::string, std::string>> attributes = sns_->TopicAttributes(topic.arn);
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ(attributes->at("SubscriptionsDeleted"), "1");
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("x-amz-sns-message-type"), "UnsubscribeConfirmation");
  Json body = Json::parse(got[0].body);
  EXPECT_EQ(body["Message"], "You have chosen to deactivate subscription " + sub->arn +
                                 ".\nTo cancel this operation and restore the subscription, "
                                 "visit the SubscribeURL included in this message.");
  EXPECT_TRUE(
      VerifyEnvelope(testing::EnvelopeFromJson(body), sns_->signing_key().certificate_pem()).ok());
  Result<Subscription> restored =
      sns_->ConfirmSubscription(topic.arn, QueryValue(body["SubscribeURL"], "Token"));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->arn, sub->arn);
  EXPECT_TRUE(sns_->GetSubscription(sub->arn).ok());
}

TEST_F(SnsTest, UnsubscribingWhileADeliveryBacksOffStopsItsRetries) {
  Result<std::unique_ptr<HttpReceiver>> flaky =
      HttpReceiver::Start({.behaviour = HttpReceiver::FailFirst(1, 503)});
  ASSERT_TRUE(flaky.ok());
  Topic topic = MakeTopic();
  Result<Subscription> sub = sns_->Subscribe(
      topic.arn, "http", (*flaky)->url("/flaky"),
      {{"DeliveryPolicy",
        R"({"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":5,"maxDelayTarget":5}})"}},
      true);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "x"}).ok());
  DeliverDue();  // 503: due again in 5 s
  Outbox outbox(&*db_);
  Result<std::vector<Delivery>> rows = outbox.List({.subscription_arn = sub->arn});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().state, DeliveryState::kPending);
  EXPECT_EQ(rows->front().attempts, 1);

  ASSERT_TRUE(sns_->Unsubscribe(sub->arn, Authentication::kSigned).ok());
  clock_.Advance(seconds(60));
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = (*flaky)->requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header("x-amz-sns-message-type"), "Notification");
  EXPECT_EQ(got[1].Header("x-amz-sns-message-type"), "UnsubscribeConfirmation");
  rows = outbox.List({.subscription_arn = sub->arn});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().item.type, "UnsubscribeConfirmation");
  EXPECT_EQ(rows->front().state, DeliveryState::kDelivered);
}

TEST_F(SnsTest, DeletingATopicDropsWhatItsSubscribersWereNotYetSent) {
  Result<std::unique_ptr<HttpReceiver>> flaky =
      HttpReceiver::Start({.behaviour = HttpReceiver::FailFirst(2, 503)});
  ASSERT_TRUE(flaky.ok());
  UseSmtp();
  Topic topic = MakeTopic();
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "http", (*flaky)->url("/x"), {}, true).ok());
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "http", (*flaky)->url("/y"), {}, true).ok());
  // Pending confirmation: its SubscriptionConfirmation mail is delivered.
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "email", "ops@example.com", {}).ok());
  ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "x"}).ok());
  DeliverDue();  // the webhooks answer 503 and back off
  EXPECT_EQ((*flaky)->requests().size(), 2u);
  EXPECT_EQ(sink_->WaitForMessages(1, kWait).size(), 1u);
  Outbox outbox(&*db_);
  Result<OutboxCounts> counts = outbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 2);
  ASSERT_TRUE(sns_->DeleteTopic(topic.arn).ok());
  counts = outbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
  clock_.Advance(seconds(3600));
  DeliverDue();
  EXPECT_EQ((*flaky)->requests().size(), 2u);
  Result<std::vector<Delivery>> rows = outbox.List({.topic_arn = topic.arn});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);  // the confirmation mail, delivered
  EXPECT_EQ(rows->front().item.type, "SubscriptionConfirmation");
}

TEST_F(SnsTest, AlarmEmailIsCloudWatchsMailWithEvidenceAndAnHtmlAlternative) {
  UseSmtp();
  Topic topic = MakeTopic({{"DisplayName", "Security alerts"}});
  Result<Subscription> sub =
      sns_->Subscribe(topic.arn, "email", "ops@example.com", {}, /*confirmed=*/true);
  ASSERT_TRUE(sub.ok());
  AlarmChange change = SeedChange();
  Result<std::string> id = sns_->Publish(topic.arn, AlarmPublication(change));
  ASSERT_TRUE(id.ok());
  DeliverDue();
  std::vector<testing::ReceivedMail> mails = sink_->WaitForMessages(1, kWait);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].mail_from, "alerts@trailwatch.test");
  EXPECT_EQ(mails[0].rcpt_tos, std::vector<std::string>{"ops@example.com"});
  testing::ParsedMail mail = testing::ParseMail(mails[0].data);
  EXPECT_EQ(mail.Header("From"), "\"Security alerts\" <alerts@trailwatch.test>");
  EXPECT_EQ(mail.Header("To"), "ops@example.com");
  EXPECT_EQ(mail.Header("Subject"), "ALARM: \"IAMPolicyChanges\" in US East (N. Virginia)");
  EXPECT_EQ(mail.Header("Message-ID"), "<" + *id + "@sns.trailwatch>");
  EXPECT_EQ(mail.Header("X-Amz-Sns-Message-Id"), *id);
  EXPECT_EQ(mail.Header("X-Amz-Sns-Subscription-Arn"), sub->arn);
  const std::string unsubscribe =
      "http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=" + sub->arn;
  EmailBody expected = AlarmEmail(change, unsubscribe);
  EXPECT_EQ(mail.text, expected.text);
  EXPECT_EQ(mail.html, expected.html);
  EXPECT_NE(
      mail.text.find("What happened:\n- 2024-03-01T11:57:12Z  "
                     "arn:aws:iam::123456789012:user/mallory  iam.amazonaws.com DeletePolicy"),
      std::string::npos)
      << mail.text;
  EXPECT_NE(mail.text.find("(and 2 more events not shown)"), std::string::npos);
}

TEST_F(SnsTest, EmailSubscriptionGetsAConfirmationMailAndEmailJsonTheEnvelope) {
  UseSmtp();
  Topic topic = MakeTopic();
  Result<Subscription> sub = sns_->Subscribe(topic.arn, "email-json", "dev@example.com", {});
  ASSERT_TRUE(sub.ok());
  DeliverDue();
  std::vector<testing::ReceivedMail> mails = sink_->WaitForMessages(1, kWait);
  ASSERT_EQ(mails.size(), 1u);
  testing::ParsedMail confirmation = testing::ParseMail(mails[0].data);
  EXPECT_EQ(confirmation.Header("Subject"), "AWS Notification - Subscription Confirmation");
  EXPECT_EQ(confirmation.Header("From"), "\"AWS Notifications\" <alerts@trailwatch.test>");
  Result<std::string> token = sns_->PendingToken(sub->arn);
  ASSERT_TRUE(token.ok());
  const std::string link =
      "http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=" + topic.arn +
      "&Token=" + *token;
  EXPECT_NE(confirmation.text.find("You have chosen to subscribe to the topic: \n" + topic.arn),
            std::string::npos);
  EXPECT_NE(confirmation.text.find("\n" + link + "\n"), std::string::npos) << confirmation.text;
  ASSERT_TRUE(sns_->ConfirmSubscription(topic.arn, *token).ok());

  ASSERT_TRUE(sns_->Publish(topic.arn, {.subject = "Hi", .message = "json please"}).ok());
  DeliverDue();
  mails = sink_->WaitForMessages(2, kWait);
  ASSERT_EQ(mails.size(), 2u);
  testing::ParsedMail notification = testing::ParseMail(mails[1].data);
  EXPECT_EQ(notification.Header("Subject"), "Hi");
  Json body = Json::parse(notification.text);
  EXPECT_EQ(body["Type"], "Notification");
  EXPECT_EQ(body["Message"], "json please");
  EXPECT_TRUE(
      VerifyEnvelope(testing::EnvelopeFromJson(body), sns_->signing_key().certificate_pem()).ok());
}

TEST_F(SnsTest, PlainEmailIsTheMessageWithTheFooter) {
  UseSmtp();
  Topic topic = MakeTopic();
  Result<Subscription> sub = sns_->Subscribe(topic.arn, "email", "a@example.com", {}, true);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "Disk almost full"}).ok());
  DeliverDue();
  std::vector<testing::ReceivedMail> mails = sink_->WaitForMessages(1, kWait);
  ASSERT_EQ(mails.size(), 1u);
  testing::ParsedMail mail = testing::ParseMail(mails[0].data);
  EXPECT_EQ(mail.Header("Subject"), "AWS Notification Message");
  EXPECT_EQ(mail.text,
            "Disk almost full\n\n--\nIf you wish to stop receiving notifications from this topic, "
            "please click or visit the link below to unsubscribe:\n"
            "http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=" +
                sub->arn +
                "\n\nPlease do not reply directly to this email. If you have any questions or "
                "comments regarding this email, please contact us at "
                "https://aws.amazon.com/support\n");
  EXPECT_EQ(mail.html, "");
}

TEST_F(SnsTest, SlackGetsAFormattedAlarm) {
  Topic topic = MakeTopic();
  ASSERT_TRUE(
      sns_->Subscribe(topic.arn, "slack", receiver_->url("/services/T/B/X"), {}, true).ok());
  AlarmChange change = SeedChange();
  change.evidence[0].principal = "<!channel> mallory & co";
  ASSERT_TRUE(sns_->Publish(topic.arn, AlarmPublication(change)).ok());
  DeliverDue();
  std::vector<testing::ReceivedRequest> got = receiver_->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Content-Type"), "application/json");
  EXPECT_FALSE(got[0].HasHeader("x-amz-sns-message-type"));
  Json body = Json::parse(got[0].body);
  EXPECT_EQ(body, Json::parse(AlarmSlackPayload(change)));
  EXPECT_EQ(body["blocks"][0]["type"], "header");
  EXPECT_EQ(body["blocks"][0]["text"]["text"],
            "ALARM: \"IAMPolicyChanges\" in US East (N. Virginia)");
  const std::string evidence = body["blocks"][2]["text"]["text"];
  EXPECT_NE(evidence.find("&lt;!channel&gt; mallory &amp; co"), std::string::npos) << evidence;
  EXPECT_EQ(evidence.find("<!channel>"), std::string::npos);
  EXPECT_NE(evidence.find("(and 2 more events not shown)"), std::string::npos);
}

TEST_F(SnsTest, SubscriptionDeliveryPolicyGovernsItsRetries) {
  Topic topic = MakeTopic();
  Result<Subscription> sub = sns_->Subscribe(
      topic.arn, "http", receiver_->url("/p"),
      {{"DeliveryPolicy",
        R"({"healthyRetryPolicy":{"numRetries":2,"minDelayTarget":1,"maxDelayTarget":1}})"}},
      true);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  Result<std::string> id = sns_->Publish(topic.arn, {.message = "x"});
  ASSERT_TRUE(id.ok());
  Outbox outbox(&*db_);
  Result<std::vector<Delivery>> rows = outbox.List({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().item.retry_delays, (std::vector<seconds>{seconds(1), seconds(1)}));
  EXPECT_EQ(rows->front().item.message_id, *id);
  EXPECT_EQ(rows->front().item.origin, "");

  Result<std::map<std::string, std::string>> a = sns_->SubscriptionAttributes(sub->arn);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->at("PendingConfirmation"), "false");
  EXPECT_EQ(a->at("RawMessageDelivery"), "false");
  EXPECT_EQ(a->at("Protocol"), "http");
  Json effective = Json::parse(a->at("EffectiveDeliveryPolicy"));
  EXPECT_EQ(effective["healthyRetryPolicy"]["numRetries"], 2);

  // Without its own policy a subscription follows the topic's, then SNS's.
  Result<Subscription> plain = sns_->Subscribe(topic.arn, "http", receiver_->url("/q"), {}, true);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(
      sns_->SetTopicAttribute(
              topic.arn, "DeliveryPolicy",
              R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"minDelayTarget":5,"maxDelayTarget":5}}})")
          .ok());
  ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "y"}).ok());
  rows = outbox.List({.subscription_arn = plain->arn});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().item.retry_delays, std::vector<seconds>{seconds(5)});
}

TEST_F(SnsTest, TopicsAreIdempotentAndValidated) {
  Topic topic = MakeTopic({{"DisplayName", "A"}});
  Result<Topic> again = sns_->CreateTopic("alerts", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->arn, topic.arn);
  EXPECT_EQ(again->display_name(), "A");
  EXPECT_EQ(sns_->CreateTopic("alerts", {{"DisplayName", "B"}}).status().message(),
            "Invalid parameter: Attributes Reason: Topic already exists with different attributes");
  // FifoTopic=false is what a standard topic already is.
  EXPECT_TRUE(sns_->CreateTopic("alerts", {{"FifoTopic", "false"}}).ok());
  EXPECT_TRUE(sns_->CreateTopic("alerts", {{"DisplayName", "A"}, {"FifoTopic", "false"}}).ok());
  EXPECT_EQ(sns_->CreateTopic("bad name", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sns_->CreateTopic("t", {{"SignatureVersion", "3"}}).status().message(),
            "Invalid parameter: SignatureVersion: must be 1 or 2");
  EXPECT_EQ(sns_->CreateTopic("t", {{"Colour", "red"}}).status().message(),
            "Invalid parameter: AttributeName: Colour is not a topic attribute");
  EXPECT_EQ(sns_->SetTopicAttribute(topic.arn, "DeliveryPolicy", "{").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(sns_->GetTopic("arn:aws:sns:us-east-1:123456789012:nope").status().message(),
            "Topic does not exist");

  Result<std::map<std::string, std::string>> attributes = sns_->TopicAttributes(topic.arn);
  ASSERT_TRUE(attributes.ok());
  EXPECT_EQ(attributes->at("TopicArn"), topic.arn);
  EXPECT_EQ(attributes->at("Owner"), "123456789012");
  EXPECT_EQ(attributes->at("DisplayName"), "A");
  EXPECT_EQ(attributes->count("SignatureVersion"), 0u) << "reported only once set";
  Json policy = Json::parse(attributes->at("Policy"));
  EXPECT_EQ(policy["Statement"][0]["Resource"], topic.arn);
  Json effective = Json::parse(attributes->at("EffectiveDeliveryPolicy"));
  EXPECT_EQ(effective["http"]["defaultHealthyRetryPolicy"]["numRetries"], 3);
  EXPECT_EQ(effective["http"]["defaultHealthyRetryPolicy"]["minDelayTarget"], 20);

  ASSERT_TRUE(sns_->Subscribe(topic.arn, "email", "x@example.com", {}, true).ok());
  ASSERT_TRUE(sns_->DeleteTopic(topic.arn).ok());
  EXPECT_EQ(sns_->DeleteTopic(topic.arn).code(), StatusCode::kNotFound);
  Result<std::vector<Subscription>> left = sns_->ListSubscriptions();
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

TEST_F(SnsTest, SubscribeAndPublishAreValidatedInSnsWords) {
  Topic topic = MakeTopic();
  EXPECT_EQ(sns_->Subscribe(topic.arn, "http", "https://x", {}).status().message(),
            "Invalid parameter: Endpoint: must be an http:// URL for protocol http");
  EXPECT_EQ(sns_->Subscribe(topic.arn, "email", "nobody", {}).status().message(),
            "Invalid parameter: Endpoint: 'nobody' is not an e-mail address");
  EXPECT_EQ(sns_->Subscribe(topic.arn, "sqs", "arn:aws:sqs:us-east-1:1:q", {}).status().message(),
            "Invalid parameter: Amazon SNS does not support this protocol string: sqs (trailwatch "
            "delivers http, https, email, email-json and slack)");
  EXPECT_EQ(
      sns_->Subscribe(topic.arn, "http", "http://x", {{"FilterPolicy", "{}"}}).status().message(),
      "Invalid parameter: FilterPolicy: not supported by trailwatch");
  EXPECT_EQ(sns_->Subscribe(topic.arn + "x", "http", "http://x", {}).status().code(),
            StatusCode::kNotFound);

  EXPECT_EQ(sns_->Publish(topic.arn, {.message = ""}).status().message(),
            "Invalid parameter: Empty message");
  // AWS's words for every refused subject: empty (recorded), 101
  // characters (reported; 100 pass), line breaks or control characters.
  for (const std::string& subject : {std::string(), std::string(101, 's'), std::string("a\nb"),
                                     std::string("tab\there")}) {
    EXPECT_EQ(sns_->Publish(topic.arn, {.subject = subject, .message = "m"}).status().message(),
              "Invalid parameter: Subject")
        << subject;
  }
  EXPECT_TRUE(sns_->Publish(topic.arn, {.subject = std::string(100, 's'), .message = "m"}).ok());
  std::string accented;  // 100 characters, 200 bytes
  for (int i = 0; i < 100; ++i) accented += "\xc3\xa9";
  EXPECT_TRUE(sns_->Publish(topic.arn, {.subject = accented, .message = "m"}).ok());
  EXPECT_EQ(
      sns_->Publish(topic.arn, {.message = std::string(256 * 1024 + 1, 'x')}).status().message(),
      "Invalid parameter: Message too long");
  EXPECT_EQ(sns_->Publish(topic.arn + "x", {.message = "m"}).status().message(),
            "Topic does not exist");
  // A topic without confirmed subscriptions still answers with an ID.
  Result<std::string> id = sns_->Publish(topic.arn, {.message = "m"});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->size(), 36u);
}

TEST_F(SnsTest, ASecondSubscribeReturnsTheSameSubscription) {
  Topic topic = MakeTopic();
  Result<Subscription> a = sns_->Subscribe(topic.arn, "http", receiver_->url("/same"), {}, true);
  Result<Subscription> b = sns_->Subscribe(topic.arn, "http", receiver_->url("/same"), {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->arn, b->arn);
  EXPECT_TRUE(b->confirmed);
  Result<std::vector<Subscription>> all = sns_->ListSubscriptions(topic.arn);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(SnsTest, TheSigningKeyIsKeptAcrossOpens) {
  const std::string cert = sns_->signing_key().certificate_pem();
  const std::string url = sns_->SigningCertUrl();
  sns_.reset();
  Result<std::unique_ptr<Sns>> reopened = Sns::Open(&*db_, {}, &clock_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->signing_key().certificate_pem(), cert);
  EXPECT_EQ((*reopened)->SigningCertPath(),
            url.substr(std::string("http://127.0.0.1:4566").size()));
}

// Publish inside a caller's transaction commits or vanishes with it.
TEST_F(SnsTest, PublishJoinsTheCallersTransaction) {
  Topic topic = MakeTopic();
  ASSERT_TRUE(sns_->Subscribe(topic.arn, "http", receiver_->url("/tx"), {}, true).ok());
  Outbox outbox(&*db_);
  {
    Result<store::Transaction> tx = store::Transaction::Begin(*db_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "rolled back"}).ok());
  }
  Result<OutboxCounts> counts = outbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
  {
    Result<store::Transaction> tx = store::Transaction::Begin(*db_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(sns_->Publish(topic.arn, {.message = "kept"}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  counts = outbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 1);
}

}  // namespace
}  // namespace tw::notify
