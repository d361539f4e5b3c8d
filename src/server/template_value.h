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
// Limits. YAML aliases let 1 KB of text describe a tree of a billion nodes
// (the "billion laughs": &a [*b, *b, ...] nine levels deep), and intrinsic
// functions can copy a large value many times (a Fn::Sub of
// "${Long}${Long}...", a thousand Fn::FindInMap of one big entry). yaml-cpp
// shares an aliased node rather than copying it, so the cost only appears
// here, where the tree becomes Values. One Budget per load bounds all of it:
// each YAML node visited, each byte of text a Value receives and each value
// a function produces is charged. Once the budget is spent the load stops
// with kResourceExhausted, and the message names the template
// (`source_name`), as a syntax error does:
//   "bomb.yaml: Resources.Topic.Properties: YAML aliases expand to more than
//    1000000 nodes (an alias bomb?); CloudFormation templates need no such expansion"
//   "t.yaml: Resources.A.Properties.AlarmDescription: Fn::Sub: the resolved
//    values grow to more than 16777216 bytes; CloudFormation templates need no
//    such expansion"
// Collections nested more than 64 levels deep (counting what aliases expand
// to, so also an alias inside its own anchor, &a [*a]) are refused with
// "<path>: nested more than 64 levels deep" (kInvalidArgument), which keeps
// the recursion here far from the end of the stack.
//
// Not thread-safe; one Resolver serves one template load.

#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tw::server::cfn {

// Where a node is ("Resources.A.Properties.Dimensions[0]"): a chain of links
// living on the resolver's stack, turned into text only for a message.
// Building the text for every node would cost the path's length per node,
// quadratic for a template with long keys. A link borrows its parent and its
// key, which must outlive it.
class NodePath {
 public:
  explicit NodePath(const std::string& root) : root_(&root) {}

  NodePath Key(const std::string& key) const { return NodePath(this, &key, 0); }
  NodePath Index(std::size_t index) const { return NodePath(this, nullptr, index); }

  // The root text followed by ".Key" and "[3]" for each link ("Key" alone
  // after an empty root).
  std::string ToString() const;
  // The text the chain starts from.
  const std::string& root() const { return parent_ == nullptr ? *root_ : parent_->root(); }

 private:
  NodePath(const NodePath* parent, const std::string* key, std::size_t index)
      : parent_(parent), key_(key), index_(index) {}

  const NodePath* parent_ = nullptr;
  const std::string* root_ = nullptr;  // set on the root only
  const std::string* key_ = nullptr;   // a map key, or nullptr for a list index
  std::size_t index_ = 0;
};

// What one template load may spend on turning YAML into Values.
struct Budget {
  // A template within the size limit (1 MiB) has at most about a million
  // nodes, one per byte in the densest flow map ({a,b,c,...}), and each is
  // visited once (a resource's name twice); real templates have a few
  // thousand. Only aliases take a walk past this.
  static constexpr std::size_t kMaxNodes = 1'000'000;
  // 16 times the largest template: room for parameters and names used many
  // times over, far below what strains memory (each byte is held once).
  static constexpr std::size_t kMaxBytes = std::size_t{16} << 20;

  std::size_t nodes = 0;
  std::size_t bytes = 0;
};

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
                                          const std::string& attribute, const NodePath& path) = 0;
};

class Resolver {
 public:
  // `source_name` names the template in limit errors; `pseudo` maps pseudo
  // parameter names ("AWS::Region") to values; `mappings` is the template's
  // Mappings section (may be undefined).
  Resolver(std::string source_name, std::map<std::string, Value> pseudo, YAML::Node mappings,
           ResourceLookup* resources);

  // Declares a parameter's resolved value (a scalar, or a list for list types).
  void SetParameter(const std::string& name, Value value);

  // Resolves `node`, found at `path`. The result is never kNoValue:
  // Ref AWS::NoValue at the top resolves to kNull.
  Result<Value> Resolve(const YAML::Node& node, const std::string& path);

  // Converts a plain YAML node without intrinsic functions (a parameter
  // declaration), found at `path`, into a Value, within the same limits.
  Result<Value> Literal(const YAML::Node& node, const std::string& path);

 private:
  Result<Value> ResolveNode(const YAML::Node& node, const NodePath& path, int depth);
  // `node` without looking at its own tag (the argument of a short form).
  Result<Value> ResolveContent(const YAML::Node& node, const NodePath& path, int depth);
  // `function` is the intrinsic function copying the node (Fn::FindInMap),
  // found at `call`, or nullptr for the template's own nodes (then `call` is
  // unused); they pick the limit message.
  Result<Value> LiteralNode(const YAML::Node& node, const NodePath& path, int depth,
                            const char* function, const NodePath& call);
  Result<Value> Call(const std::string& function, const YAML::Node& argument, const NodePath& path,
                     int depth);
  // What Ref `name` stands for: a parameter or pseudo parameter in place,
  // or `*scratch` (AWS::NoValue, a resource attribute). Never null.
  Result<const Value*> RefTarget(const std::string& name, const NodePath& path, Value* scratch);
  Result<Value> GetAtt(const Value& argument, const NodePath& path);
  Result<Value> Sub(const Value& argument, const NodePath& path);
  Result<Value> Join(const Value& argument, const NodePath& path);
  Result<Value> Select(const Value& argument, const NodePath& path);
  Result<Value> Split(const Value& argument, const NodePath& path);
  Result<Value> FindInMap(const Value& argument, const NodePath& path);

  // Charges `nodes` and `bytes`; fails once the budget is spent. `function`
  // as for LiteralNode.
  Status Charge(std::size_t nodes, std::size_t bytes, const NodePath& path, const char* function);
  // Charges a value `function` produced, everything inside it included.
  Status ChargeValue(const Value& value, const NodePath& path, const char* function);
  // Fails if a result being built, now `bytes` long, already overspends;
  // called as it grows, so that it never grows far past the budget.
  Status CheckRoom(std::size_t bytes, const NodePath& path, const char* function) const;
  Status LimitError(const NodePath& path, const char* function, bool nodes) const;

  std::string source_name_;
  std::map<std::string, Value> pseudo_;
  std::map<std::string, Value> parameters_;
  YAML::Node mappings_;
  ResourceLookup* resources_;  // not owned
  Budget budget_;
};

}  // namespace tw::server::cfn
