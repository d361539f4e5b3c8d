#include "event/json_value.h"

#include <charconv>
#include <string>

namespace tw::event {

JsonType JsonValue::type() const {
  switch (element_.type()) {
    case simdjson::dom::element_type::ARRAY:
      return JsonType::kArray;
    case simdjson::dom::element_type::OBJECT:
      return JsonType::kObject;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return JsonType::kNumber;
    case simdjson::dom::element_type::STRING:
      return JsonType::kString;
    case simdjson::dom::element_type::BOOL:
      return JsonType::kBool;
    case simdjson::dom::element_type::NULL_VALUE:
      return JsonType::kNull;
  }
  return JsonType::kNull;
}

JsonValue JsonValue::Member(std::string_view key) const {
  JsonValue found;
  ForEachMember([&](std::string_view name, JsonValue value) {
    if (name == key) found = value;
    return true;  // keep going: the last duplicate wins
  });
  return found;
}

JsonValue JsonValue::Element(std::size_t index) const {
  simdjson::dom::array array;
  if (!valid_ || element_.get(array) != simdjson::SUCCESS) return {};
  simdjson::dom::element value;
  if (array.at(index).get(value) != simdjson::SUCCESS) return {};
  return JsonValue(value);
}

std::string_view JsonValue::AsString() const {
  std::string_view text;
  if (element_.get(text) != simdjson::SUCCESS) return {};
  return text;
}

bool JsonValue::AsBool() const {
  bool value = false;
  if (element_.get(value) != simdjson::SUCCESS) return false;
  return value;
}

double JsonValue::AsDouble() const {
  switch (element_.type()) {
    case simdjson::dom::element_type::INT64:
      return static_cast<double>(int64_t(element_));
    case simdjson::dom::element_type::UINT64:
      return static_cast<double>(uint64_t(element_));
    case simdjson::dom::element_type::DOUBLE:
      return double(element_);
    default:
      return 0;
  }
}

std::string_view JsonValue::ScalarText(std::span<char, kScalarTextCapacity> buffer,
                                       bool* has_text) const {
  *has_text = false;
  if (!valid_) return {};
  char* begin = buffer.data();
  char* end = begin + buffer.size();
  std::to_chars_result written{};
  switch (element_.type()) {
    case simdjson::dom::element_type::STRING:
      *has_text = true;
      return AsString();
    case simdjson::dom::element_type::BOOL:
      *has_text = true;
      return AsBool() ? "true" : "false";
    case simdjson::dom::element_type::INT64:
      written = std::to_chars(begin, end, int64_t(element_));
      break;
    case simdjson::dom::element_type::UINT64:
      written = std::to_chars(begin, end, uint64_t(element_));
      break;
    case simdjson::dom::element_type::DOUBLE:
      written = std::to_chars(begin, end, double(element_));
      break;
    default:
      return {};
  }
  if (written.ec != std::errc()) return {};
  *has_text = true;
  return std::string_view(begin, static_cast<std::size_t>(written.ptr - begin));
}

std::string JsonValue::ToJson() const {
  if (!valid_) return {};
  return simdjson::minify(element_);
}

}  // namespace tw::event
