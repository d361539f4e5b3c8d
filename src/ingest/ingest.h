// Front door of ingest: turns files of log data into log event messages.
//
// MessageReader streams the messages of one file (or standard input) in
// one of three formats (filter-patterns.md §8 and issue 2):
//   kLines       every line is one message ('\r\n' and '\n' both end a
//                line; blank lines are not messages: CloudWatch rejects
//                empty events).
//   kCloudTrail  CloudTrail data: a {"Records":[...]} document (the S3
//                delivery format), a top-level JSON array of records, or
//                one record per line; each record, serialized compactly
//                (whitespace outside strings removed, key order and
//                escapes kept), is one message.
//   kAuto        decided per file: a name ending in .gz, or a document whose
//                first value is an object with a "Records" member or is an
//                array, is CloudTrail; anything else is lines.
// Gzip input (.gz, or gzip magic bytes) is decompressed transparently.
//
// Memory stays bounded by the largest single message, whatever the file
// size: nothing reads a whole file at once.
//
// Errors (unreadable file, invalid JSON, a CloudTrail document that is not
// one of the three shapes, a corrupt gzip stream) stop the reader; Next()
// returns false and status() names the file and the position, e.g.
//   "cloudtrail.json: invalid JSON at line 3, column 17: expected ',' or '}'".
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
