// Front door of ingest: turns files of log data into log event messages.
//
// MessageReader streams the messages of one file (or standard input) in
// one of three formats (filter-patterns.md §8 and issue 2):
//   kLines       every line is one message ('\r\n' and '\n' both end a
//                line; blank lines are not messages: CloudWatch rejects
//                empty events). A line that is empty once its '\r' is
//                removed is skipped; a line of spaces is a message.
//   kCloudTrail  CloudTrail data: a {"Records":[...]} document (the S3
//                delivery format; other top-level members are checked and
//                skipped), a top-level JSON array of records, or one record
//                per line; each record, serialized compactly (whitespace
//                outside strings removed, key order and escapes kept), is
//                one message. A record must be a JSON object, and is
//                validated (syntax, UTF-8, numbers) before it is handed out.
//                Several documents may follow each other, as `cat *.json`
//                produces.
//   kAuto        decided per file: a name ending in .gz, or a document whose
//                first value is an object with a "Records" member, or is an
//                array whose first element is an object (or an empty array),
//                is CloudTrail; anything else is lines (so a log line such as
//                "[ERROR] disk full" stays a line).
// Gzip input (.gz, or gzip magic bytes) is decompressed transparently, and a
// leading UTF-8 byte order mark is dropped.
//
// Memory stays bounded by the largest single message, whatever the file
// size: nothing reads a whole file at once. A line or record over 256 MiB
// is an error rather than an unbounded allocation.
//
// Errors stop the reader; Next() returns false and status() names the file
// (or "<stdin>") and, for bad data, the position (1-based line and byte
// column):
//   kNotFound / kIo       the file does not exist / cannot be read
//   kInvalidArgument      invalid JSON or not one of the CloudTrail shapes, e.g.
//     "cloudtrail.json: invalid JSON at line 3, column 17: expected ',' or '}' but found '\"'"
//     "x.json: not CloudTrail data at line 1, column 1: expected '{' or '[' but found 'h' (...)"
//   kDataLoss             a corrupt or truncated gzip stream
//   kResourceExhausted    a line or record over the size limit
// Messages handed out before an error are valid; the reader never crashes
// or loops on malformed input (fuzzed: fuzz/cloudtrail_reader_fuzz.cc).
//
// Thread safety: none; one reader per thread.

#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tw::ingest {

enum class InputFormat { kAuto, kLines, kCloudTrail };

// Parses "auto", "lines" or "cloudtrail".
Result<InputFormat> ParseInputFormat(std::string_view name);

class MessageReader {
 public:
  // Opens `path` ("-" is standard input). Fails with kIo/kNotFound if it
  // cannot be opened.
  static Result<std::unique_ptr<MessageReader>> Open(const std::string& path, InputFormat format);

  virtual ~MessageReader() = default;

  // Sets *message to the next message and returns true; the view is valid
  // until the next call. Returns false at the end of the input or on an
  // error; then status() tells which (OK at a clean end).
  virtual bool Next(std::string_view* message) = 0;
  virtual const Status& status() const = 0;

  // The format in use: kLines or kCloudTrail once the first Next() has been
  // called (kAuto before that when opened with kAuto).
  virtual InputFormat format() const = 0;
  // The name used in error messages.
  virtual const std::string& name() const = 0;
};

}  // namespace tw::ingest
