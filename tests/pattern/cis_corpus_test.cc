// The CIS / Security Hub patterns on the real CloudTrail corpus
// (shared/data/cloudtrail), checked three ways:
//   1. the engine (MessageReader -> EventView -> Matcher) against hand-written
//      predicates over records that this file parses itself with nlohmann
//      (support/cis_oracle.h), message by message;
//   2. both against the totals of SOURCES.md, less its removed
//      elastic-integrations column;
//   3. for the IAM pattern, against jq, per file.
// Also: every corpus file, broken ones included, goes through MessageReader
// without crashing, and a failure names the file.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "event/event_view.h"
#include "ingest/ingest.h"
#include "pattern/pattern.h"
#include "support/cis_oracle.h"
#include "support/cis_patterns.h"

namespace {

using tw::event::EventView;
using tw::pattern::Matcher;
using tw::testing::CisPattern;
using tw::testing::CorpusFile;
using tw::testing::kCisPatterns;
using Json = nlohmann::json;

const std::string kCloudTrailDir = std::string(TW_SHARED_DIR) + "/data/cloudtrail";
const std::string kCisSpecPath = std::string(TW_SHARED_DIR) + "/spec/cis-controls.md";

std::string TopDir(const std::string& relative_path) {
  return relative_path.substr(0, relative_path.find('/'));
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The file's bytes, gunzipped with zlib when the name ends in .gz.
std::string ReadDataFile(const std::string& path) {
  if (!path.ends_with(".gz")) return ReadWholeFile(path);
  std::string text;
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return text;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(gz, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  gzclose(gz);
  return text;
}

// The oracle's own reading of a corpus file: a {"Records":[...]} document, a
// top-level array, a single object, or else one JSON value per non-blank line.
std::vector<Json> ParseRecordsWithNlohmann(const std::string& path) {
  std::string text = ReadDataFile(path);
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<Json> records;
  if (!doc.is_discarded()) {
    const Json& list = doc.is_object() && doc.contains("Records") ? doc["Records"] : doc;
    if (list.is_array()) {
      for (const Json& r : list) records.push_back(r);
    } else {
      records.push_back(list);
    }
    return records;
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json r = Json::parse(line, nullptr, false);
    EXPECT_FALSE(r.is_discarded()) << path << ": a line is not JSON: " << line.substr(0, 80);
    records.push_back(std::move(r));
  }
  return records;
}

// One corpus file, as the engine and as the oracle see it.
struct LoadedFile {
  std::string relative_path;
  std::vector<std::string> messages;  // from MessageReader
  std::vector<Json> records;          // from nlohmann, same order
};

class CisCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto corpus = tw::testing::LoadCorpus(kCloudTrailDir);
    ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
    files_ = new std::vector<LoadedFile>();
    for (CorpusFile& file : *corpus) {
      LoadedFile loaded{file.relative_path, std::move(file.messages), {}};
      loaded.records = ParseRecordsWithNlohmann(kCloudTrailDir + "/" + file.relative_path);
      files_->push_back(std::move(loaded));
    }
  }
  static void TearDownTestSuite() {
    delete files_;
    files_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(files_, nullptr);
    for (const LoadedFile& f : *files_) {
      ASSERT_EQ(f.messages.size(), f.records.size())
          << f.relative_path << ": MessageReader and nlohmann disagree on the record count";
    }
  }

  static const Matcher& Compiled(const CisPattern& p) {
    static auto* cache = new std::map<std::string_view, std::unique_ptr<Matcher>>();
    auto& slot = (*cache)[p.id];
    if (!slot) {
      auto m = Matcher::Compile(p.text);
      if (!m.ok()) {
        ADD_FAILURE() << p.id << ": " << m.error().ToString();
        m = Matcher::Compile("{ $.x NOT EXISTS && $.x = 1 }");  // matches nothing
      }
      slot = std::make_unique<Matcher>(std::move(*m));
    }
    return *slot;
  }

  static std::size_t EngineCount(const CisPattern& p) {
    EventView view;
    std::size_t hits = 0;
    for (const LoadedFile& f : *files_) {
      for (const std::string& message : f.messages) {
        view.Reset(message);
        hits += Compiled(p).Matches(view);
      }
    }
    return hits;
  }

  static std::size_t OracleCount(tw::testing::oracle::Predicate predicate) {
    std::size_t hits = 0;
    for (const LoadedFile& f : *files_) {
      for (const Json& r : f.records) hits += predicate(r);
    }
    return hits;
  }

  static std::vector<LoadedFile>* files_;
};

std::vector<LoadedFile>* CisCorpusTest::files_ = nullptr;

TEST(CisPatternsTest, EveryPatternHasAUniqueIdAndAnOraclePredicate) {
  std::map<std::string_view, int> seen;
  for (const CisPattern& p : kCisPatterns) {
    EXPECT_EQ(++seen[p.id], 1) << "duplicate id " << p.id;
    EXPECT_NE(tw::testing::oracle::PredicateFor(p.id), nullptr) << p.id;
    EXPECT_EQ(tw::testing::FindCisPattern(p.id), &p);
  }
  int security_hub = 0;
  for (const CisPattern& p : kCisPatterns) security_hub += p.in_security_hub_set;
  EXPECT_EQ(security_hub, 15);  // CloudWatch.1-14 and CIS 4.15
}

TEST(CisPatternsTest, SpecTextsAreCopiedVerbatim) {
  std::string spec = ReadWholeFile(kCisSpecPath);
  ASSERT_FALSE(spec.empty()) << kCisSpecPath;
  for (const CisPattern& p : kCisPatterns) {
    if (p.origin != tw::testing::CisOrigin::kSpec) continue;
    EXPECT_NE(spec.find(p.text), std::string::npos) << p.id << " is not verbatim in the spec";
  }
  // The Prowler-only texts carry the fragments the spec does quote.
  EXPECT_NE(spec.find("($.errorMessage = Failed authentication)"), std::string::npos);
  EXPECT_NE(std::string_view(tw::testing::FindCisPattern("CIS4.0-4.6")->text)
                .find("($.errorMessage = Failed authentication)"),
            std::string_view::npos);
  EXPECT_NE(spec.find("{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes)"),
            std::string::npos);
}

TEST(CisPatternsTest, IamPatternNamesSixteenEventNames) {
  std::string_view text = tw::testing::kIamPolicyChangePattern;
  int names = 0;
  for (std::size_t at = text.find("$.eventName="); at != std::string_view::npos;
       at = text.find("$.eventName=", at + 1)) {
    ++names;
  }
  EXPECT_EQ(names, 16);
  EXPECT_EQ(text.find("SetDefaultPolicyVersion"), std::string_view::npos);
}

TEST(CisPatternsTest, EveryPatternCompiles) {
  for (const CisPattern& p : kCisPatterns) {
    auto m = Matcher::Compile(p.text);
    EXPECT_TRUE(m.ok()) << p.id << ": " << (m.ok() ? "" : m.error().ToString());
  }
}

TEST_F(CisCorpusTest, CorpusHasTheExpectedShape) {
  std::size_t messages = 0;
  std::size_t events = 0;  // SOURCES.md's definition: an object with an eventName
  for (const LoadedFile& f : *files_) {
    messages += f.messages.size();
    for (const Json& r : f.records) events += r.is_object() && r.contains("eventName");
  }
  EXPECT_EQ(files_->size(), 107u);  // 112 files less the 5 excluded
  EXPECT_EQ(events, 3740u);         // SOURCES.md: 3,740 without elastic-integrations
  // Two processing-library records misspell eventName
  // (SerializerTestFileBadFieldName.json, SerializerTestFileNewFieldName.json).
  EXPECT_EQ(messages, 3742u);
}

// Engine vs oracle, message by message, for every pattern.
TEST_F(CisCorpusTest, EngineAgreesWithOracleOnEveryMessage) {
  EventView view;
  for (const CisPattern& p : kCisPatterns) {
    const Matcher& m = Compiled(p);
    auto predicate = tw::testing::oracle::PredicateFor(p.id);
    ASSERT_NE(predicate, nullptr) << p.id;
    std::size_t engine = 0, oracle = 0, reported = 0;
    for (const LoadedFile& f : *files_) {
      for (std::size_t i = 0; i < f.messages.size(); ++i) {
        view.Reset(f.messages[i]);
        bool e = m.Matches(view);
        bool o = predicate(f.records[i]);
        engine += e;
        oracle += o;
        if (e != o && reported++ < 5) {
          ADD_FAILURE() << p.id << ": engine " << e << ", oracle " << o << " on " << f.relative_path
                        << " record " << i << ": " << f.messages[i].substr(0, 300);
        }
      }
    }
    EXPECT_EQ(engine, oracle) << p.id << " (" << p.title << ")";
  }
}

// All patterns on one EventView per event, as the server runs them: the
// per-event memo must not leak one pattern's lookups into another's result.
TEST_F(CisCorpusTest, SharedEventViewAndPatternSetGiveTheSameHits) {
  std::vector<std::shared_ptr<const Matcher>> set_matchers;
  std::vector<tw::testing::oracle::Predicate> predicates;
  for (const CisPattern& p : kCisPatterns) {
    if (!p.in_security_hub_set) continue;
    auto m = Matcher::Compile(p.text);
    ASSERT_TRUE(m.ok()) << p.id;
    set_matchers.push_back(std::make_shared<const Matcher>(std::move(*m)));
    predicates.push_back(tw::testing::oracle::PredicateFor(p.id));
  }
  tw::pattern::PatternSet set(set_matchers);
  auto hits = std::make_unique<bool[]>(set.size());
  EventView view;
  std::size_t mismatches = 0;
  for (const LoadedFile& f : *files_) {
    for (std::size_t i = 0; i < f.messages.size(); ++i) {
      view.Reset(f.messages[i]);
      std::size_t n = set.Match(view, std::span<bool>(hits.get(), set.size()));
      std::size_t expected = 0;
      for (std::size_t k = 0; k < set.size(); ++k) {
        bool o = predicates[k](f.records[i]);
        expected += o;
        if (hits[k] != o && mismatches++ < 5) {
          ADD_FAILURE() << "PatternSet member " << k << " on " << f.relative_path << " record "
                        << i;
        }
      }
      EXPECT_EQ(n, expected);
    }
  }
}

// Totals and per-directory counts of SOURCES.md, less the removed
// elastic-integrations column (oracle predicate, missing field does not
// satisfy !=, which is also our chosen semantics).
TEST_F(CisCorpusTest, CountsMatchSourcesMd) {
  struct Row {
    std::string_view id;
    std::size_t library, aws_dataset, panther, stratus;  // per directory
    std::size_t sources_total, elastic;                  // SOURCES.md's total and removed column
  };
  const Row kRows[] = {
      {"CW.1", 0, 0, 38, 0, 38, 0},  {"CW.2", 0, 60, 37, 51, 148, 0},
      {"CW.3", 0, 1, 9, 1, 12, 1},   {"CIS1.2-3.2", 0, 1, 35, 1, 40, 3},
      {"CW.4", 0, 26, 18, 2, 47, 1}, {"CW.5", 0, 13, 9, 2, 26, 2},
      {"CW.6", 0, 0, 1, 0, 3, 2},    {"CW.7", 0, 0, 4, 0, 6, 2},
      {"CW.8", 0, 6, 15, 0, 21, 0},  {"CW.9", 0, 0, 6, 0, 7, 1},
      {"CW.10", 0, 8, 7, 1, 16, 0},  {"CW.11", 0, 0, 6, 0, 8, 2},
      {"CW.12", 0, 15, 2, 0, 17, 0}, {"CW.13", 0, 40, 2, 0, 42, 0},
      {"CW.14", 0, 16, 2, 0, 18, 0}, {"CIS4.15", 0, 1, 1, 1, 3, 0},
  };
  for (const Row& row : kRows) {
    const CisPattern* p = tw::testing::FindCisPattern(row.id);
    ASSERT_NE(p, nullptr) << row.id;
    std::map<std::string, std::size_t> by_dir;
    EventView view;
    for (const LoadedFile& f : *files_) {
      for (const std::string& message : f.messages) {
        view.Reset(message);
        by_dir[TopDir(f.relative_path)] += Compiled(*p).Matches(view);
      }
    }
    EXPECT_EQ(by_dir["aws-cloudtrail-processing-library"], row.library) << row.id;
    EXPECT_EQ(by_dir["aws_dataset"], row.aws_dataset) << row.id;
    EXPECT_EQ(by_dir["panther-analysis"], row.panther) << row.id;
    EXPECT_EQ(by_dir["stratus-red-team"], row.stratus) << row.id;
    EXPECT_EQ(EngineCount(*p), row.sources_total - row.elastic) << row.id;
  }
}

// The benchmark-text variants select the same events as their Security Hub
// forms on this corpus. The corpus does not tell the precedence readings
// apart (see CisPrecedenceTest for events that do).
TEST_F(CisCorpusTest, VariantsCountLikeTheirSecurityHubForms) {
  const std::pair<std::string_view, std::size_t> kExpected[] = {
      {"CIS-root", 38},    {"CIS4.0-4.3", 38},     {"CIS4.0-4.1", 148},
      {"CIS4.0-4.2", 37},  {"CIS4.0-4.2-sso", 11}, {"CIS4.0-4.6", 1},
      {"CIS5.0-4.10", 16}, {"CIS3.0-4.13", 42},    {"CIS4.0-4.15", 3},
  };
  for (const auto& [id, count] : kExpected) {
    EXPECT_EQ(EngineCount(*tw::testing::FindCisPattern(id)), count) << id;
  }
}

// SOURCES.md's other reading of CW.3 (a missing MFAUsed satisfies !=) gives
// 14 - 1 = 13; our semantics give 11. Both readings, from the oracle.
TEST_F(CisCorpusTest, MissingFieldReadingOfNotEqualsExplainsBothCw3Rows) {
  using tw::testing::oracle::ConsoleNoMfaFourTerm;
  using tw::testing::oracle::ConsoleNoMfaTwoTerm;
  EXPECT_EQ(OracleCount([](const Json& r) { return ConsoleNoMfaFourTerm(r, false); }), 11u);
  EXPECT_EQ(OracleCount([](const Json& r) { return ConsoleNoMfaFourTerm(r, true); }), 13u);
  // The two-term row of SOURCES.md (40 - 3 = 37) used the "does not match" reading.
  EXPECT_EQ(OracleCount([](const Json& r) { return ConsoleNoMfaTwoTerm(r, false); }), 37u);
  EXPECT_EQ(OracleCount([](const Json& r) { return ConsoleNoMfaTwoTerm(r, true); }), 43u);
}

// SOURCES.md says the all-OR form matches every event (3752 - 12 = 3740).
// Under our semantics it matches 3739: in SerializerAllFieldsNull.json the
// first record has "eventName": null and "sourceIPAddress": null, and a null
// has no text, so both != terms are false (SOURCES.md's Python oracle took
// None != "HeadBucket" as true). The two records without an eventName do not
// match either; they are not events by SOURCES.md's definition.
TEST_F(CisCorpusTest, AllOrBugFormMatchesEveryEventButTheAllNullOne) {
  const CisPattern& p = *tw::testing::FindCisPattern("CIS1.4-4.1-allor");
  EXPECT_EQ(EngineCount(p), 3739u);
  EventView view;
  std::vector<std::string> misses;
  for (const LoadedFile& f : *files_) {
    for (std::size_t i = 0; i < f.messages.size(); ++i) {
      view.Reset(f.messages[i]);
      if (!Compiled(p).Matches(view)) misses.push_back(f.relative_path + "#" + std::to_string(i));
    }
  }
  const std::vector<std::string> kExpected = {
      "aws-cloudtrail-processing-library/SerializerAllFieldsNull.json#0",
      "aws-cloudtrail-processing-library/SerializerTestFileBadFieldName.json#0",
      "aws-cloudtrail-processing-library/SerializerTestFileNewFieldName.json#0",
  };
  EXPECT_EQ(misses, kExpected);
}

// Per-file counts of the IAM pattern: engine, oracle, and a third reading
// (python3 over the raw files, recorded here).
TEST_F(CisCorpusTest, IamPatternPerFile) {
  const std::map<std::string, std::size_t> kNonZero = {
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json", 2},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1200Z_x9kHmzMa7cx6l9wM.json", 1},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1205Z_UljXNp9xLp8nsAGc.json", 1},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1205Z_dOIWyEekdNWhkpqY.json", 1},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1205Z_zs3JGxETHr59VpkX.json", 1},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1210Z_6CICdbJQM3beT7n3.json", 4},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1210Z_RBxlxVrF890sGHGg.json", 1},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1215Z_YMDRJwtmC82bUwAo.json", 1},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1215Z_Z8x5aqgtcXn5NEG9.json", 3},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1215Z_nBsuPO1qSTEVerMD.json", 5},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1220Z_ovtmbuX3ENJ119uH.json", 2},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1230Z_ZtUNbBkwAu98FPZb.json", 2},
      {"aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1230Z_lHgkh3VeI3XnjZSL.json", 2},
      {"panther-analysis/rule_test_events.jsonl", 14},
      {"panther-analysis/scenario_compromised-root-creds__attacker_cloudtrail.jsonl", 3},
      {"panther-analysis/scenario_enrichment-example__attacker_cloudtrail.jsonl", 1},
      {"stratus-red-team/aws.persistence.iam-create-admin-user.json", 1},
      {"stratus-red-team/aws.persistence.iam-create-backdoor-role.json", 1},
  };
  const Matcher& m = Compiled(*tw::testing::FindCisPattern("CW.4"));
  EventView view;
  std::size_t total = 0;
  for (const LoadedFile& f : *files_) {
    std::size_t engine = 0, oracle = 0;
    for (std::size_t i = 0; i < f.messages.size(); ++i) {
      view.Reset(f.messages[i]);
      engine += m.Matches(view);
      oracle += tw::testing::oracle::IamPolicyChanges(f.records[i]);
    }
    auto it = kNonZero.find(f.relative_path);
    std::size_t python = it == kNonZero.end() ? 0 : it->second;
    EXPECT_EQ(engine, oracle) << f.relative_path;
    EXPECT_EQ(engine, python) << f.relative_path;
    total += engine;
  }
  EXPECT_EQ(total, 46u);  // SOURCES.md: 47, less 1 in elastic-integrations
}

// A second, unrelated oracle for the IAM pattern: jq, run per file.
TEST_F(CisCorpusTest, JqAgreesOnIamPatternPerFile) {
  if (std::system("jq --version > /dev/null 2>&1") != 0) {
    // scripts/dev.sh installs jq for the tests, so CI must have it.
    if (std::getenv("CI") != nullptr) FAIL() << "jq is not installed";
    GTEST_SKIP() << "jq is not installed (scripts/dev.sh installs it)";
  }
  const std::string kProgram =
      "if type == \"array\" then .[] "
      "elif type == \"object\" and has(\"Records\") then .Records[] else . end "
      "| select(type == \"object\" and (.eventName | IN(\"DeleteGroupPolicy\", "
      "\"DeleteRolePolicy\", \"DeleteUserPolicy\", \"PutGroupPolicy\", \"PutRolePolicy\", "
      "\"PutUserPolicy\", \"CreatePolicy\", \"DeletePolicy\", \"CreatePolicyVersion\", "
      "\"DeletePolicyVersion\", \"AttachRolePolicy\", \"DetachRolePolicy\", "
      "\"AttachUserPolicy\", \"DetachUserPolicy\", \"AttachGroupPolicy\", "
      "\"DetachGroupPolicy\"))) | .eventName";
  const Matcher& m = Compiled(*tw::testing::FindCisPattern("CW.4"));
  EventView view;
  std::size_t jq_total = 0;
  for (const LoadedFile& f : *files_) {
    std::string path = kCloudTrailDir + "/" + f.relative_path;
    ASSERT_EQ(path.find('\''), std::string::npos) << path;
    std::string command = path.ends_with(".gz")
                              ? "gzip -dc '" + path + "' | jq -c '" + kProgram + "'"
                              : "jq -c '" + kProgram + "' '" + path + "'";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr) << command;
    std::size_t jq = 0;
    char line[4096];
    while (std::fgets(line, sizeof line, pipe) != nullptr) jq += line[0] != '\n';
    ASSERT_EQ(pclose(pipe), 0) << "jq failed on " << f.relative_path;
    std::size_t engine = 0;
    for (const std::string& message : f.messages) {
      view.Reset(message);
      engine += m.Matches(view);
    }
    EXPECT_EQ(engine, jq) << f.relative_path;
    jq_total += jq;
  }
  EXPECT_EQ(jq_total, 46u);
}

// ---- precedence traps, on events built to tell the readings apart ---------

struct PrecedenceCase {
  std::string_view pattern_id;
  std::string_view event;
  bool expected;  // under () > && > ||
};

TEST(CisPrecedenceTest, AndBindsTighterThanOr) {
  const PrecedenceCase kCases[] = {
      // *UnauthorizedOperation alone suffices; (A || B) && C && D would say no.
      {"CIS4.0-4.1",
       R"({"errorCode":"Client.UnauthorizedOperation","eventName":"HeadBucket",)"
       R"("sourceIPAddress":"delivery.logs.amazonaws.com"})",
       true},
      {"CIS4.0-4.1",
       R"({"errorCode":"AccessDenied","eventName":"HeadBucket","sourceIPAddress":"1.2.3.4"})",
       false},
      {"CIS4.0-4.1",
       R"({"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"1.2.3.4"})", true},
      // != on a missing field is false (chosen semantics), so the && chain fails.
      {"CIS4.0-4.1", R"({"errorCode":"AccessDenied","eventName":"GetObject"})", false},
      {"CIS1.4-4.1-allor", R"({"eventName":"HeadBucket","sourceIPAddress":"1.2.3.4"})", true},
      {"CIS1.4-4.1-allor",
       R"({"eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com"})", false},
      // The eventSource guard binds to CreateRoute only.
      {"CIS3.0-4.13", R"({"eventSource":"ec2.amazonaws.com","eventName":"CreateRoute"})", true},
      {"CIS3.0-4.13", R"({"eventSource":"s3.amazonaws.com","eventName":"CreateRoute"})", false},
      {"CIS3.0-4.13", R"({"eventSource":"s3.amazonaws.com","eventName":"DeleteRoute"})", true},
      {"CIS3.0-4.13", R"({"eventName":"CreateRouteTable"})", true},
      // A bare value with an embedded space.
      {"CIS4.0-4.6", R"({"eventName":"ConsoleLogin","errorMessage":"Failed authentication"})",
       true},
      {"CIS4.0-4.6", R"({"eventName":"ConsoleLogin","errorMessage":"Failed"})", false},
      // Root: a null invokedBy exists.
      {"CW.1", R"({"userIdentity":{"type":"Root"},"eventType":"AwsApiCall"})", true},
      {"CW.1", R"({"userIdentity":{"type":"Root","invokedBy":null},"eventType":"AwsApiCall"})",
       false},
      {"CW.1", R"({"userIdentity":{"type":"Root"}})", false},
  };
  EventView view;
  for (const PrecedenceCase& c : kCases) {
    const CisPattern* p = tw::testing::FindCisPattern(c.pattern_id);
    ASSERT_NE(p, nullptr);
    auto m = Matcher::Compile(p->text);
    ASSERT_TRUE(m.ok()) << c.pattern_id;
    view.Reset(c.event);
    EXPECT_EQ(m->Matches(view), c.expected) << c.pattern_id << " on " << c.event;
    EXPECT_EQ(tw::testing::oracle::PredicateFor(c.pattern_id)(Json::parse(c.event)), c.expected)
        << "oracle: " << c.pattern_id << " on " << c.event;
  }
}

// ---- every corpus file through MessageReader ------------------------------

struct ReadOutcome {
  std::size_t messages = 0;
  tw::Status status;
  tw::ingest::InputFormat format = tw::ingest::InputFormat::kAuto;
};

ReadOutcome ReadAll(const std::string& path, tw::ingest::InputFormat format) {
  ReadOutcome out;
  auto reader = tw::ingest::MessageReader::Open(path, format);
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  std::string_view message;
  while ((*reader)->Next(&message)) {
    EXPECT_FALSE(message.empty()) << path;
    if (++out.messages > 1'000'000) break;  // a runaway reader
  }
  out.status = (*reader)->status();
  out.format = (*reader)->format();
  return out;
}

TEST(CorpusReaderTest, EveryFileReadsWithoutCrashingAndErrorsNameTheFile) {
  using tw::ingest::InputFormat;
  auto files = tw::testing::ListCorpusFiles(kCloudTrailDir, /*include_excluded=*/true);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->size(), 112u);
  const std::string kBroken =
      "aws-cloudtrail-processing-library/SerializerTestFileBadJsonFormat.json";
  const char* const kFormatNames[] = {"auto", "lines", "cloudtrail"};
  for (const std::string& relative : *files) {
    std::string path = kCloudTrailDir + "/" + relative;
    std::string base = relative.substr(relative.rfind('/') + 1);
    for (InputFormat format : {InputFormat::kAuto, InputFormat::kCloudTrail, InputFormat::kLines}) {
      SCOPED_TRACE(relative + " read as " + kFormatNames[static_cast<int>(format)]);
      ReadOutcome out = ReadAll(path, format);
      if (!out.status.ok()) {
        EXPECT_NE(out.status.message().find(base), std::string::npos)
            << "error does not name the file: " << out.status.ToString();
        std::cerr << "[   info   ] " << kFormatNames[static_cast<int>(format)] << ": "
                  << out.status.ToString() << "\n";
      }
      if (relative == kBroken && format != InputFormat::kLines) {
        EXPECT_FALSE(out.status.ok()) << "invalid JSON was accepted";
      } else if (format == InputFormat::kAuto || format == InputFormat::kLines) {
        EXPECT_TRUE(out.status.ok()) << out.status.ToString();
      }
      if (format == InputFormat::kAuto && out.status.ok()) {
        bool cloudtrail = relative.ends_with(".json") || relative.ends_with(".gz");
        if (relative == "SOURCES.md" || relative.find("/SQSMessageBody") != std::string::npos) {
          cloudtrail = false;
        }
        EXPECT_EQ(out.format, cloudtrail ? InputFormat::kCloudTrail : InputFormat::kLines);
      }
    }
  }
}

}  // namespace
