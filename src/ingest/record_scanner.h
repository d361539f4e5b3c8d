// Private to ingest: cuts CloudTrail records out of a byte stream, one at a
// time, without ever holding more than the record being cut.
//
// The scanner is an incremental JSON syntax checker (a pushdown automaton fed
// byte by byte, resumable at any chunk boundary) that knows where records
// live. The input is a sequence of top-level values, each one of:
//   {"Records":[rec, ...], ...}   S3 delivery format; other members are
//                                 checked and skipped
//   [rec, ...]                    a top-level array of records
//   rec                           one record per line (NDJSON): an object
//                                 without a "Records" member that starts and
//                                 ends on one line
// Several values may follow each other (`cat *.json | trailwatch ...`).
// A record must be a JSON object. While a record is scanned its bytes are
// copied without the whitespace outside strings, so the message is compact
// JSON with the original key order and escapes; the copy is then validated
// by simdjson, which also checks UTF-8 and number ranges.
//
// Which shape a top-level object has is known only once its "Records" key
// turns up, so the scanner copies the object as a candidate record until
// then and drops the copy when the key appears.
//
// Errors name the position, e.g.
//   "x.json: invalid JSON at line 37, column 9: expected a string key but found '{'"
// and stop the scanner for good.
//
// Thread safety: none.

#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/input_buffer.h"

namespace tw::ingest {

class RecordScanner {
 public:
  // Reads from `input` (not owned; must outlive the scanner), whose cursor is
  // at the start of the data. `name` prefixes error messages. A record larger
  // than `max_record_bytes` is an error.
  RecordScanner(InputBuffer* input, std::string name, std::size_t max_record_bytes);

  // Sets *record to the next record and returns true; the view is valid until
  // the next call. Returns false at the end of the input or on an error.
  bool Next(std::string_view* record);
  const Status& status() const { return status_; }

 private:
  enum class State : std::uint8_t {
    kDocStart,       // between top-level values
    kValue,          // a value must follow (after ':' or ',' in an array)
    kValueOrEnd,     // after '[': a value or ']'
    kKeyOrEnd,       // after '{': a key or '}'
    kKey,            // after ',' in an object: a key
    kColon,          // after a key
    kCommaOrEnd,     // after a value inside a container
    kString,         // inside a string, after the opening quote
    kStringEscape,   // after a backslash
    kStringUnicode,  // inside \uXXXX
    kNumber,
    kLiteral,  // inside true / false / null
    kLineEnd,  // after a one-line record: only blanks up to the line break
  };
  // Where we are in the JSON number grammar (RFC 8259 §6).
  enum class NumberState : std::uint8_t {
    kMinus,
    kZero,
    kInt,
    kDot,
    kFrac,
    kExp,
    kExpSign,
    kExpDigits
  };
  enum class Doc : std::uint8_t {
    kNone,
    kCandidate,  // a top-level object whose "Records" member has not shown up (yet)
    kRecords,    // a {"Records":[...]} document
    kArray,      // a top-level array of records
  };

  // Handles the first byte of a value; returns false on an error.
  bool BeginValue(const char* p);
  // Handles a '}' or ']' closing the innermost container; returns true with
  // *complete set when that finishes a record.
  bool CloseContainer(const char* p, bool* complete);
  bool FinishRecord();
  bool AtEndOfInput(const char* p);

  void NewLine(const char* p);
  bool IsRecordTooLarge() const { return capturing_ && record_.size() > max_record_bytes_; }

  // Stop with an error at `p` (a pointer into the input window) or at an
  // explicit position. `kind` is "invalid JSON" or "not CloudTrail data".
  bool Fail(const char* p, const char* kind, const std::string& what);
  bool FailAt(std::uint64_t line, std::uint64_t column, const char* kind, const std::string& what,
              StatusCode code = StatusCode::kInvalidArgument);

  InputBuffer* input_;
  std::string name_;
  std::size_t max_record_bytes_;
  Status status_;
  bool done_ = false;

  State state_ = State::kDocStart;
  NumberState number_state_ = NumberState::kInt;
  std::string stack_;         // '{' or '[' per open container; its size is the depth
  const char* literal_ = "";  // the literal being matched
  int literal_index_ = 0;
  int hex_left_ = 0;  // \u digits still expected

  // Position of the current byte's line, for error messages.
  std::uint64_t line_ = 1;
  std::uint64_t line_start_ = 0;  // absolute offset of the line's first byte

  // Document structure.
  Doc doc_ = Doc::kNone;
  std::size_t records_depth_ = 0;  // depth of the container whose elements are records; 0: none
  bool string_is_key_ = false;
  bool key_at_depth1_ = false;  // the key being read is a member name of the top object
  bool key_escaped_ = false;
  std::size_t key_length_ = 0;
  std::string key_;                     // its first bytes, enough to recognize "Records"
  bool pending_records_array_ = false;  // the value after ':' belongs to "Records"

  // The record being copied.
  // While capturing, record_ holds the record up to run_start_, and the
  // bytes from run_start_ to the cursor (no blanks outside strings) follow.
  bool capturing_ = false;
  const char* run_start_ = nullptr;
  std::size_t capture_depth_ = 0;  // depth inside the record's own braces
  bool emitted_ = false;           // record_ holds the last message handed out
  bool candidate_multiline_ = false;
  std::uint64_t record_line_ = 0;
  std::uint64_t record_column_ = 0;
  std::string record_;
  simdjson::dom::parser parser_;
};

}  // namespace tw::ingest
