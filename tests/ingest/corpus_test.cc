// MessageReader over the real CloudTrail corpus (../shared/data/cloudtrail),
// checked against an independent reading of every file with nlohmann::json,
// plus a large generated file to show that reading streams.

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/ingest.h"
#include "ingest_test_util.h"

namespace tw::ingest {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // keeps key order, so == checks it too
using testing::IsCompact;
using testing::ReadFile;
using testing::ReadResult;
using testing::TempDir;

const fs::path kCorpus = fs::path(TW_SHARED_DIR) / "data" / "cloudtrail";

std::string Decompress(const fs::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(f, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// What a file should yield, worked out from the whole file at once.
struct Expected {
  enum Shape { kRecords, kArray, kNdjson, kOtherObject, kBroken } shape;
  std::vector<Json> records;       // kRecords, kArray, kNdjson
  std::vector<std::string> lines;  // non-empty lines of the text
};

Expected Expect(const fs::path& path) {
  std::string text = path.extension() == ".gz" ? Decompress(path) : testing::ReadBytes(path);
  Expected e;
  e.lines = NonEmptyLines(text);
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded()) {
    if (doc.is_object() && doc.contains("Records")) {
      e.shape = Expected::kRecords;
      for (const Json& r : doc["Records"]) e.records.push_back(r);
    } else if (doc.is_array()) {
      e.shape = Expected::kArray;
      for (const Json& r : doc) e.records.push_back(r);
    } else {
      e.shape = Expected::kOtherObject;
    }
    return e;
  }
  e.shape = Expected::kNdjson;
  for (const std::string& line : e.lines) {
    Json record = Json::parse(line, nullptr, false);
    if (record.is_discarded()) {
      e.shape = Expected::kBroken;
      e.records.clear();
      break;
    }
    e.records.push_back(record);
  }
  return e;
}

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    if (entry.is_regular_file() && entry.path().filename() != "SOURCES.md") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void ExpectRecords(const ReadResult& r, const std::vector<Json>& records, const fs::path& file) {
  ASSERT_EQ(r.messages.size(), records.size()) << file;
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE(IsCompact(r.messages[i])) << file << " record " << i;
    Json parsed = Json::parse(r.messages[i], nullptr, false);
    EXPECT_EQ(parsed, records[i]) << file << " record " << i;
  }
}

TEST(CorpusTest, EveryFileYieldsItsRecordsOrAClearError) {
  std::vector<fs::path> files = CorpusFiles();
  ASSERT_GT(files.size(), 100u) << "corpus missing at " << kCorpus;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    Expected e = Expect(file);
    ReadResult in_auto = ReadFile(file.string(), InputFormat::kAuto);
    ReadResult in_cloudtrail = ReadFile(file.string(), InputFormat::kCloudTrail);
    ReadResult in_lines = ReadFile(file.string(), InputFormat::kLines);
    switch (e.shape) {
      case Expected::kRecords:
      case Expected::kArray:
        ASSERT_TRUE(in_auto.status.ok()) << in_auto.status.ToString();
        EXPECT_EQ(in_auto.format, InputFormat::kCloudTrail);
        ExpectRecords(in_auto, e.records, file);
        EXPECT_EQ(in_cloudtrail.messages, in_auto.messages);
        break;
      case Expected::kNdjson:
        // Auto reads lines as they are; cloudtrail re-serializes each record.
        ASSERT_TRUE(in_auto.status.ok()) << in_auto.status.ToString();
        EXPECT_EQ(in_auto.format, InputFormat::kLines);
        EXPECT_EQ(in_auto.messages, e.lines);
        ASSERT_TRUE(in_cloudtrail.status.ok()) << in_cloudtrail.status.ToString();
        ExpectRecords(in_cloudtrail, e.records, file);
        break;
      case Expected::kOtherObject:
        // The SQS notifications: JSON, but not CloudTrail records.
        EXPECT_EQ(in_auto.format, InputFormat::kLines);
        EXPECT_EQ(in_auto.messages, e.lines);
        EXPECT_EQ(in_cloudtrail.status.message(),
                  file.string() +
                      ": not CloudTrail data at line 1, column 1: this JSON object has no "
                      "\"Records\" member and spans several lines; expected a "
                      "{\"Records\":[...]} document, a JSON array of records, or one JSON record "
                      "per line");
        EXPECT_TRUE(in_cloudtrail.messages.empty());
        break;
      case Expected::kBroken:
        EXPECT_EQ(in_auto.format, InputFormat::kCloudTrail);
        EXPECT_EQ(in_auto.status.code(), StatusCode::kInvalidArgument);
        EXPECT_FALSE(in_auto.status.message().empty());
        break;
    }
    // Lines mode never fails on this corpus and never skips a non-empty line.
    ASSERT_TRUE(in_lines.status.ok()) << in_lines.status.ToString();
    EXPECT_EQ(in_lines.messages.size(), e.lines.size());
  }
}

TEST(CorpusTest, BadJsonFileNamesTheFirstSyntaxError) {
  fs::path file =
      kCorpus / "aws-cloudtrail-processing-library" / "SerializerTestFileBadJsonFormat.json";
  ReadResult r = ReadFile(file.string(), InputFormat::kAuto);
  EXPECT_TRUE(r.messages.empty());
  // Python's json module reports the same place: "line 37 column 9".
  EXPECT_EQ(r.status.message(), file.string() +
                                    ": invalid JSON at line 37, column 9: expected a string key "
                                    "but found '{'");
}

TEST(CorpusTest, CountsPerDirectoryMatchSources) {
  // SOURCES.md's event counts, made by someone else with Python.
  const std::map<std::string, std::size_t> expected = {{"aws_dataset", 2900},
                                                       {"stratus-red-team", 310}};
  std::map<std::string, std::size_t> counted;
  for (const fs::path& file : CorpusFiles()) {
    std::string dir = file.parent_path().filename().string();
    if (!expected.contains(dir)) continue;
    ReadResult r = ReadFile(file.string(), InputFormat::kAuto);
    ASSERT_TRUE(r.status.ok()) << file;
    counted[dir] += r.messages.size();
  }
  for (const auto& [dir, count] : expected) EXPECT_EQ(counted[dir], count) << dir;

  // panther-analysis: 464 rule-test events plus 27 scenario events.
  std::size_t panther = 0;
  for (const fs::path& file : CorpusFiles()) {
    if (file.parent_path().filename() != "panther-analysis") continue;
    if (file.filename() == "rule_test_labels.jsonl") continue;  // labels, not events
    panther += ReadFile(file.string(), InputFormat::kCloudTrail).messages.size();
  }
  EXPECT_EQ(panther, 491u);
}

TEST(CorpusTest, GzipCopyYieldsTheSameMessages) {
  fs::path dir = kCorpus / "aws-cloudtrail-processing-library";
  ReadResult plain =
      ReadFile((dir / "SerializerTestFileCompact.json").string(), InputFormat::kAuto);
  ReadResult gz =
      ReadFile((dir / "SerializerTestFileCompact.json.gz").string(), InputFormat::kAuto);
  ASSERT_TRUE(plain.status.ok());
  ASSERT_TRUE(gz.status.ok()) << gz.status.ToString();
  EXPECT_EQ(gz.format, InputFormat::kCloudTrail);
  EXPECT_EQ(plain.messages.size(), 6u);
  EXPECT_EQ(gz.messages, plain.messages);
  // Gzip is also recognized by its magic bytes when forced to cloudtrail or lines.
  EXPECT_EQ(ReadFile((dir / "SerializerTestFileCompact.json.gz").string(), InputFormat::kCloudTrail)
                .messages,
            plain.messages);
}

TEST(CorpusTest, CompactFileMessagesAreTheRecordsByteForByte) {
  // The file is already compact, so every message is a substring of it.
  fs::path file = kCorpus / "aws-cloudtrail-processing-library" / "SerializerTestFileCompact.json";
  std::string text = testing::ReadBytes(file);
  ReadResult r = ReadFile(file.string(), InputFormat::kAuto);
  ASSERT_EQ(r.messages.size(), 6u);
  std::size_t from = 0;
  for (const std::string& m : r.messages) {
    std::size_t at = text.find(m, from);
    ASSERT_NE(at, std::string::npos) << m;
    from = at + m.size();
  }
}

// ---------------------------------------------------------------------------
// Streaming

long StatusKilobytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

TEST(StreamingTest, LargeRecordsDocumentStreamsInBoundedMemory) {
  TempDir dir;
  const std::string path = dir.File("big.json");
  constexpr std::size_t kRecords = 50000;  // about 50 MB, pretty-printed
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("{\n  \"Records\": [\n", f);
    const std::string padding(900, 'p');
    for (std::size_t i = 0; i < kRecords; ++i) {
      std::fprintf(f,
                   "    {\n      \"eventVersion\": \"1.08\",\n      \"eventName\": \"Event%zu\",\n"
                   "      \"requestParameters\": { \"padding\": \"%s\", \"n\": [ %zu, 2.5 ] }\n"
                   "    }%s\n",
                   i, padding.c_str(), i, i + 1 == kRecords ? "" : ",");
    }
    std::fputs("  ]\n}\n", f);
    std::fclose(f);
  }
  ASSERT_GT(fs::file_size(path), 50'000'000u);

  // Reset the peak-RSS mark where the kernel allows it; sample RSS as well.
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
  const long baseline_kb = StatusKilobytes("VmRSS:");
  long peak_kb = baseline_kb;

  Result<std::unique_ptr<MessageReader>> reader = MessageReader::Open(path, InputFormat::kAuto);
  ASSERT_TRUE(reader.ok());
  std::string_view message;
  std::size_t count = 0;
  while ((*reader)->Next(&message)) {
    if (count % 5000 == 0) {
      peak_kb = std::max(peak_kb, StatusKilobytes("VmRSS:"));
      ASSERT_TRUE(IsCompact(message));
    }
    ++count;
  }
  ASSERT_TRUE((*reader)->status().ok()) << (*reader)->status().ToString();
  EXPECT_EQ(count, kRecords);
  peak_kb = std::max(peak_kb, StatusKilobytes("VmHWM:"));
  EXPECT_LT(peak_kb - baseline_kb, 64 * 1024) << "reading a 50 MB file must not hold it";
}

TEST(StreamingTest, LastRecordOfALargeDocumentIsExact) {
  TempDir dir;
  const std::string path = dir.File("many.json");
  {
    std::ofstream out(path);
    out << "[";
    for (int i = 0; i < 100000; ++i) out << (i ? ",\n" : "") << "{ \"i\" : " << i << " }";
    out << "]";
  }
  ReadResult r = ReadFile(path, InputFormat::kAuto);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.messages.size(), 100000u);
  EXPECT_EQ(r.messages.front(), R"({"i":0})");
  EXPECT_EQ(r.messages.back(), R"({"i":99999})");
}

}  // namespace
}  // namespace tw::ingest
