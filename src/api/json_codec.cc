// awsJson1_0 / awsJson1_1 bodies. Decoding goes through nlohmann's SAX
// interface: it reports integers and floats apart (so 5 and 5.0 stay
// distinct), validates UTF-8, does not recurse, and returns its errors
// instead of throwing them; we only add the depth bound.

#include <cmath>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/codec.h"
#include "common/java_double.h"
#include "common/json_string.h"

namespace tw::api {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kNotJson = "request body is not valid JSON: ";

class ValueBuilder final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return Add(Value()); }
  bool boolean(bool b) override { return Add(Value::Bool(b)); }
  bool number_integer(std::int64_t i) override { return Add(Value::Integer(i)); }
  bool number_unsigned(std::uint64_t u) override {
    // Above INT64_MAX an integer can only be kept approximately.
    if (u > static_cast<std::uint64_t>(INT64_MAX))
      return Add(Value::Double(static_cast<double>(u)));
    return Add(Value::Integer(static_cast<std::int64_t>(u)));
  }
  bool number_float(double d, const std::string&) override { return Add(Value::Double(d)); }
  bool string(std::string& s) override { return Add(Value::String(std::move(s))); }
  bool binary(Json::binary_t&) override { return Add(Value()); }  // never called for JSON text

  bool start_object(std::size_t) override { return Open(true); }
  bool key(std::string& name) override {
    stack_.back().key = std::move(name);
    return true;
  }
  bool end_object() override {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    return Add(Value::MergedStructure(std::move(frame.members)));
  }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_array() override {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    return Add(Value::List(std::move(frame.items)));
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    // "[json.exception.parse_error.101] parse error at line 1, ..." without the id.
    std::string_view what = e.what();
    if (std::size_t id_end = what.find("] "); what.starts_with("[json.") && id_end != what.npos) {
      what.remove_prefix(id_end + 2);
    }
    error_ = what;
    return false;
  }

  Result<Value> Finish(bool parsed) && {
    if (parsed) return std::move(root_);
    if (error_.empty()) error_ = "the input is invalid";  // not reached: every abort sets it
    return InvalidArgument(std::string(kNotJson) + error_);
  }

 private:
  struct Frame {
    bool object = false;
    std::vector<Value> items;
    Value::Members members;
    std::string key;
  };

  bool Open(bool object) {
    if (stack_.size() >= static_cast<std::size_t>(kMaxNestingDepth)) {
      error_ = "nested deeper than " + std::to_string(kMaxNestingDepth) + " levels";
      return false;
    }
    stack_.push_back(Frame{.object = object});
    return true;
  }

  bool Add(Value value) {
    if (stack_.empty()) {
      root_ = std::move(value);
    } else if (Frame& top = stack_.back(); top.object) {
      top.members.emplace_back(std::move(top.key), std::move(value));
    } else {
      top.items.push_back(std::move(value));
    }
    return true;
  }

  std::vector<Frame> stack_;
  Value root_;
  std::string error_;
};

// Epoch seconds with the milliseconds as a fraction, trailing zeros dropped:
// 1700000000, 1700000000.12, -1.5.
void AppendEpochSeconds(std::string* out, TimePoint t) {
  std::int64_t ms = ToEpochMillis(t);
  // Unsigned magnitude, so that INT64_MIN cannot overflow.
  std::uint64_t magnitude =
      ms < 0 ? ~static_cast<std::uint64_t>(ms) + 1 : static_cast<std::uint64_t>(ms);
  if (ms < 0) out->push_back('-');
  out->append(std::to_string(magnitude / 1000));
  unsigned fraction = static_cast<unsigned>(magnitude % 1000);
  if (fraction == 0) return;
  char digits[4] = {static_cast<char>('0' + fraction / 100),
                    static_cast<char>('0' + fraction / 10 % 10),
                    static_cast<char>('0' + fraction % 10), 0};
  std::size_t n = 3;
  while (digits[n - 1] == '0') --n;
  out->push_back('.');
  out->append(digits, n);
}

void AppendJson(std::string* out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNull:
      out->append("null");
      return;
    case Value::Kind::kBool:
      out->append(value.AsBool() ? "true" : "false");
      return;
    case Value::Kind::kInteger:
      out->append(std::to_string(value.AsInteger()));
      return;
    case Value::Kind::kDouble: {
      double d = value.AsDouble();
      if (std::isfinite(d)) {
        // Java's form is valid JSON and the shortest that reads back exactly.
        out->append(JavaDoubleToString(d));
      } else {
        out->append(std::isnan(d) ? "\"NaN\"" : d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
      }
      return;
    }
    case Value::Kind::kString:
      AppendJsonString(out, value.AsString());
      return;
    case Value::Kind::kTimestamp:
      AppendEpochSeconds(out, value.AsTimestamp());
      return;
    case Value::Kind::kBlob:
      AppendJsonString(out, EncodeBase64(value.AsString()));
      return;
    case Value::Kind::kList: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : value.items()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, item);
      }
      out->push_back(']');
      return;
    }
    case Value::Kind::kStructure:
    case Value::Kind::kMap: {
      out->push_back('{');
      bool first = true;
      for (const auto& [name, member] : value.members()) {
        if (member.is_null()) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, name);
        out->push_back(':');
        AppendJson(out, member);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

Result<Value> DecodeJson(std::string_view body) {
  if (body.empty()) return Value::Structure();
  ValueBuilder builder;
  bool parsed = false;
  try {
    parsed = Json::sax_parse(body.begin(), body.end(), &builder);
  } catch (const std::exception& e) {
    // sax_parse reports syntax errors through parse_error(); only running out
    // of memory could land here.
    return InvalidArgument(std::string(kNotJson) + e.what());
  }
  return std::move(builder).Finish(parsed);
}

std::string EncodeJson(const Value& value) {
  std::string out;
  AppendJson(&out, value);
  return out;
}

}  // namespace tw::api
