#include "support/net/mail_parse.h"

#include <algorithm>
#include <cctype>

#include "support/net/text.h"

namespace tw::testing {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string ToLf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

// Headers and body of one entity (the message or a part).
ParsedMail SplitEntity(std::string_view entity) {
  ParsedMail parsed;
  std::size_t end = entity.find("\r\n\r\n");
  std::string_view head = entity.substr(0, end == std::string_view::npos ? entity.size() : end + 2);
  parsed.body = end == std::string_view::npos ? "" : std::string(entity.substr(end + 4));
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < head.size();) {
    std::size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    std::string line(head.substr(pos, eol - pos));
    if (!lines.empty() && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      lines.back() += line;  // unfold: drop the CRLF, keep the space
    } else if (!line.empty()) {
      lines.push_back(line);
    }
    pos = eol + 2;
  }
  for (const std::string& line : lines) {
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    parsed.headers.emplace_back(line.substr(0, colon), value);
  }
  return parsed;
}

std::string DecodeBody(const ParsedMail& entity) {
  std::string encoding = entity.Header("Content-Transfer-Encoding");
  std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (encoding == "quoted-printable") return ToLf(DecodeQuotedPrintable(entity.body));
  if (encoding == "base64") return ToLf(DecodeBase64(entity.body));
  return ToLf(entity.body);
}

std::string Boundary(std::string_view content_type) {
  std::size_t at = content_type.find("boundary=");
  if (at == std::string_view::npos) return "";
  std::string_view rest = content_type.substr(at + 9);
  if (!rest.empty() && rest[0] == '"') {
    rest.remove_prefix(1);
    return std::string(rest.substr(0, rest.find('"')));
  }
  return std::string(rest.substr(0, rest.find_first_of("; ")));
}

void TakePart(const ParsedMail& part, ParsedMail* into) {
  std::string type = part.Header("Content-Type");
  if (type.empty() || type.starts_with("text/plain")) {
    into->text = DecodeBody(part);
  } else if (type.starts_with("text/html")) {
    into->html = DecodeBody(part);
  }
}

}  // namespace

std::optional<std::string> ParsedMail::RawHeader(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

std::string ParsedMail::Header(std::string_view name) const {
  std::optional<std::string> raw = RawHeader(name);
  return raw ? DecodeEncodedWords(*raw) : "";
}

ParsedMail ParseMail(std::string_view message) {
  ParsedMail mail = SplitEntity(message);
  std::string type = mail.Header("Content-Type");
  if (!type.starts_with("multipart/")) {
    TakePart(mail, &mail);
    return mail;
  }
  const std::string delimiter = "--" + Boundary(type);
  std::string_view body = mail.body;
  std::size_t pos = body.find(delimiter);
  while (pos != std::string_view::npos) {
    std::size_t start = pos + delimiter.size();
    if (body.substr(start, 2) == "--") break;  // the closing delimiter
    start = body.find("\r\n", start);
    if (start == std::string_view::npos) break;
    start += 2;
    std::size_t next = body.find("\r\n" + delimiter, start);
    if (next == std::string_view::npos) break;
    TakePart(SplitEntity(body.substr(start, next - start)), &mail);
    pos = next + 2;
  }
  return mail;
}

std::string DecodeBase64(std::string_view in) {
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      continue;
    }
    value = (value << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xFF);
    }
  }
  return out;
}

// RFC 2047: encoded-words decoded, whitespace between adjacent ones dropped.
std::string DecodeEncodedWords(std::string_view value) {
  std::string out;
  std::string pending_space;
  bool last_was_word = false;
  std::size_t pos = 0;
  while (pos < value.size()) {
    if (value[pos] == ' ' || value[pos] == '\t') {
      pending_space += value[pos++];
      continue;
    }
    std::size_t end = value.find_first_of(" \t", pos);
    if (end == std::string_view::npos) end = value.size();
    std::string_view token = value.substr(pos, end - pos);
    bool is_word =
        token.size() > 8 && token.substr(0, 2) == "=?" && token.substr(token.size() - 2) == "?=";
    std::string decoded;
    if (is_word) {
      std::size_t q1 = token.find('?', 2);
      std::size_t q2 = token.find('?', q1 + 1);
      char encoding = static_cast<char>(std::toupper(static_cast<unsigned char>(token[q1 + 1])));
      std::string_view text = token.substr(q2 + 1, token.size() - q2 - 3);
      if (encoding == 'B') {
        decoded = DecodeBase64(text);
      } else {
        for (std::size_t i = 0; i < text.size(); ++i) {
          if (text[i] == '_') {
            decoded += ' ';
          } else if (text[i] == '=' && i + 2 < text.size()) {
            decoded += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
            i += 2;
          } else {
            decoded += text[i];
          }
        }
      }
    } else {
      decoded = std::string(token);
    }
    if (!(is_word && last_was_word)) out += pending_space;
    pending_space.clear();
    out += decoded;
    last_was_word = is_word;
    pos = end;
  }
  return out + pending_space;
}

std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && in.substr(i, 3) == "=\r\n") {
      i += 2;  // soft line break
    } else if (in[i] == '=' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
               HexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::string CanonicalLineBreaks(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace tw::testing
