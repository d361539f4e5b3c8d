#include "event/event_view.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tw::event {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// simdjson rejects a whole document over one number it cannot hold in 64
// bits (-9223372036854775809, 1e400). Such a document is still JSON, and
// AWS reads those numbers as doubles, so rewrite them into doubles simdjson
// accepts: an integer gets ".0"; a number beyond the double range becomes
// the largest finite double of its sign. Writes the result, padded, to *out.
void RewriteOutOfRangeNumbers(std::string_view text, std::vector<char>* out) {
  out->clear();
  out->reserve(text.size() + 64 + simdjson::SIMDJSON_PADDING);
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (in_string) {
      out->push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out->push_back(text[i + 1]);
        i += 2;
        continue;
      }
      in_string = c != '"';
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out->push_back(c);
      ++i;
      continue;
    }
    if (c != '-' && !(c >= '0' && c <= '9')) {
      out->push_back(c);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && IsNumberChar(text[end])) ++end;
    std::string token(text.substr(i, end - i));
    bool integer = token.find_first_of(".eE") == std::string::npos;
    double value = std::strtod(token.c_str(), nullptr);
    if (std::isinf(value)) {
      token = value < 0 ? "-1.7976931348623157e308" : "1.7976931348623157e308";
    } else if (integer) {
      std::int64_t as_signed = 0;
      std::uint64_t as_unsigned = 0;
      const char* first = token.data();
      const char* last = token.data() + token.size();
      bool fits = std::from_chars(first, last, as_signed).ec == std::errc() ||
                  std::from_chars(first, last, as_unsigned).ec == std::errc();
      if (!fits) token += ".0";
    }
    out->insert(out->end(), token.begin(), token.end());
    i = end;
  }
  out->insert(out->end(), simdjson::SIMDJSON_PADDING, '\0');
}

}  // namespace

EventView::EventView(JsonMode json_mode)
    : json_mode_(json_mode), parser_(std::make_unique<simdjson::dom::parser>()) {}

EventView::~EventView() = default;

void EventView::Reset(std::string_view message) {
  message_ = message;
  json_done_ = false;
  json_root_ = JsonValue();
  fields_done_ = false;
  escape_scan_done_ = false;
  ++generation_;
}

JsonValue EventView::Json() {
  if (json_done_) return json_root_;
  json_done_ = true;
  std::string_view text = message_;
  if (json_mode_ == JsonMode::kScanFromFirstBrace) {
    std::size_t brace = text.find('{');
    if (brace == std::string_view::npos) return json_root_;
    text.remove_prefix(brace);
  }
  // Cheap rejection before copying: JSON text starts with one of these.
  std::size_t first = 0;
  while (first < text.size() && IsSpace(text[first])) ++first;
  if (first == text.size()) return json_root_;
  char c = text[first];
  if (c != '{' && c != '[' && c != '"' && c != '-' && c != 't' && c != 'f' && c != 'n' &&
      !(c >= '0' && c <= '9')) {
    return json_root_;
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; copying into our
  // own reused buffer avoids the allocation parse() would otherwise make.
  std::size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (padded_.size() < needed) padded_.resize(needed);
  std::memcpy(padded_.data(), text.data(), text.size());
  std::memset(padded_.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  simdjson::error_code error = parser_->parse(padded_.data(), text.size(), false).get(root);
  if (error == simdjson::NUMBER_ERROR) {
    RewriteOutOfRangeNumbers(text, &rewritten_);
    std::size_t size = rewritten_.size() - simdjson::SIMDJSON_PADDING;
    error = parser_->parse(rewritten_.data(), size, false).get(root);
  }
  if (error == simdjson::SUCCESS) json_root_ = JsonValue(root);
  return json_root_;
}

JsonValue EventView::Resolve(const FieldPath& path) {
  std::size_t slot = path.key() & (kMemoSlots - 1);
  for (std::size_t probe = 0; probe < kMemoSlots; ++probe) {
    MemoEntry& entry = memo_[(slot + probe) & (kMemoSlots - 1)];
    if (entry.generation == generation_) {
      if (entry.path == &path) return entry.value;
      continue;
    }
    JsonValue value = Json();
    for (const FieldPath::Step& step : path.steps()) {
      if (!value.valid()) break;
      value = step.is_index ? value.Element(step.index) : value.Member(step.member);
    }
    entry.generation = generation_;
    entry.path = &path;
    entry.value = value;
    return value;
  }
  // Memo full (more than 64 distinct paths in one event's patterns): resolve
  // without remembering.
  JsonValue value = Json();
  for (const FieldPath::Step& step : path.steps()) {
    if (!value.valid()) break;
    value = step.is_index ? value.Element(step.index) : value.Member(step.member);
  }
  return value;
}

std::span<const DelimitedField> EventView::Fields() {
  if (!fields_done_) {
    SplitDelimited(message_, &fields_);
    fields_done_ = true;
  }
  return fields_;
}

bool EventView::HasUnicodeEscape() {
  if (escape_scan_done_) return has_unicode_escape_;
  escape_scan_done_ = true;
  has_unicode_escape_ = false;
  const char* end = message_.data() + message_.size();
  for (const char* from = message_.data(); from < end;) {
    const void* found = std::memchr(from, '\\', static_cast<std::size_t>(end - from));
    if (found == nullptr) break;
    const char* backslash = static_cast<const char*>(found);
    if (backslash + 1 < end && backslash[1] == 'u') {
      has_unicode_escape_ = true;
      break;
    }
    from = backslash + 1;
  }
  return has_unicode_escape_;
}

void SplitDelimited(std::string_view message, std::vector<DelimitedField>* out) {
  out->clear();
  std::size_t i = 0;
  const std::size_t n = message.size();
  while (i < n) {
    while (i < n && IsSpace(message[i])) ++i;
    if (i == n) break;
    DelimitedField field;
    field.begin = i;
    char open = message[i];
    if (open == '"' || open == '[') {
      char close = open == '"' ? '"' : ']';
      std::size_t content = i + 1;
      std::size_t stop = message.find(close, content);
      if (stop == std::string_view::npos) {
        field.text = message.substr(content);
        field.end = n;
        i = n;
      } else {
        field.text = message.substr(content, stop - content);
        field.end = stop + 1;
        i = stop + 1;
      }
    } else {
      std::size_t start = i;
      while (i < n && !IsSpace(message[i])) ++i;
      field.text = message.substr(start, i - start);
      field.end = i;
    }
    out->push_back(field);
  }
}

}  // namespace tw::event
