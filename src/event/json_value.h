// A read-only view of one value in a parsed JSON document.
//
// JsonValue wraps simdjson's DOM element so that the pattern engine never
// names simdjson. It is a cheap handle (two words) into a document owned by
// an EventView.
//
// Lifetime: a JsonValue, and every string_view it returns, is valid until the
// owning EventView is Reset() or destroyed.
//
// Duplicate object keys: Member() returns the *last* occurrence, the
// behaviour the spec recommends (filter-patterns.md §5.6).

#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tw::event {

enum class JsonType { kNull, kBool, kNumber, kString, kArray, kObject };

// Big enough for any number ScalarText() renders.
inline constexpr std::size_t kScalarTextCapacity = 40;

class JsonValue {
 public:
  JsonValue() = default;  // An absent value: valid() is false.
  explicit JsonValue(simdjson::dom::element element) : element_(element), valid_(true) {}

  bool valid() const { return valid_; }
  JsonType type() const;
  bool is_scalar() const {
    return valid_ && type() != JsonType::kArray && type() != JsonType::kObject;
  }

  // The member named `key` (last one wins), or an absent value when this is
  // not an object or has no such member.
  JsonValue Member(std::string_view key) const;
  // Element `index` (0-based), or absent when this is not an array or too short.
  JsonValue Element(std::size_t index) const;

  // Calls f(key, value) for every member of an object, in document order;
  // does nothing for other types. f returns false to stop early.
  template <typename F>
  void ForEachMember(F&& f) const {
    simdjson::dom::object object;
    if (!valid_ || element_.get(object) != simdjson::SUCCESS) return;
    for (auto field : object) {
      if (!f(field.key, JsonValue(field.value))) return;
    }
  }
  // Like ForEachMember, but a key that occurs more than once is visited only
  // at its last occurrence, so wildcards agree with Member()'s "last wins".
  template <typename F>
  void ForEachDistinctMember(F&& f) const {
    simdjson::dom::object object;
    if (!valid_ || element_.get(object) != simdjson::SUCCESS) return;
    for (auto it = object.begin(); it != object.end(); ++it) {
      bool shadowed = false;
      auto later = it;
      for (++later; later != object.end() && !shadowed; ++later) shadowed = later.key() == it.key();
      if (!shadowed && !f(it.key(), JsonValue(it.value()))) return;
    }
  }
  // Calls f(value) for every element of an array; f returns false to stop.
  template <typename F>
  void ForEachElement(F&& f) const {
    simdjson::dom::array array;
    if (!valid_ || element_.get(array) != simdjson::SUCCESS) return;
    for (auto value : array) {
      if (!f(JsonValue(value))) return;
    }
  }

  // Typed reads; each is only meaningful for the matching type().
  std::string_view AsString() const;
  bool AsBool() const;
  double AsDouble() const;

  // The text a filter pattern compares a scalar against: a string's
  // unescaped contents, a number in shortest round-trip form ("401", "1.5",
  // "1e+21"), "true"/"false". Null, arrays and objects have no text: the
  // result is empty and `has_text` is false. Numbers are rendered into
  // `buffer`; nothing is allocated.
  std::string_view ScalarText(std::span<char, kScalarTextCapacity> buffer, bool* has_text) const;

  // Compact JSON text of this value (strings quoted), for display only. Allocates.
  std::string ToJson() const;

 private:
  simdjson::dom::element element_;
  bool valid_ = false;
};

}  // namespace tw::event
