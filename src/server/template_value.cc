#include "server/template_value.h"

#include <charconv>
#include <cstddef>
#include <optional>
#include <regex>
#include <set>

#include "common/json_string.h"

namespace tw::server::cfn {
namespace {

// Templates are small; anything nested deeper than this is hostile or broken,
// and the cap keeps the recursion off the end of the stack.
constexpr int kMaxDepth = 64;

const char* const kFunctions[] = {
    "Ref",       "Fn::GetAtt",    "Fn::Sub",          "Fn::Join",        "Fn::Select",
    "Fn::Split", "Fn::FindInMap", "Fn::Base64",       "Fn::If",          "Fn::Equals",
    "Fn::Not",   "Fn::And",       "Fn::Or",           "Fn::ImportValue", "Fn::GetAZs",
    "Fn::Cidr",  "Fn::Transform", "Fn::ToJsonString", "Fn::Length",      "Condition",
};

// "!Ref" -> "Ref", "!GetAtt" -> "Fn::GetAtt"; empty if the tag is not a
// CloudFormation short form.
std::string ShortFormFunction(const std::string& tag) {
  if (tag.size() < 2 || tag[0] != '!') return "";
  std::string name = tag.substr(1);
  if (name == "Ref" || name == "Condition") return name;
  std::string full = "Fn::" + name;
  for (const char* f : kFunctions) {
    if (full == f) return full;
  }
  return "";
}

bool IsFunctionKey(const std::string& key) { return key == "Ref" || key.rfind("Fn::", 0) == 0; }

std::string Quote(std::string_view text) { return "'" + std::string(text) + "'"; }

Status Error(const std::string& path, const std::string& message) {
  return InvalidArgument(path + ": " + message);
}

bool ParseIndex(const std::string& text, std::size_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool IsJsonLiteral(const std::string& text) {
  static const std::regex kNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
  return text == "true" || text == "false" || text == "null" || std::regex_match(text, kNumber);
}

void AppendJson(const Value& v, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kNull:
    case Value::Kind::kNoValue:
      *out += "null";
      break;
    case Value::Kind::kScalar:
      if (v.plain && IsJsonLiteral(v.scalar)) {
        *out += v.scalar;
      } else {
        AppendJsonString(out, v.scalar);
      }
      break;
    case Value::Kind::kList:
      out->push_back('[');
      for (std::size_t i = 0; i < v.list.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJson(v.list[i], out);
      }
      out->push_back(']');
      break;
    case Value::Kind::kMap:
      out->push_back('{');
      for (std::size_t i = 0; i < v.map.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(out, v.map[i].key);
        out->push_back(':');
        AppendJson(v.map[i].value, out);
      }
      out->push_back('}');
      break;
  }
}

}  // namespace

Value Value::Text(std::string text) {
  Value v;
  v.kind = Kind::kScalar;
  v.scalar = std::move(text);
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.kind = Kind::kList;
  v.list = std::move(items);
  return v;
}

const Value* Value::Find(std::string_view key) const {
  for (const auto& [k, v] : map) {
    if (k == key) return &v;
  }
  return nullptr;
}

const char* Value::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "a string";
    case Kind::kList:
      return "a list";
    case Kind::kMap:
      return "a map";
    case Kind::kNoValue:
      return "AWS::NoValue";
  }
  return "?";
}

std::string Value::ToJson() const {
  std::string out;
  AppendJson(*this, &out);
  return out;
}

Value LiteralValue(const YAML::Node& node) {
  Value v;
  if (node.IsScalar()) {
    v = Value::Text(node.Scalar());
    v.plain = node.Tag() == "?";
  } else if (node.IsSequence()) {
    v.kind = Value::Kind::kList;
    for (const YAML::Node& item : node) v.list.push_back(LiteralValue(item));
  } else if (node.IsMap()) {
    v.kind = Value::Kind::kMap;
    for (const auto& entry : node) {
      v.map.push_back({entry.first.Scalar(), LiteralValue(entry.second)});
    }
  }
  return v;
}

Resolver::Resolver(std::map<std::string, Value> pseudo, YAML::Node mappings,
                   ResourceLookup* resources)
    : pseudo_(std::move(pseudo)), mappings_(std::move(mappings)), resources_(resources) {}

void Resolver::SetParameter(const std::string& name, Value value) {
  parameters_[name] = std::move(value);
}

Result<Value> Resolver::Resolve(const YAML::Node& node, const std::string& path) {
  Result<Value> v = ResolveNode(node, path, 0);
  if (v.ok() && v->kind == Value::Kind::kNoValue) return Value();
  return v;
}

Result<Value> Resolver::ResolveNode(const YAML::Node& node, const std::string& path, int depth) {
  if (depth > kMaxDepth) return Error(path, "nested too deeply");
  const std::string& tag = node.Tag();
  // "?" is an untagged plain node, "!" a quoted scalar or an untagged
  // collection; "tag:yaml.org,2002:..." the standard !!str, !!int, ...
  if (!tag.empty() && tag != "?" && tag != "!" && tag.rfind("tag:yaml.org,2002:", 0) != 0) {
    std::string function = ShortFormFunction(tag);
    if (function.empty()) return Error(path, "unknown YAML tag " + tag);
    return Call(function, node, path, depth);
  }
  if (node.IsMap() && node.size() == 1) {
    const auto entry = *node.begin();
    const std::string& key = entry.first.Scalar();
    if (IsFunctionKey(key)) return Call(key, entry.second, path, depth);
  }
  return ResolveContent(node, path, depth);
}

Result<Value> Resolver::ResolveContent(const YAML::Node& node, const std::string& path, int depth) {
  Value out;
  if (node.IsScalar()) {
    out = Value::Text(node.Scalar());
    out.plain = node.Tag() == "?";
  } else if (node.IsSequence()) {
    out.kind = Value::Kind::kList;
    std::size_t i = 0;
    for (const YAML::Node& item : node) {
      Result<Value> v = ResolveNode(item, path + "[" + std::to_string(i++) + "]", depth + 1);
      if (!v.ok()) return v.status();
      if (v->kind != Value::Kind::kNoValue) out.list.push_back(std::move(*v));
    }
  } else if (node.IsMap()) {
    out.kind = Value::Kind::kMap;
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string& key = entry.first.Scalar();
      std::string child = path.empty() ? key : path + "." + key;
      // yaml-cpp keeps both entries of a duplicated key; CloudFormation rejects them.
      if (!seen.insert(key).second) return Error(child, "duplicate key");
      Result<Value> v = ResolveNode(entry.second, child, depth + 1);
      if (!v.ok()) return v.status();
      if (v->kind != Value::Kind::kNoValue) out.map.push_back({key, std::move(*v)});
    }
  }
  return out;
}

Result<Value> Resolver::Call(const std::string& function, const YAML::Node& argument,
                             const std::string& path, int depth) {
  Result<Value> arg = ResolveContent(argument, path, depth + 1);
  if (!arg.ok()) return arg.status();
  if (function == "Ref") {
    if (!arg->is_scalar()) return Error(path, "Ref: the argument must be a name");
    return Ref(arg->scalar, path);
  }
  if (function == "Fn::GetAtt") return GetAtt(*arg, path);
  if (function == "Fn::Sub") return Sub(*arg, path);
  if (function == "Fn::Join") return Join(*arg, path);
  if (function == "Fn::Select") return Select(*arg, path);
  if (function == "Fn::Split") return Split(*arg, path);
  if (function == "Fn::FindInMap") return FindInMap(*arg, path);
  for (const char* f : kFunctions) {
    if (function == f) return Error(path, function + " is not supported by trailwatch");
  }
  return Error(path, "unknown intrinsic function " + function);
}

Result<Value> Resolver::Ref(const std::string& name, const std::string& path) {
  if (auto it = parameters_.find(name); it != parameters_.end()) return it->second;
  if (name == "AWS::NoValue") {
    Value v;
    v.kind = Value::Kind::kNoValue;
    return v;
  }
  if (auto it = pseudo_.find(name); it != pseudo_.end()) return it->second;
  if (name.rfind("AWS::", 0) == 0) return Error(path, "Ref: unknown pseudo parameter " + name);
  if (resources_->HasResource(name)) return resources_->ResourceAttribute(name, "", path);
  return Error(path, "Ref: " + Quote(name) +
                         " is not a parameter, pseudo parameter or resource of the template");
}

Result<Value> Resolver::GetAtt(const Value& argument, const std::string& path) {
  std::string id, attribute;
  if (argument.is_scalar()) {
    std::size_t dot = argument.scalar.find('.');
    if (dot == std::string::npos) {
      return Error(path, "Fn::GetAtt: expected LogicalId.Attribute, got " + Quote(argument.scalar));
    }
    id = argument.scalar.substr(0, dot);
    attribute = argument.scalar.substr(dot + 1);
  } else if (argument.is_list() && argument.list.size() == 2 && argument.list[0].is_scalar() &&
             argument.list[1].is_scalar()) {
    id = argument.list[0].scalar;
    attribute = argument.list[1].scalar;
  } else {
    return Error(path, "Fn::GetAtt: expected [LogicalId, Attribute]");
  }
  if (!resources_->HasResource(id)) {
    return Error(path, "Fn::GetAtt: " + Quote(id) + " is not a resource of the template");
  }
  return resources_->ResourceAttribute(id, attribute, path);
}

Result<Value> Resolver::Sub(const Value& argument, const std::string& path) {
  const Value* text = &argument;
  const Value* variables = nullptr;
  if (argument.is_list()) {
    if (argument.list.size() != 2 || !argument.list[1].is_map()) {
      return Error(path, "Fn::Sub: expected a string or [string, {variables}]");
    }
    text = &argument.list[0];
    variables = &argument.list[1];
  }
  if (!text->is_scalar()) return Error(path, "Fn::Sub: the template text must be a string");
  const std::string& in = text->scalar;
  std::string out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    std::size_t open = in.find("${", pos);
    if (open == std::string::npos) {
      out.append(in, pos);
      break;
    }
    out.append(in, pos, open - pos);
    if (open + 2 < in.size() && in[open + 2] == '!') {
      // ${!Literal} is the escape for a literal "${Literal}".
      out += "${";
      pos = open + 3;
      continue;
    }
    std::size_t close = in.find('}', open + 2);
    if (close == std::string::npos) {
      return Error(path, "Fn::Sub: unterminated ${ in " + Quote(in));
    }
    std::string name = in.substr(open + 2, close - open - 2);
    Result<Value> v = [&]() -> Result<Value> {
      if (variables != nullptr) {
        if (const Value* var = variables->Find(name)) return *var;
      }
      std::size_t dot = name.find('.');
      if (dot != std::string::npos && name.rfind("AWS::", 0) != 0) {
        std::string id = name.substr(0, dot);
        if (!resources_->HasResource(id)) {
          return Error(path, "Fn::Sub: ${" + name + "}: " + Quote(id) +
                                 " is not a resource of the template");
        }
        return resources_->ResourceAttribute(id, name.substr(dot + 1), path);
      }
      if (name.empty() || (!parameters_.contains(name) && !pseudo_.contains(name) &&
                           !resources_->HasResource(name))) {
        return Error(path, "Fn::Sub: ${" + name +
                               "} is not a variable, parameter, pseudo parameter or resource");
      }
      return Ref(name, path);
    }();
    if (!v.ok()) return v.status();
    if (!v->is_scalar()) {
      return Error(path, "Fn::Sub: ${" + name + "} is " + v->KindName() + ", not a string");
    }
    out += v->scalar;
    pos = close + 1;
  }
  return Value::Text(std::move(out));
}

Result<Value> Resolver::Join(const Value& argument, const std::string& path) {
  if (!argument.is_list() || argument.list.size() != 2 || !argument.list[0].is_scalar() ||
      !argument.list[1].is_list()) {
    return Error(path, "Fn::Join: expected [delimiter, [values]]");
  }
  std::string out;
  const std::vector<Value>& items = argument.list[1].list;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_scalar()) {
      return Error(path, "Fn::Join: value " + std::to_string(i) + " is " + items[i].KindName() +
                             ", not a string");
    }
    if (i > 0) out += argument.list[0].scalar;
    out += items[i].scalar;
  }
  return Value::Text(std::move(out));
}

Result<Value> Resolver::Select(const Value& argument, const std::string& path) {
  std::size_t index = 0;
  if (!argument.is_list() || argument.list.size() != 2 || !argument.list[0].is_scalar() ||
      !argument.list[1].is_list()) {
    return Error(path, "Fn::Select: expected [index, [values]]");
  }
  if (!ParseIndex(argument.list[0].scalar, &index)) {
    return Error(path, "Fn::Select: index " + Quote(argument.list[0].scalar) +
                           " is not a non-negative integer");
  }
  if (index >= argument.list[1].list.size()) {
    return Error(path, "Fn::Select: index " + std::to_string(index) + " is out of range (" +
                           std::to_string(argument.list[1].list.size()) + " values)");
  }
  return argument.list[1].list[index];
}

Result<Value> Resolver::Split(const Value& argument, const std::string& path) {
  if (!argument.is_list() || argument.list.size() != 2 || !argument.list[0].is_scalar() ||
      !argument.list[1].is_scalar() || argument.list[0].scalar.empty()) {
    return Error(path, "Fn::Split: expected [delimiter, string] with a non-empty delimiter");
  }
  const std::string& delimiter = argument.list[0].scalar;
  const std::string& text = argument.list[1].scalar;
  std::vector<Value> parts;
  std::size_t pos = 0;
  while (true) {
    std::size_t next = text.find(delimiter, pos);
    parts.push_back(Value::Text(text.substr(pos, next - pos)));
    if (next == std::string::npos) break;
    pos = next + delimiter.size();
  }
  return Value::List(std::move(parts));
}

Result<Value> Resolver::FindInMap(const Value& argument, const std::string& path) {
  if (!argument.is_list() || argument.list.size() != 3 || !argument.list[0].is_scalar() ||
      !argument.list[1].is_scalar() || !argument.list[2].is_scalar()) {
    return Error(path, "Fn::FindInMap: expected [MapName, TopLevelKey, SecondLevelKey]");
  }
  const std::string& map = argument.list[0].scalar;
  const std::string& top = argument.list[1].scalar;
  const std::string& second = argument.list[2].scalar;
  auto child = [](const YAML::Node& node, const std::string& key) -> std::optional<YAML::Node> {
    if (node.IsMap()) {
      for (const auto& entry : node) {
        if (entry.first.Scalar() == key) return entry.second;
      }
    }
    return std::nullopt;
  };
  std::optional<YAML::Node> m = child(mappings_, map);
  if (!m) return Error(path, "Fn::FindInMap: no mapping " + Quote(map));
  std::optional<YAML::Node> t = child(*m, top);
  if (!t) return Error(path, "Fn::FindInMap: mapping " + Quote(map) + " has no key " + Quote(top));
  std::optional<YAML::Node> s = child(*t, second);
  if (!s) {
    return Error(
        path, "Fn::FindInMap: mapping " + Quote(map) + "." + top + " has no key " + Quote(second));
  }
  return LiteralValue(*s);
}

}  // namespace tw::server::cfn
