#include "support/reference_matcher.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

// GCC 12 with -fsanitize=address warns (-Wmaybe-uninitialized) inside
// libstdc++'s std::function as used by <regex>; a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace tw::testing {
namespace {

using pattern::Ast;
using pattern::DelimitedAlignment;
using pattern::DelimitedFieldSpec;
using pattern::ExtractedValues;
using pattern::JsonCondition;
using pattern::JsonExpr;
using pattern::Op;
using pattern::PatternKind;
using pattern::Segment;
using pattern::Term;
using pattern::Value;
using Json = nlohmann::ordered_json;

// The C locale's whitespace: space, \t, \n, \v, \f, \r.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// ---------------------------------------------------------------------------
// Regular expressions

std::string HexEscape(char c) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  return std::string("\\x") + kDigits[byte >> 4] + kDigits[byte & 15];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// If source[i] starts a repetition `{n}`, `{n,}`, `{n,m}`, or one with the
// lower bound or both bounds omitted (`{,m}`, `{,}`: "either bound omitted"),
// returns its length; otherwise 0 and '{' is a literal, as in RE2. Bounds
// are numbers: `{01}` is `{1}`.
std::size_t RepetitionLength(std::string_view source, std::size_t i) {
  std::size_t j = i + 1;
  std::size_t low_digits = 0;
  while (j < source.size() && IsDigit(source[j])) ++j, ++low_digits;
  bool comma = false;
  if (j < source.size() && source[j] == ',') {
    comma = true;
    ++j;
    while (j < source.size() && IsDigit(source[j])) ++j;
  }
  if (j >= source.size() || source[j] != '}') return 0;
  if (low_digits == 0 && !comma) return 0;
  return j + 1 - i;
}

// Whether a compiled regex finds a match anywhere in `text`.
bool RegexSearch(std::string_view source, std::string_view text) {
  const std::regex re(TranslateRegexForStdRegex(source), std::regex::ECMAScript);
  return std::regex_search(text.begin(), text.end(), re);
}

// ---------------------------------------------------------------------------
// Comparisons shared by JSON values and delimited fields

bool IsRelational(Op op) {
  return op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
}

bool CompareNumbers(Op op, double lhs, double rhs) {
  switch (op) {
    case Op::kEq:
      return lhs == rhs;
    case Op::kNe:
      return lhs != rhs;
    case Op::kLt:
      return lhs < rhs;
    case Op::kLe:
      return lhs <= rhs;
    case Op::kGt:
      return lhs > rhs;
    case Op::kGe:
      return lhs >= rhs;
    default:
      return false;
  }
}

bool GlobMatches(const Value& value, std::string_view text) {
  const std::string_view needle = value.text;
  if (value.leading_star && value.trailing_star) return text.find(needle) != std::string_view::npos;
  if (value.leading_star) return text.ends_with(needle);
  if (value.trailing_star) return text.starts_with(needle);
  return text == needle;
}

// `text` is the scalar's text; `number` is set when the scalar is a number
// (a JSON number, or a delimited field whose text is a numeral).
bool CompareScalar(Op op, const Value& value, std::string_view text, std::optional<double> number) {
  switch (value.kind) {
    case Value::Kind::kAnyScalar:
      return op == Op::kEq;  // `!= *` is never true
    case Value::Kind::kString:
      if (IsRelational(op)) return false;
      return GlobMatches(value, text) == (op == Op::kEq);
    case Value::Kind::kRegex:
      if (IsRelational(op)) return false;
      return RegexSearch(value.text, text) == (op == Op::kEq);
    case Value::Kind::kNumber:
      if (number.has_value()) return CompareNumbers(op, *number, value.number);
      if (IsRelational(op)) return false;
      return (text == value.text) == (op == Op::kEq);
  }
  return false;
}

// ---------------------------------------------------------------------------
// JSON patterns

template <typename T>
std::string RenderNumber(T number) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), number);
  return std::string(buffer, result.ptr);
}

// The text a pattern compares a JSON scalar against; nullopt for null,
// objects and arrays.
std::optional<std::string> ScalarText(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get_ref<const std::string&>();
    case Json::value_t::boolean:
      return std::string(value.get<bool>() ? "true" : "false");
    case Json::value_t::number_integer:
      return RenderNumber(value.get<std::int64_t>());
    case Json::value_t::number_unsigned:
      return RenderNumber(value.get<std::uint64_t>());
    case Json::value_t::number_float:
      return RenderNumber(value.get<double>());
    default:
      return std::nullopt;
  }
}

bool IsContainer(const Json& value) { return value.is_object() || value.is_array(); }

// Appends every node `segments` selects below `node`, in document order.
void Select(const Json& node, std::span<const Segment> segments, std::vector<const Json*>* out) {
  if (segments.empty()) {
    out->push_back(&node);
    return;
  }
  const Segment& segment = segments.front();
  const auto rest = segments.subspan(1);
  switch (segment.kind) {
    case Segment::Kind::kMember:
      if (node.is_object()) {
        auto it = node.find(segment.name);
        if (it != node.end()) Select(*it, rest, out);
      }
      break;
    case Segment::Kind::kIndex:
      if (node.is_array() && segment.index < node.size()) Select(node[segment.index], rest, out);
      break;
    case Segment::Kind::kAnyMember:
      if (node.is_object()) {
        for (const auto& item : node.items()) Select(item.value(), rest, out);
      }
      break;
    case Segment::Kind::kAnyIndex:
      if (node.is_array()) {
        for (const Json& element : node) Select(element, rest, out);
      }
      break;
  }
}

std::vector<const Json*> Select(const Json& root, const pattern::Selector& selector) {
  std::vector<const Json*> out;
  Select(root, selector.segments, &out);
  return out;
}

bool ValueSatisfies(const JsonCondition& condition, const Json& value) {
  switch (condition.op) {
    case Op::kIsNull:
      return value.is_null();
    case Op::kIsTrue:
      return value.is_boolean() && value.get<bool>();
    case Op::kIsFalse:
      return value.is_boolean() && !value.get<bool>();
    case Op::kNotExists:
      return false;  // decided on the whole selection
    default:
      break;
  }
  std::optional<std::string> text = ScalarText(value);
  if (!text.has_value()) return false;  // null, object or array
  std::optional<double> number;
  if (value.is_number()) number = value.get<double>();
  return CompareScalar(condition.op, condition.value, *text, number);
}

bool EvalCondition(const JsonCondition& condition, const Json& root) {
  const std::vector<const Json*> selected = Select(root, condition.selector);
  if (condition.op == Op::kNotExists) return selected.empty();
  return std::any_of(selected.begin(), selected.end(),
                     [&](const Json* value) { return ValueSatisfies(condition, *value); });
}

bool EvalJson(const JsonExpr& expr, const Json& root) {
  switch (expr.kind) {
    case JsonExpr::Kind::kAnd:
      return std::all_of(expr.children.begin(), expr.children.end(),
                         [&](const JsonExpr& child) { return EvalJson(child, root); });
    case JsonExpr::Kind::kOr:
      return std::any_of(expr.children.begin(), expr.children.end(),
                         [&](const JsonExpr& child) { return EvalJson(child, root); });
    case JsonExpr::Kind::kCondition:
      return EvalCondition(expr.condition, root);
  }
  return false;
}

// Builds a Json document from nlohmann's SAX events so that a duplicated key
// is handled as "last wins": the earlier occurrence is dropped and the member
// sits where its last occurrence is, as if the earlier ones were not there.
class DocumentBuilder {
 public:
  Json TakeRoot() { return std::move(root_); }

  bool null() { return Place(Json(nullptr)); }
  bool boolean(bool value) { return Place(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return Place(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return Place(Json(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t&) {
    return Place(Json(value));
  }
  bool string(Json::string_t& value) { return Place(Json(value)); }
  bool binary(Json::binary_t&) { return false; }  // not produced by JSON text
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_array() { return Close(); }
  bool key(Json::string_t& key) {
    keys_.back() = key;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  // Adds `value` to the innermost open container (or makes it the root) and
  // returns where it now lives. Only finished siblings move in memory, never
  // an open container, so the pointers in `open_` stay valid.
  Json* Add(Json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    const std::string& key = keys_.back();
    parent.erase(key);
    parent[key] = std::move(value);
    return &parent[key];
  }
  bool Place(Json value) {
    Add(std::move(value));
    return true;
  }
  bool Open(Json container) {
    open_.push_back(Add(std::move(container)));
    keys_.emplace_back();
    return true;
  }
  bool Close() {
    open_.pop_back();
    keys_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Json*> open_;        // containers being filled, outermost first
  std::vector<std::string> keys_;  // the pending member name of each
};

// The message as one JSON value, or nullopt when it is anything else
// (including a number beyond the range of a double, which nlohmann rejects).
std::optional<Json> ParseJson(std::string_view message) {
  DocumentBuilder builder;
  if (!Json::sax_parse(message.begin(), message.end(), &builder)) return std::nullopt;
  return builder.TakeRoot();
}

void CollectSelectors(const JsonExpr& expr, std::vector<const pattern::Selector*>* out) {
  if (expr.kind == JsonExpr::Kind::kCondition) {
    const pattern::Selector& selector = expr.condition.selector;
    const bool seen = std::any_of(out->begin(), out->end(), [&](const pattern::Selector* s) {
      return s->text == selector.text;
    });
    if (!seen) out->push_back(&selector);
    return;
  }
  for (const JsonExpr& child : expr.children) CollectSelectors(child, out);
}

ExtractedValues ExtractJson(const JsonExpr& expr, const Json& root) {
  std::vector<const pattern::Selector*> selectors;
  CollectSelectors(expr, &selectors);
  ExtractedValues values;
  for (const pattern::Selector* selector : selectors) {
    for (const Json* value : Select(root, *selector)) {
      if (IsContainer(*value)) continue;
      std::optional<std::string> text = ScalarText(*value);
      values.emplace_back(selector->text, text.value_or("null"));
      break;
    }
  }
  return values;
}

// ---------------------------------------------------------------------------
// Term patterns

bool TermOccurs(const Term& term, std::string_view message) {
  if (term.is_regex) return RegexSearch(term.text, message);
  // A phrase of only whitespace matches every event (docs: `" "`).
  if (Trim(term.text).empty()) return true;
  return message.find(term.text) != std::string_view::npos;
}

bool EvalTerms(const std::vector<Term>& terms, std::string_view message) {
  bool has_mandatory = false;  // a plain or excluded term
  for (const Term& term : terms) {
    if (term.role != Term::Role::kOptional) has_mandatory = true;
  }
  if (!has_mandatory) {
    return std::any_of(terms.begin(), terms.end(),
                       [&](const Term& term) { return TermOccurs(term, message); });
  }
  for (const Term& term : terms) {
    switch (term.role) {
      case Term::Role::kRequired:
        if (!TermOccurs(term, message)) return false;
        break;
      case Term::Role::kExcluded:
        if (TermOccurs(term, message)) return false;
        break;
      case Term::Role::kOptional:
        break;  // ignored when any plain or excluded term is present
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Space-delimited patterns

struct EventField {
  std::string text;   // without grouping quotes / brackets
  std::size_t begin;  // offset of the raw field (its opening quote, if any)
};

std::vector<EventField> SplitFields(std::string_view message) {
  std::vector<EventField> fields;
  std::size_t i = 0;
  while (true) {
    while (i < message.size() && IsSpace(message[i])) ++i;
    if (i == message.size()) break;
    const std::size_t begin = i;
    const char open = message[i];
    if (open == '"' || open == '[') {
      const char close = open == '"' ? '"' : ']';
      const std::size_t stop = message.find(close, i + 1);
      if (stop == std::string_view::npos) {  // unterminated: runs to the end
        fields.push_back({std::string(message.substr(i + 1)), begin});
        i = message.size();
      } else {
        fields.push_back({std::string(message.substr(i + 1, stop - i - 1)), begin});
        i = stop + 1;
      }
    } else {
      while (i < message.size() && !IsSpace(message[i])) ++i;
      fields.push_back({std::string(message.substr(begin, i - begin)), begin});
    }
  }
  return fields;
}

// Whether `text` is a numeral as the pattern language writes numbers
// (parser.h): [+-]?(d+[.d*]|.d+)([eE][+-]?d+)?
std::optional<double> ParseNumeral(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    const std::size_t exponent_begin = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == exponent_begin) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  return std::strtod(std::string(text).c_str(), nullptr);
}

bool FieldSatisfies(const DelimitedFieldSpec& spec, std::string_view text) {
  if (spec.kind != DelimitedFieldSpec::Kind::kNamed || spec.alternatives.empty()) return true;
  const std::optional<double> number = ParseNumeral(text);
  return std::any_of(spec.alternatives.begin(), spec.alternatives.end(), [&](const auto& all) {
    return std::all_of(all.begin(), all.end(), [&](const pattern::FieldCondition& condition) {
      return CompareScalar(condition.op, condition.value, text, number);
    });
  });
}

// One event field (or, for an absorbing last field, the rest of the line)
// and the pattern field it is bound to.
struct Binding {
  const DelimitedFieldSpec* spec;  // nullptr: covered by `...` or by no field
  std::string text;
  std::size_t position;  // 1-based event position of the first field covered
};

// The bindings of every event field, or nullopt when the counts do not fit.
std::optional<std::vector<Binding>> Align(const std::vector<DelimitedFieldSpec>& specs,
                                          std::string_view message, DelimitedAlignment alignment) {
  const std::vector<EventField> fields = SplitFields(message);
  const std::size_t count = fields.size();
  std::vector<Binding> bindings;
  auto positional = [&](std::size_t i) { bindings.push_back({nullptr, fields[i].text, i + 1}); };
  auto bound = [&](const DelimitedFieldSpec& spec, std::size_t i) {
    bindings.push_back({&spec, fields[i].text, i + 1});
  };
  if (specs.empty()) {  // `[]` matches every event
    for (std::size_t i = 0; i < count; ++i) positional(i);
    return bindings;
  }
  const auto ellipsis = std::find_if(specs.begin(), specs.end(), [](const auto& spec) {
    return spec.kind == DelimitedFieldSpec::Kind::kEllipsis;
  });
  if (ellipsis != specs.end()) {
    const auto before = static_cast<std::size_t>(ellipsis - specs.begin());
    const std::size_t after = specs.size() - before - 1;
    if (count < before + after) return std::nullopt;
    for (std::size_t i = 0; i < count; ++i) {
      if (i < before) {
        bound(specs[i], i);
      } else if (i >= count - after) {
        bound(specs[before + 1 + (i - (count - after))], i);
      } else {
        positional(i);
      }
    }
    return bindings;
  }
  const std::size_t n = specs.size();
  if (count < n) return std::nullopt;
  if (count > n && alignment == DelimitedAlignment::kStrict) return std::nullopt;
  for (std::size_t i = 0; i + 1 < n; ++i) bound(specs[i], i);
  if (count == n) {
    bound(specs[n - 1], n - 1);
  } else if (specs[n - 1].kind == DelimitedFieldSpec::Kind::kNamed) {
    // The last field absorbs the rest of the line, raw and trimmed.
    bindings.push_back({&specs[n - 1], std::string(Trim(message.substr(fields[n - 1].begin))), n});
  } else {
    // A blank last field absorbs the rest; those fields stay positional.
    for (std::size_t i = n - 1; i < count; ++i) bound(specs[n - 1], i);
  }
  return bindings;
}

bool EvalDelimited(const std::vector<DelimitedFieldSpec>& specs, std::string_view message,
                   DelimitedAlignment alignment) {
  const std::optional<std::vector<Binding>> bindings = Align(specs, message, alignment);
  if (!bindings.has_value()) return false;
  return std::all_of(bindings->begin(), bindings->end(), [](const Binding& binding) {
    return binding.spec == nullptr || FieldSatisfies(*binding.spec, binding.text);
  });
}

ExtractedValues ExtractDelimited(const std::vector<DelimitedFieldSpec>& specs,
                                 std::string_view message, DelimitedAlignment alignment) {
  const std::optional<std::vector<Binding>> bindings = Align(specs, message, alignment);
  ExtractedValues values;
  if (!bindings.has_value()) return values;
  for (const Binding& binding : *bindings) {
    // Appending (rather than "$" + ...) sidesteps a GCC 12 -O3 -Wrestrict false positive.
    std::string key = "$";
    if (binding.spec != nullptr && binding.spec->kind == DelimitedFieldSpec::Kind::kNamed) {
      key += binding.spec->name;
    } else {
      key += std::to_string(binding.position);
    }
    values.emplace_back(std::move(key), binding.text);
  }
  return values;
}

}  // namespace

std::string TranslateRegexForStdRegex(std::string_view source) {
  // RE2's ASCII classes, spelled out so std::regex's locale cannot widen them.
  static constexpr std::string_view kSpaceClass = "\\t\\n\\f\\r ";
  static constexpr std::string_view kWordClass = "A-Za-z0-9_";
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\\' && i + 1 < source.size()) {
      const char next = source[++i];
      switch (next) {
        case 'x':  // \xhh: the same in both syntaxes
          out += source.substr(i - 1, 4);
          i += 2;
          break;
        case 'd':
          out += in_class ? "0-9" : "[0-9]";
          break;
        case 'D':
          out += in_class ? "\\D" : "[^0-9]";
          break;
        case 's':
          out += in_class ? std::string(kSpaceClass) : "[" + std::string(kSpaceClass) + "]";
          break;
        case 'S':
          out += in_class ? "\\S" : "[^" + std::string(kSpaceClass) + "]";
          break;
        case 'w':
          out += in_class ? std::string(kWordClass) : "[" + std::string(kWordClass) + "]";
          break;
        case 'W':
          out += in_class ? "\\W" : "[^" + std::string(kWordClass) + "]";
          break;
        default:
          out += HexEscape(next);
          break;  // an escaped symbol is that symbol
      }
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      if (c == '[') {
        out += "\\[";
      } else {
        out += c;
      }
      continue;
    }
    switch (c) {
      case '[': {
        in_class = true;
        out += '[';
        if (i + 1 < source.size() && source[i + 1] == '^') out += source[++i];
        // RE2 takes a ']' right after the opening bracket literally.
        if (i + 1 < source.size() && source[i + 1] == ']') {
          out += "\\]";
          ++i;
        }
        break;
      }
      case '.':
        out += "[^\\n]";
        break;
      case '^':
      case '$': {
        // RE2 lets an anchor be repeated (`^?`); ECMAScript only a group.
        const bool quantified =
            i + 1 < source.size() &&
            (source[i + 1] == '?' || source[i + 1] == '*' || source[i + 1] == '+' ||
             (source[i + 1] == '{' && RepetitionLength(source, i + 1) > 0));
        out += quantified ? std::string("(?:") + c + ")" : std::string(1, c);
        break;
      }
      case '{': {
        const std::size_t length = RepetitionLength(source, i);
        if (length == 0) {
          out += "\\{";
        } else {
          std::string repetition(source.substr(i, length));
          if (repetition[1] == ',') repetition.insert(1, "0");
          out += repetition;
          i += length - 1;
        }
        break;
      }
      case '}':
        out += "\\}";
        break;
      case ']':
        out += "\\]";
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
}

bool ReferenceMatches(const Ast& ast, std::string_view message, DelimitedAlignment alignment) {
  switch (ast.kind) {
    case PatternKind::kMatchAll:
      return true;
    case PatternKind::kTerms:
      return EvalTerms(ast.terms, message);
    case PatternKind::kJson: {
      const std::optional<Json> root = ParseJson(message);
      return root.has_value() && EvalJson(ast.json, *root);
    }
    case PatternKind::kDelimited:
      return EvalDelimited(ast.fields, message, alignment);
  }
  return false;
}

ExtractedValues ReferenceExtract(const Ast& ast, std::string_view message,
                                 DelimitedAlignment alignment) {
  switch (ast.kind) {
    case PatternKind::kMatchAll:
    case PatternKind::kTerms:
      return {};
    case PatternKind::kJson: {
      const std::optional<Json> root = ParseJson(message);
      if (!root.has_value()) return {};
      return ExtractJson(ast.json, *root);
    }
    case PatternKind::kDelimited:
      return ExtractDelimited(ast.fields, message, alignment);
  }
  return {};
}

}  // namespace tw::testing
