// The console's security and JSON API (docs/console-api.md), through
// Console::Handle on a real engine.

#include "server/console.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "server/console_assets.h"

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

  // Signs in; returns the cookie header and the CSRF token.
  std::pair<std::string, std::string> SignIn() {
    api::HttpResponse r =
        Call("POST", "/console/api/session", R"({"accessKeyId":"AK","secretAccessKey":"SK"})");
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
  api::HttpResponse wrong =
      Call("POST", "/console/api/session", R"({"accessKeyId":"AK","secretAccessKey":"nope"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, R"({"error":"unknown access key or wrong secret"})");
  EXPECT_EQ(HeaderOf(wrong, "Set-Cookie"), "");

  api::HttpResponse ok =
      Call("POST", "/console/api/session", R"({"accessKeyId":"AK","secretAccessKey":"SK"})");
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
                     {{"host", "h"}},
                     R"({"accessKeyId":"AK","secretAccessKey":"SK"})"};
  EXPECT_TRUE(HeaderOf(*tls.Handle(r), "Set-Cookie").ends_with("; Secure"));
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
  api::HttpResponse bad =
      Call("GET", "/console/api/logs/trail/events?pattern=%7B%24.x%3D", "", {{"cookie", cookie}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json::parse(bad.body)["column"], 6);
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

}  // namespace
}  // namespace tw::server
