// EventView: one log event message as the pattern engine sees it, with every
// expensive view of it (JSON document, space-delimited fields, resolved
// field paths) computed at most once, on first use.
//
// An EventView is per-thread scratch space: make one, then Reset() it for
// each event. After the first few events it stops allocating; matching any
// number of patterns against one Reset() parses the JSON at most once.
//
// Lifetime: Reset() borrows `message`; the caller keeps it alive until the
// next Reset(). Every JsonValue, field and string_view handed out is valid
// until then too.
//
// Thread safety: none; use one EventView per thread.

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "event/field_path.h"
#include "event/json_value.h"

namespace tw::event {

// How a message must look to count as JSON (filter-patterns.md §5.5).
enum class JsonMode {
  kStrict,             // the whole message, trimmed, is one JSON value (AWS's documented rule)
  kScanFromFirstBrace  // a text prefix before the first '{' is skipped (Lambda-style lines)
};

// One field of a space-delimited split (filter-patterns.md §6.1).
struct DelimitedField {
  std::string_view text;  // without the grouping quotes or brackets
  std::size_t begin = 0;  // byte offset of the raw field in the message
  std::size_t end = 0;    // one past its last byte (closing quote/bracket included)
};

class EventView {
 public:
  explicit EventView(JsonMode json_mode = JsonMode::kStrict);
  ~EventView();
  EventView(const EventView&) = delete;
  EventView& operator=(const EventView&) = delete;

  // Starts a new event. Invalidates everything handed out for the previous one.
  void Reset(std::string_view message);

  std::string_view message() const { return message_; }

  // The message's JSON root, or an absent value if the message is not JSON.
  JsonValue Json();

  // The value at `path`, or absent. Memoized per event per FieldPath object
  // (see InternFieldPath); `path` must outlive this event.
  JsonValue Resolve(const FieldPath& path);

  // The message split into space-delimited fields.
  std::span<const DelimitedField> Fields();

  // Whether Json() has run for this event: evaluating more patterns is then
  // cheaper than any scan of the raw text.
  bool json_parsed() const { return json_done_; }

  // Whether the message contains the bytes `\u` anywhere (a JSON \uXXXX
  // escape, or conservatively an escaped backslash before a 'u'): the one
  // escape that can spell any character, so the one that can hide a literal
  // from a scan of the raw bytes. Memoized per event.
  bool HasUnicodeEscape();

 private:
  struct MemoEntry {
    std::uint64_t generation = 0;
    const FieldPath* path = nullptr;
    JsonValue value;
  };
  static constexpr std::size_t kMemoSlots = 64;  // power of two

  std::string_view message_;
  JsonMode json_mode_;
  std::uint64_t generation_ = 1;

  bool json_done_ = false;
  JsonValue json_root_;
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::vector<char> padded_;     // the message copied with simdjson's padding
  std::vector<char> rewritten_;  // the rare message with out-of-range numbers, rewritten

  bool fields_done_ = false;
  std::vector<DelimitedField> fields_;

  bool escape_scan_done_ = false;
  bool has_unicode_escape_ = false;

  std::array<MemoEntry, kMemoSlots> memo_{};
};

// Splits `message` into fields: runs of non-whitespace, except that a field
// starting with '"' runs to the next '"' and one starting with '[' to the next
// ']' (delimiters dropped); an unterminated group runs to the end. Appends to
// `out` (cleared first).
void SplitDelimited(std::string_view message, std::vector<DelimitedField>* out);

}  // namespace tw::event
