// HTTP/1.1 requests (RFC 9112) read incrementally off a connection, with
// every limit checked before the bytes that would exceed it are kept: a
// hostile peer costs at most max_head_bytes + max_body_bytes of memory per
// request, whatever it sends (millions of headers, an endless chunked body,
// a Content-Length of 2^64).
//
// The parser is strict where leniency lets two parsers disagree about where
// a request ends (request smuggling): Content-Length together with
// Transfer-Encoding, conflicting Content-Lengths, a Transfer-Encoding other
// than "chunked", obs-fold lines, whitespace before a header's colon, bare
// CRs and NULs are all refused. A bare LF ends a head line (RFC 9112 §2.2
// allows it); empty lines before a request line are skipped.
//
// Bodies are kept as received (de-chunked, not decoded): Content-Encoding is
// the Router's business, after the signature over these bytes was checked.
//
//   HttpRequestParser parser(limits);
//   size_t used = parser.Feed(bytes);        // may stop early: the rest is the next request
//   if (parser.state() == HttpRequestParser::State::kFailed) respond(parser.error().status);
//   if (parser.state() == HttpRequestParser::State::kDone) handle(parser.TakeRequest());
//
// Not thread-safe; one parser per connection, reused across its requests.

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/http.h"

namespace tw::api {

struct HttpLimits {
  // The request line alone (method, target, version); longer gets 414.
  std::size_t max_request_line_bytes = 16 * 1024;
  // Request line, header lines and their line ends (and a chunked body's
  // trailer lines); more gets 431.
  std::size_t max_head_bytes = 64 * 1024;
  // Header fields (trailers included); more gets 431.
  std::size_t max_header_count = 100;
  // The body as received (Content-Length, or the sum of the chunks); more
  // gets 413 before any of it is kept.
  std::size_t max_body_bytes = 4 * 1024 * 1024;
};

struct HttpParseError {
  int status = 400;  // 400, 413, 414, 417, 431, 501 or 505
  std::string message;
};

class HttpRequestParser {
 public:
  enum class State {
    kHead,    // reading the request line and headers
    kBody,    // the head is complete and checked; reading the body
    kDone,    // a whole request: TakeRequest()
    kFailed,  // error(); the connection cannot be reused
  };

  explicit HttpRequestParser(HttpLimits limits = {});

  // Consumes a prefix of `data` and returns its length: everything, unless
  // the request ends (kDone) or fails (kFailed) inside `data`. Feeding a
  // parser that is kDone or kFailed consumes nothing.
  std::size_t Feed(std::string_view data);

  State state() const { return state_; }
  // The head is complete and passed its checks (state kBody or kDone);
  // request() then has the method, path, query and headers.
  bool head_complete() const { return state_ == State::kBody || state_ == State::kDone; }
  // The request so far. After a failure: whatever was parsed (the method and
  // path may be empty), so that a refusal can still be shaped for its protocol.
  const HttpRequest& request() const { return request_; }
  const HttpParseError& error() const { return error_; }

  // After the head: the declared Content-Length (nullopt for chunked or no body).
  std::optional<std::uint64_t> content_length() const { return content_length_; }
  bool chunked() const { return chunked_; }
  // After the head: the connection may carry another request after this one.
  bool keep_alive() const { return keep_alive_; }
  // After the head: "Expect: 100-continue" was sent.
  bool expects_continue() const { return expects_continue_; }

  // The request of state kDone; the parser is then ready for the next one.
  HttpRequest TakeRequest();
  // Back to an empty kHead (a new connection).
  void Reset();

 private:
  enum class BodyStep { kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kFixed };

  std::size_t FeedHead(std::string_view data);
  std::size_t FeedBody(std::string_view data);
  // Handles one complete line of the head (without its line end).
  void HeadLine(std::string_view line);
  void RequestLine(std::string_view line);
  void HeaderLine(std::string_view line);
  void FinishHead();
  void ChunkSizeLine(std::string_view line);
  void TrailerLine(std::string_view line);
  // Appends to line_ until a line end; returns bytes used and sets *complete.
  std::size_t TakeLine(std::string_view data, std::size_t limit, int status_over_limit,
                       const char* what, bool* complete);
  void Fail(int status, std::string message);

  HttpLimits limits_;
  State state_ = State::kHead;
  HttpRequest request_;
  HttpParseError error_;
  std::string line_;  // the head or chunk-size line being assembled
  bool seen_request_line_ = false;
  std::size_t head_bytes_ = 0;
  std::size_t header_count_ = 0;
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool keep_alive_ = true;
  bool expects_continue_ = false;
  bool http10_ = false;
  BodyStep body_step_ = BodyStep::kFixed;
  std::uint64_t remaining_ = 0;  // of the fixed body or of the current chunk
};

}  // namespace tw::api
