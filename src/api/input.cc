#include "api/input.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include "api/codec.h"
#include "common/java_double.h"

namespace tw::api {
namespace {

constexpr std::string_view kMustBeString = "Member must be a string";
constexpr std::string_view kMustBeInteger = "Member must be an integer";
constexpr std::string_view kMustBeNumber = "Member must be a number";
constexpr std::string_view kMustBeBoolean = "Member must be a boolean";
constexpr std::string_view kMustBeTimestamp = "Member must be a timestamp";
constexpr std::string_view kMustBeList = "Member must be a list";
constexpr std::string_view kMustBeStructure = "Member must be a structure";
constexpr std::string_view kMustBeMap = "Member must be a map";

// The range ISO 8601 text can show, as for CBOR's tag 1.
constexpr std::int64_t kMinEpochSeconds = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t kMaxEpochSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// A value as AWS's Java services show it in a message: scalars as text,
// lists as "[a, b]", structures and maps as "{k=v}".
std::string Render(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return value.AsBool() ? "true" : "false";
    case Value::Kind::kInteger:
      return std::to_string(value.AsInteger());
    case Value::Kind::kDouble:
      return JavaDoubleToString(value.AsDouble());
    case Value::Kind::kString:
      return value.AsString();
    case Value::Kind::kTimestamp:
      return FormatIso8601Millis(value.AsTimestamp());
    case Value::Kind::kBlob:
      return EncodeBase64(value.AsString());
    case Value::Kind::kList: {
      std::string out = "[";
      for (const Value& item : value.items()) {
        if (out.size() > 1) out += ", ";
        out += Render(item);
      }
      return out + "]";
    }
    case Value::Kind::kStructure:
    case Value::Kind::kMap: {
      std::string out = "{";
      for (const auto& [name, member] : value.members()) {
        if (out.size() > 1) out += ", ";
        out += name + "=" + Render(member);
      }
      return out + "}";
    }
  }
  return "";
}

Status Invalid(const Value& value, std::string_view path, std::string_view constraint) {
  return InvalidArgument(ValidationMessage(Render(value), path, constraint));
}

bool IsEmptyText(const Value& value) {
  return value.kind() == Value::Kind::kString && value.AsString().empty();
}

bool IsStructureLike(const Value& value) {
  return value.kind() == Value::Kind::kStructure || value.kind() == Value::Kind::kMap;
}

// from_chars takes no '+', which form-encoded numbers may carry.
std::string_view WithoutPlus(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
  return text;
}

std::optional<std::int64_t> ToInteger(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kInteger:
      return value.AsInteger();
    case Value::Kind::kDouble: {
      double d = value.AsDouble();
      // [-2^63, 2^63) holds exactly the doubles that fit.
      if (std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0 &&
          d < 9223372036854775808.0) {
        return static_cast<std::int64_t>(d);
      }
      return std::nullopt;
    }
    case Value::Kind::kString: {
      std::string_view text = WithoutPlus(value.AsString());
      std::int64_t i = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
      }
      return i;
    }
    default:
      return std::nullopt;
  }
}

// Numbers, or text as strtod reads it without leading blanks or hex: also
// "NaN" and "Infinity"; the operations check ranges themselves.
std::optional<double> ToDouble(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kInteger:
    case Value::Kind::kDouble:
      return value.AsDouble();
    case Value::Kind::kString: {
      std::string_view text = WithoutPlus(value.AsString());
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
      }
      return d;
    }
    default:
      return std::nullopt;
  }
}

std::optional<bool> ToBool(const Value& value) {
  if (value.kind() == Value::Kind::kBool) return value.AsBool();
  if (value.kind() != Value::Kind::kString) return std::nullopt;
  auto equals = [&](std::string_view word) {
    const std::string& text = value.AsString();
    if (text.size() != word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != word[i]) return false;
    }
    return true;
  };
  if (equals("true")) return true;
  if (equals("false")) return false;
  return std::nullopt;
}

std::optional<TimePoint> FromEpochSeconds(double seconds) {
  // The first check keeps llround defined and is false for NaN; the range is
  // that of the rounded milliseconds.
  if (!(std::fabs(seconds) < 1e15)) return std::nullopt;
  std::int64_t millis = std::llround(seconds * 1000.0);
  if (millis < kMinEpochSeconds * 1000 || millis > kMaxEpochSeconds * 1000 + 999) {
    return std::nullopt;
  }
  return FromEpochMillis(millis);
}

std::optional<TimePoint> ToTimestamp(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kTimestamp:
      return value.AsTimestamp();
    case Value::Kind::kInteger: {
      std::int64_t seconds = value.AsInteger();
      if (seconds < kMinEpochSeconds || seconds > kMaxEpochSeconds) return std::nullopt;
      return FromEpochMillis(seconds * 1000);
    }
    case Value::Kind::kDouble:
      return FromEpochSeconds(value.AsDouble());
    case Value::Kind::kString: {
      if (std::optional<double> seconds = ToDouble(value)) return FromEpochSeconds(*seconds);
      return ParseTimestamp(value.AsString());
    }
    default:
      return std::nullopt;
  }
}

std::string LowerFirst(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z')
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string ItemPath(const std::string& list_path, std::size_t index) {
  return list_path + "." + std::to_string(index + 1) + ".member";
}

// Absent and JSON null read the same.
const Value* Present(const Value* value) {
  return value == nullptr || value->is_null() ? nullptr : value;
}

}  // namespace

std::string ValidationMessage(std::string_view value, std::string_view path,
                              std::string_view constraint) {
  std::string out = "1 validation error detected: Value '";
  out.append(value);
  out.append("' at '");
  out.append(path);
  out.append("' failed to satisfy constraint: ");
  out.append(constraint);
  return out;
}

InputReader::InputReader(const Value& value, std::string path)
    : value_(&value), path_(std::move(path)) {}

bool InputReader::Has(std::string_view name) const { return Present(Raw(name)) != nullptr; }

const Value* InputReader::Raw(std::string_view name) const { return value_->Find(name); }

std::string InputReader::PathOf(std::string_view name) const {
  if (path_.empty()) return LowerFirst(name);
  return path_ + "." + LowerFirst(name);
}

Result<std::optional<std::string>> InputReader::String(std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<std::string>();
  if (v->kind() != Value::Kind::kString) return Invalid(*v, PathOf(name), kMustBeString);
  return std::optional<std::string>(v->AsString());
}

Result<std::optional<std::int64_t>> InputReader::Integer(std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<std::int64_t>();
  std::optional<std::int64_t> i = ToInteger(*v);
  if (!i) return Invalid(*v, PathOf(name), kMustBeInteger);
  return i;
}

Result<std::optional<double>> InputReader::Double(std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<double>();
  std::optional<double> d = ToDouble(*v);
  if (!d) return Invalid(*v, PathOf(name), kMustBeNumber);
  return d;
}

Result<std::optional<bool>> InputReader::Bool(std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<bool>();
  std::optional<bool> b = ToBool(*v);
  if (!b) return Invalid(*v, PathOf(name), kMustBeBoolean);
  return b;
}

Result<std::optional<TimePoint>> InputReader::Timestamp(std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<TimePoint>();
  std::optional<TimePoint> t = ToTimestamp(*v);
  if (!t) return Invalid(*v, PathOf(name), kMustBeTimestamp);
  return t;
}

Result<std::optional<std::vector<std::string>>> InputReader::StringList(
    std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  if (IsEmptyText(*v)) return std::optional(std::move(out));
  if (v->kind() != Value::Kind::kList) return Invalid(*v, PathOf(name), kMustBeList);
  out.reserve(v->items().size());
  for (std::size_t i = 0; i < v->items().size(); ++i) {
    const Value& item = v->items()[i];
    if (item.kind() != Value::Kind::kString) {
      return Invalid(item, ItemPath(PathOf(name), i), kMustBeString);
    }
    out.push_back(item.AsString());
  }
  return std::optional(std::move(out));
}

Result<std::optional<std::vector<double>>> InputReader::DoubleList(std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<std::vector<double>>();
  std::vector<double> out;
  if (IsEmptyText(*v)) return std::optional(std::move(out));
  if (v->kind() != Value::Kind::kList) return Invalid(*v, PathOf(name), kMustBeList);
  out.reserve(v->items().size());
  for (std::size_t i = 0; i < v->items().size(); ++i) {
    std::optional<double> d = ToDouble(v->items()[i]);
    if (!d) return Invalid(v->items()[i], ItemPath(PathOf(name), i), kMustBeNumber);
    out.push_back(*d);
  }
  return std::optional(std::move(out));
}

Result<std::vector<InputReader>> InputReader::List(std::string_view name) const {
  std::vector<InputReader> out;
  const Value* v = Present(Raw(name));
  if (v == nullptr || IsEmptyText(*v)) return out;
  if (v->kind() != Value::Kind::kList) return Invalid(*v, PathOf(name), kMustBeList);
  out.reserve(v->items().size());
  for (std::size_t i = 0; i < v->items().size(); ++i) {
    const Value& item = v->items()[i];
    if (!IsStructureLike(item)) return Invalid(item, ItemPath(PathOf(name), i), kMustBeStructure);
    out.emplace_back(item, ItemPath(PathOf(name), i));
  }
  return out;
}

Result<std::optional<std::map<std::string, std::string>>> InputReader::StringMap(
    std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<std::map<std::string, std::string>>();
  std::map<std::string, std::string> out;
  if (IsEmptyText(*v)) return std::optional(std::move(out));
  if (!IsStructureLike(*v)) return Invalid(*v, PathOf(name), kMustBeMap);
  for (const auto& [key, entry] : v->members()) {
    if (entry.is_null()) continue;
    if (entry.kind() != Value::Kind::kString) {
      return Invalid(entry, PathOf(name) + "." + key, kMustBeString);
    }
    out[key] = entry.AsString();
  }
  return std::optional(std::move(out));
}

Result<std::optional<InputReader>> InputReader::Structure(std::string_view name) const {
  const Value* v = Present(Raw(name));
  if (v == nullptr) return std::optional<InputReader>();
  if (!IsStructureLike(*v)) return Invalid(*v, PathOf(name), kMustBeStructure);
  return std::optional(InputReader(*v, PathOf(name)));
}

Result<std::vector<std::pair<std::string, InputReader>>> InputReader::StructureMap(
    std::string_view name) const {
  std::vector<std::pair<std::string, InputReader>> out;
  const Value* v = Present(Raw(name));
  if (v == nullptr || IsEmptyText(*v)) return out;
  if (!IsStructureLike(*v)) return Invalid(*v, PathOf(name), kMustBeMap);
  for (const auto& [key, entry] : v->members()) {
    if (entry.is_null()) continue;
    std::string path = PathOf(name) + "." + key;
    if (!IsStructureLike(entry)) return Invalid(entry, path, kMustBeStructure);
    out.emplace_back(key, InputReader(entry, std::move(path)));
  }
  return out;
}

}  // namespace tw::api
