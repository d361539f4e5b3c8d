// Private to server/template.cc: resolved template values and the resolver
// of CloudFormation intrinsic functions.
//
// A Resolver turns a yaml-cpp node into a Value, a small JSON-like tree in
// which every intrinsic function has been evaluated:
//   Ref               parameters, pseudo parameters (AWS::Region, AWS::AccountId,
//                     AWS::Partition, AWS::StackName, AWS::StackId, AWS::URLSuffix,
//                     AWS::NotificationARNs, AWS::NoValue) and resources
//   Fn::GetAtt        [LogicalId, Attribute] or "LogicalId.Attribute"
//   Fn::Sub           "text" or ["text", {Var: value}]; ${!Literal} writes ${Literal}
//   Fn::Join          [delimiter, [values]]
//   Fn::Select        [index, [values]]
//   Fn::Split         [delimiter, text]
//   Fn::FindInMap     [MapName, TopKey, SecondKey]
// each also in its YAML short form (!Ref, !GetAtt, !Sub, ...). Other
// functions (Fn::If, Fn::ImportValue, ...) are rejected by name.
//
// Scalars stay text, as CloudFormation passes them ("300" and 300 are the
// same); the property reader in template.cc converts them. AWS::NoValue
// removes the map entry or list element it appears in.
//
// Errors name the path of the offending node, e.g.
//   "Resources.Alarm.Properties.AlarmActions[0]: Ref: 'Topc' is not a parameter,
//    pseudo parameter or resource of the template"
//
// Not thread-safe; one Resolver serves one template load.

#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tw::server::cfn {

struct Value {
  enum class Kind { kNull, kScalar, kList, kMap, kNoValue };

  Kind kind = Kind::kNull;
  std::string scalar;
  // True for an unquoted, untagged YAML scalar: it may be a JSON number or
  // boolean when the value is written back as JSON (ToJson).
  bool plain = false;
  std::vector<Value> list;
  // A map entry. Not std::pair: a pair of an incomplete Value cannot be
  // instantiated inside Value's own definition (clang with libstdc++).
  struct Entry;
  std::vector<Entry> map;  // document order

  static Value Text(std::string text);
  static Value List(std::vector<Value> items);

  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_map() const { return kind == Kind::kMap; }
  // The map entry `key`, or nullptr.
  const Value* Find(std::string_view key) const;
  // "a string", "a list", ... for messages.
  const char* KindName() const;
  // Compact JSON text (for properties CloudFormation accepts as JSON objects,
  // such as DeliveryPolicy). Plain scalars that read as JSON numbers,
  // true, false or null are written bare; everything else as a string.
  std::string ToJson() const;
};

struct Value::Entry {
  std::string key;
  Value value;
};

// What the loader knows about resources, for Ref and Fn::GetAtt.
class ResourceLookup {
 public:
  virtual ~ResourceLookup() = default;
  // True if `logical_id` is declared under Resources (whatever its type).
  virtual bool HasResource(const std::string& logical_id) const = 0;
  // Ref (attribute empty) or Fn::GetAtt of a declared resource. `path` is
  // the referring node, for messages.
  virtual Result<Value> ResourceAttribute(const std::string& logical_id,
                                          const std::string& attribute,
                                          const std::string& path) = 0;
};

class Resolver {
 public:
  // `pseudo` maps pseudo parameter names ("AWS::Region") to values;
  // `mappings` is the template's Mappings section (may be undefined).
  Resolver(std::map<std::string, Value> pseudo, YAML::Node mappings, ResourceLookup* resources);

  // Declares a parameter's resolved value (a scalar, or a list for list types).
  void SetParameter(const std::string& name, Value value);

  // Resolves `node`, found at `path`. The result is never kNoValue:
  // Ref AWS::NoValue at the top resolves to kNull.
  Result<Value> Resolve(const YAML::Node& node, const std::string& path);

 private:
  Result<Value> ResolveNode(const YAML::Node& node, const std::string& path, int depth);
  // `node` without looking at its own tag (the argument of a short form).
  Result<Value> ResolveContent(const YAML::Node& node, const std::string& path, int depth);
  Result<Value> Call(const std::string& function, const YAML::Node& argument,
                     const std::string& path, int depth);
  Result<Value> Ref(const std::string& name, const std::string& path);
  Result<Value> GetAtt(const Value& argument, const std::string& path);
  Result<Value> Sub(const Value& argument, const std::string& path);
  Result<Value> Join(const Value& argument, const std::string& path);
  Result<Value> Select(const Value& argument, const std::string& path);
  Result<Value> Split(const Value& argument, const std::string& path);
  Result<Value> FindInMap(const Value& argument, const std::string& path);

  std::map<std::string, Value> pseudo_;
  std::map<std::string, Value> parameters_;
  YAML::Node mappings_;
  ResourceLookup* resources_;  // not owned
};

// Converts a plain YAML node without intrinsic functions (Mappings entries,
// parameter declarations) into a Value.
Value LiteralValue(const YAML::Node& node);

}  // namespace tw::server::cfn
