// Percent-encoding (RFC 3986), as URLs in messages and the wire protocols
// need it, and the masking of passwords in URLs before they are shown.
// Pure and thread-safe.

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tw {

// Every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~) and those
// in `keep` becomes %XX with upper-case hex digits, as SigV4 and AWS's own
// links write it ("a b/c" -> "a%20b%2Fc"; with keep ":", ARNs stay legible).
std::string PercentEncode(std::string_view text, std::string_view keep = {});

// Decodes %XX escapes (either case); with `plus_is_space`, '+' is a space
// (application/x-www-form-urlencoded). nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

// `text` with the password of every URL in it replaced by "****":
//   "https://user:pw@host/x"                -> "https://user:****@host/x"
//   "cannot reach http://u:p@h:81/ (refused)" -> "cannot reach http://u:****@h:81/ (refused)"
// A URL is "scheme://" followed by an authority, which ends at '/', '?',
// '#', whitespace, a quote or '>' (so a URL in a sentence, JSON or an HTML
// attribute is found); its userinfo is what comes before the authority's
// last '@', and the password what follows the userinfo's first ':'. URLs
// without a password ("https://user@host", e-mail addresses) are returned
// unchanged. Every place that shows a subscription endpoint, a delivery's
// URL or a transport's error text (logs, `outbox` output, the console, SNS
// list operations) passes it through this; only GetSubscriptionAttributes
// returns an endpoint in full, as on AWS.
std::string RedactUrlPasswords(std::string_view text);

}  // namespace tw
