// Composite alarms (PutCompositeAlarm): a rule over other alarms' states,
// as a pure function like the metric evaluator in alarm.h.
//
// The AlarmRule language: ALARM(x), OK(x) and INSUFFICIENT_DATA(x), true when
// alarm x (a name, or an alarm ARN, bare or in double quotes) is in that
// state; TRUE and FALSE; NOT, AND, OR (in that order of precedence) and
// parentheses.
//
//   Result<AlarmRule> rule = AlarmRule::Parse("ALARM(cpu) AND NOT ALARM(\"deploying\")");
//   rule->Children();                       // {"cpu", "deploying"}
//   CompositeEvaluation e = EvaluateComposite(spec, state, states_of_children, now);

#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "common/status.h"
#include "common/time.h"

namespace tw::alarm {

class AlarmRule {
 public:
  // CloudWatch's limits: a rule of at most 10,240 characters naming at most
  // 100 alarms. Deeper nesting than kMaxDepth parentheses or NOTs is refused
  // too, so that no rule can exhaust the parser's stack.
  static constexpr std::size_t kMaxLength = 10240;
  static constexpr std::size_t kMaxChildren = 100;
  static constexpr int kMaxDepth = 100;

  // kInvalidArgument "AlarmRule: <what is wrong> at character N".
  static Result<AlarmRule> Parse(std::string_view text);

  // The alarms the rule names, as written (names or ARNs), each once, in
  // the order they first appear.
  const std::vector<std::string>& Children() const { return children_; }

  // The rule's value when `state_of(child)` gives each child's state
  // (nullopt for an alarm that does not exist: every function is then false).
  bool Evaluate(const std::function<std::optional<StateValue>(const std::string&)>& state_of) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  std::vector<std::string> children_;
};

// AWS::CloudWatch::CompositeAlarm / PutCompositeAlarm.
struct CompositeSpec {
  std::string alarm_name;
  std::string alarm_description;
  std::string alarm_arn;
  std::string alarm_rule;  // as given
  bool actions_enabled = true;
  std::vector<std::string> ok_actions;
  std::vector<std::string> alarm_actions;
  std::vector<std::string> insufficient_data_actions;
};

// PutCompositeAlarm's checks that need no other alarm: name, description
// and action limits as for metric alarms, and a rule that parses.
Status ValidateComposite(const CompositeSpec& spec);

// A child's state as the composite sees it.
struct ChildState {
  std::string arn;
  AlarmState state;
};

// The composite's state at `now`: ALARM when its rule is true, else OK.
// `children` maps each name or ARN the rule uses to that alarm's state
// (absent: the alarm does not exist). `trigger`, when set, is the child
// whose transition caused this evaluation: it is named in the reason
// ("<arn> transitioned to ALARM at <time>") and the StateReasonData
// ({"triggeringAlarms": [...]}), as CloudWatch writes them.
// Unchanged (changed == false) when the rule gives the current state.
Evaluation EvaluateComposite(const CompositeSpec& spec, const AlarmRule& rule,
                             const AlarmState& current,
                             const std::map<std::string, ChildState>& children,
                             const std::optional<std::string>& trigger, TimePoint now);

// A composite alarm as a cascade sees it: its configuration and state.
struct CompositeState {
  const CompositeSpec* spec;
  const AlarmRule* rule;
  AlarmState state;
};

// One change in a cascade: composites[composite] went from `previous` by
// `evaluation`, because `trigger` (one of its children) changed.
struct CascadeStep {
  std::size_t composite;
  AlarmState previous;
  Evaluation evaluation;
  ChildState trigger;
};

// The composites that follow a change of `changed` (a name in `children`):
// each that names it is re-evaluated; each that changes is updated in
// `composites` and `children` and followed in turn, breadth first. Cycles
// are refused at creation; the rounds are bounded all the same. The serving
// engine and replay both cascade with this.
std::vector<CascadeStep> CascadeComposites(std::vector<CompositeState>* composites,
                                           std::map<std::string, ChildState>* children,
                                           const std::string& changed, TimePoint now);

// PutCompositeAlarm's ConfigurationUpdate history item.
HistoryItem CompositeConfigurationUpdate(const CompositeSpec& spec, TimePoint now, bool created);

}  // namespace tw::alarm
