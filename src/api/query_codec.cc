// awsQuery requests: form parameters with dotted names, folded into a tree.
//
// The tree is built first (nodes in one vector, found again through a hash
// of (parent, segment)), because the Value kinds are known only once every
// parameter has been seen: "L=" may be followed by "L.member.1=x", list
// items arrive in any order, and a map entry's key may come after its value.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/codec.h"
#include "common/url.h"

namespace tw::api {
namespace {

constexpr std::size_t kShownNameLimit = 128;

std::string Shown(std::string_view text) {
  if (text.size() <= kShownNameLimit) return std::string(text);
  return std::string(text.substr(0, kShownNameLimit)) + "...";
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class QueryTree {
 public:
  QueryTree() { nodes_.push_back(Node{.kind = Kind::kStructure}); }

  Status Add(std::string_view name, std::string value) {
    if (name.empty()) return InvalidArgument("malformed query string: a parameter has no name");
    std::vector<std::string_view> segments;
    for (std::size_t start = 0;;) {
      std::size_t dot = name.find('.', start);
      std::string_view segment = name.substr(start, dot == name.npos ? name.npos : dot - start);
      if (segment.empty()) {
        return InvalidArgument("malformed query string: parameter name '" + Shown(name) +
                               "' has an empty part");
      }
      segments.push_back(segment);
      if (dot == name.npos) break;
      start = dot + 1;
    }
    std::size_t node = 0;
    int depth = 0;
    for (std::size_t i = 0; i < segments.size();) {
      if (++depth > kMaxNestingDepth) {
        return InvalidArgument("query parameter name '" + Shown(name) + "' is nested deeper than " +
                               std::to_string(kMaxNestingDepth) + " levels");
      }
      std::string_view segment = segments[i];
      bool indexed = node != 0 && (segment == "member" || segment == "entry") &&
                     i + 1 < segments.size() && IsDigits(segments[i + 1]);
      if (indexed) {
        std::string_view digits = segments[i + 1];
        if (digits.size() > 18) {
          return InvalidArgument("query parameter name '" + Shown(name) + "' has an index (" +
                                 Shown(digits) + ") that is too large");
        }
        TW_RETURN_IF_ERROR(BecomeContainer(node, segment == "member" ? Kind::kList : Kind::kMap));
        std::uint64_t index = 0;
        std::from_chars(digits.data(), digits.data() + digits.size(), index);
        node = Child(node, index, segment);
        i += 2;
      } else {
        TW_RETURN_IF_ERROR(BecomeContainer(node, Kind::kStructure));
        node = Child(node, segment);
        i += 1;
      }
    }
    return SetText(node, std::move(value));
  }

  Result<Value> ToValue() { return Convert(0); }

 private:
  enum class Kind { kUnset, kText, kStructure, kList, kMap };

  struct Node {
    Kind kind = Kind::kUnset;
    std::string text;
    std::size_t parent = 0;
    std::string label;  // "Name", or "member.3" / "entry.3"
    std::uint64_t index = 0;
    std::vector<std::size_t> children;  // in order of first appearance
  };

  static const char* KindName(Kind kind) {
    switch (kind) {
      case Kind::kText:
        return "a value";
      case Kind::kStructure:
        return "a structure";
      case Kind::kList:
        return "a list";
      case Kind::kMap:
        return "a map";
      case Kind::kUnset:
        break;
    }
    return "nothing";
  }

  std::string PathOf(std::size_t node) const {
    std::vector<const std::string*> labels;
    for (; node != 0; node = nodes_[node].parent) labels.push_back(&nodes_[node].label);
    std::string path;
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
      if (!path.empty()) path.push_back('.');
      path += **it;
    }
    return path;
  }

  Status Conflict(std::size_t node, Kind other) const {
    return InvalidArgument("conflicting query parameters: '" + Shown(PathOf(node)) + "' is both " +
                           KindName(nodes_[node].kind) + " and " + KindName(other));
  }

  // An empty value is the marker botocore sends for an empty list, so it
  // gives way to members of the same path.
  Status BecomeContainer(std::size_t node, Kind kind) {
    Node& n = nodes_[node];
    if (n.kind == kind) return Status::Ok();
    if (n.kind == Kind::kUnset || (n.kind == Kind::kText && n.text.empty())) {
      n.kind = kind;
      n.text.clear();
      return Status::Ok();
    }
    return Conflict(node, kind);
  }

  Status SetText(std::size_t node, std::string value) {
    Node& n = nodes_[node];
    if (n.kind == Kind::kUnset || n.kind == Kind::kText) {
      n.kind = Kind::kText;
      n.text = std::move(value);  // a repeated parameter: the last one wins
      return Status::Ok();
    }
    if (value.empty()) return Status::Ok();
    return Conflict(node, Kind::kText);
  }

  std::size_t Child(std::size_t parent, std::string_view name) {
    std::string key = std::to_string(parent);
    key.push_back('.');
    key.append(name);
    return FindOrAdd(parent, std::move(key), std::string(name), 0);
  }

  std::size_t Child(std::size_t parent, std::uint64_t index, std::string_view word) {
    std::string key = std::to_string(parent);
    key.push_back('#');
    key += std::to_string(index);
    return FindOrAdd(parent, std::move(key), std::string(word) + "." + std::to_string(index),
                     index);
  }

  std::size_t FindOrAdd(std::size_t parent, std::string key, std::string label,
                        std::uint64_t index) {
    auto [it, inserted] = by_key_.emplace(std::move(key), nodes_.size());
    if (inserted) {
      nodes_.push_back(Node{.parent = parent, .label = std::move(label), .index = index});
      nodes_[parent].children.push_back(it->second);
    }
    return it->second;
  }

  static constexpr std::size_t kNone = 0;  // the root is nobody's child

  std::size_t Member(const Node& entry, std::string_view name) const {
    for (std::size_t child : entry.children) {
      if (nodes_[child].label == name) return child;
    }
    return kNone;
  }

  // Depth is bounded by Add(), so the recursion is too.
  Result<Value> Convert(std::size_t id) {
    const Node& node = nodes_[id];
    switch (node.kind) {
      case Kind::kUnset:
      case Kind::kText:
        return Value::String(node.text);
      case Kind::kStructure: {
        Value::Members members;
        members.reserve(node.children.size());
        for (std::size_t child : node.children) {
          Result<Value> value = Convert(child);
          if (!value.ok()) return value.status();
          members.emplace_back(nodes_[child].label, std::move(*value));
        }
        return Value::Structure(std::move(members));
      }
      case Kind::kList:
      case Kind::kMap:
        break;
    }
    std::vector<std::size_t> ordered = node.children;
    std::sort(ordered.begin(), ordered.end(),
              [&](std::size_t a, std::size_t b) { return nodes_[a].index < nodes_[b].index; });
    if (node.kind == Kind::kList) {
      std::vector<Value> items;
      items.reserve(ordered.size());
      for (std::size_t child : ordered) {
        Result<Value> item = Convert(child);
        if (!item.ok()) return item.status();
        items.push_back(std::move(*item));
      }
      return Value::List(std::move(items));
    }
    Value::Members entries;
    entries.reserve(ordered.size());
    for (std::size_t child : ordered) {
      const Node& entry = nodes_[child];
      std::size_t key = kNone;
      std::size_t value = kNone;
      if (entry.kind == Kind::kStructure) {
        key = Member(entry, "key");
        if (key == kNone) key = Member(entry, "Name");
        value = Member(entry, "value");
        if (value == kNone) value = Member(entry, "Value");
      }
      if (key == kNone || nodes_[key].kind != Kind::kText) {
        return InvalidArgument("query map entry '" + Shown(PathOf(child)) +
                               "' has no key (.key or .Name)");
      }
      if (value == kNone) {
        return InvalidArgument("query map entry '" + Shown(PathOf(child)) +
                               "' has no value (.value or .Value)");
      }
      Result<Value> converted = Convert(value);
      if (!converted.ok()) return converted.status();
      entries.emplace_back(nodes_[key].text, std::move(*converted));
    }
    return Value::MergedStructure(std::move(entries), /*map=*/true);
  }

  std::vector<Node> nodes_;  // nodes_[0] is the root
  std::unordered_map<std::string, std::size_t> by_key_;
};

}  // namespace

Result<Value> DecodeQuery(std::string_view form) {
  QueryTree tree;
  for (std::size_t start = 0; start <= form.size();) {
    std::size_t end = form.find('&', start);
    if (end == form.npos) end = form.size();
    std::string_view pair = form.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value = eq == pair.npos ? std::string_view() : pair.substr(eq + 1);
    std::optional<std::string> name = PercentDecode(raw_name, /*plus_is_space=*/true);
    std::optional<std::string> value = PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!name || !value) {
      return InvalidArgument("malformed query string: invalid %-escape in '" + Shown(pair) + "'");
    }
    TW_RETURN_IF_ERROR(tree.Add(*name, std::move(*value)));
  }
  return tree.ToValue();
}

}  // namespace tw::api
