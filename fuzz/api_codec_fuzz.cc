// libFuzzer target for the wire codecs: the same bytes go to DecodeJson,
// DecodeQuery and DecodeCbor. Nothing may crash, hang, throw or trip a
// sanitizer, and the checks below abort on a broken contract:
//   - a rejection is kInvalidArgument (JSON and CBOR with their prefix);
//   - whatever decodes re-encodes as JSON, CBOR and awsQuery XML;
//   - CBOR round-trips: DecodeCbor(EncodeCbor(v)) is v with its Null members
//     dropped and Maps read back as Structures, for every v without NaN or
//     invalid UTF-8 (the encoder replaces those);
//   - JSON round-trips the same way for what DecodeJson gave;
//   - DecodeJson (simdjson first) and DecodeJsonReference (nlohmann alone)
//     give the same Value or the same error;
//   - every InputReader accessor, on every member, either succeeds or gives
//     AWS's ValidationError text.
//
//   build-fuzz/fuzz/api_codec_fuzz -dict=fuzz/api.dict fuzz/corpus/api

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/codec.h"
#include "api/input.h"
#include "common/json_string.h"

namespace {

using tw::api::InputReader;
using tw::api::Value;

// Value's == compares doubles numerically: -0.0 equals 0.0, so the sign of
// zero is compared here, with every kind down the tree.
bool SameKinds(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kDouble:
      return std::signbit(a.AsDouble()) == std::signbit(b.AsDouble());
    case Value::Kind::kList:
      for (std::size_t i = 0; i < a.items().size(); ++i) {
        if (!SameKinds(a.items()[i], b.items()[i])) return false;
      }
      return true;
    case Value::Kind::kStructure:
    case Value::Kind::kMap:
      for (std::size_t i = 0; i < a.members().size(); ++i) {
        if (!SameKinds(a.members()[i].second, b.members()[i].second)) return false;
      }
      return true;
    default:
      return true;
  }
}

void Check(bool condition) {
  if (!condition) std::abort();
}

bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = tw::Utf8SequenceLength(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// True if the encoders write `v` without replacing anything.
bool Encodable(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kDouble:
      return !std::isnan(v.AsDouble());
    case Value::Kind::kString:
      return ValidUtf8(v.AsString());
    case Value::Kind::kList:
      for (const Value& item : v.items()) {
        if (!Encodable(item)) return false;
      }
      return true;
    case Value::Kind::kStructure:
    case Value::Kind::kMap:
      for (const auto& [name, member] : v.members()) {
        if (!ValidUtf8(name) || !Encodable(member)) return false;
      }
      return true;
    default:
      return true;
  }
}

// `v` as a decoder reads it back: no Null members, Maps as Structures.
Value Normalized(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kList: {
      std::vector<Value> items;
      for (const Value& item : v.items()) items.push_back(Normalized(item));
      return Value::List(std::move(items));
    }
    case Value::Kind::kStructure:
    case Value::Kind::kMap: {
      Value::Members members;
      for (const auto& [name, member] : v.members()) {
        if (!member.is_null()) members.emplace_back(name, Normalized(member));
      }
      return Value::MergedStructure(std::move(members));
    }
    default:
      return v;
  }
}

template <typename T>
void CheckRead(const tw::Result<T>& result) {
  if (!result.ok()) {
    Check(result.status().code() == tw::StatusCode::kInvalidArgument);
    Check(result.status().message().starts_with("1 validation error detected: Value '"));
  }
}

void ReadEverything(const InputReader& in, int depth) {
  for (const auto& [name, member] : in.value().members()) {
    Check(in.Raw(name) != nullptr);
    CheckRead(in.String(name));
    CheckRead(in.Integer(name));
    CheckRead(in.Double(name));
    CheckRead(in.Bool(name));
    CheckRead(in.Timestamp(name));
    CheckRead(in.StringList(name));
    CheckRead(in.DoubleList(name));
    CheckRead(in.StringMap(name));
    if (depth >= 3) continue;  // enough for coverage, bounded work
    auto list = in.List(name);
    CheckRead(list);
    if (list.ok()) {
      for (const InputReader& item : *list) ReadEverything(item, depth + 1);
    }
    auto structure = in.Structure(name);
    CheckRead(structure);
    if (structure.ok() && structure->has_value()) ReadEverything(**structure, depth + 1);
    auto map = in.StructureMap(name);
    CheckRead(map);
    if (map.ok()) {
      for (const auto& [key, reader] : *map) ReadEverything(reader, depth + 1);
    }
  }
}

void Exercise(const Value& v, bool from_json) {
  (void)v.DebugString();
  std::string json = tw::api::EncodeJson(v);
  std::string cbor = tw::api::EncodeCbor(v);
  std::string xml = tw::api::EncodeQueryResponse("Op", "ns", v, "id");
  Check(!xml.empty());
  ReadEverything(InputReader(v), 0);
  if (!Encodable(v)) return;
  Value expected = Normalized(v);
  tw::Result<Value> back = tw::api::DecodeCbor(cbor);
  Check(back.ok() && *back == expected);
  if (from_json) {
    // JSON gives no Maps, Blobs, Timestamps or infinities, so it reads back too.
    tw::Result<Value> again = tw::api::DecodeJson(json);
    Check(again.ok() && *again == expected);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  tw::Result<Value> json = tw::api::DecodeJson(bytes);
  tw::Result<Value> reference = tw::api::DecodeJsonReference(bytes);
  Check(json.ok() == reference.ok());
  Check(json.ok() ? *json == *reference && SameKinds(*json, *reference)
                  : json.status().message() == reference.status().message());
  if (json.ok()) {
    Exercise(*json, /*from_json=*/true);
  } else {
    Check(json.status().code() == tw::StatusCode::kInvalidArgument);
    Check(json.status().message().starts_with("request body is not valid JSON: "));
  }

  tw::Result<Value> query = tw::api::DecodeQuery(bytes);
  if (query.ok()) {
    Check(query->kind() == Value::Kind::kStructure);
    Exercise(*query, /*from_json=*/false);
  } else {
    Check(query.status().code() == tw::StatusCode::kInvalidArgument);
  }

  tw::Result<Value> cbor = tw::api::DecodeCbor(bytes);
  if (cbor.ok()) {
    Exercise(*cbor, /*from_json=*/false);
  } else {
    Check(cbor.status().code() == tw::StatusCode::kInvalidArgument);
    Check(cbor.status().message().starts_with("request body is not valid CBOR: "));
  }
  return 0;
}
