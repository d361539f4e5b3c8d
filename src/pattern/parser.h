// Parser for CloudWatch Logs filter patterns: text -> Ast (ast.h).
//
// Grammar (after trimming whitespace; filter-patterns.md §2–§6):
//
//   pattern      := ''                                  (match-all)
//                 | json_pattern | delimited_pattern | term_pattern
//
//   term_pattern := term ( ws term )*
//   term         := [ '?' | '-' ] ws? ( quoted | regex | bare_term )
//   quoted       := '"' ( '\"' | '\\' | any char but '"' )* '"'
//   regex        := '%' regex_text '%'                  (regex.h checks regex_text)
//   bare_term    := any run of non-whitespace characters
//
//   json_pattern := '{' or_expr '}'
//   or_expr      := and_expr ( '||' and_expr )*         (&& binds tighter than ||)
//   and_expr     := primary ( '&&' primary )*
//   primary      := '(' or_expr ')' | condition         (nesting depth <= kMaxNestingDepth)
//   condition    := selector ( cmp_op value | IS (NULL|TRUE|FALSE) | NOT EXISTS )
//   cmp_op       := '=' | '!=' | '<' | '<=' | '>' | '>='
//   selector     := '$' segment+
//   segment      := '.' name | '.*' | '.[' key ']' | '[' digits ']' | '[*]' | '[' key ']'
//   name         := [A-Za-z0-9_-]+
//   key          := "'" chars "'" | '"' chars '"'
//   value        := quoted | regex | bare_value
//   bare_value   := characters up to ')', '}', '(', '&' or '|', trailing spaces trimmed;
//                   a number if it reads as [+-]?(d+[.d*]|.d+)([eE][+-]?d+)?, '*' alone = any,
//                   a leading/trailing '*' is a wildcard
//
//   delimited_pattern := '[' [ field ( ',' field )* ] ']'
//   field        := '...' | '' | name | name cmp_op dvalue ( ('&&'|'||') name cmp_op dvalue )*
//   dvalue       := quoted | regex | characters up to whitespace, ',', ']', '&', '|'
//
// Every error carries the column of the offending text (PatternError).

#pragma once

#include <string_view>

#include "common/status.h"
#include "pattern/ast.h"
#include "pattern/pattern.h"

namespace tw::pattern {

// Parses a JSON selector on its own (for metric value references), e.g.
// "$.requestParameters.bucketName". The column in an error is 1-based in `text`.
Result<Selector, PatternError> ParseSelector(std::string_view text);

// Reads `text` as a filter-pattern number; false if it is not one.
bool ParsePatternNumber(std::string_view text, double* value);

}  // namespace tw::pattern
