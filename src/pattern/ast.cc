#include "pattern/ast.h"

namespace tw::pattern {
namespace {

void AppendQuoted(std::string_view text, std::string* out) {
  *out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') *out += '\\';
    *out += c;
  }
  *out += '"';
}

void AppendExpr(const JsonExpr& expr, std::string* out) {
  switch (expr.kind) {
    case JsonExpr::Kind::kAnd:
    case JsonExpr::Kind::kOr: {
      *out += expr.kind == JsonExpr::Kind::kAnd ? "and{" : "or{";
      for (std::size_t i = 0; i < expr.children.size(); ++i) {
        if (i > 0) *out += ' ';
        AppendExpr(expr.children[i], out);
      }
      *out += '}';
      return;
    }
    case JsonExpr::Kind::kCondition: {
      const JsonCondition& c = expr.condition;
      *out += OpName(c.op);
      *out += '{';
      *out += c.selector.text;
      if (c.op != Op::kIsNull && c.op != Op::kIsTrue && c.op != Op::kIsFalse &&
          c.op != Op::kNotExists) {
        *out += ' ';
        *out += ToString(c.value);
      }
      *out += '}';
      return;
    }
  }
}

}  // namespace

bool Selector::has_wildcard() const {
  for (const Segment& s : segments) {
    if (s.kind == Segment::Kind::kAnyMember || s.kind == Segment::Kind::kAnyIndex) return true;
  }
  return false;
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kEq:
      return "eq";
    case Op::kNe:
      return "ne";
    case Op::kLt:
      return "lt";
    case Op::kLe:
      return "le";
    case Op::kGt:
      return "gt";
    case Op::kGe:
      return "ge";
    case Op::kIsNull:
      return "isnull";
    case Op::kIsTrue:
      return "istrue";
    case Op::kIsFalse:
      return "isfalse";
    case Op::kNotExists:
      return "notexists";
  }
  return "?";
}

std::string ToString(const Value& value) {
  std::string out;
  switch (value.kind) {
    case Value::Kind::kAnyScalar:
      return "any";
    case Value::Kind::kNumber:
      out = "num";
      AppendQuoted(value.text, &out);
      return out;
    case Value::Kind::kRegex:
      // A regex cannot contain '"', and its backslashes read best unescaped.
      return "re\"" + value.text + "\"";
    case Value::Kind::kString:
      if (value.leading_star || value.trailing_star) {
        out = "glob";
        AppendQuoted(
            (value.leading_star ? "*" : "") + value.text + (value.trailing_star ? "*" : ""), &out);
      } else {
        out = "str";
        AppendQuoted(value.text, &out);
      }
      return out;
  }
  return out;
}

std::string ToString(const JsonExpr& expr) {
  std::string out;
  AppendExpr(expr, &out);
  return out;
}

std::string ToString(const Ast& ast) {
  std::string out;
  switch (ast.kind) {
    case PatternKind::kMatchAll:
      return "all";
    case PatternKind::kTerms:
      out = "terms{";
      for (std::size_t i = 0; i < ast.terms.size(); ++i) {
        const Term& t = ast.terms[i];
        if (i > 0) out += ' ';
        out += t.role == Term::Role::kRequired   ? "req"
               : t.role == Term::Role::kOptional ? "opt"
                                                 : "exc";
        if (t.is_regex) {
          out += '%' + t.text + '%';
        } else {
          AppendQuoted(t.text, &out);
        }
      }
      return out + '}';
    case PatternKind::kJson:
      return "json{" + ToString(ast.json) + "}";
    case PatternKind::kDelimited:
      out = "delim{";
      for (std::size_t i = 0; i < ast.fields.size(); ++i) {
        const DelimitedFieldSpec& f = ast.fields[i];
        if (i > 0) out += ' ';
        if (f.kind == DelimitedFieldSpec::Kind::kEllipsis) {
          out += "ellipsis";
          continue;
        }
        if (f.kind == DelimitedFieldSpec::Kind::kBlank) {
          out += "blank";
          continue;
        }
        out += "field{" + f.name;
        for (std::size_t a = 0; a < f.alternatives.size(); ++a) {
          out += a == 0 ? " " : "|";
          for (std::size_t c = 0; c < f.alternatives[a].size(); ++c) {
            if (c > 0) out += '&';
            const FieldCondition& cond = f.alternatives[a][c];
            out += OpName(cond.op);
            out += '{' + ToString(cond.value) + '}';
          }
        }
        out += '}';
      }
      return out + '}';
  }
  return out;
}

}  // namespace tw::pattern
