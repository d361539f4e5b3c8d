#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace tw::api {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";  // S3's
constexpr std::int64_t kMaxExpiresSeconds = 604800;  // one week, as AWS allows

// AWS's texts (spec §2.6, and the services' own responses as recorded by
// clients; see tests/api/sigv4_test.cc for where each was checked).
constexpr std::string_view kMissingText = "Missing Authentication Token";
constexpr std::string_view kUnknownKeyText =
    "The security token included in the request is invalid.";
constexpr std::string_view kMismatchText =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr std::string_view kHostNotSignedText =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
constexpr std::string_view kContentShaMismatchText =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";
// S3 alone accepts an unsigned payload; these services sign every body.
constexpr std::string_view kUnsignedPayloadText =
    "x-amz-content-sha256 UNSIGNED-PAYLOAD is not accepted: CloudWatch Logs, CloudWatch and SNS "
    "requests sign the SHA-256 of their payload.";
constexpr std::string_view kBothFormsText =
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";

AuthError Fail(AuthErrorKind kind, std::string message) {
  return AuthError{kind, std::move(message)};
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// --- Text helpers ---

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

// HTTP's optional whitespace; what servers strip around header values.
bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on `sep`, keeping empty pieces (so that joining gives `s` back).
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return HexValue(c) >= 0; });
}

std::string HexEncode(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

// --- Crypto ---

using Digest = std::array<unsigned char, 32>;

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int length = 0;
  static constexpr char kEmpty[1] = {0};
  const void* key_data = key.empty() ? kEmpty : key.data();
  HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

std::string_view AsView(const Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

// §2.3: kDate -> kRegion -> kService -> kSigning -> signature.
std::string SignatureHex(std::string_view secret, std::string_view date8, std::string_view region,
                         std::string_view service, std::string_view string_to_sign) {
  Digest k_date = HmacSha256("AWS4" + std::string(secret), date8);
  Digest k_region = HmacSha256(AsView(k_date), region);
  Digest k_service = HmacSha256(AsView(k_region), service);
  Digest k_signing = HmacSha256(AsView(k_service), kTerminator);
  Digest signature = HmacSha256(AsView(k_signing), string_to_sign);
  return HexEncode(signature.data(), signature.size());
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += Sha256Hex(canonical_request);
  return out;
}

// --- URI encoding (§2.2) ---

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void AppendUriEncoded(std::string* out, std::string_view in, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (char ch : in) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kDigits[c >> 4]);
      out->push_back(kDigits[c & 0xf]);
    }
  }
}

std::string UriEncoded(std::string_view in) {
  std::string out;
  AppendUriEncoded(&out, in, /*keep_slash=*/false);
  return out;
}

// Decodes %XX. A '%' not followed by two hex digits stays a literal '%' (and
// so re-encodes as %25). '+' is a space, as the Router's form decoding reads
// it (application/x-www-form-urlencoded): what was signed must be what is
// executed, so a literal '+' is signed as %20 and a plus sign as %2B, the
// way botocore and the SDKs encode them anyway.
std::string PercentDecoded(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
      continue;
    }
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

// RFC 3986 §5.2.4 dot-segment removal, plus the collapse of repeated
// slashes that AWS's non-S3 services apply (botocore does the same).
std::string NormalizedPath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> kept;
  for (std::string_view segment : Split(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  std::string out;
  if (path.front() == '/') out += '/';
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (path.back() == '/' && !kept.empty()) out += '/';
  if (out.empty()) out = "/";
  return out;
}

std::string CanonicalUri(std::string_view path) {
  std::string out;
  AppendUriEncoded(&out, NormalizedPath(path), /*keep_slash=*/true);
  return out;
}

struct QueryParam {
  std::string name;  // decoded
  std::string value;
};

// The raw query's pairs, decoded; empty pieces ("a&&b") are skipped and a
// name without '=' gets an empty value.
std::vector<QueryParam> DecodedQuery(std::string_view query) {
  std::vector<QueryParam> out;
  if (query.empty()) return out;
  for (std::string_view piece : Split(query, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
    out.push_back({PercentDecoded(name), PercentDecoded(value)});
  }
  return out;
}

const QueryParam* FindParam(const std::vector<QueryParam>& params, std::string_view name) {
  for (const QueryParam& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (QueryParam& p : DecodedQuery(query)) {
    if (p.name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncoded(p.name), UriEncoded(p.value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

// --- Headers ---

const std::string* FirstHeader(const SignedRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (EqualsIgnoreCase(n, name)) return &v;
  }
  return nullptr;
}

bool HasHeader(const SignedRequest& request, std::string_view name) {
  return FirstHeader(request, name) != nullptr;
}

// Trimmed, with every internal run of whitespace collapsed to one space.
void AppendCanonicalValue(std::string* out, std::string_view value) {
  value = Trim(value);
  bool in_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out->push_back(' ');
    in_space = false;
    out->push_back(c);
  }
}

std::string BuildCanonicalRequest(const SignedRequest& request,
                                  const std::vector<std::string_view>& signed_headers,
                                  std::string_view payload_hash) {
  std::string out = request.method;
  out += '\n';
  out += CanonicalUri(request.path);
  out += '\n';
  out += CanonicalQuery(request.query);
  out += '\n';
  for (std::string_view name : signed_headers) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [n, v] : request.headers) {
      if (!EqualsIgnoreCase(n, name)) continue;
      if (!first) out += ',';
      first = false;
      AppendCanonicalValue(&out, v);
    }
    out += '\n';
  }
  out += '\n';
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out += ';';
    out += signed_headers[i];
  }
  out += '\n';
  out += payload_hash;
  return out;
}

// --- Dates ---

bool Digits(std::string_view s, size_t from, size_t count, int* value) {
  int v = 0;
  for (size_t i = from; i < from + count; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *value = v;
  return true;
}

std::optional<TimePoint> MakeTime(int y, int mo, int d, int h, int mi, int s) {
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return TimePoint(std::chrono::sys_days(ymd)) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s);
}

// "20231114T221320Z".
std::optional<TimePoint> ParseAmzDate(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !Digits(s, 0, 4, &y) ||
      !Digits(s, 4, 2, &mo) || !Digits(s, 6, 2, &d) || !Digits(s, 9, 2, &h) ||
      !Digits(s, 11, 2, &mi) || !Digits(s, 13, 2, &sec)) {
    return std::nullopt;
  }
  return MakeTime(y, mo, d, h, mi, sec);
}

// RFC 7231 IMF-fixdate: "Tue, 14 Nov 2023 22:13:20 GMT".
std::optional<TimePoint> ParseHttpDate(std::string_view s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(std::begin(kDays), std::end(kDays), s.substr(0, 3)) == std::end(kDays)) {
    return std::nullopt;
  }
  auto month = std::find(std::begin(kMonths), std::end(kMonths), s.substr(8, 3));
  if (month == std::end(kMonths)) return std::nullopt;
  int d, y, h, mi, sec;
  if (!Digits(s, 5, 2, &d) || !Digits(s, 12, 4, &y) || !Digits(s, 17, 2, &h) ||
      !Digits(s, 20, 2, &mi) || !Digits(s, 23, 2, &sec)) {
    return std::nullopt;
  }
  return MakeTime(y, static_cast<int>(month - std::begin(kMonths)) + 1, d, h, mi, sec);
}

std::string FormatAmzDate(TimePoint t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// "15 min." as AWS prints the window; seconds when it is not whole minutes.
std::string WindowText(Duration window) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(window).count();
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + " min.";
  return std::to_string(seconds) + " sec.";
}

std::optional<AuthError> CheckNotInFuture(TimePoint signed_at, std::string_view amz_date,
                                          TimePoint now, Duration window) {
  if (signed_at <= now + window) return std::nullopt;
  return Fail(AuthErrorKind::kExpired, "Signature not yet current: " + std::string(amz_date) +
                                           " is still later than " + FormatAmzDate(now + window) +
                                           " (" + FormatAmzDate(now) + " + " + WindowText(window) +
                                           ")");
}

std::optional<AuthError> CheckNotExpired(TimePoint signed_at, std::string_view amz_date,
                                         TimePoint now, Duration window) {
  if (signed_at >= now - window) return std::nullopt;
  return Fail(AuthErrorKind::kExpired, "Signature expired: " + std::string(amz_date) +
                                           " is now earlier than " + FormatAmzDate(now - window) +
                                           " (" + FormatAmzDate(now) + " - " + WindowText(window) +
                                           ")");
}

// --- The two forms, reduced to the same pieces ---

struct SigV4Parts {
  bool presigned = false;
  std::string algorithm;
  std::string credential;
  std::string signed_headers;
  std::string signature;
  std::string date_text;  // as sent
  bool date_is_http = false;
  std::optional<std::string> expires;  // presigned only
};

Result<SigV4Parts, AuthError> HeaderParts(const SignedRequest& request, const std::string& raw) {
  SigV4Parts parts;
  std::string_view value = Trim(raw);
  size_t space = value.find_first_of(" \t");
  parts.algorithm = std::string(value.substr(0, space));
  std::string_view rest = space == std::string_view::npos ? "" : value.substr(space + 1);
  bool has_credential = false;
  bool has_signed_headers = false;
  bool has_signature = false;
  for (std::string_view component : Split(rest, ',')) {
    component = Trim(component);
    if (component.empty()) continue;
    size_t eq = component.find('=');
    if (eq == std::string_view::npos) {
      return Fail(AuthErrorKind::kIncomplete,
                  Quoted(component) +
                      " not a valid key=value pair (missing equal-sign) in Authorization header: " +
                      Quoted(raw) + ".");
    }
    std::string_view key = component.substr(0, eq);
    std::string value_text(component.substr(eq + 1));
    if (key == "Credential") {
      parts.credential = std::move(value_text);
      has_credential = !parts.credential.empty();
    } else if (key == "SignedHeaders") {
      parts.signed_headers = std::move(value_text);
      has_signed_headers = true;
    } else if (key == "Signature") {
      parts.signature = std::move(value_text);
      has_signature = !parts.signature.empty();
    }
  }
  const std::string* amz_date = FirstHeader(request, "x-amz-date");
  const std::string* http_date = FirstHeader(request, "date");
  if (amz_date != nullptr && !Trim(*amz_date).empty()) {
    parts.date_text = std::string(Trim(*amz_date));
  } else if (http_date != nullptr && !Trim(*http_date).empty()) {
    parts.date_text = std::string(Trim(*http_date));
    parts.date_is_http = true;
  }
  std::string missing;
  if (!has_credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!has_signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!has_signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (parts.date_text.empty()) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) return Fail(AuthErrorKind::kIncomplete, missing + "Authorization=" + raw);
  return parts;
}

Result<SigV4Parts, AuthError> QueryParts(const std::vector<QueryParam>& query) {
  SigV4Parts parts;
  parts.presigned = true;
  std::string missing;
  auto take = [&](std::string_view name, std::string* into) {
    const QueryParam* p = FindParam(query, name);
    if (p == nullptr || p->value.empty()) {
      missing += "AWS query-string parameters must include " + Quoted(name) + ". ";
    } else {
      *into = p->value;
    }
  };
  take("X-Amz-Algorithm", &parts.algorithm);
  take("X-Amz-Credential", &parts.credential);
  take("X-Amz-Signature", &parts.signature);
  take("X-Amz-SignedHeaders", &parts.signed_headers);
  take("X-Amz-Date", &parts.date_text);
  if (!missing.empty()) {
    return Fail(AuthErrorKind::kIncomplete, missing + "Re-examine the query-string parameters.");
  }
  if (const QueryParam* p = FindParam(query, "X-Amz-Expires")) parts.expires = p->value;
  return parts;
}

// X-Amz-Expires as seconds, with S3's texts for bad values.
Result<std::chrono::seconds, AuthError> ParseExpires(std::string_view text) {
  std::string_view digits = text;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return Fail(AuthErrorKind::kIncomplete, "X-Amz-Expires should be a number");
  }
  if (negative) return Fail(AuthErrorKind::kIncomplete, "X-Amz-Expires must be non-negative");
  std::int64_t value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value > kMaxExpiresSeconds) {
      return Fail(AuthErrorKind::kIncomplete,
                  "X-Amz-Expires must be less than a week (in seconds); that is, the given "
                  "X-Amz-Expires must be less than 604800 seconds");
    }
  }
  return std::chrono::seconds(value);
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return HexEncode(digest, length);
}

std::string CanonicalRequest(const SignedRequest& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  std::vector<std::string_view> names(signed_headers.begin(), signed_headers.end());
  return BuildCanonicalRequest(request, names, payload_hash);
}

bool HasSignature(const SignedRequest& request) {
  const std::string* auth = FirstHeader(request, "authorization");
  if (auth != nullptr && Trim(*auth).starts_with("AWS4-")) return true;
  std::vector<QueryParam> query = DecodedQuery(request.query);
  return FindParam(query, "X-Amz-Algorithm") != nullptr ||
         FindParam(query, "X-Amz-Signature") != nullptr;
}

Result<VerifiedRequest, AuthError> VerifySigV4(const SignedRequest& request,
                                               const SecretLookup& secrets, TimePoint now,
                                               const VerifyOptions& options) {
  // 1. Which form, if any.
  const std::string* auth = FirstHeader(request, "authorization");
  std::vector<QueryParam> query = DecodedQuery(request.query);
  bool query_form = FindParam(query, "X-Amz-Algorithm") != nullptr ||
                    FindParam(query, "X-Amz-Signature") != nullptr;
  if (auth != nullptr && query_form) {
    return Fail(AuthErrorKind::kIncomplete, std::string(kBothFormsText));
  }
  bool header_form = auth != nullptr && Trim(*auth).starts_with("AWS4-");
  if (!header_form && !query_form) return Fail(AuthErrorKind::kMissing, std::string(kMissingText));

  // 2. Components.
  Result<SigV4Parts, AuthError> parsed =
      header_form ? HeaderParts(request, *auth) : QueryParts(query);
  if (!parsed.ok()) return parsed.error();
  const SigV4Parts& parts = *parsed;

  // 3. Date and age.
  std::optional<TimePoint> signed_at =
      parts.date_is_http ? ParseHttpDate(parts.date_text) : ParseAmzDate(parts.date_text);
  if (!signed_at) {
    if (parts.date_is_http) {
      return Fail(AuthErrorKind::kIncomplete,
                  "Date header must be an RFC 7231 date such as 'Tue, 14 Nov 2023 22:13:20 GMT'. "
                  "Got " +
                      Quoted(parts.date_text) + ".");
    }
    return Fail(AuthErrorKind::kIncomplete, "Date must be in ISO-8601 'basic format'. Got " +
                                                Quoted(parts.date_text) +
                                                ". See http://en.wikipedia.org/wiki/ISO_8601");
  }
  // The string to sign and every message use the ISO 8601 basic form, also
  // when the date came from a Date header.
  std::string amz_date = parts.date_is_http ? FormatAmzDate(*signed_at) : parts.date_text;
  if (parts.presigned && parts.expires) {
    Result<std::chrono::seconds, AuthError> expires = ParseExpires(*parts.expires);
    if (!expires.ok()) return expires.error();
    if (auto error = CheckNotInFuture(*signed_at, amz_date, now, options.max_skew)) return *error;
    if (now > *signed_at + *expires) {
      return Fail(AuthErrorKind::kExpired,
                  "Request has expired: X-Amz-Date " + amz_date + " + X-Amz-Expires " +
                      *parts.expires + " seconds is earlier than " + FormatAmzDate(now) + ".");
    }
  } else {
    if (auto error = CheckNotExpired(*signed_at, amz_date, now, options.max_skew)) return *error;
    if (auto error = CheckNotInFuture(*signed_at, amz_date, now, options.max_skew)) return *error;
  }

  // 4. Host signed, algorithm, credential shape.
  std::vector<std::string_view> signed_headers = Split(parts.signed_headers, ';');
  if (std::none_of(signed_headers.begin(), signed_headers.end(),
                   [](std::string_view n) { return EqualsIgnoreCase(n, "host"); })) {
    return Fail(AuthErrorKind::kIncomplete, std::string(kHostNotSignedText));
  }
  if (parts.algorithm != kAlgorithm) {
    return Fail(AuthErrorKind::kIncomplete,
                "Unsupported AWS 'algorithm': " + Quoted(parts.algorithm) +
                    " (only AWS4-HMAC-SHA256 for now).");
  }
  std::vector<std::string_view> credential = Split(parts.credential, '/');
  if (credential.size() != 5) {
    return Fail(AuthErrorKind::kIncomplete,
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                "keyid/date/region/service/term, got " +
                    Quoted(parts.credential));
  }
  std::string_view access_key_id = credential[0];
  std::string_view scope_date = credential[1];
  std::string_view region = credential[2];
  std::string_view service = credential[3];
  std::string_view terminator = credential[4];

  // 5. Scope.
  std::string scope_problems;
  if (region.empty()) {
    scope_problems += "Credential should be scoped to a valid region, not " + Quoted(region) + ". ";
  }
  if (!options.expected_service.empty() && service != options.expected_service) {
    scope_problems +=
        "Credential should be scoped to correct service: " + Quoted(options.expected_service) +
        ". ";
  }
  if (terminator != kTerminator) {
    scope_problems += "Credential should be scoped with a valid terminator: 'aws4_request', not " +
                      Quoted(terminator) + ". ";
  }
  std::string_view request_date8 = std::string_view(amz_date).substr(0, 8);
  if (scope_date != request_date8) {
    scope_problems +=
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: " +
        Quoted(scope_date) + " != " + Quoted(request_date8) + ", from " + Quoted(amz_date) + ". ";
  }
  if (!scope_problems.empty()) {
    scope_problems.pop_back();  // the space after the last sentence
    return Fail(AuthErrorKind::kWrongScope, std::move(scope_problems));
  }

  // 6. Key.
  std::optional<std::string> secret = secrets ? secrets(access_key_id) : std::nullopt;
  if (!secret) return Fail(AuthErrorKind::kUnknownKey, std::string(kUnknownKeyText));

  // 7. Signed headers, payload, signature.
  for (std::string_view name : signed_headers) {
    if (!HasHeader(request, name)) {
      return Fail(AuthErrorKind::kIncomplete, "Header " + Quoted(name) +
                                                  " is listed in SignedHeaders but absent from "
                                                  "the request.");
    }
  }
  const std::string* declared = FirstHeader(request, "x-amz-content-sha256");
  if (declared != nullptr) {
    std::string_view value = Trim(*declared);
    if (value == kUnsignedPayload) {
      return Fail(AuthErrorKind::kIncomplete, std::string(kUnsignedPayloadText));
    }
    if (!IsSha256Hex(value)) {
      return Fail(AuthErrorKind::kIncomplete,
                  "x-amz-content-sha256 must be the hex SHA-256 of the payload, got " +
                      Quoted(value) + ".");
    }
  }
  if (options.head_only) {
    return VerifiedRequest{std::string(access_key_id), std::string(region), std::string(service),
                           *signed_at};
  }
  // The payload hash is always taken over the bytes as received (before
  // any Content-Encoding is undone), in both forms: a presigned URL of
  // these services signs the hash of its (empty) body, as botocore's
  // SigV4QueryAuth computes it, so it cannot carry another body.
  std::string payload_hash = Sha256Hex(request.body);
  if (declared != nullptr) {
    if (!EqualsIgnoreCase(Trim(*declared), payload_hash)) {
      return Fail(AuthErrorKind::kMismatch, std::string(kContentShaMismatchText));
    }
    payload_hash = std::string(Trim(*declared));  // as the client signed it (any case)
  }

  std::string canonical = BuildCanonicalRequest(request, signed_headers, payload_hash);
  std::string scope = parts.credential.substr(access_key_id.size() + 1);
  std::string string_to_sign = StringToSign(amz_date, scope, canonical);
  std::string expected = SignatureHex(*secret, scope_date, region, service, string_to_sign);
  if (parts.signature.size() != expected.size() ||
      CRYPTO_memcmp(parts.signature.data(), expected.data(), expected.size()) != 0) {
    return Fail(AuthErrorKind::kMismatch,
                std::string(kMismatchText) +
                    "\n\nThe Canonical String for this request should have been\n'" + canonical +
                    "'\n\nThe String-to-Sign should have been\n'" + string_to_sign + "'\n");
  }
  return VerifiedRequest{std::string(access_key_id), std::string(region), std::string(service),
                         *signed_at};
}

void SignSigV4(SignedRequest* request, const Credentials& credentials, std::string_view region,
               std::string_view service, TimePoint now, std::vector<std::string> signed_headers) {
  std::erase_if(request->headers, [](const auto& header) {
    return EqualsIgnoreCase(header.first, "authorization") ||
           EqualsIgnoreCase(header.first, "x-amz-date");
  });
  std::string amz_date = FormatAmzDate(now);
  request->headers.emplace_back("x-amz-date", amz_date);

  for (std::string& name : signed_headers) {
    std::transform(name.begin(), name.end(), name.begin(), AsciiLower);
  }
  if (HasHeader(*request, "content-type")) signed_headers.emplace_back("content-type");
  if (HasHeader(*request, "host")) signed_headers.emplace_back("host");
  signed_headers.emplace_back("x-amz-date");
  std::sort(signed_headers.begin(), signed_headers.end());
  signed_headers.erase(std::unique(signed_headers.begin(), signed_headers.end()),
                       signed_headers.end());

  const std::string* declared = FirstHeader(*request, "x-amz-content-sha256");
  std::string payload_hash =
      declared != nullptr ? std::string(Trim(*declared)) : Sha256Hex(request->body);
  std::string date8 = amz_date.substr(0, 8);
  std::string scope = date8 + "/" + std::string(region) + "/" + std::string(service) + "/" +
                      std::string(kTerminator);
  std::string string_to_sign =
      StringToSign(amz_date, scope, CanonicalRequest(*request, signed_headers, payload_hash));
  std::string signature =
      SignatureHex(credentials.secret_access_key, date8, region, service, string_to_sign);

  std::string list;
  for (const std::string& name : signed_headers) {
    if (!list.empty()) list += ';';
    list += name;
  }
  request->headers.emplace_back(
      "authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                           scope + ", SignedHeaders=" + list + ", Signature=" + signature);
}

}  // namespace tw::api
