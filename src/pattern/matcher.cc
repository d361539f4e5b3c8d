// Compilation (Ast -> Program) and matching. Matching follows
// docs/pattern-syntax.md rule by rule; the reference interpreter in
// tests/support checks it on generated patterns and events.

#include <algorithm>
#include <charconv>

#include "pattern/parser.h"
#include "pattern/pattern.h"
#include "pattern/program.h"
#include "pattern/regex.h"

namespace tw::pattern {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimRight(std::string_view text) {
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool IsRelational(Op op) {
  return op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
}

bool Compare(Op op, double left, double right) {
  switch (op) {
    case Op::kEq:
      return left == right;
    case Op::kNe:
      return left != right;
    case Op::kLt:
      return left < right;
    case Op::kLe:
      return left <= right;
    case Op::kGt:
      return left > right;
    case Op::kGe:
      return left >= right;
    default:
      return false;
  }
}

std::unique_ptr<const RE2> BuildRegex(const std::string& source) {
  std::string translated;
  RegexProblem problem;
  // The parser already accepted `source`, so this cannot fail.
  CheckAndTranslateRegex(source, &translated, &problem);
  return CompileRegex(translated);
}

// ---------------------------------------------------------------- JSON --

template <typename F>
void ForEachSelected(const CompiledCondition& c, event::EventView& event, F&& visit) {
  event::JsonValue base = event.Resolve(*c.path);
  if (!c.wildcard) {
    if (base.valid()) visit(base);
    return;
  }
  auto descend = [&](event::JsonValue child) {
    for (const event::FieldPath::Step& step : c.after_wildcard) {
      if (!child.valid()) return true;
      child = step.is_index ? child.Element(step.index) : child.Member(step.member);
    }
    return child.valid() ? visit(child) : true;
  };
  if (c.wildcard_kind == Segment::Kind::kAnyMember) {
    base.ForEachDistinctMember(
        [&](std::string_view, event::JsonValue child) { return descend(child); });
  } else {
    base.ForEachElement([&](event::JsonValue child) { return descend(child); });
  }
}

bool NodeSatisfies(const CompiledCondition& c, event::JsonValue node) {
  event::JsonType type = node.type();
  switch (c.op) {
    case Op::kIsNull:
      return type == event::JsonType::kNull;
    case Op::kIsTrue:
      return type == event::JsonType::kBool && node.AsBool();
    case Op::kIsFalse:
      return type == event::JsonType::kBool && !node.AsBool();
    case Op::kNotExists:
      return false;  // handled by the caller
    default:
      break;
  }
  if (IsRelational(c.op)) {
    return type == event::JsonType::kNumber && Compare(c.op, node.AsDouble(), c.test.number);
  }
  if (type == event::JsonType::kNumber && c.test.kind == ValueTest::Kind::kNumber) {
    return Compare(c.op, node.AsDouble(), c.test.number);
  }
  std::array<char, event::kScalarTextCapacity> buffer;
  bool has_text = false;
  std::string_view text = node.ScalarText(buffer, &has_text);
  if (!has_text) return false;  // null, object, array: not a value to compare
  bool equal = TextSatisfies(c.test, text);
  return c.op == Op::kEq ? equal : !equal;
}

bool EvalCondition(const CompiledCondition& c, event::EventView& event) {
  bool hit = false;
  if (c.op == Op::kNotExists) {
    ForEachSelected(c, event, [&](event::JsonValue) {
      hit = true;
      return false;
    });
    return !hit;
  }
  ForEachSelected(c, event, [&](event::JsonValue node) {
    hit = NodeSatisfies(c, node);
    return !hit;
  });
  return hit;
}

bool EvalExpr(const Program& program, const CompiledExpr& expr, event::EventView& event) {
  switch (expr.kind) {
    case CompiledExpr::Kind::kCondition:
      return EvalCondition(program.conditions[expr.condition], event);
    case CompiledExpr::Kind::kAnyOf: {
      // Same result as each `PATH = literal` in turn: the value's text equals one of them.
      std::array<char, event::kScalarTextCapacity> buffer;
      bool has_text = false;
      std::string_view text = event.Resolve(*expr.path).ScalarText(buffer, &has_text);
      return has_text &&
             std::binary_search(expr.sorted_texts.begin(), expr.sorted_texts.end(), text,
                                [](std::string_view a, std::string_view b) { return a < b; });
    }
    case CompiledExpr::Kind::kAnd:
      for (const CompiledExpr& child : expr.children) {
        if (!EvalExpr(program, child, event)) return false;
      }
      return true;
    case CompiledExpr::Kind::kOr:
      for (const CompiledExpr& child : expr.children) {
        if (EvalExpr(program, child, event)) return true;
      }
      return false;
  }
  return false;
}

// ------------------------------------------------------------- fields --

// Where pattern field `index` lands in an event with `fields`; false if the
// event cannot align with the pattern at all.
struct Binding {
  std::size_t first = 0;  // event field index
  bool absorbs_rest = false;
};

bool Aligns(const Program& p, std::size_t n) {
  std::size_t k = p.fields.size();
  if (k == 0) return true;
  if (p.ellipsis < 0) {
    return n == k || (n > k && p.options.alignment == DelimitedAlignment::kLastFieldAbsorbs);
  }
  return n >= k - 1;
}

Binding Bind(const Program& p, std::size_t index, std::size_t n) {
  std::size_t k = p.fields.size();
  if (p.ellipsis < 0) return {index, index == k - 1 && n > k};
  if (static_cast<int>(index) < p.ellipsis) return {index, false};
  return {n - (k - index), false};
}

std::string_view BoundText(std::span<const event::DelimitedField> fields, std::string_view message,
                           Binding binding) {
  if (binding.absorbs_rest) return TrimRight(message.substr(fields[binding.first].begin));
  return fields[binding.first].text;
}

bool MatchesDelimited(const Program& p, event::EventView& event) {
  std::span<const event::DelimitedField> fields = event.Fields();
  std::size_t n = fields.size();
  if (!Aligns(p, n)) return false;
  for (std::size_t i = 0; i < p.fields.size(); ++i) {
    const CompiledField& field = p.fields[i];
    if (field.alternatives.empty()) continue;
    std::string_view text = BoundText(fields, event.message(), Bind(p, i, n));
    bool any =
        std::any_of(field.alternatives.begin(), field.alternatives.end(), [&](const auto& alt) {
          return std::all_of(alt.begin(), alt.end(), [&](const CompiledField::Condition& c) {
            return FieldSatisfies(c.op, c.test, text);
          });
        });
    if (!any) return false;
  }
  return true;
}

// --------------------------------------------------------------- terms --

bool Occurs(const CompiledTerm& term, std::string_view message) {
  if (term.always) return true;
  if (term.regex) return RE2::PartialMatch(message, *term.regex);
  return message.find(term.text) != std::string_view::npos;
}

bool MatchesTerms(const Program& p, std::string_view message) {
  if (p.required.empty() && p.excluded.empty()) {
    return std::any_of(p.optional.begin(), p.optional.end(),
                       [&](const CompiledTerm& t) { return Occurs(t, message); });
  }
  for (const CompiledTerm& t : p.required) {
    if (!Occurs(t, message)) return false;
  }
  for (const CompiledTerm& t : p.excluded) {
    if (Occurs(t, message)) return false;
  }
  return true;
}

// ------------------------------------------------------------- compile --

class Compiler {
 public:
  Compiler(Ast ast, const CompileOptions& options) : program_(std::make_unique<Program>()) {
    program_->ast = std::move(ast);
    program_->options = options;
  }

  std::unique_ptr<const Program> Build() {
    const Ast& ast = program_->ast;
    switch (ast.kind) {
      case PatternKind::kMatchAll:
        break;
      case PatternKind::kTerms:
        BuildTerms(ast.terms);
        break;
      case PatternKind::kJson:
        program_->root = BuildExpr(ast.json);
        program_->prefilter = DerivePrefilter(*program_);
        break;
      case PatternKind::kDelimited:
        BuildFields(ast.fields);
        break;
    }
    return std::move(program_);
  }

 private:
  void BuildTerms(const std::vector<Term>& terms) {
    for (const Term& term : terms) {
      CompiledTerm compiled;
      compiled.role = term.role;
      compiled.text = term.text;
      if (term.is_regex) {
        compiled.regex = BuildRegex(term.text);
      } else {
        compiled.always =
            !term.text.empty() && std::all_of(term.text.begin(), term.text.end(), IsSpace);
      }
      auto& list = term.role == Term::Role::kRequired   ? program_->required
                   : term.role == Term::Role::kExcluded ? program_->excluded
                                                        : program_->optional;
      list.push_back(std::move(compiled));
    }
  }

  CompiledExpr BuildExpr(const JsonExpr& expr) {
    CompiledExpr out;
    if (expr.kind != JsonExpr::Kind::kCondition) {
      out.kind =
          expr.kind == JsonExpr::Kind::kAnd ? CompiledExpr::Kind::kAnd : CompiledExpr::Kind::kOr;
      for (const JsonExpr& child : expr.children) out.children.push_back(BuildExpr(child));
      if (out.kind == CompiledExpr::Kind::kOr) GroupExactAlternatives(&out);
      return out;
    }
    out.kind = CompiledExpr::Kind::kCondition;
    const JsonCondition& source = expr.condition;
    CompiledCondition c;
    c.op = source.op;
    c.test = BuildValueTest(source.value);
    std::vector<event::FieldPath::Step> before;
    for (const Segment& segment : source.selector.segments) {
      bool is_wildcard =
          segment.kind == Segment::Kind::kAnyMember || segment.kind == Segment::Kind::kAnyIndex;
      if (is_wildcard) {
        c.wildcard = true;
        c.wildcard_kind = segment.kind;
        continue;
      }
      event::FieldPath::Step step;
      step.is_index = segment.kind == Segment::Kind::kIndex;
      step.member = segment.name;
      step.index = segment.index;
      (c.wildcard ? c.after_wildcard : before).push_back(std::move(step));
    }
    c.path = Intern(event::FieldPath(std::move(before)));
    out.condition = program_->conditions.size();
    if (std::none_of(program_->extracted.begin(), program_->extracted.end(),
                     [&](const ExtractedSelector& e) { return e.text == source.selector.text; })) {
      program_->extracted.push_back({source.selector.text, out.condition});
    }
    program_->conditions.push_back(std::move(c));
    return out;
  }

  // Replaces the `PATH = "literal"` children of an OR that share a path with
  // one kAnyOf child. OR has no side effects, so regrouping keeps its meaning.
  void GroupExactAlternatives(CompiledExpr* any) {
    auto exact_path = [&](const CompiledExpr& child) -> const event::FieldPath* {
      if (child.kind != CompiledExpr::Kind::kCondition) return nullptr;
      const CompiledCondition& c = program_->conditions[child.condition];
      bool exact = c.op == Op::kEq && !c.wildcard && c.test.kind == ValueTest::Kind::kExact;
      return exact ? c.path : nullptr;
    };
    std::vector<CompiledExpr> kept;
    std::vector<CompiledExpr> groups;
    for (CompiledExpr& child : any->children) {
      const event::FieldPath* path = exact_path(child);
      std::size_t count = 0;
      for (const CompiledExpr& other : any->children) count += path && exact_path(other) == path;
      if (count < 2) {
        kept.push_back(std::move(child));
        continue;
      }
      auto group = std::find_if(groups.begin(), groups.end(),
                                [&](const CompiledExpr& g) { return g.path == path; });
      if (group == groups.end()) {
        CompiledExpr fresh;
        fresh.kind = CompiledExpr::Kind::kAnyOf;
        fresh.path = path;
        groups.push_back(std::move(fresh));
        group = groups.end() - 1;
      }
      group->sorted_texts.push_back(program_->conditions[child.condition].test.text);
    }
    for (CompiledExpr& group : groups) {
      std::sort(group.sorted_texts.begin(), group.sorted_texts.end());
      kept.push_back(std::move(group));
    }
    if (kept.size() == 1) {
      *any = std::move(kept.front());
    } else {
      any->children = std::move(kept);
    }
  }

  const event::FieldPath* Intern(event::FieldPath path) {
    program_->paths.push_back(event::InternFieldPath(std::move(path)));
    return program_->paths.back().get();
  }

  void BuildFields(const std::vector<DelimitedFieldSpec>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const DelimitedFieldSpec& spec = fields[i];
      CompiledField field;
      field.kind = spec.kind;
      field.name = spec.name;
      if (spec.kind == DelimitedFieldSpec::Kind::kEllipsis)
        program_->ellipsis = static_cast<int>(i);
      for (const auto& alternative : spec.alternatives) {
        std::vector<CompiledField::Condition> conditions;
        for (const FieldCondition& condition : alternative) {
          conditions.push_back({condition.op, BuildValueTest(condition.value)});
        }
        field.alternatives.push_back(std::move(conditions));
      }
      program_->fields.push_back(std::move(field));
    }
  }

  std::unique_ptr<Program> program_;
};

PatternError ReferenceError(std::string message, std::string hint = "", int column = 1,
                            std::string_view fragment = {}) {
  PatternError error;
  error.column = column;
  error.fragment = std::string(fragment.substr(0, 24));
  error.message = std::move(message);
  error.hint = std::move(hint);
  return error;
}

}  // namespace

// -------------------------------------------------------------- public --

ValueTest BuildValueTest(const Value& value) {
  ValueTest test;
  test.text = value.text;
  switch (value.kind) {
    case Value::Kind::kAnyScalar:
      test.kind = ValueTest::Kind::kAnyText;
      break;
    case Value::Kind::kNumber:
      test.kind = ValueTest::Kind::kNumber;
      test.number = value.number;
      break;
    case Value::Kind::kRegex:
      test.kind = ValueTest::Kind::kRegex;
      test.regex = BuildRegex(value.text);
      break;
    case Value::Kind::kString:
      test.kind = value.leading_star && value.trailing_star ? ValueTest::Kind::kContains
                  : value.leading_star                      ? ValueTest::Kind::kSuffix
                  : value.trailing_star                     ? ValueTest::Kind::kPrefix
                                                            : ValueTest::Kind::kExact;
      break;
  }
  return test;
}

bool TextSatisfies(const ValueTest& test, std::string_view text) {
  switch (test.kind) {
    case ValueTest::Kind::kAnyText:
      return true;
    case ValueTest::Kind::kExact:
    case ValueTest::Kind::kNumber:
      return text == test.text;
    case ValueTest::Kind::kPrefix:
      return text.starts_with(test.text);
    case ValueTest::Kind::kSuffix:
      return text.ends_with(test.text);
    case ValueTest::Kind::kContains:
      return text.find(test.text) != std::string_view::npos;
    case ValueTest::Kind::kRegex:
      return RE2::PartialMatch(text, *test.regex);
  }
  return false;
}

bool FieldSatisfies(Op op, const ValueTest& test, std::string_view text) {
  double number = 0;
  if (IsRelational(op))
    return ParsePatternNumber(text, &number) && Compare(op, number, test.number);
  bool equal = test.kind == ValueTest::Kind::kNumber && ParsePatternNumber(text, &number)
                   ? number == test.number
                   : TextSatisfies(test, text);
  return op == Op::kEq ? equal : !equal;
}

bool Program::Matches(event::EventView& event) const {
  switch (ast.kind) {
    case PatternKind::kMatchAll:
      return true;
    case PatternKind::kTerms:
      return MatchesTerms(*this, event.message());
    case PatternKind::kJson:
      // Once the event is parsed, evaluating is cheaper than scanning it.
      if (prefilter && !event.json_parsed() && !prefilter->MayMatch(event)) return false;
      // A JSON pattern never matches an event that is not JSON, even through NOT EXISTS.
      return event.Json().valid() && EvalExpr(*this, root, event);
    case PatternKind::kDelimited:
      return MatchesDelimited(*this, event);
  }
  return false;
}

std::string PatternError::ToString(std::string_view lead) const {
  std::string out =
      std::string(lead) + ". Column " + std::to_string(column) + ": " + message;
  if (!fragment.empty()) out += " near \"" + fragment + "\"";
  if (!hint.empty()) out += " (" + hint + ")";
  return out;
}

Status PatternError::ToStatus(std::string_view lead) const {
  return InvalidArgument(ToString(lead));
}

Result<Matcher, PatternError> Matcher::Compile(std::string_view text,
                                               const CompileOptions& options) {
  Result<Ast, PatternError> ast = Parse(text);
  if (!ast.ok()) return ast.error();
  return Matcher(Compiler(std::move(ast).value(), options).Build(), std::string(text));
}

Matcher::Matcher(std::unique_ptr<const Program> program, std::string source)
    : program_(std::move(program)), source_(std::move(source)) {}
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;
Matcher::~Matcher() = default;

bool Matcher::Matches(event::EventView& event) const { return program_->Matches(event); }

PatternKind Matcher::kind() const { return program_->ast.kind; }
const Ast& Matcher::ast() const { return program_->ast; }
const Prefilter* Matcher::prefilter() const {
  return program_->prefilter ? &*program_->prefilter : nullptr;
}

ExtractedValues Matcher::Extract(event::EventView& event) const {
  ExtractedValues values;
  const Program& p = *program_;
  if (p.ast.kind == PatternKind::kJson) {
    if (!event.Json().valid()) return values;
    std::array<char, event::kScalarTextCapacity> buffer;
    for (const ExtractedSelector& selector : p.extracted) {
      ForEachSelected(p.conditions[selector.condition], event, [&](event::JsonValue node) {
        if (node.type() == event::JsonType::kNull) {
          values.emplace_back(selector.text, "null");
          return false;
        }
        bool has_text = false;
        std::string_view text = node.ScalarText(buffer, &has_text);
        if (!has_text) return true;  // object or array: try the next selected value
        values.emplace_back(selector.text, std::string(text));
        return false;
      });
    }
  } else if (p.ast.kind == PatternKind::kDelimited) {
    std::span<const event::DelimitedField> fields = event.Fields();
    std::size_t n = fields.size();
    if (!Aligns(p, n)) return values;
    // Which pattern field (if any) each event field is bound to. A named
    // last field that takes the rest of the line reports it as one value; a
    // blank one leaves each of those fields to be reported as $N.
    std::vector<int> owner(n, -1);
    std::size_t absorbed_from = n;
    for (std::size_t i = 0; i < p.fields.size(); ++i) {
      if (p.fields[i].kind == DelimitedFieldSpec::Kind::kEllipsis) continue;
      Binding binding = Bind(p, i, n);
      owner[binding.first] = static_cast<int>(i);
      if (binding.absorbs_rest && p.fields[i].kind == DelimitedFieldSpec::Kind::kNamed) {
        absorbed_from = binding.first;
      }
    }
    for (std::size_t j = 0; j < n && j <= absorbed_from; ++j) {
      int i = owner[j];
      std::string key = i >= 0 && p.fields[i].kind == DelimitedFieldSpec::Kind::kNamed
                            ? "$" + p.fields[i].name
                            : "$" + std::to_string(j + 1);
      Binding binding{j, j == absorbed_from};
      values.emplace_back(std::move(key), std::string(BoundText(fields, event.message(), binding)));
    }
  }
  return values;
}

Result<ValueReference, PatternError> Matcher::CompileReference(std::string_view text) const {
  ValueReference ref;
  ref.text_ = std::string(text);
  if (text.empty())
    return ReferenceError("a metric value must not be empty", "use 1 to count events");
  if (text.front() != '$') {
    if (!ParsePatternNumber(text, &ref.literal_)) {
      return ReferenceError(
          "metric value '" + std::string(text) + "' must be a number or a field reference",
          "e.g. 1, $.bytes or $size", 1, text);
    }
    ref.kind_ = ValueReference::Kind::kLiteral;
    return ref;
  }
  const Program& p = *program_;
  if (p.ast.kind == PatternKind::kJson) {
    Result<Selector, PatternError> selector = ParseSelector(text);
    if (!selector.ok()) return selector.error();
    if (selector->has_wildcard()) {
      return ReferenceError("a field reference cannot contain a wildcard",
                            "name one member, e.g. $.items[0].size", 1, text);
    }
    std::vector<event::FieldPath::Step> steps;
    for (const Segment& segment : selector->segments) {
      event::FieldPath::Step step;
      step.is_index = segment.kind == Segment::Kind::kIndex;
      step.member = segment.name;
      step.index = segment.index;
      steps.push_back(std::move(step));
    }
    ref.kind_ = ValueReference::Kind::kJsonPath;
    ref.path_ = event::InternFieldPath(event::FieldPath(std::move(steps)));
    return ref;
  }
  if (p.ast.kind == PatternKind::kDelimited) {
    std::string_view name = text.substr(1);
    if (!name.empty() &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      std::size_t position = 0;
      auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), position);
      if (ec != std::errc() || ptr != name.data() + name.size() || position == 0) {
        return ReferenceError("field position must be 1 or more", "", 1, text);
      }
      ref.kind_ = ValueReference::Kind::kPosition;
      ref.position_ = position;
      return ref;
    }
    std::string names;
    for (std::size_t i = 0; i < p.fields.size(); ++i) {
      if (p.fields[i].kind != DelimitedFieldSpec::Kind::kNamed) continue;
      if (p.fields[i].name == name) {
        ref.kind_ = ValueReference::Kind::kNamedField;
        ref.position_ = i;
        return ref;
      }
      names += (names.empty() ? "$" : ", $") + p.fields[i].name;
    }
    return ReferenceError("the pattern has no field named '" + std::string(name) + "'",
                          names.empty() ? "name the field in the pattern, e.g. [ip, user, bytes]"
                                        : "named fields are " + names,
                          1, text);
  }
  return ReferenceError(
      "field references such as " + std::string(text) + " need a JSON or space-delimited pattern",
      "use a literal such as 1 with a term pattern", 1, text);
}

std::optional<std::string_view> Matcher::ResolveText(
    const ValueReference& ref, event::EventView& event,
    std::span<char, event::kScalarTextCapacity> buffer) const {
  const Program& p = *program_;
  switch (ref.kind()) {
    case ValueReference::Kind::kLiteral:
      return std::string_view(ref.text());
    case ValueReference::Kind::kJsonPath: {
      if (!event.Json().valid()) return std::nullopt;
      bool has_text = false;
      std::string_view text = event.Resolve(*ref.path_).ScalarText(buffer, &has_text);
      if (!has_text) return std::nullopt;
      return text;
    }
    case ValueReference::Kind::kNamedField: {
      std::span<const event::DelimitedField> fields = event.Fields();
      if (!Aligns(p, fields.size()) || p.fields.empty()) return std::nullopt;
      return BoundText(fields, event.message(), Bind(p, ref.position_, fields.size()));
    }
    case ValueReference::Kind::kPosition: {
      std::span<const event::DelimitedField> fields = event.Fields();
      if (ref.position_ > fields.size()) return std::nullopt;
      return fields[ref.position_ - 1].text;
    }
  }
  return std::nullopt;
}

std::optional<double> Matcher::ResolveNumber(const ValueReference& ref,
                                             event::EventView& event) const {
  if (ref.kind() == ValueReference::Kind::kLiteral) return ref.literal();
  if (ref.kind() == ValueReference::Kind::kJsonPath) {
    if (!event.Json().valid()) return std::nullopt;
    event::JsonValue node = event.Resolve(*ref.path_);
    if (node.valid() && node.type() == event::JsonType::kNumber) return node.AsDouble();
    if (!node.valid() || node.type() != event::JsonType::kString) return std::nullopt;
  }
  std::array<char, event::kScalarTextCapacity> buffer;
  std::optional<std::string_view> text = ResolveText(ref, event, buffer);
  double number = 0;
  if (!text || !ParsePatternNumber(*text, &number)) return std::nullopt;
  return number;
}

PatternSet::PatternSet(std::vector<std::shared_ptr<const Matcher>> matchers)
    : matchers_(std::move(matchers)) {
  std::vector<std::string> literals;
  for (const auto& matcher : matchers_) {
    if (matcher->kind() != PatternKind::kJson) continue;
    const Prefilter* prefilter = matcher->prefilter();
    if (prefilter == nullptr) {
      parse_first_ = true;  // this one parses every event anyway
      return;
    }
    const LiteralSet& cheapest = prefilter->all_of().front();
    literals.insert(literals.end(), cheapest.literals().begin(), cheapest.literals().end());
  }
  if (literals.empty()) return;
  auto any = std::make_shared<const LiteralSet>(std::move(literals));
  if (any->cost() > kMaxScanCost) {
    parse_first_ = true;
  } else {
    any_literal_ = std::move(any);
  }
}

std::size_t PatternSet::Match(event::EventView& event, std::span<bool> hits) const {
  bool json_ruled_out = false;
  if (!event.json_parsed()) {
    if (parse_first_) {
      event.Json();
    } else if (any_literal_) {
      // Once one matcher may match, the parse is cheaper than the scans left.
      json_ruled_out = !any_literal_->FoundIn(event.message()) && !event.HasUnicodeEscape();
      if (!json_ruled_out) event.Json();
    }
  }
  std::size_t count = 0;
  for (std::size_t i = 0; i < matchers_.size(); ++i) {
    hits[i] = json_ruled_out ? matchers_[i]->kind() != PatternKind::kJson &&
                                   matchers_[i]->Matches(event)
                             : matchers_[i]->Matches(event);
    count += hits[i];
  }
  return count;
}

}  // namespace tw::pattern
