#include "cli/test_pattern_command.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/json_string.h"
#include "common/status.h"
#include "event/event_view.h"
#include "ingest/ingest.h"
#include "pattern/pattern.h"
#include "server/replay.h"

namespace tw::cli {
namespace {

// People read the first part of a message (in characters); the rest is in --json.
constexpr std::size_t kDisplayChars = 160;

// Appends `s` for a terminal: at most about `limit` bytes (never cutting a
// UTF-8 sequence) with "…" when cut, control bytes shown as \xNN so that a
// log line cannot drive the terminal.
void AppendForDisplay(std::string* out, std::string_view s, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t shown = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (shown >= limit) {
      out->append("…");
      return;
    }
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) {
      out->append("\\x");
      out->push_back(kHex[b >> 4]);
      out->push_back(kHex[b & 0xF]);
      ++i;
      shown += 4;
      continue;
    }
    std::size_t n = b < 0x80 ? 1 : Utf8SequenceLength(s.substr(i));
    if (n == 0) {
      out->append("\xEF\xBF\xBD");  // U+FFFD
      ++i;
    } else {
      out->append(s.data() + i, n);
      i += n;
    }
    ++shown;
  }
}

void AppendNumber(std::string* out, std::uint64_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out->append(digits, end);
}

// Results go through one std::string reused per match, so memory stays flat
// and stdio does the buffering.
class ResultWriter {
 public:
  ResultWriter(std::FILE* out, bool json) : out_(out), json_(json) {}

  void Begin() {
    if (json_) std::fputs("{\"matches\":[", out_);
  }

  // `file` is named when the input is several files (empty otherwise).
  void Match(std::uint64_t event_number, std::string_view file, std::string_view message,
             const pattern::ExtractedValues& values) {
    buffer_.clear();
    if (json_) {
      if (matches_ > 0) buffer_.push_back(',');
      buffer_.append("{\"eventNumber\":");
      AppendNumber(&buffer_, event_number);
      if (!file.empty()) {
        buffer_.append(",\"file\":");
        AppendJsonString(&buffer_, file);
      }
      buffer_.append(",\"eventMessage\":");
      AppendJsonString(&buffer_, message);
      buffer_.append(",\"extractedValues\":{");
      bool first = true;
      for (const auto& [key, value] : values) {
        if (!first) buffer_.push_back(',');
        first = false;
        AppendJsonString(&buffer_, key);
        buffer_.push_back(':');
        AppendJsonString(&buffer_, value);
      }
      buffer_.append("}}");
    } else {
      buffer_.push_back('#');
      AppendNumber(&buffer_, event_number);
      buffer_.append("  ");
      if (!file.empty()) {
        AppendForDisplay(&buffer_, file, kDisplayChars);
        buffer_.append("  ");
      }
      AppendForDisplay(&buffer_, message, kDisplayChars);
      buffer_.push_back('\n');
      for (const auto& [key, value] : values) {
        buffer_.append("  ");
        AppendForDisplay(&buffer_, key, kDisplayChars);
        buffer_.append(" = ");
        AppendForDisplay(&buffer_, value, kDisplayChars);
        buffer_.push_back('\n');
      }
    }
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    ++matches_;
  }

  // Closes the JSON document, or prints the tally when all input was read
  // (after an error it would count only part of the input).
  void End(std::uint64_t events, bool complete) {
    if (json_) {
      std::fputs("]}\n", out_);
      return;
    }
    if (!complete) return;
    buffer_.clear();
    AppendNumber(&buffer_, matches_);
    buffer_.append(" of ");
    AppendNumber(&buffer_, events);
    buffer_.append(events == 1 ? " event matched\n" : " events matched\n");
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  }

 private:
  std::FILE* out_;
  bool json_;
  std::uint64_t matches_ = 0;
  std::string buffer_;
};

// The pattern with a caret under the column the error names, when the
// pattern is one short line that a terminal shows as is.
void PrintPatternCaret(std::FILE* err, std::string_view pattern, int column) {
  if (pattern.size() > 200 || column < 1) return;
  for (char c : pattern) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return;
  }
  // Columns count characters; one character takes one cell here.
  std::size_t caret = 0;
  std::size_t i = 0;
  for (int c = 1; c < column && i < pattern.size(); ++c, ++caret) {
    const auto b = static_cast<unsigned char>(pattern[i]);
    std::size_t n = b < 0x80 ? 1 : Utf8SequenceLength(pattern.substr(i));
    i += n == 0 ? 1 : n;
  }
  std::fprintf(err, "  %.*s\n  %s^\n", static_cast<int>(pattern.size()), pattern.data(),
               std::string(caret, ' ').c_str());
}

}  // namespace

CLI::App* AddTestPatternCommand(CLI::App& app, TestPatternOptions* options) {
  CLI::App* command = app.add_subcommand(
      "test-pattern",
      "Run a CloudWatch Logs filter pattern over log events and report the matches, like "
      "TestMetricFilter but over whole files");
  command->add_flag("--json", options->json,
                    "Print the TestMetricFilter response body instead of a listing: "
                    "{\"matches\":[{\"eventNumber\":N,\"eventMessage\":...,"
                    "\"extractedValues\":{...}}]}");
  command
      ->add_option("--format", options->format,
                   "How to split the input into events. cloudtrail: every record of a "
                   "{\"Records\":[...]} file, a JSON array, or one record per line is an event "
                   "(compact JSON); lines: every non-empty line is an event; auto: cloudtrail for "
                   "*.gz and JSON documents with \"Records\" or an array, lines otherwise")
      ->check(CLI::IsMember({"auto", "lines", "cloudtrail"}))
      ->capture_default_str();
  command->add_flag("--strict-delimited", options->strict_delimited,
                    "For space-delimited patterns, match only events with exactly as many fields "
                    "as the pattern (by default the last pattern field takes the rest of the "
                    "line)");
  command
      ->add_option("PATTERN", options->pattern,
                   "The filter pattern, e.g. '{ $.eventName = \"ConsoleLogin\" }' (quote it for "
                   "the shell)")
      ->required();
  command->add_option("FILE", options->files,
                      "Input files, plain or gzip, or directories (walked as replay walks them: "
                      "*.json, *.jsonl, *.ndjson and .gz of those); '-' or none reads standard "
                      "input. With several files each match names its file");
  command->footer(
      "Events are numbered from 1 across all inputs. Exit status: 0 when all input was read "
      "(even with no matches), 2 for an invalid pattern or unreadable input.\n\n"
      "Example:\n"
      "  trailwatch test-pattern '{ ($.eventName = DeleteRolePolicy) || "
      "($.eventName = AttachUserPolicy) }' examples/sample-cloudtrail.json\n"
      "  zcat AWSLogs/*.json.gz | trailwatch test-pattern --json '{ $.errorCode = \"*Denied\" }'");
  return command;
}

int RunTestPattern(const TestPatternOptions& options, std::FILE* out, std::FILE* err) {
  Result<ingest::InputFormat> format = ingest::ParseInputFormat(options.format);
  if (!format.ok()) {
    std::fprintf(err, "trailwatch: %s\n", format.status().message().c_str());
    return 2;
  }
  pattern::CompileOptions compile_options;
  if (options.strict_delimited) {
    compile_options.alignment = pattern::DelimitedAlignment::kStrict;
  }
  auto matcher = pattern::Matcher::Compile(options.pattern, compile_options);
  if (!matcher.ok()) {
    std::fprintf(err, "trailwatch: %s\n", matcher.error().ToString().c_str());
    PrintPatternCaret(err, options.pattern, matcher.error().column);
    return 2;
  }

  // Directories are walked as replay walks them ('-' stays standard input).
  std::vector<std::string> files;
  for (const std::string& path : options.files) {
    if (path == "-") {
      files.push_back(path);
      continue;
    }
    std::vector<server::SkippedFile> missing;
    std::vector<std::string> found = server::CollectInputFiles({path}, &missing);
    // What cannot be found is kept: reading it fails in order, after the
    // matches of the inputs before it.
    if (!missing.empty()) found.push_back(path);
    files.insert(files.end(), found.begin(), found.end());
  }
  if (options.files.empty()) files.push_back("-");
  const bool name_files = files.size() > 1;

  ResultWriter writer(out, options.json);
  writer.Begin();
  event::EventView view;
  std::uint64_t events = 0;
  int exit_status = 0;
  for (const std::string& file : files) {
    auto reader = ingest::MessageReader::Open(file, *format);
    if (!reader.ok()) {
      std::fprintf(err, "trailwatch: %s\n", reader.status().message().c_str());
      exit_status = 2;
      break;
    }
    std::string_view message;
    while ((*reader)->Next(&message)) {
      ++events;
      view.Reset(message);
      if (matcher->Matches(view)) {
        writer.Match(events, name_files ? file : "", message, matcher->Extract(view));
      }
    }
    if (!(*reader)->status().ok()) {
      std::fprintf(err, "trailwatch: %s\n", (*reader)->status().message().c_str());
      exit_status = 2;
      break;
    }
  }
  writer.End(events, exit_status == 0);
  if (std::fflush(out) != 0 || std::ferror(out)) {
    std::fprintf(err, "trailwatch: cannot write the results\n");
    return 2;
  }
  return exit_status;
}

}  // namespace tw::cli
