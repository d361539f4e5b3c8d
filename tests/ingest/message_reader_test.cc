// MessageReader on small inputs written in the tests: detection, splitting,
// compact output, limits and error messages.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "ingest/ingest.h"
#include "ingest/reader_internal.h"
#include "ingest_test_util.h"

namespace tw::ingest {
namespace {

using testing::IsCompact;
using testing::ReadAll;
using testing::ReadFile;
using testing::ReadResult;
using testing::ReadString;
using testing::TempDir;
using testing::WriteBytes;

using Messages = std::vector<std::string>;

TEST(ParseInputFormatTest, KnownAndUnknownNames) {
  ASSERT_TRUE(ParseInputFormat("auto").ok());
  EXPECT_EQ(*ParseInputFormat("auto"), InputFormat::kAuto);
  EXPECT_EQ(*ParseInputFormat("lines"), InputFormat::kLines);
  EXPECT_EQ(*ParseInputFormat("cloudtrail"), InputFormat::kCloudTrail);
  Result<InputFormat> bad = ParseInputFormat("json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "unknown input format 'json' (expected auto, lines or cloudtrail)");
}

// ---------------------------------------------------------------------------
// Lines

TEST(LinesTest, SplitsOnNewlineAndStripsCarriageReturn) {
  ReadResult r = ReadString("one\r\ntwo\nthree", InputFormat::kLines);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, (Messages{"one", "two", "three"}));
  EXPECT_EQ(r.format, InputFormat::kLines);
}

TEST(LinesTest, SkipsEmptyLinesButKeepsBlankOnes) {
  // Only lines that are empty after the '\r' is removed are skipped;
  // CloudWatch accepts a message of spaces.
  ReadResult r = ReadString("\n\r\na\n\n  \n\tb\r\n\r\n", InputFormat::kLines);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.messages, (Messages{"a", "  ", "\tb"}));
}

TEST(LinesTest, KeepsInnerCarriageReturnsAndOnlyStripsOne) {
  ReadResult r = ReadString("a\rb\r\r\nc\r", InputFormat::kLines);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.messages, (Messages{"a\rb\r", "c"}));
}

TEST(LinesTest, EmptyInputHasNoMessages) {
  EXPECT_TRUE((ReadString("", InputFormat::kLines).messages).empty());
  EXPECT_TRUE((ReadString("\n\n\r\n", InputFormat::kLines).messages).empty());
}

TEST(LinesTest, JsonLinesAreNotRewritten) {
  ReadResult r = ReadString("{ \"a\" : 1 }\n", InputFormat::kLines);
  EXPECT_EQ(r.messages, (Messages{"{ \"a\" : 1 }"}));
}

TEST(LinesTest, SameMessagesWhateverTheChunkSize) {
  const std::string data = "alpha\r\n\nbeta gamma\n" + std::string(300, 'x') + "\r\nlast";
  ReadResult reference = ReadString(data, InputFormat::kLines);
  ASSERT_EQ(reference.messages.size(), 4u);
  for (std::size_t chunk : {1, 2, 3, 5, 7, 64, 1000}) {
    internal::ReaderOptions options;
    options.chunk_bytes = chunk;
    ReadResult r = ReadString(data, InputFormat::kLines, "t.log", options);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.messages, reference.messages) << "chunk " << chunk;
  }
}

TEST(LinesTest, LineLongerThanTheLimitIsAnError) {
  internal::ReaderOptions options;
  options.chunk_bytes = 4;
  options.max_message_bytes = 10;
  ReadResult r = ReadString("short\n0123456789\r\n0123456789X\nnever", InputFormat::kLines,
                            "big.log", options);
  EXPECT_EQ(r.messages, (Messages{"short", "0123456789"}));
  EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status.message(), "big.log: line 3 is longer than the limit of 10 bytes");
}

TEST(LinesTest, ByteOrderMarkIsDropped) {
  ReadResult r = ReadString("\xEF\xBB\xBFhello\n", InputFormat::kLines);
  EXPECT_EQ(r.messages, (Messages{"hello"}));
}

// ---------------------------------------------------------------------------
// CloudTrail shapes

TEST(CloudTrailTest, RecordsDocumentYieldsCompactRecords) {
  ReadResult r = ReadString(
      "{\n  \"Records\" : [\n    { \"eventName\" : \"A b\",\t\"n\" : [ 1 , -2.5e+3 , true , null ] "
      "},\r\n    {\"x\":{ }, \"y\":[ ]}\n  ]\n}\n",
      InputFormat::kCloudTrail);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages,
            (Messages{R"({"eventName":"A b","n":[1,-2.5e+3,true,null]})", R"({"x":{},"y":[]})"}));
}

TEST(CloudTrailTest, KeepsKeyOrderEscapesAndSpacesInsideStrings) {
  ReadResult r =
      ReadString(R"({"Records":[{ "z" : "a \"q\" \\ \/ \u00e9 \n" , "a" : " { [ , : " }]})",
                 InputFormat::kCloudTrail);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, (Messages{R"({"z":"a \"q\" \\ \/ \u00e9 \n","a":" { [ , : "})"}));
}

TEST(CloudTrailTest, SkipsOtherTopLevelMembersAnywhere) {
  ReadResult r =
      ReadString(R"({"before":{"Records":[{"no":1}]},"Records":[{"a":1}],"after":[{"no":2}],)"
                 R"("Records":[{"b":2}]})",
                 InputFormat::kCloudTrail);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})", R"({"b":2})"}));
}

TEST(CloudTrailTest, TopLevelArray) {
  ReadResult r = ReadString("[ {\"a\":1} ,\n {\"b\":[{\"c\":2}]} ]", InputFormat::kCloudTrail);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})", R"({"b":[{"c":2}]})"}));
}

TEST(CloudTrailTest, EmptyShapes) {
  for (const char* data : {"", "  \n", "[]", "{\"Records\":[]}", "{\"Records\":[]} []"}) {
    ReadResult r = ReadString(data, InputFormat::kCloudTrail);
    EXPECT_TRUE(r.status.ok()) << data << ": " << r.status.ToString();
    EXPECT_TRUE((r.messages).empty()) << data;
  }
}

TEST(CloudTrailTest, OneRecordPerLine) {
  ReadResult r = ReadString("{ \"a\" : 1 }\r\n\n   \n{\"b\": \"x y\"}  \n{\"c\":{\"d\":[]}}",
                            InputFormat::kCloudTrail);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})", R"({"b":"x y"})", R"({"c":{"d":[]}})"}));
}

TEST(CloudTrailTest, ConcatenatedDocuments) {
  // What `cat a.json b.json | trailwatch ...` produces.
  ReadResult r = ReadString(
      "{\"Records\":[{\"a\":1}]}\n{\"Records\":[{\"b\":2}]}[{\"c\":3}]\n"
      "{\"d\":4}\n",
      InputFormat::kCloudTrail);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})", R"({"b":2})", R"({"c":3})", R"({"d":4})"}));
}

TEST(CloudTrailTest, ByteOrderMarkIsDropped) {
  ReadResult r = ReadString("\xEF\xBB\xBF{\"Records\":[{\"a\":1}]}", InputFormat::kAuto);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.format, InputFormat::kCloudTrail);
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})"}));
}

TEST(CloudTrailTest, NumbersAndLiteralsAtEveryPosition) {
  ReadResult r = ReadString(
      R"([{"a":0,"b":-0,"c":0.5,"d":10E5,"e":1e-7,"f":123456789012345678,"g":false,"h":null,)"
      R"("i":[0,true]}])",
      InputFormat::kCloudTrail);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            R"({"a":0,"b":-0,"c":0.5,"d":10E5,"e":1e-7,"f":123456789012345678,"g":false,)"
            R"("h":null,"i":[0,true]})");
}

TEST(CloudTrailTest, SameMessagesAndErrorsWhateverTheChunkSize) {
  const std::vector<std::string> inputs = {
      "{\n \"Records\": [ {\"a\": \"x\\\"y\\u0041\", \"n\": -1.5e3}, {\"b\": [true, null]} ],"
      " \"k\": 1 }",
      "[{\"a\":1},{\"b\":2}]\n{\"Records\":[{\"c\":3}]}",
      "{\"a\":1}\n{\"b\":2}\r\n",
      "{\"Records\":[{\"a\":1},{\"b\":tru}]}",
      "{\"Records\":[{\"a\":1},{\"b\":\"unterminated",
  };
  for (const std::string& data : inputs) {
    ReadResult reference = ReadString(data, InputFormat::kCloudTrail);
    for (std::size_t chunk : {1, 2, 3, 5, 8, 13}) {
      internal::ReaderOptions options;
      options.chunk_bytes = chunk;
      ReadResult r = ReadString(data, InputFormat::kCloudTrail, "t.json", options);
      EXPECT_EQ(r.messages, reference.messages) << data << " chunk " << chunk;
      EXPECT_EQ(r.status, reference.status) << data << " chunk " << chunk;
    }
  }
}

TEST(CloudTrailTest, MessagesAreCompact) {
  ReadResult r = ReadString("[ { \"a\" : [ 1 , { \"b\" : \" s p \" } ] } ]", InputFormat::kAuto);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(IsCompact(r.messages[0]));
  EXPECT_FALSE(IsCompact("{\"a\": 1}"));  // the checker itself works
}

// ---------------------------------------------------------------------------
// Detection

struct DetectCase {
  const char* name;
  std::string data;
  InputFormat expected;
  std::size_t messages;
};

TEST(DetectTest, DecidesPerDocument) {
  const std::vector<DetectCase> cases = {
      {"t.json", "{\"Records\":[{\"a\":1},{\"b\":2}]}", InputFormat::kCloudTrail, 2},
      {"t.json", "\n  {\n \"Records\": [ {\"a\":1} ] }", InputFormat::kCloudTrail, 1},
      {"t.json", "{\"meta\":{\"x\":[1,{\"y\":\"}\"}]},\"Records\":[{\"a\":1}]}",
       InputFormat::kCloudTrail, 1},
      {"t.json", "[{\"a\":1}]", InputFormat::kCloudTrail, 1},
      {"t.json", " [\n ]", InputFormat::kCloudTrail, 0},
      {"t.json", "{\"a\":1}\n{\"b\":2}\n", InputFormat::kLines, 2},
      {"t.json", "{\"a\":\"Records\"}\n", InputFormat::kLines, 1},
      {"t.json", "{\"nested\":{\"Records\":[]}}\n", InputFormat::kLines, 1},
      {"t.json", "{\"Rec\\u006frds\":[]}\n", InputFormat::kLines, 1},
      {"t.json", "{\n  \"Type\": \"Notification\",\n  \"Message\": \"x\"\n}\n", InputFormat::kLines,
       4},
      {"t.log", "[ERROR] disk full\n[INFO] ok\n", InputFormat::kLines, 2},
      {"t.log", "[2023-07-10 12:00:00] GET /\n", InputFormat::kLines, 1},
      {"t.log", "hello\nworld", InputFormat::kLines, 2},
      {"t.log", "", InputFormat::kLines, 0},
      {"t.log", "{ unterminated", InputFormat::kLines, 1},
      // A .gz name means CloudTrail whatever the content (here one record per line).
      {"t.json.gz", "{\"a\":1}\n{\"b\":2}\n", InputFormat::kCloudTrail, 2},
  };
  for (const DetectCase& c : cases) {
    auto reader = internal::OpenString(c.name, c.data, InputFormat::kAuto);
    EXPECT_EQ(reader->format(), InputFormat::kAuto) << "undecided before the first Next()";
    ReadResult r = ReadAll(*reader);
    EXPECT_TRUE(r.status.ok()) << c.data << ": " << r.status.ToString();
    EXPECT_EQ(r.format, c.expected) << c.data;
    EXPECT_EQ(r.messages.size(), c.messages) << c.data;
  }
}

TEST(DetectTest, PeekedBytesAreReplayed) {
  // The "Records" key comes after more than a chunk, so detection extends the
  // window several times; nothing peeked may be lost.
  std::string data = "{\"pad\":\"" + std::string(1000, 'p') + "\",\"Records\":[{\"a\":1}]}";
  internal::ReaderOptions options;
  options.chunk_bytes = 16;
  ReadResult r = ReadString(data, InputFormat::kAuto, "t.json", options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.format, InputFormat::kCloudTrail);
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})"}));

  std::string lines = "{\"pad\":\"" + std::string(1000, 'p') + "\"}\nsecond\n";
  r = ReadString(lines, InputFormat::kAuto, "t.json", options);
  EXPECT_EQ(r.format, InputFormat::kLines);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].size(), 1010u);
  EXPECT_EQ(r.messages[1], "second");
}

TEST(DetectTest, GivesUpPeekingAtTheLimit) {
  std::string data = "{\"pad\":\"" + std::string(5000, 'p') + "\",\"Records\":[]}";
  internal::ReaderOptions options;
  options.chunk_bytes = 512;
  options.max_peek_bytes = 1024;
  ReadResult r = ReadString(data, InputFormat::kAuto, "t.json", options);
  EXPECT_EQ(r.format, InputFormat::kLines);
  EXPECT_EQ(r.messages, (Messages{data}));
}

// ---------------------------------------------------------------------------
// Errors: the exact text users see.

struct ErrorCase {
  std::string data;
  std::string message;       // the whole Status message
  std::size_t messages = 0;  // records handed out before the error
};

TEST(CloudTrailErrorTest, NamesFileLineAndColumn) {
  const std::vector<ErrorCase> cases = {
      {"{\"Records\":[{\"a\":1,}]}",
       "t.json: invalid JSON at line 1, column 20: expected a string key but found '}'"},
      {"{\"Records\":[{\"a\":1}\n,\n{\"b\" 2}]}",
       "t.json: invalid JSON at line 3, column 6: expected ':' after the key but found '2'", 1},
      {"{\"Records\":[{\"a\":1} {\"b\":2}]}",
       "t.json: invalid JSON at line 1, column 21: expected ',' or ']' but found '{'", 1},
      {"{\"Records\":[{\"a\":[1 2]}]}",
       "t.json: invalid JSON at line 1, column 21: expected ',' or ']' but found '2'"},
      {"{\"Records\":[{\"a\":1]}",
       "t.json: invalid JSON at line 1, column 19: expected ',' or '}' but found ']'"},
      {"{\"Records\":[{\"a\":1}",
       "t.json: invalid JSON at line 1, column 20: unexpected end of input; the document is "
       "incomplete (missing ']}')",
       1},
      {"{\"Records\":[{\"a\":\"x",
       "t.json: invalid JSON at line 1, column 20: unexpected end of input inside a string; the "
       "document is incomplete (missing '}]}')"},
      {"{\"Records\":[{\"a\":\"x\ny\"}]}",
       "t.json: invalid JSON at line 1, column 20: unterminated string (a line break inside a "
       "string must be written as \\n)"},
      {"{\"Records\":[{\"a\":\"x\ty\"}]}",
       "t.json: invalid JSON at line 1, column 20: control character byte 0x09 inside a string "
       "must be escaped"},
      {"{\"Records\":[{\"a\":\"\\x\"}]}",
       "t.json: invalid JSON at line 1, column 20: invalid escape sequence '\\' followed by 'x'"},
      {"{\"Records\":[{\"a\":\"\\u12g4\"}]}",
       "t.json: invalid JSON at line 1, column 23: expected 4 hex digits after \\u but found 'g'"},
      {"{\"Records\":[{\"a\":01}]}",
       "t.json: invalid JSON at line 1, column 19: a number may not start with a leading zero"},
      {"{\"Records\":[{\"a\":-x}]}",
       "t.json: invalid JSON at line 1, column 19: expected a digit after '-' but found 'x'"},
      {"{\"Records\":[{\"a\":1.}]}",
       "t.json: invalid JSON at line 1, column 20: expected a digit after '.' but found '}'"},
      {"{\"Records\":[{\"a\":1e}]}",
       "t.json: invalid JSON at line 1, column 20: expected an exponent but found '}'"},
      {"{\"Records\":[{\"a\":tru}]}",
       "t.json: invalid JSON at line 1, column 21: expected 'true' but found '}'"},
      {"{\"Records\":[{\"a\":nil}]}",
       "t.json: invalid JSON at line 1, column 19: expected 'null' but found 'i'"},
      {"{\"Records\":[{\"a\":+1}]}",
       "t.json: invalid JSON at line 1, column 18: expected a JSON value but found '+'"},
      {"{\"Records\":[{\"a\":\"\xff\"}]}",
       "t.json: invalid JSON at line 1, column 13: in the record starting here: The input is not "
       "valid UTF-8"},
      {"{\"Records\":{}}",
       "t.json: not CloudTrail data at line 1, column 12: the \"Records\" member must be an "
       "array of records but found '{'"},
      {"{\"Records\":[{\"a\":1},2]}",
       "t.json: not CloudTrail data at line 1, column 21: expected a record (a JSON object) but "
       "found '2'",
       1},
      {"[\"x\"]",
       "t.json: not CloudTrail data at line 1, column 2: expected a record (a JSON object) but "
       "found '\"'"},
      {"hello",
       "t.json: not CloudTrail data at line 1, column 1: expected '{' or '[' but found 'h' "
       "(CloudTrail data is a {\"Records\":[...]} document, a JSON array of records, or one JSON "
       "record per line)"},
      {"{\"Records\":[]}\n\x01",
       "t.json: not CloudTrail data at line 2, column 1: expected '{' or '[' but found byte 0x01 "
       "(CloudTrail data is a {\"Records\":[...]} document, a JSON array of records, or one JSON "
       "record per line)"},
      {"{\"a\":1} {\"b\":2}\n",
       "t.json: not CloudTrail data at line 1, column 9: expected a line break after the record "
       "(one record per line) but found '{'",
       1},
      {"{\"a\":1}\n{\n\"b\":2\n}\n",
       "t.json: not CloudTrail data at line 2, column 1: this JSON object has no \"Records\" "
       "member and spans several lines; expected a {\"Records\":[...]} document, a JSON array "
       "of records, or one JSON record per line",
       1},
      {"{\"Records\":[{\"a\":" + std::string(2000, '['),
       "t.json: invalid JSON at line 1, column 1039: nested more than 1024 levels deep"},
  };
  for (const ErrorCase& c : cases) {
    ReadResult r = ReadString(c.data, InputFormat::kCloudTrail);
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << c.data;
    EXPECT_EQ(r.status.message(), c.message) << c.data;
    EXPECT_EQ(r.messages.size(), c.messages) << c.data;
  }
}

TEST(CloudTrailErrorTest, ColumnsCountFromTheLineStart) {
  ReadResult r =
      ReadString("{\n  \"Records\": [\n    {\"a\": 1},\n    {\"a\" 1}\n  ]\n}", InputFormat::kAuto);
  EXPECT_EQ(r.status.message(),
            "t.json: invalid JSON at line 4, column 10: expected ':' after the key but found '1'");
}

TEST(CloudTrailErrorTest, RecordLargerThanTheLimit) {
  internal::ReaderOptions options;
  options.chunk_bytes = 8;
  options.max_message_bytes = 32;
  std::string data =
      "{\"Records\":[{\"a\":\"short\"},\n {\"a\":\"" + std::string(100, 'x') + "\"}]}";
  ReadResult r = ReadString(data, InputFormat::kCloudTrail, "t.json", options);
  EXPECT_EQ(r.messages, (Messages{R"({"a":"short"})"}));
  EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status.message(),
            "t.json: record too large at line 2, column 2: the record starting here exceeds the "
            "limit of 32 bytes");
}

TEST(CloudTrailErrorTest, ReaderStaysStoppedAfterAnError) {
  auto reader = internal::OpenString("t.json", "[{\"a\":1},x]", InputFormat::kCloudTrail);
  std::string_view message;
  ASSERT_TRUE(reader->Next(&message));
  EXPECT_EQ(message, R"({"a":1})");
  EXPECT_FALSE(reader->Next(&message));
  EXPECT_FALSE(reader->status().ok());
  EXPECT_FALSE(reader->Next(&message));
  EXPECT_FALSE(reader->status().ok());
}

// ---------------------------------------------------------------------------
// Files, gzip, standard input

TEST(FileTest, MissingFileIsNotFound) {
  TempDir dir;
  std::string path = dir.File("nope.json");
  Result<std::unique_ptr<MessageReader>> reader = MessageReader::Open(path, InputFormat::kAuto);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reader.status().message(), path + ": cannot open: No such file or directory");
}

TEST(FileTest, DirectoryIsAnIoError) {
  TempDir dir;
  Result<std::unique_ptr<MessageReader>> reader =
      MessageReader::Open(dir.path().string(), InputFormat::kAuto);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kIo);
  EXPECT_EQ(reader.status().message(), dir.path().string() + ": is a directory, not a file");
}

std::string Gzip(std::string_view data, const std::string& path) {
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(gzwrite(f, data.data(), static_cast<unsigned>(data.size())),
            static_cast<int>(data.size()));
  EXPECT_EQ(gzclose(f), Z_OK);
  return testing::ReadBytes(path);
}

TEST(FileTest, GzipIsDetectedByContentToo) {
  TempDir dir;
  const std::string records = "{\"Records\":[{\"a\":1},{\"b\":2}]}";
  Gzip(records, dir.File("records.json"));  // gzip bytes without a .gz name
  ReadResult r = ReadFile(dir.File("records.json"), InputFormat::kAuto);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.format, InputFormat::kCloudTrail);
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})", R"({"b":2})"}));

  Gzip("plain\nlines\n", dir.File("app.log"));
  r = ReadFile(dir.File("app.log"), InputFormat::kAuto);
  EXPECT_EQ(r.format, InputFormat::kLines);
  EXPECT_EQ(r.messages, (Messages{"plain", "lines"}));
}

TEST(FileTest, GzipMembersAreConcatenated) {
  TempDir dir;
  std::string both = Gzip("{\"Records\":[{\"a\":1}]}\n", dir.File("a.gz")) +
                     Gzip("{\"Records\":[{\"b\":2}]}\n", dir.File("b.gz"));
  WriteBytes(dir.File("both.json.gz"), both);
  ReadResult r = ReadFile(dir.File("both.json.gz"), InputFormat::kAuto);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, (Messages{R"({"a":1})", R"({"b":2})"}));
}

TEST(FileTest, CorruptGzipIsDataLoss) {
  TempDir dir;
  std::string data;
  for (int i = 0; i < 2000; ++i) data += "{\"eventName\":\"E" + std::to_string(i) + "\"}\n";
  std::string gz = Gzip(data, dir.File("ok.gz"));

  std::string truncated = gz.substr(0, gz.size() / 2);
  WriteBytes(dir.File("truncated.json.gz"), truncated);
  ReadResult r = ReadFile(dir.File("truncated.json.gz"), InputFormat::kAuto);
  EXPECT_EQ(r.status.code(), StatusCode::kDataLoss) << r.status.ToString();
  EXPECT_EQ(r.status.message(),
            dir.File("truncated.json.gz") + ": truncated gzip data: unexpected end of file");
  EXPECT_LT(r.messages.size(), 2000u);

  std::string corrupt = gz;
  for (std::size_t i = 20; i < 60; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
  WriteBytes(dir.File("corrupt.json.gz"), corrupt);
  r = ReadFile(dir.File("corrupt.json.gz"), InputFormat::kAuto);
  // zlib names the defect; the damage is in the first block, so nothing is read.
  EXPECT_EQ(r.status.code(), StatusCode::kDataLoss) << r.status.ToString();
  EXPECT_EQ(r.status.message().rfind(dir.File("corrupt.json.gz") + ": corrupt gzip data: ", 0), 0u)
      << r.status.message();
  EXPECT_TRUE(r.messages.empty());
}

// Runs `body` with standard input read from `path`.
template <typename F>
void WithStdin(const std::string& path, F body) {
  int saved = dup(STDIN_FILENO);
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(dup2(fd, STDIN_FILENO), STDIN_FILENO);
  close(fd);
  body();
  dup2(saved, STDIN_FILENO);
  close(saved);
}

TEST(FileTest, DashIsStandardInput) {
  TempDir dir;
  Gzip("[{\"a\":1}]", dir.File("in.gz"));
  WithStdin(dir.File("in.gz"), [] {
    Result<std::unique_ptr<MessageReader>> reader = MessageReader::Open("-", InputFormat::kAuto);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ((*reader)->name(), "<stdin>");
    ReadResult r = ReadAll(**reader);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.messages, (Messages{R"({"a":1})"}));
  });
  // Standard input itself stays open for later readers.
  EXPECT_NE(fcntl(STDIN_FILENO, F_GETFD), -1);
}

TEST(FileTest, NameIsThePathAsGiven) {
  TempDir dir;
  WriteBytes(dir.File("x.log"), "{\"Records\":[{\"a\":1},]}");
  ReadResult r = ReadFile(dir.File("x.log"), InputFormat::kAuto);
  EXPECT_EQ(r.status.message(),
            dir.File("x.log") +
                ": invalid JSON at line 1, column 21: expected a JSON value but "
                "found ']'");
}

}  // namespace
}  // namespace tw::ingest
