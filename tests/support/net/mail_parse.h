// Reads back an RFC 5322 / MIME message the way a mail client would, with
// code independent of the encoder (notify/transport.h BuildMimeMessage):
// header unfolding, RFC 2047 encoded-words (B and Q), multipart splitting,
// quoted-printable and base64 bodies.

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tw::testing {

struct ParsedMail {
  // Unfolded, in order, values as sent (encoded-words not decoded).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // everything after the blank line, as sent
  // The text/plain and text/html parts (or the single-part body), decoded,
  // with CRLF turned into LF; "" when there is no such part.
  std::string text;
  std::string html;

  // The value of header `name` (case-insensitive), encoded-words decoded;
  // "" when absent.
  std::string Header(std::string_view name) const;
  // As sent; nullopt when absent.
  std::optional<std::string> RawHeader(std::string_view name) const;
};

ParsedMail ParseMail(std::string_view message);

std::string DecodeEncodedWords(std::string_view value);
std::string DecodeQuotedPrintable(std::string_view body);
std::string DecodeBase64(std::string_view text);
// LF, CR and CRLF all as CRLF.
std::string CanonicalLineBreaks(std::string_view text);

}  // namespace tw::testing
