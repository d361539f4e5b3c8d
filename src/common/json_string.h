// JSON string literals written by hand, for output paths that do not build a
// JSON document (streamed TestMetricFilter bodies, StateReasonData).

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tw {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if invalid
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t Utf8SequenceLength(std::string_view s);

// Appends `s` as a quoted JSON string literal. Any bytes are accepted:
// invalid UTF-8 becomes U+FFFD so that the output is always valid JSON.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace tw
