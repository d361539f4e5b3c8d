#include "alarm/composite.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "common/json_string.h"

namespace tw::alarm {

// A parsed rule: a constant, a state test of one child, or an operator.
struct AlarmRule::Node {
  enum class Kind { kConstant, kState, kNot, kAnd, kOr };
  Kind kind = Kind::kConstant;
  bool constant = false;
  StateValue state = StateValue::kAlarm;
  std::string child;
  std::shared_ptr<const Node> left, right;
};

namespace {

using Node = AlarmRule::Node;
using NodePtr = std::shared_ptr<const Node>;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<NodePtr> Rule() {
    Result<NodePtr> root = Or(0);
    if (!root.ok()) return root;
    SkipSpace();
    if (at_ != text_.size()) return Error("unexpected text");
    return root;
  }

  std::vector<std::string> TakeChildren() { return std::move(children_); }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgument("AlarmRule: " + std::string(what) + " at character " +
                           std::to_string(at_ + 1));
  }

  void SkipSpace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  // The keyword at the cursor, whole (not the start of a longer word).
  bool Keyword(std::string_view word) {
    SkipSpace();
    if (text_.substr(at_, word.size()) != word) return false;
    const std::size_t end = at_ + word.size();
    if (end < text_.size()) {
      const char c = text_[end];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') return false;
    }
    at_ = end;
    return true;
  }

  Result<NodePtr> Or(int depth) {
    Result<NodePtr> left = And(depth);
    if (!left.ok()) return left;
    NodePtr node = *left;
    while (Keyword("OR")) {
      Result<NodePtr> right = And(depth);
      if (!right.ok()) return right;
      node = Join(Node::Kind::kOr, node, *right);
    }
    return node;
  }

  Result<NodePtr> And(int depth) {
    Result<NodePtr> left = Not(depth);
    if (!left.ok()) return left;
    NodePtr node = *left;
    while (Keyword("AND")) {
      Result<NodePtr> right = Not(depth);
      if (!right.ok()) return right;
      node = Join(Node::Kind::kAnd, node, *right);
    }
    return node;
  }

  Result<NodePtr> Not(int depth) {
    if (depth > AlarmRule::kMaxDepth) return Error("nesting deeper than 100 levels");
    if (Keyword("NOT")) {
      Result<NodePtr> operand = Not(depth + 1);
      if (!operand.ok()) return operand;
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::kNot;
      node->left = *operand;
      return NodePtr(node);
    }
    return Primary(depth);
  }

  Result<NodePtr> Primary(int depth) {
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == '(') {
      ++at_;
      Result<NodePtr> inner = Or(depth + 1);
      if (!inner.ok()) return inner;
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != ')') return Error("expected ')'");
      ++at_;
      return inner;
    }
    for (bool value : {true, false}) {
      if (!Keyword(value ? "TRUE" : "FALSE")) continue;
      auto node = std::make_shared<Node>();
      node->constant = value;
      return NodePtr(node);
    }
    static constexpr std::pair<std::string_view, StateValue> kFunctions[] = {
        {"INSUFFICIENT_DATA", StateValue::kInsufficientData},
        {"ALARM", StateValue::kAlarm},
        {"OK", StateValue::kOk}};
    for (const auto& [name, state] : kFunctions) {
      if (!Keyword(name)) continue;
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != '(') return Error("expected '(' after a function");
      ++at_;
      Result<std::string> child = ChildName();
      if (!child.ok()) return child.status();
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::kState;
      node->state = state;
      node->child = *child;
      if (std::find(children_.begin(), children_.end(), *child) == children_.end()) {
        if (children_.size() == AlarmRule::kMaxChildren) {
          return Error("more than 100 alarms named");
        }
        children_.push_back(*child);
      }
      return NodePtr(node);
    }
    return Error(at_ == text_.size() ? "unexpected end of the rule"
                                     : "expected ALARM(, OK(, INSUFFICIENT_DATA(, TRUE, FALSE, "
                                       "NOT or '('");
  }

  // An alarm name or ARN, in double quotes or bare, then ')'.
  Result<std::string> ChildName() {
    SkipSpace();
    std::string name;
    if (at_ < text_.size() && text_[at_] == '"') {
      const std::size_t close = text_.find('"', at_ + 1);
      if (close == std::string_view::npos) return Error("unterminated '\"'");
      name = std::string(text_.substr(at_ + 1, close - at_ - 1));
      at_ = close + 1;
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != ')') return Error("expected ')'");
    } else {
      const std::size_t close = text_.find(')', at_);
      if (close == std::string_view::npos) return Error("expected ')'");
      name = std::string(text_.substr(at_, close - at_));
      while (!name.empty() && name.back() == ' ') name.pop_back();
      at_ = close;
    }
    if (name.empty()) return Error("an alarm name is missing");
    ++at_;  // ')'
    return name;
  }

  static NodePtr Join(Node::Kind kind, NodePtr left, NodePtr right) {
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::vector<std::string> children_;
};

// Iterative, so that a long chain of ANDs cannot exhaust the stack.
bool EvaluateNode(const Node& root,
                  const std::function<std::optional<StateValue>(const std::string&)>& state_of) {
  struct Frame {
    const Node* node;
    int stage = 0;
    bool left = false;
  };
  std::vector<Frame> stack{{&root}};
  bool result = false;
  while (!stack.empty()) {
    Frame& f = stack.back();
    const Node& n = *f.node;
    switch (n.kind) {
      case Node::Kind::kConstant:
        result = n.constant;
        stack.pop_back();
        continue;
      case Node::Kind::kState: {
        std::optional<StateValue> s = state_of(n.child);
        result = s && *s == n.state;
        stack.pop_back();
        continue;
      }
      case Node::Kind::kNot:
        if (f.stage == 0) {
          f.stage = 1;
          stack.push_back({n.left.get()});
        } else {
          result = !result;
          stack.pop_back();
        }
        continue;
      case Node::Kind::kAnd:
      case Node::Kind::kOr:
        if (f.stage == 0) {
          f.stage = 1;
          stack.push_back({n.left.get()});
        } else if (f.stage == 1) {
          f.left = result;
          // Short circuit: the right side cannot change the outcome.
          if ((n.kind == Node::Kind::kAnd && !result) || (n.kind == Node::Kind::kOr && result)) {
            stack.pop_back();
            continue;
          }
          f.stage = 2;
          stack.push_back({n.right.get()});
        } else {
          stack.pop_back();
        }
        continue;
    }
  }
  return result;
}

void AppendTriggering(std::string* out, const std::string& arn, const AlarmState& state) {
  out->append(R"({"arn":)");
  AppendJsonString(out, arn);
  out->append(R"(,"state":{"value":)");
  AppendJsonString(out, StateName(state.value));
  out->append(R"(,"timestamp":)");
  AppendJsonString(out, FormatAwsMillis(state.updated));
  out->append("}}");
}

}  // namespace

Result<AlarmRule> AlarmRule::Parse(std::string_view text) {
  if (text.empty()) return InvalidArgument("AlarmRule: must not be empty");
  if (text.size() > kMaxLength) {
    return InvalidArgument("AlarmRule: must be at most 10240 characters");
  }
  Parser parser(text);
  Result<NodePtr> root = parser.Rule();
  if (!root.ok()) return root.status();
  AlarmRule rule;
  rule.root_ = *root;
  rule.children_ = parser.TakeChildren();
  return rule;
}

bool AlarmRule::Evaluate(
    const std::function<std::optional<StateValue>(const std::string&)>& state_of) const {
  return root_ != nullptr && EvaluateNode(*root_, state_of);
}

Status ValidateComposite(const CompositeSpec& spec) {
  if (spec.alarm_name.empty() || spec.alarm_name.size() > 255) {
    return InvalidArgument("AlarmName: must be 1 to 255 characters");
  }
  if (spec.alarm_description.size() > 1024) {
    return InvalidArgument("AlarmDescription: must be at most 1024 characters");
  }
  for (const auto* actions :
       {&spec.ok_actions, &spec.alarm_actions, &spec.insufficient_data_actions}) {
    if (actions->size() > 5) return InvalidArgument("Actions: at most 5 actions are allowed");
  }
  if (spec.actions_suppressor.empty()) {
    if (spec.actions_suppressor_wait_period || spec.actions_suppressor_extension_period) {
      return InvalidArgument(
          "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are allowed only "
          "together with ActionsSuppressor");
    }
  } else {
    if (spec.actions_suppressor.size() > 1600) {
      return InvalidArgument("ActionsSuppressor: must be 1 to 1600 characters");
    }
    if (!spec.actions_suppressor_wait_period || !spec.actions_suppressor_extension_period) {
      return InvalidArgument(
          "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required with "
          "ActionsSuppressor");
    }
    if (*spec.actions_suppressor_wait_period < 0 || *spec.actions_suppressor_extension_period < 0) {
      return InvalidArgument(
          "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod must be seconds "
          "(0 or more)");
    }
  }
  Result<AlarmRule> rule = AlarmRule::Parse(spec.alarm_rule);
  return rule.ok() ? Status::Ok() : rule.status();
}

std::string AlarmNameOf(std::string_view reference) {
  const std::size_t at = reference.rfind(":alarm:");
  if (!reference.starts_with("arn:") || at == std::string_view::npos) {
    return std::string(reference);
  }
  return std::string(reference.substr(at + 7));
}

const char* SuppressedByName(SuppressedBy by) {
  switch (by) {
    case SuppressedBy::kWaitPeriod:
      return "WaitPeriod";
    case SuppressedBy::kExtensionPeriod:
      return "ExtensionPeriod";
    case SuppressedBy::kAlarm:
      return "Alarm";
    case SuppressedBy::kNone:
      break;
  }
  return "";
}

std::optional<SuppressedBy> ParseSuppressedBy(std::string_view name) {
  for (SuppressedBy by : {SuppressedBy::kNone, SuppressedBy::kWaitPeriod,
                          SuppressedBy::kExtensionPeriod, SuppressedBy::kAlarm}) {
    if (name == SuppressedByName(by)) return by;
  }
  return std::nullopt;
}

std::string Suppression::Reason() const {
  return by == SuppressedBy::kNone ? ""
                                   : std::string("Actions suppressed by ") + SuppressedByName(by);
}

namespace {

bool InPeriod(const Suppression& s, TimePoint now) {
  return (s.by == SuppressedBy::kWaitPeriod || s.by == SuppressedBy::kExtensionPeriod) &&
         now < s.until;
}

}  // namespace

bool HoldActions(const CompositeSpec& spec, std::optional<StateValue> suppressor, StateValue from,
                 Evaluation* evaluation, Suppression* s, TimePoint now) {
  if (spec.actions_suppressor.empty()) {
    *s = Suppression{};
    return false;
  }
  bool hold = true;
  if (suppressor == StateValue::kAlarm) {
    s->by = SuppressedBy::kAlarm;
  } else if (InPeriod(*s, now)) {
    // Still waiting for the suppressor, or in the extension after it.
  } else if (evaluation->state.value == StateValue::kAlarm &&
             spec.actions_suppressor_wait_period.value_or(0) > 0) {
    s->by = SuppressedBy::kWaitPeriod;
    s->until = now + std::chrono::seconds(*spec.actions_suppressor_wait_period);
  } else {
    hold = false;
  }
  if (!hold) {
    *s = Suppression{};
    return false;
  }
  if (!s->held_from) s->held_from = from;
  evaluation->actions.clear();
  std::erase_if(evaluation->history, [](const HistoryItem& item) { return item.type == "Action"; });
  return true;
}

void SuppressorChanged(const CompositeSpec& spec, StateValue suppressor, Suppression* s,
                       TimePoint now) {
  if (spec.actions_suppressor.empty()) return;
  if (suppressor == StateValue::kAlarm) {
    s->by = SuppressedBy::kAlarm;
  } else if (s->by == SuppressedBy::kAlarm) {
    s->by = SuppressedBy::kExtensionPeriod;
    s->until = now + std::chrono::seconds(spec.actions_suppressor_extension_period.value_or(0));
  }
}

std::optional<StateValue> LiftEnded(Suppression* s, TimePoint now) {
  if (s->by != SuppressedBy::kWaitPeriod && s->by != SuppressedBy::kExtensionPeriod) {
    return std::nullopt;
  }
  if (now < s->until) return std::nullopt;
  std::optional<StateValue> held = s->held_from;
  *s = Suppression{};
  return held;
}

Evaluation EvaluateComposite(const CompositeSpec& spec, const AlarmRule& rule,
                             const AlarmState& current,
                             const std::map<std::string, ChildState>& children,
                             const std::optional<std::string>& trigger, TimePoint now) {
  Evaluation out;
  out.state = current;
  const bool alarm = rule.Evaluate([&](const std::string& child) -> std::optional<StateValue> {
    auto it = children.find(child);
    if (it == children.end()) return std::nullopt;
    return it->second.state.value;
  });
  const StateValue target = alarm ? StateValue::kAlarm : StateValue::kOk;
  if (target == current.value) return out;

  AlarmState next;
  next.value = target;
  next.updated = now;
  std::string data = R"({"triggeringAlarms":[)";
  auto it = trigger ? children.find(*trigger) : children.end();
  if (it != children.end()) {
    // "<child ARN> transitioned to ALARM at Friday 22 July, 2022 15:57:45 UTC"
    next.reason = it->second.arn + " transitioned to " + StateName(it->second.state.value) +
                  " at " + FormatAwsLongTime(it->second.state.updated);
    AppendTriggering(&data, it->second.arn, it->second.state);
  } else {
    // The evaluation at creation (or an update): every child as it stands.
    next.reason =
        spec.alarm_arn + " was created and its alarm rule evaluates to " + StateName(target);
    bool first = true;
    for (const std::string& child : rule.Children()) {
      auto c = children.find(child);
      if (c == children.end()) continue;
      if (!first) data.push_back(',');
      first = false;
      AppendTriggering(&data, c->second.arn, c->second.state);
    }
  }
  data.append("]}");
  next.reason_data = std::move(data);

  return StateChange(current, std::move(next), spec.actions_enabled, ActionsFor(spec, target));
}

std::vector<CascadeStep> CascadeComposites(std::vector<CompositeState>* composites,
                                           std::map<std::string, ChildState>* children,
                                           const std::string& changed, TimePoint now) {
  std::vector<CascadeStep> steps;
  std::vector<std::string> queue{changed};
  for (std::size_t next = 0; next < queue.size() && next < 1000; ++next) {
    auto self = children->find(queue[next]);
    if (self == children->end()) continue;
    const ChildState trigger = self->second;
    for (std::size_t i = 0; i < composites->size(); ++i) {
      CompositeState& c = (*composites)[i];
      std::optional<std::string> named;
      for (const std::string& child : c.rule->Children()) {
        if (child == queue[next] || child == trigger.arn) named = child;
      }
      if (!named) continue;
      Evaluation e = EvaluateComposite(*c.spec, *c.rule, c.state, *children, named, now);
      if (!e.changed) continue;
      const AlarmState previous = c.state;
      c.state = e.state;
      const ChildState after{c.spec->alarm_arn, c.state};
      (*children)[c.spec->alarm_name] = after;
      (*children)[c.spec->alarm_arn] = after;
      queue.push_back(c.spec->alarm_name);
      steps.push_back({i, previous, std::move(e), trigger});
    }
  }
  return steps;
}

HistoryItem CompositeConfigurationUpdate(const CompositeSpec& spec, TimePoint now, bool created) {
  HistoryItem item;
  item.timestamp = now;
  item.type = "ConfigurationUpdate";
  item.summary = "Alarm \"" + spec.alarm_name + "\" " + (created ? "created" : "updated");
  item.data = std::string(R"({"version":"1.0","type":")") + (created ? "Create" : "Update") +
              R"(",")" + (created ? "createdAlarm" : "updatedAlarm") + R"(":{"alarmName":)";
  AppendJsonString(&item.data, spec.alarm_name);
  item.data.append(R"(,"alarmRule":)");
  AppendJsonString(&item.data, spec.alarm_rule);
  item.data.append(R"(,"actionsEnabled":)");
  item.data.append(spec.actions_enabled ? "true" : "false");
  item.data.append("}}");
  return item;
}

}  // namespace tw::alarm
