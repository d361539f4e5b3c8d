#include "api/value.h"

#include <cassert>
#include <string_view>
#include <unordered_map>

#include "common/java_double.h"
#include "common/json_string.h"

namespace tw::api {
namespace {

const std::vector<Value>& NoItems() {
  static const std::vector<Value> empty;
  return empty;
}
const Value::Members& NoMembers() {
  static const Value::Members empty;
  return empty;
}

}  // namespace

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.data_ = b;
  return v;
}
Value Value::Integer(std::int64_t i) {
  Value v;
  v.kind_ = Kind::kInteger;
  v.data_ = i;
  return v;
}
Value Value::Double(double d) {
  Value v;
  v.kind_ = Kind::kDouble;
  v.data_ = d;
  return v;
}
Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.data_ = std::move(s);
  return v;
}
Value Value::Timestamp(TimePoint t) {
  Value v;
  v.kind_ = Kind::kTimestamp;
  v.data_ = t;
  return v;
}
Value Value::Blob(std::string bytes) {
  Value v;
  v.kind_ = Kind::kBlob;
  v.data_ = std::move(bytes);
  return v;
}
Value Value::List(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kList;
  v.data_ = std::move(items);
  return v;
}
Value Value::Structure(Members members) {
  Value v;
  v.kind_ = Kind::kStructure;
  v.data_ = std::move(members);
  return v;
}
Value Value::Map(Members entries) {
  Value v;
  v.kind_ = Kind::kMap;
  v.data_ = std::move(entries);
  return v;
}

Value Value::MergedStructure(Members members, bool map) {
  // Small objects are checked pairwise; a hash index only pays off later.
  constexpr std::size_t kLinearLimit = 16;
  bool repeated = false;
  if (members.size() <= kLinearLimit) {
    for (std::size_t i = 1; i < members.size() && !repeated; ++i) {
      for (std::size_t j = 0; j < i && !repeated; ++j) {
        repeated = members[i].first == members[j].first;
      }
    }
  } else {
    std::unordered_map<std::string_view, std::size_t> seen;
    seen.reserve(members.size());
    for (const auto& member : members) {
      if (!seen.emplace(member.first, 0).second) {
        repeated = true;
        break;
      }
    }
  }
  if (repeated) {
    Members merged;
    merged.reserve(members.size());
    std::unordered_map<std::string, std::size_t> position;
    for (auto& [name, value] : members) {
      auto [it, inserted] = position.emplace(name, merged.size());
      if (inserted) {
        merged.emplace_back(std::move(name), std::move(value));
      } else {
        merged[it->second].second = std::move(value);
      }
    }
    members = std::move(merged);
  }
  return map ? Map(std::move(members)) : Structure(std::move(members));
}

bool Value::AsBool() const {
  assert(kind_ == Kind::kBool);
  return std::get<bool>(data_);
}
std::int64_t Value::AsInteger() const {
  assert(kind_ == Kind::kInteger);
  return std::get<std::int64_t>(data_);
}
double Value::AsDouble() const {
  if (kind_ == Kind::kInteger) return static_cast<double>(std::get<std::int64_t>(data_));
  assert(kind_ == Kind::kDouble);
  return std::get<double>(data_);
}
const std::string& Value::AsString() const {
  assert(kind_ == Kind::kString || kind_ == Kind::kBlob);
  return std::get<std::string>(data_);
}
TimePoint Value::AsTimestamp() const {
  assert(kind_ == Kind::kTimestamp);
  return std::get<TimePoint>(data_);
}

const std::vector<Value>& Value::items() const {
  return kind_ == Kind::kList ? std::get<std::vector<Value>>(data_) : NoItems();
}

Value& Value::Append(Value item) {
  assert(kind_ == Kind::kList);
  auto& items = std::get<std::vector<Value>>(data_);
  items.push_back(std::move(item));
  return items.back();
}

const Value::Members& Value::members() const {
  return kind_ == Kind::kStructure || kind_ == Kind::kMap ? std::get<Members>(data_) : NoMembers();
}

Value& Value::Set(std::string name, Value value) {
  assert(kind_ == Kind::kStructure || kind_ == Kind::kMap);
  Members& members = std::get<Members>(data_);
  for (auto& [n, v] : members) {
    if (n == name) {
      v = std::move(value);
      return v;
    }
  }
  members.emplace_back(std::move(name), std::move(value));
  return members.back().second;
}

const Value* Value::Find(std::string_view name) const {
  for (const auto& [n, v] : members()) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string Value::DebugString() const {
  std::string out;
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return AsBool() ? "true" : "false";
    case Kind::kInteger:
      return std::to_string(AsInteger());
    case Kind::kDouble:
      return JavaDoubleToString(AsDouble());
    case Kind::kString:
      AppendJsonString(&out, AsString());
      return out;
    case Kind::kTimestamp:
      return "@" + FormatIso8601(AsTimestamp());
    case Kind::kBlob:
      out = "blob:";
      AppendJsonString(&out, AsString());
      return out;
    case Kind::kList:
      out = "[";
      for (std::size_t i = 0; i < items().size(); ++i) {
        if (i > 0) out += ",";
        out += items()[i].DebugString();
      }
      return out + "]";
    case Kind::kStructure:
    case Kind::kMap:
      out = kind_ == Kind::kMap ? "map{" : "{";
      for (std::size_t i = 0; i < members().size(); ++i) {
        if (i > 0) out += ",";
        out += members()[i].first + ":" + members()[i].second.DebugString();
      }
      return out + "}";
  }
  return out;
}

}  // namespace tw::api
