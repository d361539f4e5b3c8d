// awsJson1_0 / awsJson1_1 bodies. Decoding goes through nlohmann's SAX
// interface: it reports integers and floats apart (so 5 and 5.0 stay
// distinct), validates UTF-8, does not recurse, and returns its errors
// instead of throwing them; we only add the depth bound.
//
// A valid body is first tried with simdjson, which reads a 0.76 MB
// PutLogEvents body about ten times faster (nlohmann's lexer was a quarter
// of the request's time). Whenever simdjson refuses a body, or it is nested
// too deep, nlohmann decodes it again, so that every error keeps its words;
// the two agree on every valid body (codec_test's differential cases).

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
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

// simdjson's document as a Value; false where nlohmann must decide.
bool FromSimdjson(simdjson::dom::element element, int depth, Value* out) {
  switch (element.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      *out = Value();
      return true;
    case simdjson::dom::element_type::BOOL:
      *out = Value::Bool(bool(element));
      return true;
    case simdjson::dom::element_type::INT64:
      *out = Value::Integer(std::int64_t(element));
      return true;
    case simdjson::dom::element_type::UINT64: {
      const std::uint64_t u = std::uint64_t(element);
      *out = u > static_cast<std::uint64_t>(INT64_MAX)
                 ? Value::Double(static_cast<double>(u))
                 : Value::Integer(static_cast<std::int64_t>(u));
      return true;
    }
    case simdjson::dom::element_type::DOUBLE:
      *out = Value::Double(double(element));
      return true;
    case simdjson::dom::element_type::STRING:
      *out = Value::String(std::string(std::string_view(element)));
      return true;
    case simdjson::dom::element_type::ARRAY: {
      if (depth >= kMaxNestingDepth) return false;
      std::vector<Value> items;
      simdjson::dom::array array;
      if (element.get_array().get(array) != simdjson::SUCCESS) return false;
      items.reserve(array.size());
      for (simdjson::dom::element item : array) {
        items.emplace_back();
        if (!FromSimdjson(item, depth + 1, &items.back())) return false;
      }
      *out = Value::List(std::move(items));
      return true;
    }
    case simdjson::dom::element_type::OBJECT: {
      if (depth >= kMaxNestingDepth) return false;
      Value::Members members;
      simdjson::dom::object object;
      if (element.get_object().get(object) != simdjson::SUCCESS) return false;
      for (simdjson::dom::key_value_pair member : object) {
        members.emplace_back(std::string(member.key), Value());
        if (!FromSimdjson(member.value, depth + 1, &members.back().second)) return false;
      }
      *out = Value::MergedStructure(std::move(members));
      return true;
    }
  }
  return false;
}

std::optional<Value> DecodeWithSimdjson(std::string_view body) {
  // One parser per worker thread, so that its buffers are reused from
  // request to request; one grown by an unusually large body is let go.
  thread_local simdjson::dom::parser parser;
  constexpr std::size_t kKeptCapacity = std::size_t{4} << 20;
  std::optional<Value> decoded;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS) {
    Value value;
    if (FromSimdjson(root, 0, &value)) decoded = std::move(value);
  }
  if (parser.capacity() > kKeptCapacity) parser = simdjson::dom::parser();
  return decoded;
}

// Epoch seconds as the JSON 1.0 services' Java serializer writes them: a
// double, so always with a fraction or an exponent ("1.700000000123E9").
void AppendEpochSeconds(std::string* out, TimePoint t) {
  out->append(JavaDoubleToString(static_cast<double>(ToEpochMillis(t)) / 1000.0));
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
  if (std::optional<Value> fast = DecodeWithSimdjson(body)) return std::move(*fast);
  return DecodeJsonReference(body);
}

Result<Value> DecodeJsonReference(std::string_view body) {
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
