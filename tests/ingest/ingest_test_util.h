// Helpers shared by the ingest tests: reading a whole reader, temp dirs,
// and an independent compactness check.

#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/ingest.h"
#include "ingest/reader_internal.h"
#include "support/compact_json.h"

namespace tw::ingest::testing {

struct ReadResult {
  std::vector<std::string> messages;
  Status status;
  InputFormat format = InputFormat::kAuto;
};

inline ReadResult ReadAll(MessageReader& reader) {
  ReadResult result;
  std::string_view message;
  while (reader.Next(&message)) result.messages.emplace_back(message);
  // Next() keeps returning false once it has.
  EXPECT_FALSE(reader.Next(&message));
  result.status = reader.status();
  result.format = reader.format();
  return result;
}

inline ReadResult ReadString(std::string_view data, InputFormat format, std::string name = "t.json",
                             const internal::ReaderOptions& options = {}) {
  std::unique_ptr<MessageReader> reader =
      internal::OpenString(std::move(name), std::string(data), format, options);
  return ReadAll(*reader);
}

inline ReadResult ReadFile(const std::string& path, InputFormat format) {
  Result<std::unique_ptr<MessageReader>> reader = MessageReader::Open(path, format);
  if (!reader.ok()) {
    ReadResult result;
    result.status = reader.status();
    return result;
  }
  return ReadAll(**reader);
}

inline std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteBytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline bool IsCompact(std::string_view json) { return tw::testing::IsCompactJson(json); }

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tw_ingest_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tw::ingest::testing
