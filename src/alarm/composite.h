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

#include <cstdint>
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
  // ActionsSuppressor: an alarm (name or ARN) whose ALARM state holds this
  // composite's actions; empty for none. The periods, in seconds, are
  // required with it and refused without it.
  std::string actions_suppressor;
  std::optional<std::int64_t> actions_suppressor_wait_period;
  std::optional<std::int64_t> actions_suppressor_extension_period;
};

// PutCompositeAlarm's checks that need no other alarm: name, description
// and action limits as for metric alarms, a rule that parses, and an
// ActionsSuppressor given with both its periods (neither without it).
Status ValidateComposite(const CompositeSpec& spec);

// The alarm name a rule or ActionsSuppressor refers to: the name itself,
// or the part of an alarm ARN after ":alarm:".
std::string AlarmNameOf(std::string_view reference);

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

// Actions suppression (CloudWatch's ActionsSuppressor, API reference
// CompositeAlarm): while the suppressor is in ALARM the composite's actions
// are held (ActionsSuppressedBy Alarm), and for ExtensionPeriod seconds after
// it leaves ALARM; a change of the composite to ALARM waits WaitPeriod
// seconds for the suppressor to go to ALARM. When a period ends, the
// composite performs the actions of the state it is in, if a change was held.
enum class SuppressedBy { kNone, kWaitPeriod, kExtensionPeriod, kAlarm };
const char* SuppressedByName(SuppressedBy by);  // "WaitPeriod", "ExtensionPeriod", "Alarm"
std::optional<SuppressedBy> ParseSuppressedBy(std::string_view name);

struct Suppression {
  SuppressedBy by = SuppressedBy::kNone;
  TimePoint until{};                    // when a WaitPeriod or ExtensionPeriod ends
  std::optional<StateValue> held_from;  // a change was held: the state it left
  // ActionsSuppressedReason: "Actions suppressed by WaitPeriod" (AWS's
  // documented event; the same words for the other two).
  std::string Reason() const;
};

// A composite's change from `from` under its suppression: true when its
// actions are held, which takes the actions and their Action history items
// out of `evaluation`. `suppressor` is the suppressor's state (nullopt when
// it has none, or it no longer exists). A period that has ended no longer
// holds anything: the change's own actions run.
bool HoldActions(const CompositeSpec& spec, std::optional<StateValue> suppressor, StateValue from,
                 Evaluation* evaluation, Suppression* suppression, TimePoint now);

// The composite's suppressor changed to `suppressor`: into ALARM it holds
// (a WaitPeriod becomes Alarm); out of ALARM an ExtensionPeriod begins.
void SuppressorChanged(const CompositeSpec& spec, StateValue suppressor, Suppression* suppression,
                       TimePoint now);

// At `now`, a WaitPeriod or ExtensionPeriod that has ended is lifted; the
// state a held change left is returned (nullopt when nothing was held).
std::optional<StateValue> LiftEnded(Suppression* suppression, TimePoint now);

// PutCompositeAlarm's ConfigurationUpdate history item.
HistoryItem CompositeConfigurationUpdate(const CompositeSpec& spec, TimePoint now, bool created);

}  // namespace tw::alarm
