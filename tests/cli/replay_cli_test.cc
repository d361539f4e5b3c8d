// `trailwatch replay` as a user runs it: options, exit status, the output
// for people and the JSON lines.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.h"

namespace tw::cli {
namespace {

using Json = nlohmann::json;

const std::string kTemplate = std::string(TW_SOURCE_DIR) + "/examples/iam-policy-change.yaml";

std::string Record(const std::string& time, const std::string& name) {
  return R"({"eventTime":")" + time + R"(","eventSource":"iam.amazonaws.com","eventName":")" +
         name +
         R"(","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"},"requestParameters":{"userName":"bob","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}})";
}

TEST(ReplayCliTest, HelpDescribesEveryOption) {
  Outcome run = Trailwatch({"replay", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* option :
       {"--template", "--log-group", "--region", "--account-id", "--json", "PATH"}) {
    EXPECT_TRUE(Contains(run.out, option)) << option;
  }
}

TEST(ReplayCliTest, JsonLinesForTheSeedTemplate) {
  TempDir dir;
  dir.Write("trail.json", "{\"Records\":[" + Record("2023-07-10T10:00:05Z", "ListUsers") + "," +
                              Record("2023-07-10T10:02:30Z", "AttachUserPolicy") + "]}");
  Outcome run = Trailwatch({"replay", "--template", kTemplate, "--json", dir.File("trail.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<Json> lines;
  std::size_t start = 0;
  while (start < run.out.size()) {
    std::size_t end = run.out.find('\n', start);
    lines.push_back(Json::parse(run.out.substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_GE(lines.size(), 3u);
  const Json& fired = lines[1];
  EXPECT_EQ(fired["type"], "transition");
  EXPECT_EQ(fired["time"], "2023-07-10T10:03:00Z");
  EXPECT_EQ(fired["oldState"], "OK");
  EXPECT_EQ(fired["newState"], "ALARM");
  EXPECT_EQ(fired["evidenceTotal"], 1);
  ASSERT_EQ(fired["evidence"].size(), 1u);
  const Json& evidence = fired["evidence"][0];
  EXPECT_EQ(evidence["eventName"], "AttachUserPolicy");
  EXPECT_EQ(evidence["principal"], "arn:aws:iam::111122223333:user/mallory");
  EXPECT_EQ(evidence["sourceIPAddress"], "203.0.113.7");
  EXPECT_EQ(evidence["requestParameters"]["userName"], "bob");
  EXPECT_TRUE(evidence["errorCode"].is_null());
  EXPECT_EQ(fired["reasonData"]["statistic"], "Maximum");
  EXPECT_EQ(fired["actions"].size(), 1u);
  const Json& summary = lines.back();
  EXPECT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["events"], 2);
  EXPECT_EQ(summary["skippedFiles"], Json::array());
  ASSERT_EQ(summary["alarms"].size(), 1u);
  EXPECT_EQ(summary["alarms"][0]["matchedEvents"], 1);
  EXPECT_EQ(summary["alarms"][0]["transitions"], lines.size() - 1);
  ASSERT_EQ(summary["metrics"].size(), 1u);
  EXPECT_EQ(summary["metrics"][0]["metricName"], "IAMPolicyEventCount");
  EXPECT_EQ(summary["metrics"][0]["samples"], 2);
  EXPECT_EQ(summary["metrics"][0]["sum"], 1);
}

TEST(ReplayCliTest, PeopleSeeTheTimelineAndTheEvidence) {
  TempDir dir;
  dir.Write("trail.json", "[" + Record("2023-07-10T10:02:30Z", "AttachUserPolicy") + "]");
  Outcome run = Trailwatch({"replay", "--template", kTemplate, dir.File("trail.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(HasPrefix(run.out,
                        "2023-07-10T10:03:00Z  IAMPolicyChanges  INSUFFICIENT_DATA -> ALARM\n"
                        "    Threshold Crossed: 1 datapoint [1.0 (10/07/23 09:58:00)] was greater "
                        "than the threshold (0.0).\n"
                        "    evidence: 1 of 1 matching event\n"))
      << run.out;
  EXPECT_TRUE(Contains(run.out,
                       "      2023-07-10T10:02:30Z  AttachUserPolicy  iam.amazonaws.com  by "
                       "arn:aws:iam::111122223333:user/mallory  from 203.0.113.7  in us-east-1  "
                       "(policyArn=arn:aws:iam::aws:policy/AdministratorAccess, userName=bob)"))
      << run.out;
  EXPECT_TRUE(Contains(run.out, "Replayed 1 event of log group ")) << run.out;
  EXPECT_TRUE(Contains(run.out, " from 1 file (")) << run.out;
  EXPECT_TRUE(run.err.empty()) << run.err;  // no progress line when not a terminal
}

// On a terminal a slow replay shows progress (files, events, rate, the time
// left); with --json, or when not on a terminal, nothing. A FIFO holds the
// first of two files open for a second and a half after replay opened it, to
// make it slow however long the start took (an ASan build under load takes
// most of a second); util-linux's `script` gives trailwatch a terminal.
std::string ReplayOnATerminal(const TempDir& dir, const std::string& extra) {
  const std::string fifo = dir.File("a.json");
  unlink(fifo.c_str());
  EXPECT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    int fd = open(fifo.c_str(), O_WRONLY);  // returns once replay opened the file
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const std::string records =
        "{\"Records\":[" + Record("2023-07-10T10:00:05Z", "ListUsers") + "]}";
    EXPECT_EQ(write(fd, records.data(), records.size()), static_cast<ssize_t>(records.size()));
    close(fd);
  });
  const std::string command = "script -qefc '" + std::string(TW_BINARY) + " replay --template " +
                              kTemplate + " " + extra + " " + fifo + " " + dir.File("b.json") +
                              "' /dev/null > " + dir.File("terminal") + " 2>&1";
  const int status = std::system(command.c_str());
  writer.join();
  EXPECT_EQ(status, 0) << Slurp(dir.File("terminal"));
  return Slurp(dir.File("terminal"));
}

TEST(ReplayCliTest, ATerminalSeesProgressWithTheTimeLeft) {
  TempDir dir;
  dir.Write("b.json", "{\"Records\":[" + Record("2023-07-10T10:02:30Z", "AttachUserPolicy") + "]}");
  const std::string shown = ReplayOnATerminal(dir, "");
  EXPECT_TRUE(Contains(shown, "\r1/2 files, 1 event, ")) << shown;
  EXPECT_TRUE(Contains(shown, " events/s, about ")) << shown;
  EXPECT_TRUE(Contains(shown, " s left\x1b[K")) << shown;
  EXPECT_TRUE(Contains(shown, "\r2/2 files, 2 events, ")) << shown;
  EXPECT_TRUE(Contains(shown, "Replayed 2 events of log group ")) << shown;
  const std::string json = ReplayOnATerminal(dir, "--json");
  EXPECT_FALSE(Contains(json, "files, ")) << json;
  EXPECT_TRUE(Contains(json, "\"type\":\"summary\"")) << json;
}

TEST(ReplayCliTest, BadTemplateAndNoInputExitTwo) {
  TempDir dir;
  std::string bad = dir.Write("bad.yaml", R"(
Resources:
  A:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: a
      Namespace: N
      MetricName: M
      Statistic: Sum
      Period: 45
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
)");
  Outcome run = Trailwatch({"replay", "--template", bad, dir.File("none.json")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(
      run.err,
      "trailwatch replay: Resources.A.Properties.Period: must be 10, 30 or a multiple of 60\n");
  Outcome nothing = Trailwatch({"replay", "--template", kTemplate, dir.File("none.json")});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_TRUE(Contains(nothing.err, "none.json: no such file or directory")) << nothing.err;
  EXPECT_TRUE(Contains(nothing.err, "trailwatch replay: no readable input")) << nothing.err;
}

}  // namespace
}  // namespace tw::cli
