// AWS's regular-expression subset (filter-patterns.md §4) on top of RE2.
//
// AWS accepts a small, documented set of characters and operators between
// '%' delimiters. CheckAndTranslate() rejects everything else with a
// message a user can act on, and rewrites the accepted text into RE2 syntax
// (`{,n}` becomes `{0,n}`; escaped symbols become literals). RE2 guarantees
// matching in time linear in the input, whatever the pattern.

#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tw::pattern {

struct RegexProblem {
  std::size_t offset = 0;  // byte offset of the problem inside the regex source
  std::string message;
  std::string hint;
};

// On success returns true and sets *translated; otherwise fills *problem.
bool CheckAndTranslateRegex(std::string_view source, std::string* translated,
                            RegexProblem* problem);

// Compiles translated RE2 syntax with the options every filter regex uses
// (case-sensitive, '.' excludes newline, no captures). Never null; check ok().
std::unique_ptr<const RE2> CompileRegex(const std::string& translated);

}  // namespace tw::pattern
