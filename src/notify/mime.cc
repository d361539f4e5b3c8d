// RFC 5322 messages with MIME (RFC 2045-2047) bodies: everything 7-bit,
// every line at most 78 characters (76 in bodies), CRLF line ends.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "notify/transport.h"

namespace tw::notify {
namespace {

constexpr size_t kHeaderLineLimit = 78;  // RFC 5322 §2.1.1 "SHOULD"
constexpr size_t kBodyLineLimit = 76;    // RFC 2045 §6.7 rule 5
// Bytes of UTF-8 per encoded-word: 39 bytes are 52 base64 characters, so
// "=?UTF-8?B?" + 52 + "?=" is 64, and "Subject: " plus one word stays
// within 76 (RFC 2047 §2).
constexpr size_t kEncodedWordBytes = 39;
constexpr char kHex[] = "0123456789ABCDEF";

bool IsAsciiPrintable(char c) { return c >= 0x20 && c < 0x7f; }

// A header value on one line: each run of CR and LF becomes one space (so
// "a\r\nBcc: x" cannot start a header of its own), other control characters
// but tab are dropped.
std::string OneLine(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool in_break = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') {
      if (!in_break) out += ' ';
      in_break = true;
      continue;
    }
    in_break = false;
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) continue;
    out += c;
  }
  return out;
}

// An address or Message-ID with nothing that could end it early or start
// another one.
std::string BareToken(std::string_view value) {
  std::string out;
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == ',') continue;
    out += c;
  }
  return out;
}

std::string Base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(data[i]) << 16 |
                 static_cast<unsigned char>(data[i + 1]) << 8 |
                 static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = static_cast<unsigned char>(data[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// RFC 2047 B encoded-words, one per folded line. Words end on UTF-8
// character boundaries: a decoder may decode each word on its own.
std::string EncodedWords(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    size_t cut = std::min(text.size(), kEncodedWordBytes);
    // Back off from continuation bytes (10xxxxxx) to the lead byte of the
    // character they belong to; more than three of them is not UTF-8, and
    // then any cut will do.
    for (size_t back = cut; cut < text.size() && back + 3 >= cut && back > 0; --back) {
      if ((static_cast<unsigned char>(text[back]) & 0xC0) != 0x80) {
        cut = back;
        break;
      }
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(0, cut)) + "?=";
    text.remove_prefix(cut);
  }
  return out;
}

// An unstructured header value (Subject, extra headers) for "Name: value".
// Plain ASCII is folded at spaces; anything else, or text that a reader
// could take for an encoded-word, becomes encoded-words.
std::string UnstructuredValue(std::string_view name, std::string_view raw) {
  std::string value = OneLine(raw);
  bool plain = std::all_of(value.begin(), value.end(),
                           [](char c) { return IsAsciiPrintable(c) || c == '\t'; }) &&
               value.find("=?") == std::string::npos;
  // A word too long for any line (998 characters) cannot be folded.
  size_t longest_word = 0;
  for (size_t start = 0; start <= value.size();) {
    size_t end = std::min(value.find(' ', start), value.size());
    longest_word = std::max(longest_word, end - start);
    start = end + 1;
  }
  if (!plain || name.size() + 2 + longest_word > 998) return EncodedWords(value);

  std::string out;
  size_t line = name.size() + 2;
  size_t start = 0;
  bool first = true;
  while (start <= value.size()) {
    size_t end = std::min(value.find(' ', start), value.size());
    std::string_view word = std::string_view(value).substr(start, end - start);
    if (first) {
      out += word;
      line += word.size();
      first = false;
    } else if (!word.empty() && line + 1 + word.size() > kHeaderLineLimit) {
      out += "\r\n ";
      out += word;
      line = 1 + word.size();
    } else {
      out += ' ';
      out += word;
      line += 1 + word.size();
    }
    start = end + 1;
  }
  return out;
}

// The display name of From as a phrase: a quoted-string when ASCII,
// encoded-words otherwise.
std::string DisplayName(std::string_view raw) {
  std::string name = OneLine(raw);
  bool ascii = std::all_of(name.begin(), name.end(),
                           [](char c) { return IsAsciiPrintable(c) || c == '\t'; }) &&
               name.find("=?") == std::string::npos;
  if (!ascii) return EncodedWords(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// RFC 2045 §6.7. Line breaks of any kind (CRLF, LF, CR) become CRLF: the
// canonical form of text. Output lines, soft breaks' "=" included, are at
// most 76 characters. A '.' or "From " at the start of a line is encoded
// too, so that no transport can mangle it (SMTP dot-stuffing, mbox).
std::string QuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t line = 0;
  auto encode = [](unsigned char c) { return std::string{'=', kHex[c >> 4], kHex[c & 15]}; };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
      line = 0;
      continue;
    }
    auto token_for = [&](bool at_line_start) -> std::string {
      unsigned char u = static_cast<unsigned char>(c);
      bool at_line_end = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
      if (c == ' ' || c == '\t') return at_line_end ? encode(u) : std::string(1, c);
      if (at_line_start && (c == '.' || text.substr(i, 5) == "From ")) return encode(u);
      if (u >= 33 && u <= 126 && c != '=') return std::string(1, c);
      return encode(u);
    };
    std::string token = token_for(line == 0);
    if (line + token.size() > kBodyLineLimit - 1) {
      out += "=\r\n";
      line = 0;
      token = token_for(true);
    }
    out += token;
    line += token.size();
  }
  return out;
}

// "Tue, 14 Nov 2023 22:13:20 +0000" (RFC 5322 §3.3).
std::string RfcDate(TimePoint t) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  sys_seconds s = floor<seconds>(t);
  sys_days day = floor<days>(s);
  year_month_day ymd(day);
  hh_mm_ss<seconds> time(s - day);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kDays[weekday(day).c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buf;
}

// RFC 5322 field-name: printable ASCII but ':'.
bool IsFieldName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(),
                                      [](char c) { return c >= 33 && c <= 126 && c != ':'; });
}

bool IsOneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) {
    return n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(),
                                                 [&](char a, char b) { return a == lower(b); });
  });
}

uint64_t Fnv1a(uint64_t hash, std::string_view data) {
  for (char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// "=_" cannot occur in quoted-printable output ('=' is always followed by
// two hex digits or a line break), so this boundary cannot occur in either
// part whatever their content. The rest is a hash of the content: unique
// enough for readers, and the same message gives the same bytes.
std::string Boundary(const MailContent& content) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::string_view part :
       {std::string_view(content.message_id), std::string_view(content.subject),
        std::string_view(content.text), std::string_view(content.html)}) {
    hash = Fnv1a(hash, part);
    hash = Fnv1a(hash, std::string_view("\0", 1));
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  return std::string("=_tw_") + hex;
}

void AddHeader(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void AddTextPartHeaders(std::string& out, std::string_view subtype) {
  AddHeader(out, "Content-Type", "text/" + std::string(subtype) + "; charset=UTF-8");
  AddHeader(out, "Content-Transfer-Encoding", "quoted-printable");
  out += "\r\n";
}

}  // namespace

std::string BuildMimeMessage(const MailContent& content) {
  std::string out;
  std::string from_address = BareToken(content.from_address);
  std::string from = OneLine(content.from_name).empty()
                         ? from_address
                         : DisplayName(content.from_name) + " <" + from_address + ">";
  AddHeader(out, "From", from);
  AddHeader(out, "To", BareToken(content.to));
  AddHeader(out, "Subject", UnstructuredValue("Subject", content.subject));
  AddHeader(out, "Date", RfcDate(content.date));
  if (std::string id = BareToken(content.message_id); !id.empty()) {
    AddHeader(out, "Message-ID", "<" + id + ">");
  }
  AddHeader(out, "MIME-Version", "1.0");
  for (const auto& [name, value] : content.extra_headers) {
    if (!IsFieldName(name) ||
        IsOneOf(name, {"from", "to", "subject", "date", "message-id", "mime-version",
                       "content-type", "content-transfer-encoding"})) {
      continue;
    }
    AddHeader(out, name, UnstructuredValue(name, value));
  }

  if (content.html.empty()) {
    AddTextPartHeaders(out, "plain");
    out += QuotedPrintable(content.text);
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
    return out;
  }
  std::string boundary = Boundary(content);
  AddHeader(out, "Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  out += "\r\n";
  out += "--" + boundary + "\r\n";
  AddTextPartHeaders(out, "plain");
  out += QuotedPrintable(content.text);
  out += "\r\n--" + boundary + "\r\n";
  AddTextPartHeaders(out, "html");
  out += QuotedPrintable(content.html);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace tw::notify
