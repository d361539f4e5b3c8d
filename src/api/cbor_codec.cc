// Smithy RPC v2 CBOR bodies (RFC 8949).
//
// The decoder trusts no length: a string or container announcing more than
// the bytes that remain is rejected before anything is allocated, so memory
// stays proportional to the input; recursion is bounded by kMaxNestingDepth.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "api/codec.h"
#include "common/json_string.h"

namespace tw::api {
namespace {

enum Major : std::uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMapType = 5,
  kTag = 6,
  kSimple = 7,
};

constexpr std::uint8_t kBreak = 0xFF;
constexpr std::uint8_t kIndefinite = 31;

// Tag 1 must stay within the years ISO 8601 text can show, 0000-9999.
constexpr std::int64_t kMinEpochSeconds = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t kMaxEpochSeconds = 253402300799;  // 9999-12-31T23:59:59Z

bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

double HalfToDouble(std::uint16_t half) {
  int exponent = (half >> 10) & 0x1F;
  int mantissa = half & 0x3FF;
  double value;
  if (exponent == 0) {
    value = std::ldexp(mantissa, -24);
  } else if (exponent != 31) {
    value = std::ldexp(mantissa + 1024, exponent - 25);
  } else {
    value = mantissa == 0 ? INFINITY : NAN;
  }
  return half & 0x8000 ? -value : value;
}

class CborReader {
 public:
  explicit CborReader(std::string_view input) : input_(input) {}

  Result<Value> ReadAll() {
    Value value;
    TW_RETURN_IF_ERROR(Read(0, &value));
    if (pos_ != input_.size()) return Error("trailing data after the CBOR item", pos_);
    return value;
  }

 private:
  struct Head {
    std::size_t at;  // offset of the initial byte
    std::uint8_t major;
    std::uint8_t info;
    std::uint64_t argument;  // the value, length or count; unused when indefinite
    bool indefinite() const { return info == kIndefinite; }
  };

  Status Error(std::string_view what, std::size_t at) const {
    return InvalidArgument("request body is not valid CBOR: " + std::string(what) + " at byte " +
                           std::to_string(at));
  }

  std::size_t remaining() const { return input_.size() - pos_; }

  Status ReadHead(Head* head) {
    head->at = pos_;
    if (pos_ >= input_.size()) return Error("unexpected end of input", pos_);
    auto initial = static_cast<std::uint8_t>(input_[pos_++]);
    head->major = initial >> 5;
    head->info = initial & 0x1F;
    head->argument = 0;
    if (head->info < 24) {
      head->argument = head->info;
    } else if (head->info <= 27) {
      std::size_t n = std::size_t{1} << (head->info - 24);
      if (remaining() < n) return Error("unexpected end of input", input_.size());
      for (std::size_t i = 0; i < n; ++i) {
        head->argument = head->argument << 8 | static_cast<std::uint8_t>(input_[pos_++]);
      }
    } else if (head->info < kIndefinite) {
      return Error("reserved additional information " + std::to_string(head->info), head->at);
    } else if (head->major == kUnsigned || head->major == kNegative || head->major == kTag) {
      return Error("indefinite length for major type " + std::to_string(head->major), head->at);
    }
    return Status::Ok();
  }

  // A count is checked against the remaining input, but nested containers
  // each announcing nearly that much must not reserve it all at once: the
  // up-front reservation is capped and the rest grows with what is decoded.
  static std::size_t ReserveFor(std::uint64_t count) {
    constexpr std::uint64_t kReserveLimit = 1024;
    return static_cast<std::size_t>(count < kReserveLimit ? count : kReserveLimit);
  }

  bool AtBreak() const {
    return pos_ < input_.size() && static_cast<std::uint8_t>(input_[pos_]) == kBreak;
  }

  // Appends a definite string of `length` bytes that starts at pos_.
  Status TakeString(const Head& head, std::uint64_t length, std::string* out) {
    if (length > remaining()) {
      return Error("string length " + std::to_string(length) + " exceeds the remaining input",
                   head.at);
    }
    std::string_view bytes = input_.substr(pos_, static_cast<std::size_t>(length));
    // Each chunk of an indefinite text string must be valid on its own (RFC 8949 §3.2.3).
    if (head.major == kText && !IsValidUtf8(bytes)) return Error("invalid UTF-8 in text", head.at);
    out->append(bytes);
    pos_ += bytes.size();
    return Status::Ok();
  }

  Status ReadString(const Head& head, Value* out) {
    std::string bytes;
    if (!head.indefinite()) {
      TW_RETURN_IF_ERROR(TakeString(head, head.argument, &bytes));
    } else {
      while (!AtBreak()) {
        Head chunk;
        TW_RETURN_IF_ERROR(ReadHead(&chunk));
        if (chunk.major != head.major || chunk.indefinite()) {
          return Error(
              "a chunk of an indefinite-length string must be a definite string of the "
              "same type",
              chunk.at);
        }
        TW_RETURN_IF_ERROR(TakeString(chunk, chunk.argument, &bytes));
      }
      ++pos_;  // the break
    }
    *out = head.major == kText ? Value::String(std::move(bytes)) : Value::Blob(std::move(bytes));
    return Status::Ok();
  }

  Status ReadArray(const Head& head, int depth, Value* out) {
    std::vector<Value> items;
    if (!head.indefinite()) {
      // Every item takes at least one byte.
      if (head.argument > remaining()) {
        return Error(
            "array length " + std::to_string(head.argument) + " exceeds the remaining input",
            head.at);
      }
      items.reserve(ReserveFor(head.argument));
      for (std::uint64_t i = 0; i < head.argument; ++i) {
        TW_RETURN_IF_ERROR(Read(depth + 1, &items.emplace_back()));
      }
    } else {
      while (!AtBreak()) TW_RETURN_IF_ERROR(Read(depth + 1, &items.emplace_back()));
      ++pos_;
    }
    *out = Value::List(std::move(items));
    return Status::Ok();
  }

  Status ReadMap(const Head& head, int depth, Value* out) {
    Value::Members members;
    auto read_entry = [&]() -> Status {
      std::size_t key_at = pos_;
      Value key;
      TW_RETURN_IF_ERROR(Read(depth + 1, &key));
      if (key.kind() != Value::Kind::kString) return Error("map key is not a text string", key_at);
      Value value;
      TW_RETURN_IF_ERROR(Read(depth + 1, &value));
      members.emplace_back(key.AsString(), std::move(value));
      return Status::Ok();
    };
    if (!head.indefinite()) {
      // Every entry takes at least two bytes.
      if (head.argument > remaining() / 2) {
        return Error("map length " + std::to_string(head.argument) + " exceeds the remaining input",
                     head.at);
      }
      members.reserve(ReserveFor(head.argument));
      for (std::uint64_t i = 0; i < head.argument; ++i) TW_RETURN_IF_ERROR(read_entry());
    } else {
      while (!AtBreak()) TW_RETURN_IF_ERROR(read_entry());
      ++pos_;
    }
    *out = Value::MergedStructure(std::move(members));
    return Status::Ok();
  }

  Status ReadTag(const Head& head, int depth, Value* out) {
    std::size_t content_at = pos_;
    TW_RETURN_IF_ERROR(Read(depth + 1, out));
    if (head.argument != 1) return Status::Ok();  // other tags: their content
    std::int64_t millis;
    if (out->kind() == Value::Kind::kInteger) {
      std::int64_t seconds = out->AsInteger();
      if (seconds < kMinEpochSeconds || seconds > kMaxEpochSeconds) {
        return Error("epoch time out of range (years 0000-9999)", content_at);
      }
      millis = seconds * 1000;
    } else if (out->kind() == Value::Kind::kDouble) {
      double seconds = out->AsDouble();
      // The range is checked after rounding, so that what EncodeCbor writes
      // for any Timestamp decoded here reads back. The first comparison keeps
      // llround defined and is false for NaN.
      if (!(std::fabs(seconds) < 1e15)) {
        return Error("epoch time out of range (years 0000-9999)", content_at);
      }
      millis = std::llround(seconds * 1000.0);
      if (millis < kMinEpochSeconds * 1000 || millis > kMaxEpochSeconds * 1000 + 999) {
        return Error("epoch time out of range (years 0000-9999)", content_at);
      }
    } else {
      return Error("tag 1 (epoch time) must enclose a number", content_at);
    }
    *out = Value::Timestamp(FromEpochMillis(millis));
    return Status::Ok();
  }

  Status ReadSimple(const Head& head, Value* out) {
    switch (head.info) {
      case 20:
        *out = Value::Bool(false);
        return Status::Ok();
      case 21:
        *out = Value::Bool(true);
        return Status::Ok();
      case 22:  // null
      case 23:  // undefined
        *out = Value();
        return Status::Ok();
      case 24:
        if (head.argument < 32) return Error("malformed simple value", head.at);
        return Error("unsupported simple value " + std::to_string(head.argument), head.at);
      case 25:
        *out = Value::Double(HalfToDouble(static_cast<std::uint16_t>(head.argument)));
        return Status::Ok();
      case 26: {
        auto bits = static_cast<std::uint32_t>(head.argument);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        *out = Value::Double(f);
        return Status::Ok();
      }
      case 27: {
        double d;
        std::memcpy(&d, &head.argument, sizeof d);
        *out = Value::Double(d);
        return Status::Ok();
      }
      case kIndefinite:
        return Error("unexpected break", head.at);
      default:
        return Error("unsupported simple value " + std::to_string(head.info), head.at);
    }
  }

  Status Read(int depth, Value* out) {
    Head head;
    TW_RETURN_IF_ERROR(ReadHead(&head));
    switch (head.major) {
      case kUnsigned:
        if (head.argument > static_cast<std::uint64_t>(INT64_MAX)) {
          *out = Value::Double(static_cast<double>(head.argument));
        } else {
          *out = Value::Integer(static_cast<std::int64_t>(head.argument));
        }
        return Status::Ok();
      case kNegative:  // -1 - argument
        if (head.argument > static_cast<std::uint64_t>(INT64_MAX)) {
          *out = Value::Double(-1.0 - static_cast<double>(head.argument));
        } else {
          *out = Value::Integer(-1 - static_cast<std::int64_t>(head.argument));
        }
        return Status::Ok();
      case kBytes:
      case kText:
        return ReadString(head, out);
      case kSimple:
        return ReadSimple(head, out);
      default:
        break;
    }
    if (depth >= kMaxNestingDepth) {
      return Error("nested deeper than " + std::to_string(kMaxNestingDepth) + " levels", head.at);
    }
    switch (head.major) {
      case kArray:
        return ReadArray(head, depth, out);
      case kMapType:
        return ReadMap(head, depth, out);
      default:
        return ReadTag(head, depth, out);
    }
  }

  std::string_view input_;
  std::size_t pos_ = 0;
};

void AppendHead(std::string* out, std::uint8_t major, std::uint64_t argument) {
  const auto initial = static_cast<std::uint8_t>(major << 5);
  int bytes;
  if (argument < 24) {
    out->push_back(static_cast<char>(initial | argument));
    return;
  } else if (argument <= 0xFF) {
    out->push_back(static_cast<char>(initial | 24));
    bytes = 1;
  } else if (argument <= 0xFFFF) {
    out->push_back(static_cast<char>(initial | 25));
    bytes = 2;
  } else if (argument <= 0xFFFFFFFF) {
    out->push_back(static_cast<char>(initial | 26));
    bytes = 4;
  } else {
    out->push_back(static_cast<char>(initial | 27));
    bytes = 8;
  }
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(argument >> (8 * i)));
}

void AppendDouble(std::string* out, double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  out->push_back(static_cast<char>(0xFB));
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(bits >> (8 * i)));
}

void AppendText(std::string* out, std::string_view s) {
  if (IsValidUtf8(s)) {
    AppendHead(out, kText, s.size());
    out->append(s);
    return;
  }
  std::string clean;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) {
      clean.append("\xEF\xBF\xBD");
      ++i;
    } else {
      clean.append(s.substr(i, n));
      i += n;
    }
  }
  AppendHead(out, kText, clean.size());
  out->append(clean);
}

void AppendCbor(std::string* out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNull:
      out->push_back(static_cast<char>(0xF6));
      return;
    case Value::Kind::kBool:
      out->push_back(static_cast<char>(value.AsBool() ? 0xF5 : 0xF4));
      return;
    case Value::Kind::kInteger: {
      std::int64_t i = value.AsInteger();
      if (i >= 0) {
        AppendHead(out, kUnsigned, static_cast<std::uint64_t>(i));
      } else {
        AppendHead(out, kNegative, static_cast<std::uint64_t>(-(i + 1)));
      }
      return;
    }
    case Value::Kind::kDouble:
      AppendDouble(out, value.AsDouble());
      return;
    case Value::Kind::kString:
      AppendText(out, value.AsString());
      return;
    case Value::Kind::kTimestamp:
      AppendHead(out, kTag, 1);
      AppendDouble(out, static_cast<double>(ToEpochMillis(value.AsTimestamp())) / 1000.0);
      return;
    case Value::Kind::kBlob:
      AppendHead(out, kBytes, value.AsString().size());
      out->append(value.AsString());
      return;
    case Value::Kind::kList:
      AppendHead(out, kArray, value.items().size());
      for (const Value& item : value.items()) AppendCbor(out, item);
      return;
    case Value::Kind::kStructure:
    case Value::Kind::kMap: {
      std::uint64_t count = 0;
      for (const auto& member : value.members()) count += member.second.is_null() ? 0 : 1;
      AppendHead(out, kMapType, count);
      for (const auto& [name, member] : value.members()) {
        if (member.is_null()) continue;
        AppendText(out, name);
        AppendCbor(out, member);
      }
      return;
    }
  }
}

}  // namespace

Result<Value> DecodeCbor(std::string_view body) {
  if (body.empty()) return Value::Structure();
  return CborReader(body).ReadAll();
}

std::string EncodeCbor(const Value& value) {
  std::string out;
  AppendCbor(&out, value);
  return out;
}

}  // namespace tw::api
