// Percent-encoding (RFC 3986), as URLs in messages and the wire protocols
// need it. Pure and thread-safe.

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

}  // namespace tw
