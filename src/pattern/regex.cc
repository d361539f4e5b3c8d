#include "pattern/regex.h"

#include <cctype>
#include <cstring>

namespace tw::pattern {
namespace {

constexpr std::string_view kOperators = "^$?[]{}|\\*+.";
constexpr std::string_view kSymbols = ":_#=@/;,- ";

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool Allowed(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         kOperators.find(c) != std::string_view::npos || kSymbols.find(c) != std::string_view::npos;
}

// If source[open] starts a repetition `{m}`, `{m,}`, `{,n}`, `{m,n}` or `{,}`,
// returns the index of its '}'; otherwise npos (the '{' is literal).
std::size_t RepetitionEnd(std::string_view source, std::size_t open) {
  std::size_t i = open + 1;
  std::size_t digits = 0;
  while (i < source.size() && std::isdigit(static_cast<unsigned char>(source[i]))) ++i, ++digits;
  bool comma = i < source.size() && source[i] == ',';
  if (comma) {
    ++i;
    while (i < source.size() && std::isdigit(static_cast<unsigned char>(source[i]))) ++i;
  }
  if (i >= source.size() || source[i] != '}') return std::string_view::npos;
  if (!comma && digits == 0) return std::string_view::npos;  // "{}" is literal
  return i;
}

// Rewrites a repetition in the form RE2 understands: an omitted lower bound
// is 0 (AWS allows `{,n}`, RE2 reads it literally) and leading zeros go
// (RE2 reads `{01}` literally too).
std::string NormalizeRepetition(std::string_view repetition) {
  std::string out = "{";
  std::string_view body = repetition.substr(1, repetition.size() - 2);
  std::size_t comma = body.find(',');
  auto bound = [](std::string_view digits, bool lower) -> std::string {
    std::size_t first = digits.find_first_not_of('0');
    if (first != std::string_view::npos) return std::string(digits.substr(first));
    if (!digits.empty() || lower) return "0";
    return "";  // an omitted upper bound stays omitted
  };
  out += bound(body.substr(0, comma), true);
  if (comma != std::string_view::npos) out += "," + bound(body.substr(comma + 1), false);
  return out + "}";
}

RE2::Options FilterRegexOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(true);
  options.set_dot_nl(false);
  options.set_never_capture(true);
  return options;
}

}  // namespace

bool CheckAndTranslateRegex(std::string_view source, std::string* translated,
                            RegexProblem* problem) {
  auto fail = [&](std::size_t offset, std::string message, std::string hint = "") {
    problem->offset = offset;
    problem->message = std::move(message);
    problem->hint = std::move(hint);
    return false;
  };
  if (source.empty())
    return fail(0, "empty regular expression", "write a regex between the % signs");
  std::string out;
  out.reserve(source.size() + 4);
  for (std::size_t i = 0; i < source.size(); ++i) {
    char c = source[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      return fail(i, "non-ASCII characters are not supported in a regular expression",
                  "match them with . or a character class");
    }
    if (c == '(' || c == ')') {
      return fail(i, "regex parentheses are not supported",
                  "groups are not available; match a literal parenthesis with \\x28 or \\x29");
    }
    if (!Allowed(c)) {
      return fail(i, std::string("invalid character '") + c + "' in regular expression",
                  "allowed are letters, digits, : _ # = @ / ; , - and the operators ^ $ ? [ ] { } "
                  "| \\ * + .; "
                  "write other characters as \\xhh");
    }
    if (c == '\\') {
      if (i + 1 == source.size()) return fail(i, "regular expression ends with a lone '\\'");
      char next = source[i + 1];
      if (next == 'x') {
        if (i + 3 >= source.size() || !IsHex(source[i + 2]) || !IsHex(source[i + 3])) {
          return fail(i, "\\x must be followed by two hex digits", "e.g. \\x28 for '('");
        }
        out.append(source.substr(i, 4));
        i += 3;
        continue;
      }
      if (std::strchr("dDsSwW", next) != nullptr) {
        out += c;
        out += next;
        ++i;
        continue;
      }
      if (std::isalnum(static_cast<unsigned char>(next)) || next == '_' || next == ' ' ||
          !Allowed(next)) {
        if (next == '(' || next == ')') {
          return fail(i + 1, "regex parentheses are not supported",
                      "match a literal parenthesis with \\x28 or \\x29");
        }
        if (next == ' ' || next == '_') {  // RE2 rejects these escapes; they mean the character
          out += next;
          ++i;
          continue;
        }
        return fail(i, std::string("unsupported escape '\\") + next + "'",
                    "supported escapes are \\d \\D \\s \\S \\w \\W \\xhh and \\ before a symbol");
      }
      out += c;
      out += next;
      ++i;
      continue;
    }
    if (c == '{') {
      std::size_t close = RepetitionEnd(source, i);
      if (close != std::string_view::npos) {
        out += NormalizeRepetition(source.substr(i, close - i + 1));
        i = close;
        continue;
      }
    }
    out += c;
  }
  std::unique_ptr<const RE2> compiled = CompileRegex(out);
  if (!compiled->ok()) {
    return fail(0, "invalid regular expression: " + compiled->error());
  }
  *translated = std::move(out);
  return true;
}

std::unique_ptr<const RE2> CompileRegex(const std::string& translated) {
  return std::make_unique<const RE2>(translated, FilterRegexOptions());
}

}  // namespace tw::pattern
