#include "api/http_parser.h"

#include <algorithm>
#include <vector>

namespace tw::api {
namespace {

// A chunk-size line is a hex number and optional extensions; nothing a
// client sends needs more.
constexpr std::size_t kMaxChunkSizeLine = 1024;
// 16 hex digits overflow nothing and exceed any body limit anyway.
constexpr std::size_t kMaxChunkSizeDigits = 16;
// 19 decimal digits fit in uint64 without overflow.
constexpr std::size_t kMaxLengthDigits = 19;

bool IsTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); });
}

// field-value characters (RFC 9110 §5.5): visible ASCII, obs-text, SP, HTAB.
bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> CommaList(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    std::size_t comma = value.find(',');
    std::string_view item = TrimOws(value.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) return out;
    value.remove_prefix(comma + 1);
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Bytes(std::size_t n) { return std::to_string(n) + " bytes"; }

}  // namespace

HttpRequestParser::HttpRequestParser(HttpLimits limits) : limits_(limits) {}

void HttpRequestParser::Reset() {
  state_ = State::kHead;
  request_ = HttpRequest();
  error_ = HttpParseError();
  line_.clear();
  seen_request_line_ = false;
  head_bytes_ = 0;
  header_count_ = 0;
  content_length_.reset();
  chunked_ = false;
  keep_alive_ = true;
  expects_continue_ = false;
  http10_ = false;
  body_step_ = BodyStep::kFixed;
  remaining_ = 0;
}

HttpRequest HttpRequestParser::TakeRequest() {
  HttpRequest out = std::move(request_);
  Reset();
  return out;
}

void HttpRequestParser::Fail(int status, std::string message) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_ = HttpParseError{status, std::move(message)};
  line_.clear();
  line_.shrink_to_fit();
}

std::size_t HttpRequestParser::Feed(std::string_view data) {
  std::size_t used = 0;
  while (used < data.size() && (state_ == State::kHead || state_ == State::kBody)) {
    std::string_view rest = data.substr(used);
    used += state_ == State::kHead ? FeedHead(rest) : FeedBody(rest);
  }
  return used;
}

std::size_t HttpRequestParser::TakeLine(std::string_view data, std::size_t limit,
                                        int status_over_limit, const char* what, bool* complete) {
  *complete = false;
  std::size_t newline = data.find('\n');
  std::size_t used = newline == std::string_view::npos ? data.size() : newline + 1;
  std::size_t content = newline == std::string_view::npos ? data.size() : newline;
  // The limit (line end included) is checked before the bytes are kept, so
  // an endless line costs no more than `limit`, and endless empty lines
  // still run out of head.
  if (line_.size() + used > limit) {
    Fail(status_over_limit, std::string(what) + " is longer than " + Bytes(limit));
    return used;
  }
  line_.append(data.data(), content);
  if (newline == std::string_view::npos) return used;
  *complete = true;
  return used;
}

std::size_t HttpRequestParser::FeedHead(std::string_view data) {
  bool complete = false;
  const std::size_t budget =
      limits_.max_head_bytes - std::min(head_bytes_, limits_.max_head_bytes);
  const bool request_line = !seen_request_line_;
  const std::size_t limit =
      request_line ? std::min(limits_.max_request_line_bytes, budget) : budget;
  std::size_t used = TakeLine(data, limit, 431, "the request head", &complete);
  if (state_ == State::kFailed) {
    if (request_line && limit == limits_.max_request_line_bytes) {
      error_ = {414, "the request line is longer than " + Bytes(limits_.max_request_line_bytes)};
    } else {
      error_.message = "the request head is larger than " + Bytes(limits_.max_head_bytes);
    }
    return used;
  }
  if (!complete) return used;
  head_bytes_ += line_.size() + 1;
  std::string_view line = line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  HeadLine(line);
  line_.clear();
  return used;
}

void HttpRequestParser::HeadLine(std::string_view line) {
  if (!seen_request_line_) {
    // RFC 9112 §2.2: a server SHOULD ignore empty lines before the request
    // line (some clients send a CRLF after a POST body).
    if (line.empty()) return;
    RequestLine(line);
    return;
  }
  if (line.empty()) {
    FinishHead();
    return;
  }
  HeaderLine(line);
}

void HttpRequestParser::RequestLine(std::string_view line) {
  seen_request_line_ = true;
  std::size_t first = line.find(' ');
  std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return Fail(400, "malformed request line (expected METHOD TARGET HTTP/1.1)");
  }
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  std::string_view version = line.substr(second + 1);
  if (!IsToken(method)) return Fail(400, "malformed request method");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
      })) {
    return Fail(400, "malformed request target");
  }
  if (version == "HTTP/1.0") {
    http10_ = true;
  } else if (version != "HTTP/1.1") {
    if (version.size() == 8 && version.starts_with("HTTP/") && version[5] >= '0' &&
        version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
      return Fail(505, "only HTTP/1.1 and HTTP/1.0 are served, not " + std::string(version));
    }
    return Fail(400, "malformed HTTP version");
  }
  request_.method = std::string(method);
  // origin-form "/path?query"; absolute-form "http://host/path?query" (RFC
  // 9112 §3.2.2: servers must accept it); "*" for OPTIONS.
  std::string_view rest = target;
  if (!rest.starts_with("/")) {
    if (rest == "*" && method == "OPTIONS") {
      request_.path = "*";
      return;
    }
    std::string scheme = Lower(rest.substr(0, 8));
    std::size_t skip = scheme.starts_with("http://") ? 7 : scheme.starts_with("https://") ? 8 : 0;
    if (skip == 0) return Fail(400, "malformed request target");
    rest.remove_prefix(skip);
    std::size_t path_start = rest.find_first_of("/?");
    rest = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  }
  std::size_t question = rest.find('?');
  request_.path = std::string(rest.substr(0, question));
  if (request_.path.empty()) request_.path = "/";
  if (question != std::string_view::npos) request_.query = std::string(rest.substr(question + 1));
}

void HttpRequestParser::HeaderLine(std::string_view line) {
  if (IsOws(line.front())) return Fail(400, "obsolete line folding in the request head");
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(400, "malformed header line (expected Name: value)");
  }
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return Fail(400, "malformed header name");
  std::string_view value = TrimOws(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(),
                   [](char c) { return IsFieldValueChar(static_cast<unsigned char>(c)); })) {
    return Fail(400, "a control character in the value of header " + std::string(name));
  }
  if (++header_count_ > limits_.max_header_count) {
    return Fail(431, "more than " + std::to_string(limits_.max_header_count) + " header fields");
  }
  request_.headers.emplace_back(Lower(name), std::string(value));
}

void HttpRequestParser::FinishHead() {
  std::size_t hosts = 0;
  std::vector<std::string_view> transfer_codings;
  std::optional<std::string_view> length_text;
  keep_alive_ = !http10_;
  for (const auto& [name, value] : request_.headers) {
    if (name == "host") {
      ++hosts;
    } else if (name == "transfer-encoding") {
      for (std::string_view coding : CommaList(value)) transfer_codings.push_back(coding);
      if (CommaList(value).empty()) transfer_codings.push_back("");
    } else if (name == "content-length") {
      std::vector<std::string_view> values = CommaList(value);
      if (values.empty()) return Fail(400, "an empty Content-Length");
      for (std::string_view v : values) {
        if (length_text && *length_text != v) return Fail(400, "conflicting Content-Length values");
        length_text = v;
      }
    } else if (name == "connection") {
      for (std::string_view option : CommaList(value)) {
        std::string o = Lower(option);
        if (o == "close") keep_alive_ = false;
        if (o == "keep-alive" && http10_) keep_alive_ = true;
      }
    } else if (name == "expect") {
      if (Lower(TrimOws(value)) != "100-continue") {
        return Fail(417, "Expect: " + value + " is not supported (only 100-continue)");
      }
      expects_continue_ = !http10_;
    }
  }
  // Every HTTP/1.1 request names exactly one Host (RFC 9112 §3.2).
  if (!http10_ && hosts == 0) return Fail(400, "an HTTP/1.1 request without a Host header");
  if (hosts > 1) return Fail(400, "more than one Host header");

  // Framing (RFC 9112 §6.3). Anything two parsers could read differently is
  // refused rather than guessed.
  if (!transfer_codings.empty()) {
    if (http10_) return Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (length_text) return Fail(400, "both Content-Length and Transfer-Encoding");
    if (transfer_codings.size() != 1 || Lower(transfer_codings.front()) != "chunked") {
      return Fail(501, "only Transfer-Encoding: chunked is supported");
    }
    chunked_ = true;
    body_step_ = BodyStep::kChunkSize;
    state_ = State::kBody;
    return;
  }
  if (length_text) {
    std::string_view digits = *length_text;
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(400, "Content-Length is not a number");
    }
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    std::uint64_t length = 0;
    if (digits.size() > kMaxLengthDigits) {
      return Fail(413, "the body is larger than " + Bytes(limits_.max_body_bytes));
    }
    for (char c : digits) length = length * 10 + static_cast<std::uint64_t>(c - '0');
    content_length_ = length;
    if (length > limits_.max_body_bytes) {
      return Fail(413, "the body is " + std::to_string(length) + " bytes; at most " +
                           Bytes(limits_.max_body_bytes) + " are accepted");
    }
    if (length > 0) {
      request_.body.reserve(static_cast<std::size_t>(length));
      remaining_ = length;
      body_step_ = BodyStep::kFixed;
      state_ = State::kBody;
      return;
    }
  }
  // No body: a request without Content-Length or Transfer-Encoding has none
  // (RFC 9112 §6.3, rule 7), however many bytes follow.
  expects_continue_ = false;
  state_ = State::kDone;
}

std::size_t HttpRequestParser::FeedBody(std::string_view data) {
  bool complete = false;
  std::size_t used = 0;
  switch (body_step_) {
    case BodyStep::kFixed:
    case BodyStep::kChunkData: {
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
      request_.body.append(data.data(), take);
      remaining_ -= take;
      if (remaining_ == 0) {
        if (body_step_ == BodyStep::kFixed) {
          state_ = State::kDone;
        } else {
          body_step_ = BodyStep::kChunkDataEnd;
        }
      }
      return take;
    }
    case BodyStep::kChunkDataEnd:
      // Only the line end may follow a chunk's data.
      used = TakeLine(data, 2, 400, "chunk data", &complete);
      if (state_ == State::kFailed) {
        error_.message = "a chunk is longer than its chunk-size";
        return used;
      }
      if (!complete) return used;
      if (!line_.empty() && line_ != "\r") {
        Fail(400, "a chunk is longer than its chunk-size");
        return used;
      }
      line_.clear();
      body_step_ = BodyStep::kChunkSize;
      return used;
    case BodyStep::kChunkSize:
      used = TakeLine(data, kMaxChunkSizeLine, 400, "a chunk-size line", &complete);
      if (!complete) return used;
      {
        std::string_view line = line_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        ChunkSizeLine(line);
      }
      line_.clear();
      return used;
    case BodyStep::kTrailer: {
      std::size_t budget = limits_.max_head_bytes - std::min(head_bytes_, limits_.max_head_bytes);
      used = TakeLine(data, budget, 431, "the request head", &complete);
      if (state_ == State::kFailed) {
        error_.message = "the request head and trailers are larger than " +
                         Bytes(limits_.max_head_bytes);
        return used;
      }
      if (!complete) return used;
      head_bytes_ += line_.size() + 1;
      {
        std::string_view line = line_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        TrailerLine(line);
      }
      line_.clear();
      return used;
    }
  }
  return data.size();
}

void HttpRequestParser::ChunkSizeLine(std::string_view line) {
  std::size_t digits = 0;
  while (digits < line.size() && HexDigit(line[digits]) >= 0) ++digits;
  if (digits == 0) return Fail(400, "malformed chunk-size line");
  std::string_view hex = line.substr(0, digits);
  while (hex.size() > 1 && hex.front() == '0') hex.remove_prefix(1);
  std::string_view rest = line.substr(digits);
  // Extensions (";name=value") are allowed and ignored.
  std::string_view after = TrimOws(rest);
  if (!after.empty() && after.front() != ';') return Fail(400, "malformed chunk-size line");
  if (!std::all_of(rest.begin(), rest.end(),
                   [](char c) { return IsFieldValueChar(static_cast<unsigned char>(c)); })) {
    return Fail(400, "malformed chunk-size line");
  }
  if (hex.size() > kMaxChunkSizeDigits) {
    return Fail(413, "the body is larger than " + Bytes(limits_.max_body_bytes));
  }
  std::uint64_t size = 0;
  for (char c : hex) size = size * 16 + static_cast<std::uint64_t>(HexDigit(c));
  if (size > limits_.max_body_bytes - request_.body.size()) {
    return Fail(413, "the body is larger than " + Bytes(limits_.max_body_bytes));
  }
  if (size == 0) {
    body_step_ = BodyStep::kTrailer;
    return;
  }
  remaining_ = size;
  body_step_ = BodyStep::kChunkData;
}

void HttpRequestParser::TrailerLine(std::string_view line) {
  if (line.empty()) {
    state_ = State::kDone;
    return;
  }
  // Trailers are checked like headers, counted against the same limits,
  // and dropped: nothing here reads them.
  std::size_t headers_before = request_.headers.size();
  HeaderLine(line);
  if (state_ != State::kFailed) request_.headers.resize(headers_before);
}

}  // namespace tw::api
