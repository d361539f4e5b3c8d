// A JSON-library-free check that text has no whitespace outside its strings:
// how the ingest tests and the reader's fuzz target confirm that CloudTrail
// records come out compacted. Header-only so the fuzz target can use it.

#pragma once

#include <string_view>

namespace tw::testing {

// True if `json` has no whitespace outside its strings and no string is left
// open (tracked by quotes and backslash escapes only).
inline bool IsCompactJson(std::string_view json) {
  bool in_string = false;
  bool escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return false;
    }
  }
  return !in_string;
}

}  // namespace tw::testing
