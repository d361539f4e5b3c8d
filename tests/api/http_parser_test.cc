#include "api/http_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace tw::api {
namespace {

using State = HttpRequestParser::State;
using namespace std::string_literals;

// Feeds `text` in pieces of `step` bytes (1 = byte by byte); returns the
// bytes consumed in all.
std::size_t FeedAll(HttpRequestParser* parser, std::string_view text, std::size_t step) {
  std::size_t used = 0;
  while (used < text.size() && (parser->state() == State::kHead || parser->state() == State::kBody)) {
    std::size_t n = std::min(step, text.size() - used);
    std::size_t took = parser->Feed(text.substr(used, n));
    used += took;
    if (took < n) break;
  }
  return used;
}

HttpParseError ErrorOf(std::string_view text, HttpLimits limits = {}) {
  HttpRequestParser parser(limits);
  FeedAll(&parser, text, text.size());
  EXPECT_EQ(parser.state(), State::kFailed) << text;
  return parser.error();
}

TEST(HttpParserTest, ParsesARequestInAnySplit) {
  const std::string text =
      "POST /a/b?x=1&y=%2B HTTP/1.1\r\nHost: 127.0.0.1:4566\r\nX-Amz-Target: "
      "Logs_20140328.PutLogEvents\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, text.size()}) {
    HttpRequestParser parser;
    EXPECT_EQ(FeedAll(&parser, text, step), text.size());
    ASSERT_EQ(parser.state(), State::kDone) << step;
    EXPECT_TRUE(parser.keep_alive());
    HttpRequest r = parser.TakeRequest();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/a/b");
    EXPECT_EQ(r.query, "x=1&y=%2B");
    EXPECT_EQ(r.Header("x-amz-target"), "Logs_20140328.PutLogEvents");
    EXPECT_EQ(r.Header("host"), "127.0.0.1:4566");
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(parser.state(), State::kHead);  // ready for the next request
  }
}

TEST(HttpParserTest, StopsAtTheEndOfARequest) {
  const std::string first = "GET /health HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  HttpRequestParser parser;
  EXPECT_EQ(parser.Feed(first + second), first.size());
  ASSERT_EQ(parser.state(), State::kDone);
  EXPECT_EQ(parser.Feed(second), 0u);  // done: nothing more until taken
  EXPECT_EQ(parser.TakeRequest().path, "/health");
  EXPECT_EQ(parser.Feed(second), second.size());
  EXPECT_EQ(parser.TakeRequest().path, "/x");
}

TEST(HttpParserTest, DechunksAndDropsTrailers) {
  const std::string text =
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t step : {std::size_t{1}, std::size_t{4}, text.size()}) {
    HttpRequestParser parser;
    EXPECT_EQ(FeedAll(&parser, text, step), text.size());
    ASSERT_EQ(parser.state(), State::kDone);
    EXPECT_TRUE(parser.chunked());
    HttpRequest r = parser.TakeRequest();
    EXPECT_EQ(r.body, "hello world");
    EXPECT_EQ(r.Header("x-trailer"), "");
  }
}

TEST(HttpParserTest, BareLineFeedsEndLines) {
  HttpRequestParser parser;
  std::string text = "\r\nGET / HTTP/1.1\nHost: h\n\n";
  EXPECT_EQ(parser.Feed(text), text.size());
  EXPECT_EQ(parser.state(), State::kDone);
}

TEST(HttpParserTest, AbsoluteFormTarget) {
  HttpRequestParser parser;
  parser.Feed("GET http://example.com:80/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_EQ(parser.state(), State::kDone);
  EXPECT_EQ(parser.request().path, "/p");
  EXPECT_EQ(parser.request().query, "q=1");
}

TEST(HttpParserTest, ConnectionAndExpect) {
  HttpRequestParser parser;
  parser.Feed(
      "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nExpect: 100-continue\r\n"
      "Content-Length: 3\r\n\r\n");
  EXPECT_EQ(parser.state(), State::kBody);
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_TRUE(parser.expects_continue());
  ASSERT_TRUE(parser.content_length());
  EXPECT_EQ(*parser.content_length(), 3u);

  HttpRequestParser http10;
  http10.Feed("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(http10.state(), State::kDone);
  EXPECT_FALSE(http10.keep_alive());
  HttpRequestParser http10_keep;
  http10_keep.Feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(http10_keep.keep_alive());
}

// --- Limits: checked before the bytes are kept ---

TEST(HttpParserTest, HeaderCountLimit) {
  std::string text = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 100; ++i) text += "X-" + std::to_string(i) + ": v\r\n";
  HttpParseError e = ErrorOf(text);
  EXPECT_EQ(e.status, 431);
  EXPECT_EQ(e.message, "more than 100 header fields");
}

TEST(HttpParserTest, HeadSizeLimitHoldsForAnEndlessHeader) {
  HttpRequestParser parser;
  parser.Feed("GET / HTTP/1.1\r\nX: ");
  std::string chunk(4096, 'a');
  int fed = 0;
  while (parser.state() == State::kHead && fed < 1000) {
    parser.Feed(chunk);
    ++fed;
  }
  ASSERT_EQ(parser.state(), State::kFailed);
  EXPECT_EQ(parser.error().status, 431);
  EXPECT_EQ(parser.error().message, "the request head is larger than 65536 bytes");
  EXPECT_LE(fed, 17);  // stopped at 64 KiB, not after the 4 MB sent
}

TEST(HttpParserTest, EndlessEmptyLinesHitTheHeadLimit) {
  HttpRequestParser parser;
  std::string crlfs(70 * 1024, '\n');
  parser.Feed(crlfs);
  EXPECT_EQ(parser.state(), State::kFailed);
  EXPECT_EQ(parser.error().status, 431);
}

TEST(HttpParserTest, RequestLineLimit) {
  HttpParseError e = ErrorOf("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n");
  EXPECT_EQ(e.status, 414);
  EXPECT_EQ(e.message, "the request line is longer than 16384 bytes");
}

TEST(HttpParserTest, ContentLengthOverTheLimitFailsAtTheHead) {
  HttpRequestParser parser;
  parser.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 500000000\r\n\r\n");
  ASSERT_EQ(parser.state(), State::kFailed);
  EXPECT_EQ(parser.error().status, 413);
  EXPECT_EQ(parser.error().message,
            "the body is 500000000 bytes; at most 4194304 bytes are accepted");
  EXPECT_EQ(parser.request().method, "POST");  // kept for shaping the refusal
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n")
                .status,
            413);
}

TEST(HttpParserTest, ChunkedBodyOverTheLimitFailsBeforeTheChunkIsRead) {
  HttpLimits limits;
  limits.max_body_bytes = 1000;
  HttpRequestParser parser(limits);
  parser.Feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  parser.Feed("200\r\n" + std::string(0x200, 'x') + "\r\n");
  EXPECT_EQ(parser.state(), State::kBody);
  parser.Feed("200\r\n");  // 512 + 512 > 1000
  ASSERT_EQ(parser.state(), State::kFailed);
  EXPECT_EQ(parser.error().status, 413);
  EXPECT_EQ(parser.request().body.size(), 0x200u);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "fffffffffffffffffffffff\r\n")
                .status,
            413);
}

// --- Framing that two parsers could read differently is refused ---

TEST(HttpParserTest, SmugglingShapesAreRefused) {
  struct Case {
    std::string text;
    int status;
    std::string message;
  };
  const Case cases[] = {
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "both Content-Length and Transfer-Encoding"},
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
       "conflicting Content-Length values"},
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", 400,
       "conflicting Content-Length values"},
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400,
       "Content-Length is not a number"},
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400,
       "Content-Length is not a number"},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
       "only Transfer-Encoding: chunked is supported"},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "identity\r\n\r\n",
       501, "only Transfer-Encoding: chunked is supported"},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "Transfer-Encoding in an HTTP/1.0 request"},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400,
       "obsolete line folding in the request head"},
      {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "malformed header name"},
      {"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "a control character in the value of header Host"},
      {"GET / HTTP/1.1\r\nHost: h\0\r\n\r\n"s, 400,
       "a control character in the value of header Host"},
      {"GET / HTTP/1.1\r\n\r\n", 400, "an HTTP/1.1 request without a Host header"},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host header"},
      {"GET  / HTTP/1.1\r\n", 400, "malformed request line (expected METHOD TARGET HTTP/1.1)"},
      {"GET / HTTP/2.0\r\n", 505, "only HTTP/1.1 and HTTP/1.0 are served, not HTTP/2.0"},
      {"GET / FOO\r\n", 400, "malformed HTTP version"},
      {"G(T / HTTP/1.1\r\n", 400, "malformed request method"},
      {"GET foo HTTP/1.1\r\n", 400, "malformed request target"},
      {"POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n", 417,
       "Expect: something is not supported (only 100-continue)"},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
       "malformed chunk-size line"},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400,
       "a chunk is longer than its chunk-size"},
  };
  for (const Case& c : cases) {
    HttpParseError e = ErrorOf(c.text);
    EXPECT_EQ(e.status, c.status) << c.text;
    EXPECT_EQ(e.message, c.message) << c.text;
  }
}

TEST(HttpParserTest, NoBodyWithoutFraming) {
  // RFC 9112 §6.3: no Content-Length and no Transfer-Encoding means no
  // body, whatever follows; the bytes after are the next request.
  HttpRequestParser parser;
  std::string text = "POST / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(parser.Feed(text + "garbage"), text.size());
  EXPECT_EQ(parser.state(), State::kDone);
  EXPECT_EQ(parser.request().body, "");
}

}  // namespace
}  // namespace tw::api
