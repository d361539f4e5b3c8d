#include "server/template_value.h"

#include <charconv>
#include <cstddef>
#include <map>
#include <optional>
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

Status Error(const NodePath& path, const std::string& message) {
  return InvalidArgument(path.ToString() + ": " + message);
}

Status TooDeep(const NodePath& path) {
  return Error(path, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
}

bool ParseIndex(const std::string& text, std::size_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// JSON's number grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, by
// hand: libstdc++'s std::regex recurses once per character and overflows the
// stack on a scalar of some ten thousand digits.
bool IsJsonNumber(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    return i > start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

bool IsJsonLiteral(const std::string& text) {
  return text == "true" || text == "false" || text == "null" || IsJsonNumber(text);
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

void Measure(const Value& v, std::size_t* nodes, std::size_t* bytes) {
  ++*nodes;
  *bytes += v.scalar.size();
  for (const Value& item : v.list) Measure(item, nodes, bytes);
  for (const Value::Entry& entry : v.map) {
    *bytes += entry.key.size();
    Measure(entry.value, nodes, bytes);
  }
}

}  // namespace

std::string NodePath::ToString() const {
  std::vector<const NodePath*> links;
  const NodePath* first = this;
  for (; first->parent_ != nullptr; first = first->parent_) links.push_back(first);
  std::string out = *first->root_;
  for (auto it = links.rbegin(); it != links.rend(); ++it) {
    const NodePath& link = **it;
    if (link.key_ != nullptr) {
      if (!out.empty()) out += '.';
      out += *link.key_;
    } else {
      out += "[" + std::to_string(link.index_) + "]";
    }
  }
  return out;
}

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

Resolver::Resolver(std::string source_name, std::map<std::string, Value> pseudo,
                   YAML::Node mappings, ResourceLookup* resources)
    : source_name_(std::move(source_name)),
      pseudo_(std::move(pseudo)),
      mappings_(std::move(mappings)),
      resources_(resources) {}

void Resolver::SetParameter(const std::string& name, Value value) {
  parameters_[name] = std::move(value);
}

Result<Value> Resolver::Resolve(const YAML::Node& node, const std::string& path) {
  const NodePath root(path);
  Result<Value> v = ResolveNode(node, root, 0);
  if (v.ok() && v->kind == Value::Kind::kNoValue) return Value();
  return v;
}

Result<Value> Resolver::Literal(const YAML::Node& node, const std::string& path) {
  const NodePath root(path);
  return LiteralNode(node, root, 0, nullptr, root);
}

Status Resolver::LimitError(const NodePath& path, const char* function, bool nodes) const {
  const std::string amount = nodes ? std::to_string(Budget::kMaxNodes) + " nodes"
                                   : std::to_string(Budget::kMaxBytes) + " bytes";
  // The template's own nodes cannot reach the budget (see Budget), so a walk
  // that does went through aliases; where it ran out inside the expansion
  // says little, the resource or parameter it was resolving says more.
  const std::string what =
      function == nullptr
          ? path.root() + ": YAML aliases expand to more than " + amount + " (an alias bomb?)"
          : path.ToString() + ": " + function + ": the template's functions expand to more than " +
                amount;
  return Status(StatusCode::kResourceExhausted,
                source_name_ + ": " + what + "; CloudFormation templates need no such expansion");
}

Status Resolver::Charge(std::size_t nodes, std::size_t bytes, const NodePath& path,
                        const char* function) {
  budget_.nodes += nodes;
  budget_.bytes += bytes;
  if (budget_.nodes > Budget::kMaxNodes) return LimitError(path, function, true);
  if (budget_.bytes > Budget::kMaxBytes) return LimitError(path, function, false);
  return Status::Ok();
}

Status Resolver::ChargeValue(const Value& value, const NodePath& path, const char* function) {
  std::size_t nodes = 0, bytes = 0;
  Measure(value, &nodes, &bytes);
  return Charge(nodes, bytes, path, function);
}

Status Resolver::CheckRoom(std::size_t bytes, const NodePath& path, const char* function) const {
  if (budget_.bytes + bytes > Budget::kMaxBytes) return LimitError(path, function, false);
  return Status::Ok();
}

Result<Value> Resolver::ResolveNode(const YAML::Node& node, const NodePath& path, int depth) {
  if (depth > kMaxDepth) return TooDeep(path);
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

Result<Value> Resolver::ResolveContent(const YAML::Node& node, const NodePath& path, int depth) {
  Value out;
  if (node.IsScalar()) {
    TW_RETURN_IF_ERROR(Charge(1, node.Scalar().size(), path, nullptr));
    out = Value::Text(node.Scalar());
    out.plain = node.Tag() == "?";
  } else if (node.IsSequence()) {
    TW_RETURN_IF_ERROR(Charge(1, 0, path, nullptr));
    out.kind = Value::Kind::kList;
    out.list.reserve(node.size());
    std::size_t i = 0;
    for (const YAML::Node& item : node) {
      Result<Value> v = ResolveNode(item, path.Index(i++), depth + 1);
      if (!v.ok()) return v.status();
      if (v->kind != Value::Kind::kNoValue) out.list.push_back(std::move(*v));
    }
  } else if (node.IsMap()) {
    TW_RETURN_IF_ERROR(Charge(1, 0, path, nullptr));
    out.kind = Value::Kind::kMap;
    // The keys live in the document, which outlives this walk.
    std::set<std::string_view> seen;
    for (const auto& entry : node) {
      const std::string& key = entry.first.Scalar();
      const NodePath child = path.Key(key);
      // yaml-cpp keeps both entries of a duplicated key; CloudFormation rejects them.
      if (!seen.insert(key).second) return Error(child, "duplicate key");
      TW_RETURN_IF_ERROR(Charge(0, key.size(), child, nullptr));
      Result<Value> v = ResolveNode(entry.second, child, depth + 1);
      if (!v.ok()) return v.status();
      if (v->kind != Value::Kind::kNoValue) out.map.push_back({key, std::move(*v)});
    }
  } else {
    TW_RETURN_IF_ERROR(Charge(1, 0, path, nullptr));
  }
  return out;
}

Result<Value> Resolver::LiteralNode(const YAML::Node& node, const NodePath& path, int depth,
                                    const char* function, const NodePath& call) {
  if (depth > kMaxDepth) return TooDeep(path);
  // A limit error names the function's call rather than a place inside what
  // it copies.
  const NodePath& charged = function == nullptr ? path : call;
  Value v;
  if (node.IsScalar()) {
    TW_RETURN_IF_ERROR(Charge(1, node.Scalar().size(), charged, function));
    v = Value::Text(node.Scalar());
    v.plain = node.Tag() == "?";
  } else if (node.IsSequence()) {
    TW_RETURN_IF_ERROR(Charge(1, 0, charged, function));
    v.kind = Value::Kind::kList;
    v.list.reserve(node.size());
    std::size_t i = 0;
    for (const YAML::Node& item : node) {
      Result<Value> child = LiteralNode(item, path.Index(i++), depth + 1, function, call);
      if (!child.ok()) return child.status();
      v.list.push_back(std::move(*child));
    }
  } else if (node.IsMap()) {
    TW_RETURN_IF_ERROR(Charge(1, 0, charged, function));
    v.kind = Value::Kind::kMap;
    for (const auto& entry : node) {
      const std::string& key = entry.first.Scalar();
      const NodePath child_path = path.Key(key);
      TW_RETURN_IF_ERROR(Charge(0, key.size(), function == nullptr ? child_path : call, function));
      Result<Value> child = LiteralNode(entry.second, child_path, depth + 1, function, call);
      if (!child.ok()) return child.status();
      v.map.push_back({key, std::move(*child)});
    }
  } else {
    TW_RETURN_IF_ERROR(Charge(1, 0, charged, function));
  }
  return v;
}

Result<Value> Resolver::Call(const std::string& function, const YAML::Node& argument,
                             const NodePath& path, int depth) {
  Result<Value> arg = ResolveContent(argument, path, depth + 1);
  if (!arg.ok()) return arg.status();
  if (function == "Ref") {
    if (!arg->is_scalar()) return Error(path, "Ref: the argument must be a name");
    Value scratch;
    Result<const Value*> target = RefTarget(arg->scalar, path, &scratch);
    if (!target.ok()) return target.status();
    // A parameter may be long and referred to many times: each copy counts.
    TW_RETURN_IF_ERROR(ChargeValue(**target, path, "Ref"));
    return **target;
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

Result<const Value*> Resolver::RefTarget(const std::string& name, const NodePath& path,
                                         Value* scratch) {
  if (auto it = parameters_.find(name); it != parameters_.end()) return &it->second;
  if (name == "AWS::NoValue") {
    scratch->kind = Value::Kind::kNoValue;
    return scratch;
  }
  if (auto it = pseudo_.find(name); it != pseudo_.end()) return &it->second;
  if (name.rfind("AWS::", 0) == 0) return Error(path, "Ref: unknown pseudo parameter " + name);
  if (resources_->HasResource(name)) {
    Result<Value> v = resources_->ResourceAttribute(name, "", path);
    if (!v.ok()) return v.status();
    *scratch = std::move(*v);
    return scratch;
  }
  return Error(path, "Ref: " + Quote(name) +
                         " is not a parameter, pseudo parameter or resource of the template");
}

Result<Value> Resolver::GetAtt(const Value& argument, const NodePath& path) {
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
  Result<Value> v = resources_->ResourceAttribute(id, attribute, path);
  if (!v.ok()) return v.status();
  TW_RETURN_IF_ERROR(ChargeValue(*v, path, "Fn::GetAtt"));
  return v;
}

Result<Value> Resolver::Sub(const Value& argument, const NodePath& path) {
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
  // Indexed once, so that each ${Name} costs a lookup rather than a scan of
  // every variable. The first of duplicated keys wins, as with Value::Find.
  std::map<std::string_view, const Value*> by_name;
  if (variables != nullptr) {
    for (const Value::Entry& entry : variables->map) by_name.emplace(entry.key, &entry.value);
  }
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
    Value scratch;
    Result<const Value*> v = [&]() -> Result<const Value*> {
      if (auto it = by_name.find(name); it != by_name.end()) return it->second;
      std::size_t dot = name.find('.');
      if (dot != std::string::npos && name.rfind("AWS::", 0) != 0) {
        std::string id = name.substr(0, dot);
        if (!resources_->HasResource(id)) {
          return Error(path, "Fn::Sub: ${" + name + "}: " + Quote(id) +
                                 " is not a resource of the template");
        }
        Result<Value> attribute = resources_->ResourceAttribute(id, name.substr(dot + 1), path);
        if (!attribute.ok()) return attribute.status();
        scratch = std::move(*attribute);
        return &scratch;
      }
      if (name.empty() || (!parameters_.contains(name) && !pseudo_.contains(name) &&
                           !resources_->HasResource(name))) {
        return Error(path, "Fn::Sub: ${" + name +
                               "} is not a variable, parameter, pseudo parameter or resource");
      }
      return RefTarget(name, path, &scratch);
    }();
    if (!v.ok()) return v.status();
    if (!(*v)->is_scalar()) {
      return Error(path, "Fn::Sub: ${" + name + "} is " + (*v)->KindName() + ", not a string");
    }
    out += (*v)->scalar;
    TW_RETURN_IF_ERROR(CheckRoom(out.size(), path, "Fn::Sub"));
    pos = close + 1;
  }
  TW_RETURN_IF_ERROR(Charge(1, out.size(), path, "Fn::Sub"));
  return Value::Text(std::move(out));
}

Result<Value> Resolver::Join(const Value& argument, const NodePath& path) {
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
    // A long delimiter between many values grows the text faster than the
    // values themselves.
    if (i > 0) out += argument.list[0].scalar;
    out += items[i].scalar;
    TW_RETURN_IF_ERROR(CheckRoom(out.size(), path, "Fn::Join"));
  }
  TW_RETURN_IF_ERROR(Charge(1, out.size(), path, "Fn::Join"));
  return Value::Text(std::move(out));
}

Result<Value> Resolver::Select(const Value& argument, const NodePath& path) {
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
  TW_RETURN_IF_ERROR(ChargeValue(argument.list[1].list[index], path, "Fn::Select"));
  return argument.list[1].list[index];
}

Result<Value> Resolver::Split(const Value& argument, const NodePath& path) {
  if (!argument.is_list() || argument.list.size() != 2 || !argument.list[0].is_scalar() ||
      !argument.list[1].is_scalar() || argument.list[0].scalar.empty()) {
    return Error(path, "Fn::Split: expected [delimiter, string] with a non-empty delimiter");
  }
  const std::string& delimiter = argument.list[0].scalar;
  const std::string& text = argument.list[1].scalar;
  // Counted before the parts are made: a short text can split into as many
  // values as it has bytes.
  std::size_t count = 1;
  for (std::size_t at = text.find(delimiter); at != std::string::npos;
       at = text.find(delimiter, at + delimiter.size())) {
    ++count;
  }
  TW_RETURN_IF_ERROR(Charge(count + 1, text.size(), path, "Fn::Split"));
  std::vector<Value> parts;
  parts.reserve(count);
  std::size_t pos = 0;
  while (true) {
    std::size_t next = text.find(delimiter, pos);
    parts.push_back(Value::Text(text.substr(pos, next - pos)));
    if (next == std::string::npos) break;
    pos = next + delimiter.size();
  }
  return Value::List(std::move(parts));
}

Result<Value> Resolver::FindInMap(const Value& argument, const NodePath& path) {
  if (!argument.is_list() || argument.list.size() != 3 || !argument.list[0].is_scalar() ||
      !argument.list[1].is_scalar() || !argument.list[2].is_scalar()) {
    return Error(path, "Fn::FindInMap: expected [MapName, TopLevelKey, SecondLevelKey]");
  }
  const std::string& map = argument.list[0].scalar;
  const std::string& top = argument.list[1].scalar;
  const std::string& second = argument.list[2].scalar;
  // Each lookup scans a map, and one call can be repeated a million times
  // through aliases, so the entries looked at are charged as nodes.
  auto child = [&](const YAML::Node& node,
                   const std::string& key) -> Result<std::optional<YAML::Node>> {
    if (!node.IsMap()) return std::optional<YAML::Node>();
    std::size_t scanned = 0;
    std::optional<YAML::Node> found;
    for (const auto& entry : node) {
      ++scanned;
      if (entry.first.Scalar() == key) {
        found = entry.second;
        break;
      }
    }
    TW_RETURN_IF_ERROR(Charge(scanned, 0, path, "Fn::FindInMap"));
    return found;
  };
  Result<std::optional<YAML::Node>> m = child(mappings_, map);
  if (!m.ok()) return m.status();
  if (!*m) return Error(path, "Fn::FindInMap: no mapping " + Quote(map));
  Result<std::optional<YAML::Node>> t = child(**m, top);
  if (!t.ok()) return t.status();
  if (!*t) {
    return Error(path, "Fn::FindInMap: mapping " + Quote(map) + " has no key " + Quote(top));
  }
  Result<std::optional<YAML::Node>> s = child(**t, second);
  if (!s.ok()) return s.status();
  if (!*s) {
    return Error(
        path, "Fn::FindInMap: mapping " + Quote(map) + "." + top + " has no key " + Quote(second));
  }
  // Nesting errors inside the entry name the entry, in Mappings.
  const std::string entry = "Mappings." + map + "." + top + "." + second;
  return LiteralNode(**s, NodePath(entry), 0, "Fn::FindInMap", path);
}

}  // namespace tw::server::cfn
