#include "ingest/record_scanner.h"

#include <cstdio>
#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tw::ingest {
namespace {

// simdjson refuses deeper documents, so nothing deeper could be matched anyway;
// the cap also bounds the stack on hostile input.
constexpr std::size_t kMaxDepth = simdjson::DEFAULT_MAX_DEPTH;

constexpr const char* kInvalidJson = "invalid JSON";
constexpr const char* kNotCloudTrail = "not CloudTrail data";
constexpr const char* kTooLarge = "record too large";

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// "'x'" for a printable byte, "byte 0x07" otherwise: the byte may be binary
// garbage and must not garble the terminal.
std::string Describe(char c) {
  auto byte = static_cast<unsigned char>(c);
  char text[16];
  if (byte >= 0x20 && byte < 0x7f) {
    std::snprintf(text, sizeof text, "'%c'", c);
  } else {
    std::snprintf(text, sizeof text, "byte 0x%02x", byte);
  }
  return text;
}

bool EndsStringRun(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

// The first byte in [p, end) that ends a run of plain string bytes: a quote,
// a backslash or a control character. Strings are most of CloudTrail's bytes,
// so this loop is most of the scanner's time; SSE2 looks at 16 bytes a step.
const char* FindStringRunEnd(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i max_control = _mm_set1_epi8(0x1F);
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, max_control), bytes);
    const __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), control);
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && !EndsStringRun(*p)) ++p;
  return p;
}

}  // namespace

RecordScanner::RecordScanner(InputBuffer* input, std::string name, std::size_t max_record_bytes)
    : input_(input), name_(std::move(name)), max_record_bytes_(max_record_bytes) {
  // The cursor may sit after a byte order mark; columns count from there.
  line_start_ = input_->OffsetOf(input_->cursor());
}

bool RecordScanner::Next(std::string_view* record) {
  if (done_) return false;
  if (emitted_) {
    record_.clear();
    emitted_ = false;
  }
  const char* p = input_->cursor();
  const char* end = input_->limit();
  for (;;) {
    if (p == end) {
      // The window is about to be replaced: keep the part of the record in it.
      if (capturing_) record_.append(run_start_, p);
      if (IsRecordTooLarge()) {
        return FailAt(record_line_, record_column_, kTooLarge,
                      "the record starting here exceeds the limit of " +
                          std::to_string(max_record_bytes_) + " bytes",
                      StatusCode::kResourceExhausted);
      }
      input_->Consume(p);
      if (!input_->Refill()) {
        if (!input_->status().ok()) {
          status_ = input_->status();
          done_ = true;
          return false;
        }
        return AtEndOfInput(input_->cursor());
      }
      p = input_->cursor();
      end = input_->limit();
      run_start_ = p;
    }
    const char c = *p;
    switch (state_) {
      case State::kString: {
        // The hot loop: most of CloudTrail is string bytes.
        const char* q = FindStringRunEnd(p, end);
        if (q != p) {
          if (key_at_depth1_) {
            std::size_t n = static_cast<std::size_t>(q - p);
            if (key_.size() < 8) key_.append(p, std::min<std::size_t>(n, 8 - key_.size()));
            key_length_ += n;
          }
          p = q;
          continue;
        }
        if (c == '"') {
          ++p;
          if (string_is_key_) {
            state_ = State::kColon;
            if (key_at_depth1_ && !key_escaped_ && key_length_ == 7 && key_ == "Records") {
              pending_records_array_ = true;
            }
          } else {
            state_ = State::kCommaOrEnd;
          }
        } else if (c == '\\') {
          key_escaped_ = true;
          state_ = State::kStringEscape;
          ++p;
        } else if (c == '\n' || c == '\r') {
          return Fail(p, kInvalidJson,
                      "unterminated string (a line break inside a string "
                      "must be written as \\n)");
        } else {
          return Fail(p, kInvalidJson,
                      "control character " + Describe(c) + " inside a string must be escaped");
        }
        continue;
      }
      case State::kStringEscape:
        if (c == 'u') {
          hex_left_ = 4;
          state_ = State::kStringUnicode;
        } else if (std::strchr("\"\\/bfnrt", c) != nullptr && c != '\0') {
          state_ = State::kString;
        } else {
          return Fail(p, kInvalidJson, "invalid escape sequence '\\' followed by " + Describe(c));
        }
        ++p;
        continue;
      case State::kStringUnicode:
        if (!IsHexDigit(c)) {
          return Fail(p, kInvalidJson, "expected 4 hex digits after \\u but found " + Describe(c));
        }
        ++p;
        if (--hex_left_ == 0) state_ = State::kString;
        continue;
      case State::kNumber: {
        bool accepted = true;
        switch (number_state_) {
          case NumberState::kMinus:
            if (c == '0') {
              number_state_ = NumberState::kZero;
            } else if (IsDigit(c)) {
              number_state_ = NumberState::kInt;
            } else {
              return Fail(p, kInvalidJson, "expected a digit after '-' but found " + Describe(c));
            }
            break;
          case NumberState::kZero:
            if (c == '.') {
              number_state_ = NumberState::kDot;
            } else if (c == 'e' || c == 'E') {
              number_state_ = NumberState::kExp;
            } else if (IsDigit(c)) {
              return Fail(p, kInvalidJson, "a number may not start with a leading zero");
            } else {
              accepted = false;
            }
            break;
          case NumberState::kInt:
          case NumberState::kFrac:
            if (c == '.' && number_state_ == NumberState::kInt) {
              number_state_ = NumberState::kDot;
            } else if (c == 'e' || c == 'E') {
              number_state_ = NumberState::kExp;
            } else if (!IsDigit(c)) {
              accepted = false;
            }
            break;
          case NumberState::kDot:
            if (!IsDigit(c)) {
              return Fail(p, kInvalidJson, "expected a digit after '.' but found " + Describe(c));
            }
            number_state_ = NumberState::kFrac;
            break;
          case NumberState::kExp:
            if (c == '+' || c == '-') {
              number_state_ = NumberState::kExpSign;
            } else if (IsDigit(c)) {
              number_state_ = NumberState::kExpDigits;
            } else {
              return Fail(p, kInvalidJson, "expected an exponent but found " + Describe(c));
            }
            break;
          case NumberState::kExpSign:
            if (!IsDigit(c)) {
              return Fail(p, kInvalidJson, "expected an exponent but found " + Describe(c));
            }
            number_state_ = NumberState::kExpDigits;
            break;
          case NumberState::kExpDigits:
            if (!IsDigit(c)) accepted = false;
            break;
        }
        if (accepted) {
          ++p;
        } else {
          // The number ended at the previous byte; look at this one again.
          state_ = State::kCommaOrEnd;
        }
        continue;
      }
      case State::kLiteral:
        if (c != literal_[literal_index_]) {
          return Fail(p, kInvalidJson,
                      std::string("expected '") + literal_ + "' but found " + Describe(c));
        }
        ++p;
        if (literal_[++literal_index_] == '\0') state_ = State::kCommaOrEnd;
        continue;
      case State::kLineEnd:
        if (c == ' ' || c == '\t' || c == '\r') {
          ++p;
          continue;
        }
        if (c == '\n') {
          NewLine(p);
          state_ = State::kDocStart;
          ++p;
          continue;
        }
        return Fail(p, kNotCloudTrail,
                    "expected a line break after the record (one record per line) but found " +
                        Describe(c));
      default:
        break;
    }

    // Structural states: blanks are insignificant between tokens, and the
    // record copy is the runs between them.
    if (IsBlank(c)) {
      if (capturing_) record_.append(run_start_, p);
      do {
        if (*p == '\n') NewLine(p);
        ++p;
      } while (p < end && IsBlank(*p));
      run_start_ = p;
      continue;
    }
    switch (state_) {
      case State::kDocStart:
        if (c == '{') {
          doc_ = Doc::kCandidate;
          record_.clear();
          capturing_ = true;
          run_start_ = p;
          capture_depth_ = 1;
          candidate_multiline_ = false;
          record_line_ = line_;
          record_column_ = input_->OffsetOf(p) - line_start_ + 1;
          stack_.push_back('{');
          state_ = State::kKeyOrEnd;
          ++p;
        } else if (c == '[') {
          doc_ = Doc::kArray;
          records_depth_ = 1;
          stack_.push_back('[');
          state_ = State::kValueOrEnd;
          ++p;
        } else {
          return Fail(p, kNotCloudTrail,
                      "expected '{' or '[' but found " + Describe(c) +
                          " (CloudTrail data is a {\"Records\":[...]} document, a JSON array "
                          "of records, or one JSON record per line)");
        }
        continue;
      case State::kValueOrEnd:
        if (c == ']') break;  // closes the container, below
        [[fallthrough]];
      case State::kValue:
        if (!BeginValue(p)) return false;
        ++p;
        continue;
      case State::kKeyOrEnd:
        if (c == '}') break;
        [[fallthrough]];
      case State::kKey:
        if (c != '"') {
          return Fail(p, kInvalidJson,
                      std::string(state_ == State::kKeyOrEnd ? "expected a string key or '}'"
                                                             : "expected a string key") +
                          " but found " + Describe(c));
        }
        string_is_key_ = true;
        key_at_depth1_ = stack_.size() == 1 && doc_ != Doc::kArray;
        key_escaped_ = false;
        key_length_ = 0;
        key_.clear();
        state_ = State::kString;
        ++p;
        continue;
      case State::kColon:
        if (c != ':') {
          return Fail(p, kInvalidJson, "expected ':' after the key but found " + Describe(c));
        }
        state_ = State::kValue;
        ++p;
        continue;
      case State::kCommaOrEnd: {
        const char open = stack_.back();
        if (c == ',') {
          state_ = open == '{' ? State::kKey : State::kValue;
          ++p;
          continue;
        }
        if ((open == '{' && c == '}') || (open == '[' && c == ']')) break;
        return Fail(p, kInvalidJson,
                    std::string(open == '{' ? "expected ',' or '}'" : "expected ',' or ']'") +
                        " but found " + Describe(c));
      }
      default:
        return Fail(p, kInvalidJson, "internal scanner state error");
    }

    // c closes the innermost container.
    bool complete = false;
    if (!CloseContainer(p, &complete)) return false;
    ++p;
    if (complete) {
      input_->Consume(p);
      if (!FinishRecord()) return false;
      *record = record_;
      emitted_ = true;
      return true;
    }
  }
}

bool RecordScanner::BeginValue(const char* p) {
  const char c = *p;
  if (pending_records_array_) {
    pending_records_array_ = false;
    if (c != '[') {
      return Fail(p, kNotCloudTrail,
                  "the \"Records\" member must be an array of records but found " + Describe(c));
    }
    if (doc_ == Doc::kCandidate) {
      // The candidate record was the envelope after all; drop its copy.
      doc_ = Doc::kRecords;
      capturing_ = false;
      record_.clear();
    }
    stack_.push_back('[');
    records_depth_ = stack_.size();
    state_ = State::kValueOrEnd;
    return true;
  }
  if (!capturing_ && records_depth_ != 0 && records_depth_ == stack_.size()) {
    if (c != '{') {
      // Only a value that is not an object is a shape error; anything else
      // (a stray ']' after a trailing comma) is a syntax error, below.
      if (c != '\0' && std::strchr("[\"-0123456789tfn", c) != nullptr) {
        return Fail(p, kNotCloudTrail,
                    "expected a record (a JSON object) but found " + Describe(c));
      }
      return Fail(p, kInvalidJson, "expected a JSON value but found " + Describe(c));
    }
    record_.clear();
    capturing_ = true;
    run_start_ = p;
    capture_depth_ = stack_.size() + 1;
    record_line_ = line_;
    record_column_ = input_->OffsetOf(p) - line_start_ + 1;
  }
  switch (c) {
    case '{':
    case '[':
      if (stack_.size() >= kMaxDepth) {
        return Fail(p, kInvalidJson,
                    "nested more than " + std::to_string(kMaxDepth) + " levels deep");
      }
      stack_.push_back(c);
      state_ = c == '{' ? State::kKeyOrEnd : State::kValueOrEnd;
      break;
    case '"':
      string_is_key_ = false;
      key_at_depth1_ = false;
      state_ = State::kString;
      break;
    case '-':
      number_state_ = NumberState::kMinus;
      state_ = State::kNumber;
      break;
    case '0':
      number_state_ = NumberState::kZero;
      state_ = State::kNumber;
      break;
    case 't':
    case 'f':
    case 'n':
      literal_ = c == 't' ? "true" : c == 'f' ? "false" : "null";
      literal_index_ = 1;
      state_ = State::kLiteral;
      break;
    default:
      if (IsDigit(c)) {
        number_state_ = NumberState::kInt;
        state_ = State::kNumber;
        break;
      }
      return Fail(p, kInvalidJson, "expected a JSON value but found " + Describe(c));
  }
  return true;
}

bool RecordScanner::CloseContainer(const char* p, bool* complete) {
  const std::size_t closed_depth = stack_.size();
  stack_.pop_back();
  if (capturing_ && closed_depth == capture_depth_) {
    record_.append(run_start_, p + 1);
    capturing_ = false;
    *complete = true;
  }
  if (closed_depth == records_depth_) records_depth_ = 0;
  if (stack_.empty()) {
    if (*complete && doc_ == Doc::kCandidate) {
      // A top-level object without "Records": a record of its own, which is
      // only CloudTrail data in the one-record-per-line shape.
      if (candidate_multiline_) {
        return FailAt(record_line_, record_column_, kNotCloudTrail,
                      "this JSON object has no \"Records\" member and spans several lines; "
                      "expected a {\"Records\":[...]} document, a JSON array of records, or one "
                      "JSON record per line");
      }
      state_ = State::kLineEnd;
    } else {
      state_ = State::kDocStart;
    }
    doc_ = Doc::kNone;
  } else {
    state_ = State::kCommaOrEnd;
  }
  return true;
}

bool RecordScanner::FinishRecord() {
  if (record_.size() > max_record_bytes_) {
    return FailAt(record_line_, record_column_, kTooLarge,
                  "the record starting here exceeds the limit of " +
                      std::to_string(max_record_bytes_) + " bytes",
                  StatusCode::kResourceExhausted);
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; give it real ones.
  const std::size_t size = record_.size();
  record_.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  simdjson::error_code error = parser_.parse(record_.data(), size, false).get(root);
  record_.resize(size);
  if (error != simdjson::SUCCESS) {
    return FailAt(record_line_, record_column_, kInvalidJson,
                  std::string("in the record starting here: ") + simdjson::error_message(error));
  }
  return true;
}

bool RecordScanner::AtEndOfInput(const char* p) {
  if (state_ == State::kDocStart || state_ == State::kLineEnd) {
    done_ = true;
    return false;
  }
  std::string missing;
  for (auto it = stack_.rbegin(); it != stack_.rend() && missing.size() < 8; ++it) {
    missing.push_back(*it == '{' ? '}' : ']');
  }
  std::string what = "unexpected end of input";
  if (state_ == State::kString || state_ == State::kStringEscape ||
      state_ == State::kStringUnicode) {
    what += " inside a string";
  }
  if (!missing.empty()) what += "; the document is incomplete (missing '" + missing + "')";
  return Fail(p, kInvalidJson, what);
}

void RecordScanner::NewLine(const char* p) {
  ++line_;
  line_start_ = input_->OffsetOf(p) + 1;
  if (capturing_ && doc_ == Doc::kCandidate) candidate_multiline_ = true;
}

bool RecordScanner::Fail(const char* p, const char* kind, const std::string& what) {
  return FailAt(line_, input_->OffsetOf(p) - line_start_ + 1, kind, what);
}

bool RecordScanner::FailAt(std::uint64_t line, std::uint64_t column, const char* kind,
                           const std::string& what, StatusCode code) {
  status_ = Status(code, name_ + ": " + kind + " at line " + std::to_string(line) + ", column " +
                             std::to_string(column) + ": " + what);
  done_ = true;
  capturing_ = false;
  record_.clear();
  return false;
}

}  // namespace tw::ingest
