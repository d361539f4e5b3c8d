// The console's security and JSON API (docs/console-api.md), through
// Console::Handle on a real engine.

#include "server/console.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/sigv4.h"
#include "server/console_assets.h"
#include "server/operations.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string HeaderOf(const api::HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tw-console-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    NotifierOptions n;
    n.data_dir = dir_;
    notifier_ = std::move(Notifier::Open(n, &clock_)).value();
    engine_ = std::move(Engine::Open(notifier_.get(), {}, &clock_)).value();
    Result<Configuration> config = ParseTemplate(R"(
Resources:
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: trail
      FilterPattern: '{ $.eventName = DeletePolicy }'
      MetricTransformations: [{MetricNamespace: NS, MetricName: M, MetricValue: "1"}]
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: A b
      Namespace: NS
      MetricName: M
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
)",
                                                 "t", {});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    std::vector<std::string> warnings;
    ASSERT_TRUE(engine_->ApplyConfiguration(*config, &warnings).ok());
    console_ = std::make_unique<Console>(
        engine_.get(), std::map<std::string, std::string>{{"AK", "SK"}}, false, &clock_);
  }
  void TearDown() override {
    console_.reset();
    engine_.reset();
    notifier_.reset();
    fs::remove_all(dir_);
  }

  api::HttpResponse Call(std::string method, std::string path, std::string body = "",
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::size_t q = path.find('?');
    api::HttpRequest r{method, path.substr(0, q), q == std::string::npos ? "" : path.substr(q + 1),
                       std::move(headers), std::move(body)};
    r.headers.emplace_back("host", "127.0.0.1:4566");
    std::optional<api::HttpResponse> response = console_->Handle(r);
    EXPECT_TRUE(response.has_value()) << path;
    return response.value_or(api::HttpResponse{});
  }

  // A sign-in as the console's page sends it: JSON, from its own origin.
  api::HttpResponse PostSignIn(std::string secret, std::string client = "10.0.0.1") {
    api::HttpRequest r{"POST",
                       "/console/api/session",
                       "",
                       {{"host", "127.0.0.1:4566"},
                        {"origin", "http://127.0.0.1:4566"},
                        {"content-type", "application/json"}},
                       R"({"accessKeyId":"AK","secretAccessKey":")" + secret + "\"}",
                       std::move(client)};
    return console_->Handle(r).value_or(api::HttpResponse{});
  }

  // Signs in; returns the cookie header and the CSRF token.
  std::pair<std::string, std::string> SignIn() {
    api::HttpResponse r = PostSignIn("SK");
    EXPECT_EQ(r.status, 200) << r.body;
    std::string cookie = HeaderOf(r, "Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), Json::parse(r.body)["csrfToken"]};
  }

  ManualClock clock_{*ParseTimestamp("2024-03-01T12:00:00Z")};
  std::string dir_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Console> console_;
};

TEST_F(ConsoleTest, SignInSetsAStrictCookieAndNeverEchoesTheSecret) {
  api::HttpResponse wrong = PostSignIn("nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, R"({"error":"unknown access key or wrong secret"})");
  EXPECT_EQ(HeaderOf(wrong, "Set-Cookie"), "");

  api::HttpResponse ok = PostSignIn("SK");
  ASSERT_EQ(ok.status, 200);
  const std::string cookie = HeaderOf(ok, "Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("tw_session=")) << cookie;
  EXPECT_TRUE(cookie.ends_with("; Path=/console; HttpOnly; SameSite=Strict; Max-Age=43200"))
      << cookie;
  EXPECT_EQ(ok.body.find("SK"), std::string::npos);
  Json body = Json::parse(ok.body);
  EXPECT_EQ(body["accessKeyId"], "AK");
  EXPECT_EQ(body["expiresAt"], "2024-03-02T00:00:00.000Z");
  EXPECT_EQ(body["csrfToken"].get<std::string>().size(), 64u);
  EXPECT_EQ(HeaderOf(ok, "Content-Security-Policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'");
  EXPECT_EQ(HeaderOf(ok, "X-Frame-Options"), "DENY");

  Console tls(engine_.get(), {{"AK", "SK"}}, true, &clock_);
  api::HttpRequest r{"POST",
                     "/console/api/session",
                     "",
                     {{"host", "127.0.0.1"},
                      {"origin", "https://127.0.0.1"},
                      {"content-type", "application/json; charset=utf-8"}},
                     R"({"accessKeyId":"AK","secretAccessKey":"SK"})"};
  EXPECT_TRUE(HeaderOf(*tls.Handle(r), "Set-Cookie").ends_with("; Secure"));
}

// Issue 12: a page on another site could sign a victim's browser in
// (text/plain bodies need no CORS preflight): login CSRF.
// Sessions are in the store: another Console on the same store (after a
// restart, or another node) knows them; the store holds the token's hash
// only; signing out or removing the key ends them.
TEST_F(ConsoleTest, SessionsLiveInTheStoreAsHashes) {
  auto [cookie, csrf] = SignIn();
  const std::string token = cookie.substr(cookie.find('=') + 1);
  ASSERT_EQ(token.size(), 64u);
  auto session_status = [&](Console& console) {
    api::HttpRequest r{
        "GET", "/console/api/session", "", {{"host", "127.0.0.1:4566"}, {"cookie", cookie}}, ""};
    return console.Handle(r).value_or(api::HttpResponse{}).status;
  };
  Console restarted(engine_.get(), {{"AK", "SK"}}, false, &clock_);
  EXPECT_EQ(session_status(restarted), 200);
  Console key_removed(engine_.get(), {{"OTHER", "SK2"}}, false, &clock_);
  EXPECT_EQ(session_status(key_removed), 401);

  std::vector<std::string> stored = engine_->Locked([](Services& sv) {
    std::vector<std::string> columns;
    Result<store::Statement> q =
        sv.db.Prepare("SELECT token_sha256, access_key_id, csrf_token FROM console_sessions");
    EXPECT_TRUE(q.ok());
    while (q->Step().value()) {
      for (int c = 0; c < 3; ++c) columns.push_back(q->ColumnText(c));
    }
    return columns;
  });
  EXPECT_EQ(stored, (std::vector<std::string>{api::Sha256Hex(token), "AK", csrf}));

  clock_.Advance(std::chrono::hours(12));
  EXPECT_EQ(session_status(restarted), 401);  // expired
  clock_.Advance(-std::chrono::hours(12));
  api::HttpResponse out =
      Call("DELETE", "/console/api/session", "", {{"cookie", cookie}, {"x-csrf-token", csrf}});
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(session_status(restarted), 401);
  EXPECT_EQ(session_status(*console_), 401);
}

TEST_F(ConsoleTest, SignInTakesJsonFromItsOwnOriginOnly) {
  const std::string body = R"({"accessKeyId":"AK","secretAccessKey":"SK"})";
  auto sign_in = [&](std::vector<std::pair<std::string, std::string>> headers) {
    return Call("POST", "/console/api/session", body, std::move(headers));
  };
  api::HttpResponse plain =
      sign_in({{"origin", "http://127.0.0.1:4566"}, {"content-type", "text/plain"}});
  EXPECT_EQ(plain.status, 415);
  EXPECT_EQ(plain.body, R"({"error":"sign-in takes a JSON body"})");
  api::HttpResponse foreign =
      sign_in({{"origin", "https://evil.example"}, {"content-type", "application/json"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.body, R"({"error":"sign-in must come from this console's own page"})");
  EXPECT_EQ(sign_in({{"content-type", "application/json"}}).status, 403);  // no Origin
  EXPECT_EQ(HeaderOf(foreign, "Set-Cookie"), "");
  EXPECT_EQ(
      sign_in({{"origin", "http://127.0.0.1:4566"}, {"content-type", "application/json"}}).status,
      200);
}

// Issue 12: sign-in had no limit at all.
TEST_F(ConsoleTest, FailedSignInsAreLimitedPerClientAndPerKey) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(PostSignIn("guess" + std::to_string(i)).status, 401);
  api::HttpResponse limited = PostSignIn("SK");  // even the right secret waits
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body, R"({"error":"too many failed sign-ins; try again in 300 s"})");
  EXPECT_EQ(HeaderOf(limited, "Retry-After"), "300");
  // Another client may still try, until the key itself has had 20 failures.
  EXPECT_EQ(PostSignIn("SK", "10.0.0.2").status, 200);
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_EQ(PostSignIn("SK").status, 200);
  for (int client = 0; client < 4; ++client) {
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(PostSignIn("wrong", "10.1.0." + std::to_string(client)).status, 401);
    }
  }
  EXPECT_EQ(PostSignIn("SK", "10.2.0.1").status, 429);
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_EQ(PostSignIn("SK", "10.2.0.1").status, 200);
}

// Issue 12: with no Host check a DNS-rebinding page (attacker.example
// resolving to 127.0.0.1) reached the console under its own origin.
TEST_F(ConsoleTest, OnlyItsOwnHostNamesReachTheConsole) {
  Console named(engine_.get(), {{"AK", "SK"}}, false, &clock_, {"tw.internal", "127.0.0.1"});
  auto status = [&](Console& console, std::string host) {
    api::HttpRequest r{"GET", "/console/", "", {{"host", std::move(host)}}, ""};
    return console.Handle(r)->status;
  };
  EXPECT_EQ(status(named, "tw.internal:4566"), 200);
  EXPECT_EQ(status(named, "TW.Internal."), 200);
  EXPECT_EQ(status(named, "127.0.0.1:4566"), 200);
  EXPECT_EQ(status(named, "10.1.2.3:4566"), 200);
  EXPECT_EQ(status(named, "[::1]:4566"), 200);
  EXPECT_EQ(status(named, "localhost:4566"), 200);
  EXPECT_EQ(status(named, "attacker.example:4566"), 421);
  EXPECT_EQ(status(named, ""), 421);
  api::HttpRequest api{"GET", "/console/api/alarms", "", {{"host", "attacker.example"}}, ""};
  api::HttpResponse refused = *named.Handle(api);
  EXPECT_EQ(refused.status, 421);
  EXPECT_EQ(
      refused.body,
      R"({"error":"this console does not answer to the host 'attacker.example'; open it by IP address, as localhost, or under the name given to --public-url"})");
  // Not the console's: the SNS links and the AWS API stay reachable.
  EXPECT_FALSE(named.Handle({"GET", "/health", "", {{"host", "attacker.example"}}, ""}));
}

TEST_F(ConsoleTest, TheApiNeedsTheSessionAndStateChangesNeedTheCsrfTokenAndOrigin) {
  EXPECT_EQ(Call("GET", "/console/api/alarms").status, 401);
  auto [cookie, csrf] = SignIn();
  EXPECT_EQ(Call("GET", "/console/api/alarms", "", {{"cookie", cookie}}).status, 200);
  EXPECT_EQ(Call("GET", "/console/api/alarms", "", {{"cookie", "tw_session=forged"}}).status, 401);

  const std::string body = R"({"pattern":"x","messages":["x"]})";
  EXPECT_EQ(Call("POST", "/console/api/test-pattern", body, {{"cookie", cookie}}).status, 403);
  EXPECT_EQ(Call("POST", "/console/api/test-pattern", body,
                 {{"cookie", cookie}, {"x-csrf-token", "wrong"}})
                .status,
            403);
  EXPECT_EQ(Call("POST", "/console/api/test-pattern", body,
                 {{"cookie", cookie}, {"x-csrf-token", csrf}, {"origin", "https://evil.example"}})
                .status,
            403);
  EXPECT_EQ(Call("POST", "/console/api/test-pattern", body,
                 {{"cookie", cookie}, {"x-csrf-token", csrf}, {"origin", "http://127.0.0.1:4566"}})
                .status,
            200);

  // Sessions end after 12 hours, and on sign-out.
  clock_.Advance(std::chrono::hours(12));
  EXPECT_EQ(Call("GET", "/console/api/alarms", "", {{"cookie", cookie}}).status, 401);
  auto [again, token] = SignIn();
  EXPECT_EQ(Call("DELETE", "/console/api/session", "", {{"cookie", again}, {"x-csrf-token", token}})
                .status,
            200);
  EXPECT_EQ(Call("GET", "/console/api/session", "", {{"cookie", again}}).status, 401);
}

TEST_F(ConsoleTest, AlarmDetailHasTheGraphTheConditionInWordsAndTheEvidence) {
  auto [cookie, csrf] = SignIn();
  ASSERT_TRUE(engine_
                  ->Locked([&](Services& sv) {
                    return sv.logs.CreateLogStream("trail", "s", clock_.Now());
                  })
                  .ok());
  ASSERT_TRUE(
      engine_
          ->PutLogEvents(
              "trail", "s",
              {{ToEpochMillis(clock_.Now()),
                R"({"eventName":"DeletePolicy","sourceIPAddress":"198.51.100.7","userIdentity":{"arn":"arn:aws:iam::1:user/mallory"}})"}})
          .ok());
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(engine_->EvaluateAlarms(FloorTo(clock_.Now(), std::chrono::minutes(1))).ok());
  api::HttpResponse r = Call("GET", "/console/api/alarms/A%20b?range=1h", "", {{"cookie", cookie}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["description"],
            "ALARM when Maximum > 0 for 1 of 1 periods of 5 minutes; missing data = not breaching");
  EXPECT_EQ(j["alarm"]["state"], "ALARM");
  ASSERT_EQ(j["graph"]["points"].size(), 1u);
  EXPECT_EQ(j["graph"]["points"][0]["v"], 1.0);
  EXPECT_EQ(j["graph"]["points"][0]["breaching"], true);
  EXPECT_EQ(j["graph"]["threshold"], 0.0);
  ASSERT_EQ(j["graph"]["alarmPeriods"].size(), 1u);
  EXPECT_EQ(j["graph"]["alarmPeriods"][0]["start"], "2024-03-01T12:01:00.000Z");
  EXPECT_EQ(j["evidence"]["total"], 1);
  EXPECT_EQ(j["evidence"]["events"][0]["principal"], "arn:aws:iam::1:user/mallory");
  EXPECT_EQ(j["evidence"]["events"][0]["sourceIPAddress"], "198.51.100.7");
  EXPECT_NE(j["evidence"]["events"][0]["raw"].get<std::string>().find("DeletePolicy"),
            std::string::npos);
  EXPECT_EQ(j["history"][0]["type"], "StateUpdate");

  api::HttpResponse list = Call("GET", "/console/api/alarms", "", {{"cookie", cookie}});
  Json alarms = Json::parse(list.body);
  EXPECT_EQ(alarms["alarms"][0]["sparkline"]["points"].size(), 1u);
  EXPECT_EQ(Call("GET", "/console/api/alarms/nope", "", {{"cookie", cookie}}).status, 404);

  api::HttpResponse events =
      Call("GET", "/console/api/logs/trail/events?pattern=%7B%24.eventName%3DDeletePolicy%7D", "",
           {{"cookie", cookie}});
  ASSERT_EQ(events.status, 200) << events.body;
  Json e = Json::parse(events.body);
  ASSERT_EQ(e["events"].size(), 1u);
  const std::string message = e["events"][0]["message"];
  std::size_t at = message.find("DeletePolicy");
  EXPECT_EQ(e["events"][0]["highlights"],
            Json::parse("[[" + std::to_string(at) + "," + std::to_string(at + 12) + "]]"));
  EXPECT_EQ(e["scanned"], 1);
  EXPECT_TRUE(e["nextToken"].is_null());
  api::HttpResponse bad =
      Call("GET", "/console/api/logs/trail/events?pattern=%7B%24.x%3D", "", {{"cookie", cookie}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json::parse(bad.body)["column"], 6);

  // The search goes through the whole group newest first, a page at a
  // time: each page's nextToken continues where it stopped.
  std::vector<InputLogEvent> more;
  for (int i = 0; i < 5; ++i) {
    more.push_back({ToEpochMillis(clock_.Now()) + i,
                    R"({"eventName":")" + std::string(i % 2 ? "GetUser" : "DeletePolicy") +
                        R"(","n":)" + std::to_string(i) + "}"});
  }
  ASSERT_TRUE(engine_->PutLogEvents("trail", "s", more).ok());
  std::vector<std::string> pages;
  std::string token;
  for (int call = 0; call < 10; ++call) {
    api::HttpResponse r = Call("GET",
                               "/console/api/logs/trail/events?limit=1&pattern=DeletePolicy" +
                                   (token.empty() ? std::string() : "&token=" + token),
                               "", {{"cookie", cookie}});
    ASSERT_EQ(r.status, 200) << r.body;
    Json page = Json::parse(r.body);
    std::string line = std::to_string(page["scanned"].get<int>()) + ":";
    for (const Json& event : page["events"]) {
      Json m = Json::parse(event["message"].get<std::string>());
      line += m.contains("n") ? std::to_string(m["n"].get<int>()) : "first";
    }
    pages.push_back(line);
    if (page["nextToken"].is_null()) break;
    token = page["nextToken"];
  }
  EXPECT_EQ(pages, (std::vector<std::string>{"1:4", "2:2", "2:0", "1:first"}));
  EXPECT_EQ(
      Call("GET", "/console/api/logs/trail/events?pattern=x&token=bad", "", {{"cookie", cookie}})
          .status,
      400);
}

TEST_F(ConsoleTest, TheRootRedirectsAndAssetsAreServedFromTheBinary) {
  api::HttpResponse root = Call("GET", "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(HeaderOf(root, "Location"), "/console/");
  api::HttpRequest aws{"POST", "/", "", {{"x-amz-target", "Logs_20140328.X"}}, "{}"};
  EXPECT_FALSE(console_->Handle(aws).has_value());  // AWS requests are not the console's

  bool has_index = false;
  for (const ConsoleAsset& a : ConsoleAssets()) has_index = has_index || a.path == "index.html";
  ASSERT_TRUE(has_index) << "web/index.html is not embedded";
  api::HttpResponse index = Call("GET", "/console/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(HeaderOf(index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<html"), std::string::npos);
  EXPECT_EQ(Call("GET", "/console/nope.js").status, 404);
}

// The console changes things only through the API's own operations: the
// same validation, the same engine calls, and the API's error codes.
TEST_F(ConsoleTest, ChangesGoThroughTheApisOperations) {
  api::Operations operations;
  RegisterLogsOperations(&operations, engine_.get());
  RegisterCloudWatchOperations(&operations, engine_.get());
  RegisterSnsOperations(&operations, engine_.get());
  console_->ServeOperations(&operations);
  auto [cookie, csrf] = SignIn();
  auto post = [&](std::string path, std::string body, std::string content_type = "application/json",
                  std::string token = "") {
    return Call("POST", "/console/api/aws/" + path, std::move(body),
                {{"cookie", cookie},
                 {"x-csrf-token", token.empty() ? csrf : token},
                 {"content-type", content_type}});
  };

  api::HttpResponse put = post("monitoring/PutMetricAlarm", R"({"AlarmName":"Made here",
      "Namespace":"NS","MetricName":"M","Statistic":"Sum","Period":60,"EvaluationPeriods":1,
      "Threshold":3,"ComparisonOperator":"GreaterThanThreshold"})");
  EXPECT_EQ(put.status, 200) << put.body;
  api::HttpResponse described =
      post("monitoring/DescribeAlarms", R"({"AlarmNames":["Made here"]})");
  ASSERT_EQ(described.status, 200) << described.body;
  Json alarms = Json::parse(described.body)["MetricAlarms"];
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0]["Threshold"], 3.0);

  api::HttpResponse invalid = post("monitoring/PutMetricAlarm", R"({"AlarmName":"x"})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(
      invalid.body,
      R"({"error":"The parameter EvaluationPeriods is required.","code":"MissingParameter"})");

  api::HttpResponse topic = post("sns/CreateTopic", R"({"Name":"ops"})");
  ASSERT_EQ(topic.status, 200) << topic.body;
  EXPECT_EQ(Json::parse(topic.body)["TopicArn"], "arn:aws:sns:us-east-1:000000000000:ops");

  EXPECT_EQ(post("logs/PutMetricFilter", R"({"logGroupName":"trail","filterName":"f",
      "filterPattern":"{ $.x = ","metricTransformations":[{"metricName":"M",
      "metricNamespace":"NS","metricValue":"1"}]})")
                .status,
            400);
  EXPECT_EQ(post("monitoring/NoSuchThing", "{}").status, 404);
  EXPECT_EQ(post("ec2/RunInstances", "{}").status, 404);
  EXPECT_EQ(post("sns/CreateTopic", "Name=x", "application/x-www-form-urlencoded").status, 415);
  EXPECT_EQ(post("sns/CreateTopic", "{", "application/json").status, 400);
  // Like every console POST: the session's CSRF token or nothing.
  EXPECT_EQ(post("sns/CreateTopic", R"({"Name":"evil"})", "application/json", "wrong").status, 403);
  EXPECT_EQ(post("sns/ListTopics", "{}").body.find("evil"), std::string::npos);
}

// The list shows a running mute and reminders; an ended mute is gone.
TEST_F(ConsoleTest, TheListShowsMutesWhileTheyLastAndReminders) {
  ASSERT_TRUE(engine_
                  ->Locked([&](Services& sv) {
                    return sv.alarms.Tag("A b",
                                         {{"trailwatch:MutedUntil", "2024-03-01T13:00:00Z"},
                                          {"trailwatch:RemindEvery", "240m"}},
                                         {}, clock_.Now());
                  })
                  .ok());
  auto [cookie, csrf] = SignIn();
  auto listed = [&, cookie = cookie] {
    api::HttpResponse r = Call("GET", "/console/api/alarms", "", {{"cookie", cookie}});
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body)["alarms"][0];
  };
  Json alarm = listed();
  EXPECT_EQ(alarm["mutedUntil"], "2024-03-01T13:00:00.000Z");
  EXPECT_EQ(alarm["remindEvery"], "4h");
  clock_.Set(*ParseTimestamp("2024-03-01T13:00:00Z"));
  EXPECT_TRUE(listed()["mutedUntil"].is_null());
}

// The events endpoint's time range is FilterLogEvents' (startTime and
// endTime both inclusive), and a CloudTrail record comes with the fields
// an alarm's evidence shows, its failure included.
TEST_F(ConsoleTest, LogEventsTakeATimeRangeAndDescribeCloudTrailRecords) {
  auto [cookie, csrf] = SignIn();
  ASSERT_TRUE(engine_
                  ->Locked([&](Services& sv) {
                    return sv.logs.CreateLogStream("trail", "s", clock_.Now());
                  })
                  .ok());
  const std::int64_t noon = ToEpochMillis(clock_.Now());
  constexpr std::int64_t kHour = 3'600'000;
  ASSERT_TRUE(
      engine_
          ->PutLogEvents(
              "trail", "s",
              {{noon - 3 * kHour,
                R"({"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com",)"
                R"("userIdentity":{"type":"IAMUser","userName":"alice","principalId":"AIDA1"},)"
                R"("sourceIPAddress":"203.0.113.9","responseElements":{"ConsoleLogin":"Failure"}})"},
               {noon - kHour, "a plain line"},
               {noon,
                R"({"eventName":"GetUser","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1",)"
                R"("userIdentity":{"arn":"arn:aws:iam::1:user/bob"},"sourceIPAddress":"198.51.100.1",)"
                R"("errorCode":"AccessDenied","errorMessage":"no","requestParameters":{"userName":"x"}})"}})
          .ok());
  auto events = [&](const std::string& query) {
    api::HttpResponse r =
        Call("GET", "/console/api/logs/trail/events?" + query, "", {{"cookie", cookie}});
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return Json::parse(r.body);
  };
  auto times = [&](const std::string& query) {
    std::vector<std::string> out;
    const Json page = events(query);
    for (const Json& e : page["events"]) out.push_back(e["timestamp"]);
    return out;
  };

  Json all = events("");
  ASSERT_EQ(all["events"].size(), 3u);
  EXPECT_EQ(all["events"][0]["cloudtrail"], Json::parse(R"({"eventTime": "",
      "eventName": "GetUser", "eventSource": "iam.amazonaws.com",
      "principal": "arn:aws:iam::1:user/bob", "sourceIPAddress": "198.51.100.1",
      "awsRegion": "us-east-1", "errorCode": "AccessDenied", "errorMessage": "no",
      "failure": "AccessDenied", "requestParameters": {"userName": "x"}})"));
  EXPECT_FALSE(all["events"][1].contains("cloudtrail"));
  const Json& sign_in = all["events"][2]["cloudtrail"];
  EXPECT_EQ(sign_in["principal"], "IAMUser alice");
  EXPECT_TRUE(sign_in["errorCode"].is_null());
  EXPECT_EQ(sign_in["failure"], "ConsoleLogin: Failure");

  EXPECT_EQ(times("start=2024-03-01T11:00:00Z"),
            (std::vector<std::string>{"2024-03-01T12:00:00.000Z", "2024-03-01T11:00:00.000Z"}));
  EXPECT_EQ(times("start=2024-03-01T11:00:00.001Z"),
            (std::vector<std::string>{"2024-03-01T12:00:00.000Z"}));
  EXPECT_EQ(times("end=2024-03-01T11:00:00Z"),
            (std::vector<std::string>{"2024-03-01T11:00:00.000Z", "2024-03-01T09:00:00.000Z"}));
  EXPECT_EQ(times("start=2024-03-01T11:00:00Z&end=2024-03-01T11:00:00Z"),
            (std::vector<std::string>{"2024-03-01T11:00:00.000Z"}));
  EXPECT_EQ(times("start=2024-03-01T11:45:00%2B01:00&end=2024-03-01T11:30:00Z"),
            (std::vector<std::string>{"2024-03-01T11:00:00.000Z"}));

  // A page of a range continues within it.
  Json first = events("limit=1&start=2024-03-01T10:00:00Z");
  ASSERT_EQ(first["events"].size(), 1u);
  ASSERT_TRUE(first["nextToken"].is_string());
  Json second =
      events("limit=1&start=2024-03-01T10:00:00Z&token=" + first["nextToken"].get<std::string>());
  ASSERT_EQ(second["events"].size(), 1u);
  EXPECT_EQ(second["events"][0]["message"], "a plain line");
  EXPECT_TRUE(second["nextToken"].is_null()) << second["nextToken"];  // the range's oldest

  auto refused = [&](const std::string& query) {
    api::HttpResponse r =
        Call("GET", "/console/api/logs/trail/events?" + query, "", {{"cookie", cookie}});
    EXPECT_EQ(r.status, 400) << query;
    return Json::parse(r.body)["error"].get<std::string>();
  };
  EXPECT_EQ(refused("start=yesterday"),
            "start must be an ISO 8601 time such as 2024-03-01T12:00:00Z, not 'yesterday'");
  EXPECT_EQ(refused("end=1709294400000"),
            "end must be an ISO 8601 time such as 2024-03-01T12:00:00Z, not '1709294400000'");
  EXPECT_EQ(refused("start=2024-03-01T12:00:00Z&end=2024-03-01T11:00:00Z"),
            "start 2024-03-01T12:00:00Z is after end 2024-03-01T11:00:00Z");
}

}  // namespace
}  // namespace tw::server
