// MessageReader: format detection, the lines reader, and the glue to the
// CloudTrail RecordScanner.

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "ingest/byte_source.h"
#include "ingest/ingest.h"
#include "ingest/input_buffer.h"
#include "ingest/reader_internal.h"
#include "ingest/record_scanner.h"

namespace tw::ingest {
namespace {

using internal::ReaderOptions;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Decides kAuto from the first bytes (ingest.h). It only tracks strings and
// nesting, not full JSON syntax: if the input turns out not to be JSON, the
// CloudTrail scanner reports where.
class FormatDetector {
 public:
  // Looks at more bytes; returns the format once decided, else kAuto.
  InputFormat Feed(const char* data, std::size_t size) {
    for (std::size_t i = 0; i < size && decision_ == InputFormat::kAuto; ++i) Step(data[i]);
    return decision_;
  }
  // The input ended before a decision: it is not a CloudTrail document.
  InputFormat Finish() { return decision_ == InputFormat::kAuto ? InputFormat::kLines : decision_; }

 private:
  enum class Stage { kStart, kArray, kObject };

  void Step(char c) {
    const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    switch (stage_) {
      case Stage::kStart:
        if (blank) return;
        if (c == '{') {
          stage_ = Stage::kObject;
          depth_ = 1;
          expect_key_ = true;
        } else if (c == '[') {
          stage_ = Stage::kArray;
        } else {
          decision_ = InputFormat::kLines;
        }
        return;
      case Stage::kArray:
        // An array of records, not a log line like "[ERROR] disk full".
        if (blank) return;
        decision_ = (c == '{' || c == ']') ? InputFormat::kCloudTrail : InputFormat::kLines;
        return;
      case Stage::kObject:
        StepObject(c);
        return;
    }
  }

  void StepObject(char c) {
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
        key_escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
        if (is_key_ && !key_escaped_ && key_ == "Records") decision_ = InputFormat::kCloudTrail;
        is_key_ = false;
      } else if (is_key_ && key_.size() <= 7) {
        key_.push_back(c);
      }
      return;
    }
    switch (c) {
      case '"':
        in_string_ = true;
        is_key_ = depth_ == 1 && expect_key_;
        expect_key_ = false;
        key_escaped_ = false;
        key_.clear();
        return;
      case '{':
      case '[':
        ++depth_;
        return;
      case '}':
      case ']':
        // The first object ended without "Records".
        if (--depth_ == 0) decision_ = InputFormat::kLines;
        return;
      case ',':
        if (depth_ == 1) expect_key_ = true;
        return;
      default:
        return;
    }
  }

  InputFormat decision_ = InputFormat::kAuto;
  Stage stage_ = Stage::kStart;
  int depth_ = 0;
  bool expect_key_ = false;
  bool in_string_ = false;
  bool escaped_ = false;
  bool is_key_ = false;
  bool key_escaped_ = false;
  std::string key_;
};

class Reader final : public MessageReader {
 public:
  Reader(std::unique_ptr<ByteSource> source, std::string name, InputFormat format,
         const ReaderOptions& options)
      : input_(std::move(source), options.chunk_bytes),
        name_(std::move(name)),
        format_(format),
        options_(options) {}

  bool Next(std::string_view* message) override {
    if (done_) return false;
    if (!started_ && !Start()) return Stop(status_);
    if (scanner_) {
      if (scanner_->Next(message)) return true;
      return Stop(scanner_->status());
    }
    return NextLine(message);
  }

  const Status& status() const override { return status_; }
  InputFormat format() const override { return format_; }
  const std::string& name() const override { return name_; }

 private:
  bool Stop(const Status& status) {
    status_ = status;
    done_ = true;
    return false;
  }

  // Reads the first chunk, skips a byte order mark and settles the format.
  bool Start() {
    started_ = true;
    // Hold at least the length of a byte order mark, however small the chunks.
    input_.Refill();
    while (input_.available() < kByteOrderMark.size() && input_.Extend()) {
    }
    if (!input_.status().ok()) {
      status_ = input_.status();
      return false;
    }
    if (std::string_view(input_.cursor(), input_.available()).starts_with(kByteOrderMark)) {
      input_.Consume(input_.cursor() + kByteOrderMark.size());
    }
    if (format_ == InputFormat::kAuto) {
      if (!Detect()) return false;
    }
    if (format_ == InputFormat::kCloudTrail) {
      scanner_.emplace(&input_, name_, options_.max_message_bytes);
    }
    return true;
  }

  bool Detect() {
    if (name_.ends_with(".gz")) {
      format_ = InputFormat::kCloudTrail;
      return true;
    }
    FormatDetector detector;
    std::size_t fed = 0;
    for (;;) {
      // Only the first max_peek_bytes count, however the input was chunked.
      std::size_t held = std::min(input_.available(), options_.max_peek_bytes);
      InputFormat decision = detector.Feed(input_.cursor() + fed, held - fed);
      fed = held;
      if (decision != InputFormat::kAuto) {
        format_ = decision;
        return true;
      }
      // Past the peek limit a "Records" member is implausible; stop buffering.
      if (held >= options_.max_peek_bytes) {
        format_ = InputFormat::kLines;
        return true;
      }
      if (!input_.Extend()) {
        if (!input_.status().ok()) {
          status_ = input_.status();
          return false;
        }
        format_ = detector.Finish();
        return true;
      }
    }
  }

  bool NextLine(std::string_view* message) {
    if (line_emitted_) {
      line_.clear();
      line_emitted_ = false;
    }
    for (;;) {
      const char* p = input_.cursor();
      const char* end = input_.limit();
      if (p == end) {
        if (input_.Refill()) continue;
        if (!input_.status().ok()) return Stop(input_.status());
        // The last line may lack its line break.
        done_ = true;
        if (line_.empty()) return false;
        ++line_number_;
        std::string_view line = line_;
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (line.size() > options_.max_message_bytes) {
          --line_number_;
          return LineTooLong();
        }
        if (line.empty()) return false;
        *message = line;
        return true;
      }
      const void* found = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      if (found == nullptr) {
        if (line_.size() + static_cast<std::size_t>(end - p) > options_.max_message_bytes + 1) {
          return LineTooLong();
        }
        line_.append(p, end);
        input_.Consume(end);
        continue;
      }
      const char* newline = static_cast<const char*>(found);
      ++line_number_;
      std::string_view line;
      if (line_.empty()) {
        // The common case: the whole line is in the window, no copy.
        line = std::string_view(p, static_cast<std::size_t>(newline - p));
      } else {
        line_.append(p, newline);
        line = line_;
      }
      input_.Consume(newline + 1);
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line.size() > options_.max_message_bytes) {
        --line_number_;
        return LineTooLong();
      }
      if (line.empty()) {
        line_.clear();
        continue;  // CloudWatch rejects empty events
      }
      *message = line;
      line_emitted_ = true;
      return true;
    }
  }

  bool LineTooLong() {
    return Stop(Status(StatusCode::kResourceExhausted,
                       name_ + ": line " + std::to_string(line_number_ + 1) +
                           " is longer than the limit of " +
                           std::to_string(options_.max_message_bytes) + " bytes"));
  }

  InputBuffer input_;
  std::string name_;
  InputFormat format_;
  ReaderOptions options_;
  Status status_;
  bool started_ = false;
  bool done_ = false;

  std::optional<RecordScanner> scanner_;  // kCloudTrail

  std::string line_;  // a line that spans chunks (kLines)
  bool line_emitted_ = false;
  std::uint64_t line_number_ = 0;
};

std::string DisplayName(const std::string& path) { return path == "-" ? "<stdin>" : path; }

}  // namespace

Result<InputFormat> ParseInputFormat(std::string_view name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "lines") return InputFormat::kLines;
  if (name == "cloudtrail") return InputFormat::kCloudTrail;
  return InvalidArgument("unknown input format '" + std::string(name) +
                         "' (expected auto, lines or cloudtrail)");
}

Result<std::unique_ptr<MessageReader>> MessageReader::Open(const std::string& path,
                                                           InputFormat format) {
  return internal::OpenFile(path, format, internal::ReaderOptions{});
}

namespace internal {

Result<std::unique_ptr<MessageReader>> OpenFile(const std::string& path, InputFormat format,
                                                const ReaderOptions& options) {
  std::string name = DisplayName(path);
  Result<std::unique_ptr<ByteSource>> source = OpenGzSource(path, name);
  if (!source.ok()) return source.status();
  return std::unique_ptr<MessageReader>(
      new Reader(std::move(*source), std::move(name), format, options));
}

std::unique_ptr<MessageReader> OpenString(std::string name, std::string data, InputFormat format,
                                          const ReaderOptions& options) {
  return std::make_unique<Reader>(MakeStringSource(std::move(data)), std::move(name), format,
                                  options);
}

}  // namespace internal
}  // namespace tw::ingest
