// `trailwatch replay --notify` and `trailwatch outbox`: the real binary
// delivering the seed scenario's notifications to a real SMTP server
// (aiosmtpd) and real HTTP receivers on 127.0.0.1, with retries, dead
// letters, and a SIGKILL in the middle.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "notify/signing.h"
#include "store/database.h"
#include "store/directory_lock.h"
#include "support/net/http_receiver.h"
#include "support/net/mail_parse.h"
#include "support/net/smtp_sink.h"
#include "support/net/sns_envelope.h"

namespace tw::cli {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
using testing::HttpReceiver;

constexpr auto kWait = seconds(20);  // bounds a failure only

std::string Record(const std::string& time, const std::string& name) {
  return R"({"eventVersion":"1.08","eventTime":")" + time +
         R"(","eventSource":"iam.amazonaws.com","eventName":")" + name +
         R"(","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.9.19",)"
         R"("userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory",)"
         R"("userName":"mallory"},"requestParameters":{"policyArn":)"
         R"("arn:aws:iam::111122223333:policy/ops-admin"},"responseElements":null})";
}

// The seed events: an ordinary call, then a DeletePolicy. The alarm goes to
// OK at 11:51, to ALARM at 11:58 and back to OK once the window is empty;
// only the ALARM transition has actions.
std::string SeedTrail() {
  return "{\"Records\":[" + Record("2024-03-01T11:50:05Z", "ListUsers") + "," +
         Record("2024-03-01T11:57:12Z", "DeletePolicy") + "]}";
}

std::string SeedTemplate() {
  return Slurp(std::string(TW_SOURCE_DIR) + "/examples/iam-policy-change.yaml");
}

// An extra subscription of the seed topic, appended under Resources.
std::string HttpSubscription(const std::string& id, const std::string& url,
                             const std::string& delivery_policy = "") {
  std::string s = "\n  " + id +
                  ":\n    Type: AWS::SNS::Subscription\n    Properties:\n      TopicArn: !Ref "
                  "AlarmTopic\n      Protocol: http\n      Endpoint: " +
                  url + "\n";
  if (!delivery_policy.empty()) s += "      DeliveryPolicy: '" + delivery_policy + "'\n";
  return s;
}

// Retries after 1 s, twice (3 attempts), so that the tests take seconds.
constexpr const char* kQuickPolicy =
    R"({"healthyRetryPolicy":{"numRetries":2,"minDelayTarget":1,"maxDelayTarget":1}})";

std::vector<Json> JsonLines(const std::string& text) {
  std::vector<Json> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(Json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

std::vector<Json> OfType(const std::vector<Json>& lines, const std::string& type) {
  std::vector<Json> out;
  for (const Json& l : lines) {
    if (l["type"] == type) out.push_back(l);
  }
  return out;
}

// The signing certificate the binary created, read from its store.
std::string StoredCertificate(const std::string& data_dir) {
  Result<store::Database> db = store::Database::Open(data_dir + "/trailwatch.db");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return "";
  Result<store::Statement> q = db->Prepare("SELECT cert_pem FROM sns_signing_key");
  EXPECT_TRUE(q.ok() && *q->Step());
  return q->ColumnText(0);
}

std::unique_ptr<HttpReceiver> Receiver(testing::HttpBehaviour behaviour) {
  Result<std::unique_ptr<HttpReceiver>> r =
      HttpReceiver::Start({.behaviour = std::move(behaviour)});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(ReplayNotifyCliTest, TheSeedScenarioMailAndWebhookArriveWithTheEvidence) {
  TempDir dir;
  Result<std::unique_ptr<testing::SmtpSink>> sink = testing::SmtpSink::Start();
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  std::unique_ptr<HttpReceiver> hook = Receiver(HttpReceiver::Always(200));
  ASSERT_TRUE(hook);
  const std::string template_path =
      dir.Write("seed.yaml", SeedTemplate() + HttpSubscription("Hook", hook->url("/sns")));
  const std::string trail = dir.Write("trail.json", SeedTrail());
  const std::string data = dir.File("data");

  Outcome run =
      Trailwatch({"replay", "--notify", "--json", "--template", template_path, "--data-dir", data,
                  "--smtp", (*sink)->url(), "--smtp-from", "alerts@example.com", "--account-id",
                  "111122223333", "--allow-endpoint", "127.0.0.1/32", trail});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<Json> lines = JsonLines(run.out);
  std::vector<Json> deliveries = OfType(lines, "delivery");
  ASSERT_EQ(deliveries.size(), 2u) << run.out;
  std::map<std::string, Json> by_protocol;
  for (const Json& d : deliveries) by_protocol[d["protocol"]] = d;
  EXPECT_EQ(by_protocol["email"]["state"], "delivered");
  EXPECT_EQ(by_protocol["email"]["endpoint"], "security@example.com");
  EXPECT_EQ(by_protocol["email"]["attempts"], 1);
  EXPECT_EQ(by_protocol["http"]["state"], "delivered");
  EXPECT_EQ(by_protocol["http"]["lastDetail"], "HTTP 200");
  EXPECT_EQ(by_protocol["email"]["messageId"], by_protocol["http"]["messageId"]);
  EXPECT_EQ(lines.back()["type"], "summary");

  // The e-mail, as a mail client reads it.
  std::vector<testing::ReceivedMail> mails = (*sink)->WaitForMessages(1, kWait);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].mail_from, "alerts@example.com");
  EXPECT_EQ(mails[0].rcpt_tos, std::vector<std::string>{"security@example.com"});
  testing::ParsedMail mail = testing::ParseMail(mails[0].data);
  EXPECT_EQ(mail.Header("Subject"), "ALARM: \"IAMPolicyChanges\" in US East (N. Virginia)");
  EXPECT_EQ(mail.Header("From"), "\"IAM policy changes\" <alerts@example.com>");
  EXPECT_EQ(mail.Header("To"), "security@example.com");
  EXPECT_EQ(mail.Header("X-Amz-Sns-Message-Id"), by_protocol["email"]["messageId"]);
  EXPECT_EQ(mail.Header("MIME-Version"), "1.0");
  EXPECT_TRUE(mail.Header("Content-Type").starts_with("multipart/alternative"));
  const std::string& text = mail.text;
  EXPECT_TRUE(text.starts_with(
      "You are receiving this email because your Amazon CloudWatch Alarm \"IAMPolicyChanges\" in "
      "the US East (N. Virginia) region has entered the ALARM state, because \"Threshold Crossed: "
      "1 datapoint [1.0 (01/03/24 11:53:00)] was greater than the threshold (0.0).\" at \"Friday "
      "01 March, 2024 11:58:00 UTC\"."))
      << text;
  EXPECT_NE(text.find("- Description:                An IAM policy was changed in account "
                      "111122223333 (us-east-1)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("- State Change:               OK -> ALARM\n"), std::string::npos);
  EXPECT_NE(text.find("- MetricName:                          IAMPolicyEventCount\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nWhat happened:\n- 2024-03-01T11:57:12Z  "
                      "arn:aws:iam::111122223333:user/mallory  iam.amazonaws.com DeletePolicy on "
                      "policyArn=arn:aws:iam::111122223333:policy/ops-admin  from 203.0.113.7 "
                      "(us-east-1)  succeeded\n"),
            std::string::npos)
      << text;
  EXPECT_TRUE(text.ends_with(
      "\n\nPlease do not reply directly to this email. If you have any questions or comments "
      "regarding this email, please contact us at https://aws.amazon.com/support\n"));
  EXPECT_NE(text.find("please click or visit the link below to unsubscribe:\n"
                      "http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn="
                      "arn:aws:sns:us-east-1:111122223333:trailwatch-iam-policy-changes:"),
            std::string::npos)
      << text;
  EXPECT_NE(mail.html.find("<span class=\"who\">arn:aws:iam::111122223333:user/mallory</span>"),
            std::string::npos)
      << mail.html;
  EXPECT_NE(mail.html.find("<span class=\"from\">203.0.113.7 (us-east-1)</span>"),
            std::string::npos);
  // The console link is trailwatch's (--public-url), never AWS's.
  EXPECT_NE(mail.html.find("<a class=\"console\" href=\"http://127.0.0.1:4566/console/#/alarms/"
                           "IAMPolicyChanges\""),
            std::string::npos)
      << mail.html;
  EXPECT_EQ(mail.html.find("amazon.com"), std::string::npos);

  // The webhook: SNS's envelope, signed with the key kept in the data dir.
  std::vector<testing::ReceivedRequest> got = hook->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("x-amz-sns-message-type"), "Notification");
  EXPECT_EQ(got[0].Header("x-amz-sns-message-id"), by_protocol["http"]["messageId"]);
  EXPECT_EQ(got[0].Header("x-amz-sns-topic-arn"),
            "arn:aws:sns:us-east-1:111122223333:trailwatch-iam-policy-changes");
  EXPECT_EQ(got[0].Header("x-amz-sns-subscription-arn"), by_protocol["http"]["subscriptionArn"]);
  Json body = Json::parse(got[0].body);
  EXPECT_EQ(body["Subject"], "ALARM: \"IAMPolicyChanges\" in US East (N. Virginia)");
  Json message = Json::parse(body["Message"].get<std::string>());
  EXPECT_EQ(message["AlarmName"], "IAMPolicyChanges");
  EXPECT_EQ(message["NewStateValue"], "ALARM");
  EXPECT_EQ(message["AWSAccountId"], "111122223333");
  EXPECT_EQ(message["Trigger"]["Statistic"], "MAXIMUM");
  EXPECT_EQ(message["Trigger"]["TreatMissingData"], "notBreaching");
  EXPECT_FALSE(message.contains("Evidence"));
  Json evidence =
      Json::parse(body["MessageAttributes"]["trailwatch.evidence"]["Value"].get<std::string>());
  EXPECT_EQ(evidence["total"], 1);
  EXPECT_EQ(evidence["events"][0]["eventName"], "DeletePolicy");
  EXPECT_EQ(evidence["events"][0]["principal"], "arn:aws:iam::111122223333:user/mallory");
  EXPECT_EQ(evidence["events"][0]["sourceIPAddress"], "203.0.113.7");
  EXPECT_TRUE(
      notify::VerifyEnvelope(testing::EnvelopeFromJson(body), StoredCertificate(data)).ok());
}

// A composite alarm in the template follows the seed alarm; its message is
// CloudWatch's composite shape, naming the rule and the triggering child.
TEST(ReplayNotifyCliTest, ACompositeAlarmNotifiesWithItsRuleAndTheTriggeringChild) {
  TempDir dir;
  std::unique_ptr<HttpReceiver> hook = Receiver(HttpReceiver::Always(200));
  ASSERT_TRUE(hook);
  const std::string composite =
      "\n  CompositeTopic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
      "      TopicName: composite-topic\n"
      "  CompositeHook:\n    Type: AWS::SNS::Subscription\n    Properties:\n"
      "      TopicArn: !Ref CompositeTopic\n      Protocol: http\n      Endpoint: " +
      hook->url("/composite") +
      "\n  AnyChange:\n    Type: AWS::CloudWatch::CompositeAlarm\n    Properties:\n"
      "      AlarmName: AnyIamChange\n      AlarmRule: ALARM(IAMPolicyChanges)\n"
      "      AlarmActions: [!Ref CompositeTopic]\n";
  const std::string template_path = dir.Write("seed.yaml", SeedTemplate() + composite);
  const std::string trail = dir.Write("trail.json", SeedTrail());
  Outcome run = Trailwatch({"replay", "--notify", "--json", "--template", template_path,
                            "--data-dir", dir.File("data"), "--account-id", "111122223333",
                            "--allow-endpoint", "127.0.0.1/32", trail});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<Json> transitions = OfType(JsonLines(run.out), "transition");
  std::vector<std::string> names;
  for (const Json& t : transitions) {
    names.push_back(t["alarmName"].get<std::string>() + " " + t["newState"].get<std::string>());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"AnyIamChange OK", "IAMPolicyChanges OK",
                                             "IAMPolicyChanges ALARM", "AnyIamChange ALARM",
                                             "IAMPolicyChanges OK", "AnyIamChange OK"}))
      << run.out;

  std::vector<testing::ReceivedRequest> got = hook->WaitForRequests(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  Json body = Json::parse(got[0].body);
  EXPECT_EQ(body["Subject"], "ALARM: \"AnyIamChange\" in US East (N. Virginia)");
  EXPECT_FALSE(body.contains("MessageAttributes"));  // no evidence of its own
  Json message = Json::parse(body["Message"].get<std::string>());
  EXPECT_EQ(message["AlarmName"], "AnyIamChange");
  EXPECT_EQ(message["OldStateValue"], "OK");
  EXPECT_EQ(message["NewStateValue"], "ALARM");
  EXPECT_EQ(message["AlarmRule"], "ALARM(IAMPolicyChanges)");
  ASSERT_EQ(message["TriggeringChildren"].size(), 1u);
  EXPECT_EQ(message["TriggeringChildren"][0]["Arn"],
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:IAMPolicyChanges");
  EXPECT_EQ(message["TriggeringChildren"][0]["State"]["Value"], "ALARM");
  EXPECT_FALSE(message.contains("Trigger"));
  EXPECT_EQ(message["NewStateReason"],
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:IAMPolicyChanges transitioned to "
            "ALARM at Friday 01 March, 2024 11:58:00 UTC");
}

TEST(ReplayNotifyCliTest, RetriesFollowThePolicyClientErrorsAreNotRetriedAndTheRestIsDead) {
  TempDir dir;
  std::unique_ptr<HttpReceiver> flaky = Receiver(HttpReceiver::FailFirst(2, 500));
  std::unique_ptr<HttpReceiver> gone = Receiver(HttpReceiver::Always(404));
  std::unique_ptr<HttpReceiver> broken = Receiver(HttpReceiver::Always(500));
  ASSERT_TRUE(flaky && gone && broken);
  const std::string template_path = dir.Write(
      "t.yaml", SeedTemplate() + HttpSubscription("Flaky", flaky->url("/f"), kQuickPolicy) +
                    HttpSubscription("Gone", gone->url("/g"), kQuickPolicy) +
                    HttpSubscription("Broken", broken->url("/b"), kQuickPolicy));
  const std::string data = dir.File("data");
  Outcome run =
      Trailwatch({"replay", "--notify", "--json", "--template", template_path, "--data-dir", data,
                  "--allow-endpoint", "127.0.0.1/32", dir.Write("trail.json", SeedTrail())});
  EXPECT_EQ(run.exit_code, 1) << run.err;  // one notification is dead

  std::map<std::string, Json> by_endpoint;
  for (const Json& d : OfType(JsonLines(run.out), "delivery")) by_endpoint[d["endpoint"]] = d;
  EXPECT_EQ(by_endpoint[flaky->url("/f")]["state"], "delivered");
  EXPECT_EQ(by_endpoint[flaky->url("/f")]["attempts"], 3);
  EXPECT_EQ(by_endpoint[gone->url("/g")]["state"], "delivered");
  EXPECT_EQ(by_endpoint[gone->url("/g")]["attempts"], 1);
  EXPECT_EQ(by_endpoint[gone->url("/g")]["lastDetail"], "HTTP 404 (client error, not retried)");
  EXPECT_EQ(by_endpoint[broken->url("/b")]["state"], "dead");
  EXPECT_EQ(by_endpoint[broken->url("/b")]["attempts"], 3);
  EXPECT_EQ(by_endpoint[broken->url("/b")]["lastDetail"], "HTTP 500");

  // The message arrived once, with the MessageId of every attempt.
  std::vector<testing::ReceivedRequest> attempts = flaky->requests();
  ASSERT_EQ(attempts.size(), 3u);
  std::set<std::string> ids, bodies;
  for (const testing::ReceivedRequest& r : attempts) {
    ids.insert(r.Header("x-amz-sns-message-id"));
    bodies.insert(r.body);
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(bodies.size(), 1u);
  EXPECT_EQ(*ids.begin(), by_endpoint[flaky->url("/f")]["messageId"]);
  EXPECT_GE(attempts[1].arrival - attempts[0].arrival, seconds(1));
  EXPECT_EQ(gone->requests().size(), 1u);
  EXPECT_EQ(broken->requests().size(), 3u);
  EXPECT_TRUE(Contains(run.err, "retrying http " + broken->url("/b") + " in 1 s")) << run.err;
  EXPECT_TRUE(Contains(run.err, "dead-lettered http " + broken->url("/b"))) << run.err;

  // The dead letter stays visible, and can be sent again by hand.
  Outcome dead = Trailwatch({"outbox", "list", "--data-dir", data, "--state", "dead", "--json"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  std::vector<Json> dead_rows = JsonLines(dead.out);
  ASSERT_EQ(dead_rows.size(), 1u);
  EXPECT_EQ(dead_rows[0]["endpoint"], broken->url("/b"));
  EXPECT_EQ(dead_rows[0]["state"], "dead");
  const std::string dead_id = std::to_string(dead_rows[0]["id"].get<long long>());
  Outcome shown = Trailwatch({"outbox", "show", "--data-dir", data, dead_id});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  Json detail = Json::parse(shown.out);
  ASSERT_EQ(detail["history"].size(), 3u);
  EXPECT_EQ(detail["history"][2]["outcome"], "retryable");
  EXPECT_EQ(detail["request"]["headers"]["x-amz-sns-message-type"], "Notification");

  Outcome retried = Trailwatch({"outbox", "retry", "--data-dir", data, "--all-dead"});
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.out, "1 delivery is pending again; `trailwatch outbox deliver` sends it\n");
  Outcome again =
      Trailwatch({"outbox", "deliver", "--data-dir", data, "--allow-endpoint", "127.0.0.1/32"});
  EXPECT_EQ(again.exit_code, 1);  // still failing: dead again after 3 more attempts
  EXPECT_EQ(again.out, "0 pending, 3 delivered, 1 dead\n");
  EXPECT_EQ(broken->requests().size(), 6u);
}

TEST(ReplayNotifyCliTest, AnEndpointThatTimesOutIsRetried) {
  TempDir dir;
  std::unique_ptr<HttpReceiver> slow = Receiver([](const testing::ReceivedRequest& r) {
    testing::HttpReply reply;
    if (r.number == 1) reply.delay = seconds(4);
    return reply;
  });
  ASSERT_TRUE(slow);
  const std::string template_path =
      dir.Write("t.yaml", SeedTemplate() + HttpSubscription("Slow", slow->url("/s"), kQuickPolicy));
  Outcome run = Trailwatch({"replay", "--notify", "--json", "--http-timeout", "1", "--template",
                            template_path, "--data-dir", dir.File("data"), "--allow-endpoint",
                            "127.0.0.1/32", dir.Write("trail.json", SeedTrail())});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.err, "in 1 s (Notification ")) << run.err;
  EXPECT_TRUE(Contains(run.err, "attempt 1): timed out after 1 s")) << run.err;
  for (const Json& d : OfType(JsonLines(run.out), "delivery")) {
    if (d["protocol"] != "http") continue;
    EXPECT_EQ(d["state"], "delivered");
    EXPECT_EQ(d["attempts"], 2);
  }
}

TEST(ReplayNotifyCliTest, PendingDeliveriesSurviveSigkillAndAreDeliveredOnRestart) {
  TempDir dir;
  std::atomic<bool> healthy{false};
  std::unique_ptr<HttpReceiver> hook = Receiver([&](const testing::ReceivedRequest&) {
    testing::HttpReply reply;
    if (!healthy) reply.delay = seconds(30);  // hangs until the sender is killed
    return reply;
  });
  ASSERT_TRUE(hook);
  std::string extra;
  for (int i = 0; i < 3; ++i) {
    extra += HttpSubscription("Hook" + std::to_string(i), hook->url("/h" + std::to_string(i)));
  }
  const std::string template_path = dir.Write("t.yaml", SeedTemplate() + extra);
  const std::string data = dir.File("data");
  pid_t pid =
      StartTrailwatch({"replay", "--notify", "--template", template_path, "--data-dir", data,
                       "--allow-endpoint", "127.0.0.1/32", dir.Write("trail.json", SeedTrail())},
                      dir.File("out"), dir.File("err"));
  ASSERT_GT(pid, 0);
  // Killed while its attempts are in flight: nothing has been acknowledged.
  std::vector<testing::ReceivedRequest> in_flight = hook->WaitForRequests(3, kWait);
  ASSERT_EQ(in_flight.size(), 3u) << Slurp(dir.File("err"));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  healthy = true;
  Outcome resumed =
      Trailwatch({"outbox", "deliver", "--data-dir", data, "--allow-endpoint", "127.0.0.1/32"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  // Three webhooks and the e-mail (written to the Maildir: no --smtp).
  EXPECT_EQ(resumed.out, "0 pending, 4 delivered, 0 dead\n");
  std::vector<testing::ReceivedRequest> all = hook->requests();
  ASSERT_EQ(all.size(), 6u);
  std::map<std::string, std::set<std::string>> ids_by_path;
  for (const testing::ReceivedRequest& r : all) {
    ids_by_path[r.path].insert(r.Header("x-amz-sns-message-id"));
  }
  ASSERT_EQ(ids_by_path.size(), 3u);
  for (const auto& [path, ids] : ids_by_path) {
    EXPECT_EQ(ids.size(), 1u) << path << ": a retry after the crash keeps the MessageId";
  }
  // The e-mail was written before or after the kill; if the kill came
  // between the write and its record, it was written again, with the same
  // MessageId (at least once, deduplicable; never lost).
  std::set<std::string> mail_ids;
  std::size_t mails = 0;
  for (const auto& entry : fs::directory_iterator(data + "/maildir/new")) {
    mail_ids.insert(
        testing::ParseMail(Slurp(entry.path().string())).Header("X-Amz-Sns-Message-Id"));
    ++mails;
  }
  EXPECT_GE(mails, 1u);
  EXPECT_LE(mails, 2u);
  EXPECT_EQ(mail_ids.size(), 1u);
}

TEST(ReplayNotifyCliTest, WithoutSmtpMailGoesToTheMaildirAndTheLogSaysWhere) {
  TempDir dir;
  const std::string data = dir.File("data");
  Outcome run = Trailwatch({"replay", "--notify", "--template", dir.Write("t.yaml", SeedTemplate()),
                            "--data-dir", data, dir.Write("trail.json", SeedTrail())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(
      run.err, "no --smtp server given: e-mail is written to the Maildir " + data + "/maildir"))
      << run.err;
  EXPECT_TRUE(Contains(run.out, "\n1 notification:\n  delivered email      security@example.com"))
      << run.out;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(data + "/maildir/new")) {
    files.push_back(entry.path().string());
  }
  ASSERT_EQ(files.size(), 1u);
  testing::ParsedMail mail = testing::ParseMail(Slurp(files[0]));
  EXPECT_EQ(mail.Header("Subject"), "ALARM: \"IAMPolicyChanges\" in US East (N. Virginia)");
  EXPECT_NE(mail.text.find("What happened:"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(data + "/maildir/tmp"));
}

// --parameter gives a template parameter its value, as `aws cloudformation
// deploy --parameter-overrides` does: the seed template mails whom it names.
TEST(ReplayNotifyCliTest, AParameterOverridesTheTemplatesDefault) {
  TempDir dir;
  const std::string data = dir.File("data");
  Outcome run = Trailwatch({"replay", "--notify", "--template", dir.Write("t.yaml", SeedTemplate()),
                            "--parameter", "NotificationEmail=secops@example.org", "--data-dir",
                            data, dir.Write("trail.json", SeedTrail())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "\n1 notification:\n  delivered email      secops@example.org"))
      << run.out;
  // The template's own rules still apply to the value, and unknown names or
  // a missing '=' are refused before anything is read.
  Outcome bad = Trailwatch({"replay", "--template", dir.File("t.yaml"), "--parameter",
                            "NotificationEmail=not-an-address", dir.File("trail.json")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "NotificationEmail")) << bad.err;
  Outcome unknown = Trailwatch({"replay", "--template", dir.File("t.yaml"), "--parameter",
                                "Nope=1", dir.File("trail.json")});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err,
            "trailwatch replay: Parameters: 'Nope' was given a value but is not declared in the "
            "template\n");
  Outcome malformed = Trailwatch({"replay", "--template", dir.File("t.yaml"), "--parameter",
                                  "NotificationEmail", dir.File("trail.json")});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_TRUE(Contains(malformed.err,
                       "--parameter: 'NotificationEmail' is not KEY=VALUE (e.g. --parameter "
                       "AlarmEmail=ops@example.com)"))
      << malformed.err;
}

TEST(ReplayNotifyCliTest, WithoutNotifyNothingIsSentAndNoDataDirectoryIsMade) {
  TempDir dir;
  std::unique_ptr<HttpReceiver> hook = Receiver(HttpReceiver::Always(200));
  ASSERT_TRUE(hook);
  const std::string data = dir.File("data");
  Outcome run =
      Trailwatch({"replay", "--template",
                  dir.Write("t.yaml", SeedTemplate() + HttpSubscription("H", hook->url())),
                  "--data-dir", data, dir.Write("trail.json", SeedTrail())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.out, "IAMPolicyChanges  OK -> ALARM")) << run.out;
  EXPECT_FALSE(Contains(run.out, "notification"));
  EXPECT_FALSE(fs::exists(data));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(hook->requests().size(), 0u);
}

// A data directory in use (serve runs on it) still answers `outbox list`
// and `show`, which only read; what writes (retry, deliver) is refused.
TEST(ReplayNotifyCliTest, ADataDirectoryInUseIsReadButNotWritten) {
  TempDir dir;
  const std::string data = dir.File("data");
  Outcome replayed = Trailwatch({"replay", "--notify", "--template",
                                 dir.Write("t.yaml", SeedTemplate()), "--data-dir", data,
                                 dir.Write("trail.json", SeedTrail())});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  Result<store::DirectoryLock> held = store::DirectoryLock::Acquire(data);
  ASSERT_TRUE(held.ok());
  Outcome list = Trailwatch({"outbox", "list", "--data-dir", data});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(Contains(list.out, "0 pending, 1 delivered, 0 dead\n")) << list.out;
  EXPECT_TRUE(Contains(list.out, "delivered email      security@example.com")) << list.out;
  Outcome show = Trailwatch({"outbox", "show", "1", "--data-dir", data});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(Contains(show.out, "\"recipients\": [\n      \"security@example.com\"")) << show.out;
  Outcome retry = Trailwatch({"outbox", "retry", "1", "--data-dir", data});
  EXPECT_EQ(retry.exit_code, 2);
  EXPECT_EQ(retry.err, "trailwatch outbox: data directory " + data +
                           " is in use by another trailwatch process (pid " +
                           std::to_string(getpid()) + ")\n");
  Outcome nowhere = Trailwatch({"outbox", "list", "--data-dir", dir.File("none")});
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_EQ(nowhere.err, "trailwatch outbox: no trailwatch data directory at " + dir.File("none") +
                             " (no " + dir.File("none") + "/trailwatch.db)\n");
  EXPECT_FALSE(fs::exists(dir.File("none")));
}

}  // namespace
}  // namespace tw::cli
