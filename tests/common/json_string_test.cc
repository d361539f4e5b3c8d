#include "common/json_string.h"

#include <gtest/gtest.h>

#include <string>

namespace tw {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonStringTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Quote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(Quote(""), "\"\"");
}

TEST(JsonStringTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Quote("caf\xC3\xA9 \xF0\x9F\x94\x91"), "\"caf\xC3\xA9 \xF0\x9F\x94\x91\"");
  EXPECT_EQ(Quote("\xFF"), "\"\\ufffd\"");
  EXPECT_EQ(Quote("\xC3"), "\"\\ufffd\"");                        // truncated sequence
  EXPECT_EQ(Quote("\xC0\xAF"), "\"\\ufffd\\ufffd\"");             // overlong
  EXPECT_EQ(Quote("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80"), 0u);          // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC"), 3u);
}

}  // namespace
}  // namespace tw
