// Runs the real build/trailwatch binary as a user would: arguments, files in
// a temp dir, standard input, exit status, stdout and stderr.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_util.h"
#include "pattern/pattern.h"

namespace tw::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const fs::path kCorpus = fs::path(TW_SHARED_DIR) / "data" / "cloudtrail";
const fs::path kSample = fs::path(TW_SOURCE_DIR) / "examples" / "sample-cloudtrail.json";

constexpr const char* kIamPattern =
    "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"
    "($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||"
    "($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||"
    "($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||"
    "($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
    "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||"
    "($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}";

const std::set<std::string> kIamEventNames = {
    "DeleteGroupPolicy",   "DeleteRolePolicy",    "DeleteUserPolicy",  "PutGroupPolicy",
    "PutRolePolicy",       "PutUserPolicy",       "CreatePolicy",      "DeletePolicy",
    "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy",  "DetachRolePolicy",
    "AttachUserPolicy",    "DetachUserPolicy",    "AttachGroupPolicy", "DetachGroupPolicy"};

// The records of a corpus file, read independently with nlohmann:
// {"Records":[...]}, a top-level array, or one JSON value per line.
std::vector<Json> Records(const fs::path& file) {
  std::string text = Slurp(file.string());
  Json doc = Json::parse(text, nullptr, false);
  std::vector<Json> records;
  if (!doc.is_discarded()) {
    if (doc.is_object() && doc.contains("Records")) {
      for (const Json& r : doc["Records"]) records.push_back(r);
    } else if (doc.is_array()) {
      for (const Json& r : doc) records.push_back(r);
    }
    return records;  // another object (an SQS notification) has no records
  }
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.find('\n', start), text.size());
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    Json record = Json::parse(line, nullptr, false);
    if (!record.is_discarded()) records.push_back(record);
  }
  return records;
}

bool IsIamPolicyChange(const Json& record) {
  auto it = record.find("eventName");
  return it != record.end() && it->is_string() && kIamEventNames.contains(it->get<std::string>());
}

std::vector<fs::path> FilesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    // The one file that is not JSON at all stops the reader; it has its own test.
    if (entry.path().filename() == "SerializerTestFileBadJsonFormat.json") continue;
    if (entry.path().extension() == ".gz") continue;  // a copy of a plain file
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ---------------------------------------------------------------------------

TEST(CliTest, Version) {
  Outcome r = Trailwatch({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "trailwatch 0.1.0\n");
}

TEST(CliTest, HelpDescribesEveryOption) {
  Outcome top = Trailwatch({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_PRED2(Contains, top.out, "test-pattern");
  EXPECT_PRED2(Contains, top.out, "--version");

  Outcome r = Trailwatch({"test-pattern", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* text : {"--json", "--format", "--strict-delimited", "PATTERN", "FILE", "auto",
                           "lines", "cloudtrail", "eventNumber", "standard input", "Example"}) {
    EXPECT_PRED2(Contains, r.out, text) << r.out;
  }
}

TEST(CliTest, NoSubcommandPrintsHelpAndFails) {
  Outcome r = Trailwatch({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_PRED2(Contains, r.err, "test-pattern");
}

TEST(CliTest, UsageErrorsExit2) {
  EXPECT_EQ(Trailwatch({"test-pattern"}).exit_code, 2);  // no PATTERN
  Outcome r = Trailwatch({"test-pattern", "--format", "xml", "x", kSample.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_PRED2(Contains, r.err, "--format");
  EXPECT_EQ(Trailwatch({"frobnicate"}).exit_code, 2);
}

// Papercuts of the command line: a mistyped option names the one meant,
// --smtp without a scheme says what it should be, each command's help ends
// with its own hint, and serve's --public-url default is told as it is.
TEST(CliTest, UsageErrorsSayWhatWasMeant) {
  Outcome typo = Trailwatch({"serve", "--templat", "x.yaml"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_PRED2(Contains, typo.err, "--templat: did you mean --template?\n");
  Outcome replay_typo = Trailwatch({"replay", "--template", "t.yaml", "--acount-id", "1", "x"});
  EXPECT_EQ(replay_typo.exit_code, 2);
  EXPECT_PRED2(Contains, replay_typo.err, "--acount-id: did you mean --account-id?\n");
  Outcome far = Trailwatch({"serve", "--frobnicate"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_FALSE(Contains(far.err, "did you mean")) << far.err;

  Outcome smtp = Trailwatch({"serve", "--smtp", "mail.example.com"});
  EXPECT_EQ(smtp.exit_code, 2);
  EXPECT_PRED2(Contains, smtp.err,
               "--smtp: 'mail.example.com' is not an SMTP URL; did you mean "
               "smtp://mail.example.com (port 25, or :587 with --smtp-starttls) or "
               "smtps://mail.example.com:465?");

  Outcome outbox = Trailwatch({"outbox", "list", "--help"});
  EXPECT_EQ(outbox.exit_code, 0);
  EXPECT_FALSE(Contains(outbox.out, "test-pattern")) << outbox.out;
  EXPECT_FALSE(Contains(outbox.out, "Run '")) << outbox.out;
  EXPECT_PRED2(Contains, Trailwatch({"outbox", "--help"}).out,
               "Run 'trailwatch outbox <command> --help' for its options.");
  EXPECT_PRED2(Contains, Trailwatch({"--help"}).out,
               "Run 'trailwatch <command> --help' for the options of a command.");
  Outcome serve = Trailwatch({"serve", "--help"});
  EXPECT_PRED2(Contains, serve.out, "(default: http://<the --listen address>)");
  EXPECT_FALSE(Contains(serve.out, "--public-url TEXT=")) << serve.out;
}

// Directories are walked as replay walks them; with several files each match
// names its file (in text and in JSON), numbered across all of them.
TEST(CliTest, DirectoriesAreWalkedAndEachMatchNamesItsFile) {
  TempDir dir;
  const std::string a = dir.Write("trail/a.json", R"({"Records":[{"eventName":"ListUsers"},)"
                                                  R"({"eventName":"ConsoleLogin"}]})");
  const std::string b = dir.Write("trail/sub/b.jsonl", "{\"eventName\":\"ConsoleLogin\"}\n");
  dir.Write("trail/notes.txt", "ConsoleLogin\n");  // not an input name: skipped
  Outcome r = Trailwatch({"test-pattern", "{ $.eventName = ConsoleLogin }", dir.File("trail")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "#2  " + a + "  {\"eventName\":\"ConsoleLogin\"}\n  $.eventName = ConsoleLogin\n"
                   "#3  " + b + "  {\"eventName\":\"ConsoleLogin\"}\n  $.eventName = ConsoleLogin\n"
                   "2 of 3 events matched\n");
  Outcome json =
      Trailwatch({"test-pattern", "--json", "{ $.eventName = ConsoleLogin }", dir.File("trail")});
  EXPECT_TRUE(Contains(json.out, "{\"eventNumber\":3,\"file\":\"" + b + "\",")) << json.out;
  Outcome one = Trailwatch({"test-pattern", "--json", "{ $.eventName = ConsoleLogin }", a});
  EXPECT_FALSE(Contains(one.out, "\"file\"")) << one.out;  // one file: as TestMetricFilter
  Outcome missing = Trailwatch({"test-pattern", "x", dir.File("nope")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "trailwatch: " + dir.File("nope") + ": cannot open: No such file or directory\n");
}

TEST(CliTest, InvalidPatternExits2WithTheColumn) {
  const std::string bad = "{ $.eventName = \"x\" && }";
  auto compiled = pattern::Matcher::Compile(bad);
  ASSERT_FALSE(compiled.ok());
  Outcome r = Trailwatch({"test-pattern", bad, kSample.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_PRED2(HasPrefix, r.err, "trailwatch: " + compiled.error().ToString() + "\n");
  EXPECT_PRED2(Contains, r.err, "Column " + std::to_string(compiled.error().column) + ": ");
  // A caret under the column.
  EXPECT_PRED2(Contains, r.err,
               "\n  " + bad + "\n  " +
                   std::string(static_cast<std::size_t>(compiled.error().column - 1), ' ') + "^\n");
}

TEST(CliTest, JsonOutputOverTheSampleIsExact) {
  Outcome r = Trailwatch({"test-pattern", "--json", kIamPattern, kSample.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ASSERT_TRUE(r.out.ends_with("]}\n"));
  Json got = Json::parse(r.out);

  std::vector<Json> records = Records(kSample);
  ASSERT_EQ(records.size(), 8u);
  Json expected = {{"matches", Json::array()}};
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (!IsIamPolicyChange(records[i])) continue;
    expected["matches"].push_back(
        {{"eventNumber", i + 1},
         {"eventMessage", records[i].dump()},
         {"extractedValues", {{"$.eventName", records[i]["eventName"]}}}});
  }
  ASSERT_EQ(expected["matches"].size(), 2u);
  EXPECT_EQ(got, expected) << r.out;
  // Compact: the listing is one line.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST(CliTest, PeopleOutputOverTheSample) {
  Outcome r = Trailwatch({"test-pattern", kIamPattern, kSample.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<Json> records = Records(kSample);
  auto shown = [](const std::string& message) {
    return message.size() <= 160 ? message : message.substr(0, 160) + "…";
  };
  std::string expected = "#3  " + shown(records[2].dump()) +
                         "\n  $.eventName = DeleteRolePolicy\n"
                         "#4  " +
                         shown(records[3].dump()) +
                         "\n  $.eventName = AttachUserPolicy\n"
                         "2 of 8 events matched\n";
  EXPECT_EQ(r.out, expected);
}

TEST(CliTest, JsonEscapingKeepsOutputValid) {
  TempDir dir;
  const std::string input =
      "ERROR \"quoted\" back\\slash\ttab\n"
      "fine\n"
      "ERROR bad utf8 \xff\xfe and good \xc3\xa9 \x01\n";
  const std::string path = dir.Write("app.log", input);
  Outcome r = Trailwatch({"test-pattern", "--json", "ERROR", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json got = Json::parse(r.out);
  Json expected = {
      {"matches",
       {{{"eventNumber", 1},
         {"eventMessage", "ERROR \"quoted\" back\\slash\ttab"},
         {"extractedValues", Json::object()}},
        {{"eventNumber", 3},
         {"eventMessage", "ERROR bad utf8 \xef\xbf\xbd\xef\xbf\xbd and good \xc3\xa9 \x01"},
         {"extractedValues", Json::object()}}}}};
  EXPECT_EQ(got, expected) << r.out;
}

TEST(CliTest, IamPatternCountsOverTheCorpus) {
  // SOURCES.md's CW.4 row, from an independent Python reading.
  const std::vector<std::pair<std::string, std::size_t>> dirs = {
      {"aws_dataset", 26},
      {"panther-analysis", 18},
      {"stratus-red-team", 2},
      {"aws-cloudtrail-processing-library", 0}};
  for (const auto& [name, sources_count] : dirs) {
    SCOPED_TRACE(name);
    std::vector<std::string> args = {"test-pattern", "--json", kIamPattern};
    std::vector<Json> records;
    for (const fs::path& file : FilesIn(kCorpus / name)) {
      args.push_back(file.string());
      for (Json& r : Records(file)) records.push_back(std::move(r));
    }
    std::size_t expected = 0;
    for (const Json& record : records) expected += IsIamPolicyChange(record) ? 1 : 0;
    EXPECT_EQ(expected, sources_count);

    Outcome r = Trailwatch(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Json got = Json::parse(r.out);
    EXPECT_EQ(got["matches"].size(), expected);
    std::int64_t previous = 0;
    for (const Json& match : got["matches"]) {
      EXPECT_GT(match["eventNumber"].get<std::int64_t>(), previous);
      previous = match["eventNumber"].get<std::int64_t>();
      EXPECT_TRUE(
          kIamEventNames.contains(match["extractedValues"]["$.eventName"].get<std::string>()));
    }
  }
}

TEST(CliTest, SummaryCountsEveryEventAcrossFiles) {
  std::vector<std::string> args = {"test-pattern", kIamPattern};
  std::size_t events = 0;
  for (const fs::path& file : FilesIn(kCorpus / "aws_dataset")) {
    args.push_back(file.string());
    events += Records(file).size();
  }
  ASSERT_EQ(events, 2900u);
  Outcome r = Trailwatch(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_PRED2(HasSuffix, r.out, "\n26 of 2900 events matched\n");
}

TEST(CliTest, StandardInput) {
  Outcome from_file = Trailwatch({"test-pattern", "--json", kIamPattern, kSample.string()});
  Outcome implicit = Trailwatch({"test-pattern", "--json", kIamPattern}, kSample.string());
  Outcome dash = Trailwatch({"test-pattern", "--json", kIamPattern, "-"}, kSample.string());
  ASSERT_EQ(from_file.exit_code, 0);
  EXPECT_EQ(implicit.exit_code, 0) << implicit.err;
  EXPECT_EQ(dash.exit_code, 0) << dash.err;
  EXPECT_EQ(implicit.out, from_file.out);
  EXPECT_EQ(dash.out, from_file.out);

  // Gzip on standard input, numbered after a file given first.
  fs::path gz = kCorpus / "aws-cloudtrail-processing-library" / "SerializerTestFileCompact.json.gz";
  Outcome mixed = Trailwatch(
      {"test-pattern", "{ $.eventName = eventName2 }", kSample.string(), "-"}, gz.string());
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_PRED2(HasPrefix, mixed.out, "#10  -  {\"eventVersion\":");  // "-": standard input
  EXPECT_PRED2(HasSuffix, mixed.out, " of 14 events matched\n");
}

TEST(CliTest, FormatLinesVersusCloudTrail) {
  // The sample is pretty-printed: as lines, no line is a whole JSON event.
  const std::size_t lines = [] {
    std::string text = Slurp(kSample.string());
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }();
  Outcome as_lines =
      Trailwatch({"test-pattern", "--format", "lines", kIamPattern, kSample.string()});
  EXPECT_EQ(as_lines.exit_code, 0);
  EXPECT_EQ(as_lines.out, "0 of " + std::to_string(lines) + " events matched\n");

  Outcome as_records =
      Trailwatch({"test-pattern", "--format", "cloudtrail", kIamPattern, kSample.string()});
  EXPECT_EQ(as_records.exit_code, 0);
  EXPECT_PRED2(HasSuffix, as_records.out, "\n2 of 8 events matched\n");

  // A term pattern sees the raw lines.
  Outcome term =
      Trailwatch({"test-pattern", "--format", "lines", "DeleteRolePolicy", kSample.string()});
  EXPECT_PRED2(HasPrefix, term.out, "#");
  EXPECT_PRED2(Contains, term.out, "\"eventName\": \"DeleteRolePolicy\",");
  EXPECT_PRED2(HasSuffix, term.out, "1 of " + std::to_string(lines) + " events matched\n");
}

TEST(CliTest, StrictDelimitedChangesAlignment) {
  TempDir dir;
  std::string path = dir.Write("access.log", "203.0.113.9 bob 200 extra\n203.0.113.9 bob 404\n");
  const std::string pattern = "[ip, user, status]";
  Outcome loose = Trailwatch({"test-pattern", pattern, path});
  Outcome strict = Trailwatch({"test-pattern", "--strict-delimited", pattern, path});
  EXPECT_EQ(loose.exit_code, 0) << loose.err;
  EXPECT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_PRED2(HasSuffix, loose.out, "2 of 2 events matched\n");
  EXPECT_PRED2(HasSuffix, strict.out, "1 of 2 events matched\n");
}

TEST(CliTest, MissingFileExits2AndKeepsEarlierMatches) {
  TempDir dir;
  const std::string missing = dir.File("missing.json");
  Outcome r = Trailwatch({"test-pattern", "--json", kIamPattern, kSample.string(), missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "trailwatch: " + missing + ": cannot open: No such file or directory\n");
  Json got = Json::parse(r.out);  // still a complete document
  EXPECT_EQ(got["matches"].size(), 2u);

  // People output keeps the matches but drops the tally, which would be partial.
  Outcome people = Trailwatch({"test-pattern", kIamPattern, kSample.string(), missing});
  EXPECT_EQ(people.exit_code, 2);
  EXPECT_PRED2(Contains, people.err, "No such file or directory");
  EXPECT_PRED2(Contains, people.out, "  $.eventName = AttachUserPolicy\n");
  EXPECT_FALSE(Contains(people.out, "events matched"));
}

TEST(CliTest, BrokenInputExits2WithPosition) {
  fs::path bad =
      kCorpus / "aws-cloudtrail-processing-library" / "SerializerTestFileBadJsonFormat.json";
  Outcome r = Trailwatch({"test-pattern", "--json", kIamPattern, kSample.string(), bad.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "trailwatch: " + bad.string() +
                       ": invalid JSON at line 37, column 9: expected a string key but found "
                       "'{'\n");
  EXPECT_EQ(Json::parse(r.out)["matches"].size(), 2u);
}

TEST(CliTest, ZeroMatchesIsSuccess) {
  Outcome r =
      Trailwatch({"test-pattern", "--json", "{ $.eventName = NoSuchEvent }", kSample.string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"matches\":[]}\n");
}

TEST(CliTest, LongMessagesAreTruncatedForPeople) {
  TempDir dir;
  std::string long_line = "ERROR " + std::string(300, 'x');
  std::string path = dir.Write("long.log", long_line + "\n");
  Outcome r = Trailwatch({"test-pattern", "ERROR", path});
  EXPECT_EQ(r.out, "#1  " + long_line.substr(0, 160) + "…\n1 of 1 event matched\n");
}

}  // namespace
}  // namespace tw::cli
