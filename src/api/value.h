// A protocol-neutral document: what an operation reads from a request and
// writes into a response, whatever the wire format (awsJson1_0/1_1,
// awsQuery, Smithy RPC v2 CBOR; spec aws-protocols-alarms.md §1).
//
// Decoders (codec.h) build a Value from the request body; operations read
// it through InputReader (input.h), which is lenient in the ways the wire
// formats differ (awsQuery sends every scalar as text and an empty list as
// an empty string; JSON 1.0 sends timestamps as epoch seconds). Operations
// build their output as a Value with the kinds that the encoders need to
// tell apart: Timestamp (epoch seconds in JSON 1.0, ISO 8601 in XML, CBOR
// tag 1), Map versus Structure (entry/key/value versus named members in
// XML), List (<member> elements in XML).
//
// Values are plain data: copyable, movable, no sharing; not synchronized.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/time.h"

namespace tw::api {

class Value {
 public:
  enum class Kind {
    kNull,
    kBool,
    kInteger,
    kDouble,
    kString,
    kTimestamp,
    kBlob,  // bytes (CBOR byte strings; base64 in JSON and XML)
    kList,
    kStructure,  // named members, in insertion order
    kMap,        // string keys, in insertion order
  };
  using Members = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // null
  static Value Bool(bool b);
  static Value Integer(std::int64_t i);
  static Value Double(double d);
  static Value String(std::string s);
  static Value Timestamp(TimePoint t);
  static Value Blob(std::string bytes);
  static Value List(std::vector<Value> items = {});
  static Value Structure(Members members = {});
  static Value Map(Members entries = {});
  // A Structure (or, with `map`, a Map) of `members` in which a repeated
  // name is merged as successive Set() calls would merge it: it keeps its
  // first position and takes its last value. Linear time, so decoders use it
  // for untrusted input.
  static Value MergedStructure(Members members, bool map = false);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }

  // Scalars; calling the wrong one is a programmer error (asserts), so
  // check kind() first. AsDouble() also reads an Integer.
  bool AsBool() const;
  std::int64_t AsInteger() const;
  double AsDouble() const;
  const std::string& AsString() const;  // String and Blob
  TimePoint AsTimestamp() const;

  // List items (empty for other kinds).
  const std::vector<Value>& items() const;
  Value& Append(Value item);  // List only; returns the appended item

  // Structure members or Map entries (empty for other kinds).
  const Members& members() const;
  // Adds or replaces member `name` (Structure or Map only); returns it.
  Value& Set(std::string name, Value value);
  // nullptr when absent or not a Structure/Map.
  const Value* Find(std::string_view name) const;

  bool operator==(const Value& other) const = default;

  // A compact, canonical rendering for tests and messages, e.g.
  // {AlarmNames:["A"],MaxRecords:5,T:@2023-11-14T22:13:20Z,M:map{k:"v"}}.
  std::string DebugString() const;

 private:
  Kind kind_ = Kind::kNull;
  std::variant<std::monostate, bool, std::int64_t, double, std::string, TimePoint,
               std::vector<Value>, Members>
      data_;
};

}  // namespace tw::api
