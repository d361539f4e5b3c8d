// Composite alarms: the AlarmRule language and the state a rule gives, with
// CloudWatch's reasons (recorded: "<arn> transitioned to ALARM at Friday 22
// July, 2022 15:57:45 UTC", StateReasonData {"triggeringAlarms": [...]},
// "<arn> was created and its alarm rule evaluates to OK").

#include "alarm/composite.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace tw::alarm {
namespace {

bool Eval(const std::string& text, const std::map<std::string, StateValue>& states) {
  Result<AlarmRule> rule = AlarmRule::Parse(text);
  EXPECT_TRUE(rule.ok()) << rule.status().message();
  if (!rule.ok()) return false;
  return rule->Evaluate([&](const std::string& name) -> std::optional<StateValue> {
    auto it = states.find(name);
    if (it == states.end()) return std::nullopt;
    return it->second;
  });
}

std::string ErrorOf(const std::string& text) {
  Result<AlarmRule> rule = AlarmRule::Parse(text);
  return rule.ok() ? "OK" : rule.status().message();
}

TEST(AlarmRuleTest, FunctionsConstantsAndPrecedence) {
  const auto A = StateValue::kAlarm, O = StateValue::kOk, I = StateValue::kInsufficientData;
  EXPECT_TRUE(Eval("ALARM(cpu)", {{"cpu", A}}));
  EXPECT_FALSE(Eval("ALARM(cpu)", {{"cpu", O}}));
  EXPECT_TRUE(Eval("OK(cpu)", {{"cpu", O}}));
  EXPECT_TRUE(Eval("INSUFFICIENT_DATA(cpu)", {{"cpu", I}}));
  EXPECT_TRUE(Eval("TRUE", {}));
  EXPECT_FALSE(Eval("FALSE", {}));
  // The documented example: both in ALARM, unless a deployment is.
  const std::string rule = "ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)";
  EXPECT_TRUE(Eval(rule, {{"CPUUtilizationTooHigh", A}, {"DeploymentInProgress", O}}));
  EXPECT_FALSE(Eval(rule, {{"CPUUtilizationTooHigh", A}, {"DeploymentInProgress", A}}));
  // NOT binds tighter than AND, AND tighter than OR.
  EXPECT_TRUE(Eval("TRUE OR FALSE AND FALSE", {}));
  EXPECT_FALSE(Eval("(TRUE OR FALSE) AND FALSE", {}));
  EXPECT_TRUE(Eval("NOT FALSE AND TRUE", {}));
  EXPECT_FALSE(Eval("NOT (FALSE OR TRUE)", {}));
  // A child that does not exist is in no state.
  EXPECT_FALSE(Eval("ALARM(gone) OR OK(gone) OR INSUFFICIENT_DATA(gone)", {}));
}

TEST(AlarmRuleTest, NamesQuotedOrBareAndArnsNamedOnce) {
  Result<AlarmRule> rule = AlarmRule::Parse(
      "ALARM(\"with space\") OR (OK( bare ) AND "
      "ALARM(\"arn:aws:cloudwatch:us-east-1:123456789012:alarm:x\")) OR ALARM(\"with space\")");
  ASSERT_TRUE(rule.ok()) << rule.status().message();
  EXPECT_EQ(rule->Children(),
            (std::vector<std::string>{"with space", "bare",
                                      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x"}));
}

TEST(AlarmRuleTest, ErrorsSayWhatAndWhere) {
  EXPECT_EQ(ErrorOf(""), "AlarmRule: must not be empty");
  EXPECT_EQ(ErrorOf("ALARM(a) AND"), "AlarmRule: unexpected end of the rule at character 13");
  EXPECT_EQ(ErrorOf("ALARM(a) XOR OK(b)"), "AlarmRule: unexpected text at character 10");
  EXPECT_EQ(ErrorOf("ALARM a"), "AlarmRule: expected '(' after a function at character 7");
  EXPECT_EQ(ErrorOf("ALARM(\"a)"), "AlarmRule: unterminated '\"' at character 7");
  EXPECT_EQ(ErrorOf("ALARM()"), "AlarmRule: an alarm name is missing at character 7");
  EXPECT_EQ(ErrorOf("(ALARM(a)"), "AlarmRule: expected ')' at character 10");
  EXPECT_EQ(ErrorOf("alarm(a)"),
            "AlarmRule: expected ALARM(, OK(, INSUFFICIENT_DATA(, TRUE, FALSE, NOT or '(' at "
            "character 1");
  EXPECT_EQ(ErrorOf("TRUEISH"),
            "AlarmRule: expected ALARM(, OK(, INSUFFICIENT_DATA(, TRUE, FALSE, NOT or '(' at "
            "character 1");
}

TEST(AlarmRuleTest, LimitsApplyBeforeTheStackOrMemoryGrow) {
  EXPECT_EQ(ErrorOf(std::string(10241, ' ')), "AlarmRule: must be at most 10240 characters");
  EXPECT_EQ(ErrorOf(std::string(5000, '(') + "TRUE" + std::string(5000, ')')),
            "AlarmRule: nesting deeper than 100 levels at character 102");
  std::string not_chain;
  for (int i = 0; i < 200; ++i) not_chain += "NOT ";
  EXPECT_EQ(ErrorOf(not_chain + "TRUE"),
            "AlarmRule: nesting deeper than 100 levels at character 404");
  std::string many;
  for (int i = 0; i <= 100; ++i)
    many += (i ? " OR " : "") + std::string("ALARM(a") + std::to_string(i) + ")";
  EXPECT_TRUE(ErrorOf(many).starts_with("AlarmRule: more than 100 alarms named at character"))
      << ErrorOf(many);
  // A long flat chain is fine: evaluation does not recurse.
  std::string chain = "TRUE";
  for (int i = 0; i < 1000; ++i) chain += " AND TRUE";
  EXPECT_TRUE(Eval(chain, {}));
}

CompositeSpec Spec() {
  CompositeSpec s;
  s.alarm_name = "both";
  s.alarm_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:both";
  s.alarm_rule = "ALARM(a) AND ALARM(b)";
  s.alarm_actions = {"arn:aws:sns:us-east-1:123456789012:alerts"};
  return s;
}

ChildState Child(const std::string& name, StateValue value, const std::string& at) {
  AlarmState state;
  state.value = value;
  state.updated = *ParseTimestamp(at);
  return {"arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name, state};
}

TEST(EvaluateCompositeTest, CreationThenAChildsTransition) {
  CompositeSpec spec = Spec();
  AlarmRule rule = *AlarmRule::Parse(spec.alarm_rule);
  const TimePoint created = *ParseTimestamp("2022-07-22T15:50:00Z");
  std::map<std::string, ChildState> children = {
      {"a", Child("a", StateValue::kAlarm, "2022-07-22T15:40:00.100Z")},
      {"b", Child("b", StateValue::kOk, "2022-07-22T15:41:00Z")}};
  Evaluation first =
      EvaluateComposite(spec, rule, InitialState(created), children, std::nullopt, created);
  ASSERT_TRUE(first.changed);
  EXPECT_EQ(first.state.value, StateValue::kOk);
  EXPECT_EQ(first.state.reason,
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:both was created and its alarm rule "
            "evaluates to OK");
  EXPECT_EQ(first.state.reason_data,
            R"({"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a",)"
            R"("state":{"value":"ALARM","timestamp":"2022-07-22T15:40:00.100+0000"}},)"
            R"({"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:b",)"
            R"("state":{"value":"OK","timestamp":"2022-07-22T15:41:00.000+0000"}}]})");
  EXPECT_TRUE(first.actions.empty());  // no OKActions

  children["b"] = Child("b", StateValue::kAlarm, "2022-07-22T15:57:45.394Z");
  const TimePoint now = *ParseTimestamp("2022-07-22T15:57:45.500Z");
  Evaluation second = EvaluateComposite(spec, rule, first.state, children, "b", now);
  ASSERT_TRUE(second.changed);
  EXPECT_EQ(second.state.value, StateValue::kAlarm);
  EXPECT_EQ(second.state.reason,
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:b transitioned to ALARM at Friday 22 "
            "July, 2022 15:57:45 UTC");
  EXPECT_EQ(second.state.reason_data,
            R"({"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:b",)"
            R"("state":{"value":"ALARM","timestamp":"2022-07-22T15:57:45.394+0000"}}]})");
  EXPECT_EQ(second.actions, spec.alarm_actions);
  ASSERT_EQ(second.history.size(), 2u);
  EXPECT_EQ(second.history[0].summary, "Alarm updated from OK to ALARM");
  EXPECT_EQ(second.history[1].summary,
            "Successfully executed action arn:aws:sns:us-east-1:123456789012:alerts");

  // The same states again change nothing.
  EXPECT_FALSE(EvaluateComposite(spec, rule, second.state, children, "a", now).changed);
  spec.actions_enabled = false;
  children["a"] = Child("a", StateValue::kOk, "2022-07-22T16:00:00Z");
  Evaluation quiet = EvaluateComposite(spec, rule, second.state, children, "a", now);
  EXPECT_TRUE(quiet.changed);
  EXPECT_TRUE(quiet.actions.empty());
}

TEST(ValidateCompositeTest, NameActionsAndRule) {
  CompositeSpec spec = Spec();
  EXPECT_TRUE(ValidateComposite(spec).ok());
  spec.alarm_rule = "ALARM(";
  EXPECT_EQ(ValidateComposite(spec).message(), "AlarmRule: expected ')' at character 7");
  spec = Spec();
  spec.alarm_name = std::string(256, 'n');
  EXPECT_EQ(ValidateComposite(spec).message(), "AlarmName: must be 1 to 255 characters");
  spec = Spec();
  spec.ok_actions.assign(6, "arn:aws:sns:us-east-1:1:t");
  EXPECT_EQ(ValidateComposite(spec).message(), "Actions: at most 5 actions are allowed");
}

TEST(ValidateCompositeTest, TheSuppressorAndItsPeriodsGoTogether) {
  CompositeSpec spec = Spec();
  spec.actions_suppressor_wait_period = 60;
  EXPECT_EQ(ValidateComposite(spec).message(),
            "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are allowed only "
            "together with ActionsSuppressor");
  spec.actions_suppressor = "maintenance";
  EXPECT_EQ(ValidateComposite(spec).message(),
            "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required with "
            "ActionsSuppressor");
  spec.actions_suppressor_extension_period = 0;
  EXPECT_TRUE(ValidateComposite(spec).ok());
  spec.actions_suppressor_extension_period = -1;
  EXPECT_EQ(ValidateComposite(spec).message(),
            "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod must be seconds (0 or "
            "more)");
}

// The user guide's timeline: the composite goes to ALARM at t2, a WaitPeriod
// starts; the suppressor goes to ALARM at t4, before it ends, so the actions
// stay held; the suppressor leaves ALARM, an ExtensionPeriod starts; when it
// ends the composite performs the actions of the state it is in.
TEST(SuppressionTest, WaitAlarmExtensionThenTheHeldActionsRun) {
  CompositeSpec spec = Spec();
  spec.actions_suppressor = "maintenance";
  spec.actions_suppressor_wait_period = 120;
  spec.actions_suppressor_extension_period = 180;
  const TimePoint t2 = *ParseTimestamp("2024-05-01T10:02:00Z");
  Suppression s;

  AlarmState ok;
  ok.value = StateValue::kOk;
  AlarmState alarm{StateValue::kAlarm, "rule true", "", t2};
  Evaluation to_alarm = StateChange(ok, alarm, true, spec.alarm_actions);
  ASSERT_EQ(to_alarm.actions.size(), 1u);
  EXPECT_TRUE(HoldActions(spec, StateValue::kOk, StateValue::kOk, &to_alarm, &s, t2));
  EXPECT_TRUE(to_alarm.actions.empty());
  ASSERT_EQ(to_alarm.history.size(), 1u);  // the StateUpdate; no Action item
  EXPECT_EQ(to_alarm.history[0].type, "StateUpdate");
  EXPECT_EQ(s.by, SuppressedBy::kWaitPeriod);
  EXPECT_EQ(s.until, t2 + std::chrono::seconds(120));
  EXPECT_EQ(s.Reason(), "Actions suppressed by WaitPeriod");
  EXPECT_EQ(LiftEnded(&s, t2 + std::chrono::seconds(119)), std::nullopt);

  const TimePoint t4 = t2 + std::chrono::seconds(60);
  SuppressorChanged(spec, StateValue::kAlarm, &s, t4);
  EXPECT_EQ(s.by, SuppressedBy::kAlarm);
  EXPECT_EQ(s.Reason(), "Actions suppressed by Alarm");
  EXPECT_EQ(LiftEnded(&s, t4 + std::chrono::hours(1)), std::nullopt);  // no period ends

  const TimePoint t6 = t4 + std::chrono::hours(1);
  SuppressorChanged(spec, StateValue::kOk, &s, t6);
  EXPECT_EQ(s.by, SuppressedBy::kExtensionPeriod);
  EXPECT_EQ(s.until, t6 + std::chrono::seconds(180));
  // A change during the extension is held too; the first held change counts.
  Evaluation to_ok = StateChange(alarm, ok, true, spec.ok_actions);
  EXPECT_TRUE(HoldActions(spec, StateValue::kOk, StateValue::kAlarm, &to_ok, &s, t6));
  EXPECT_EQ(s.held_from, StateValue::kOk);
  EXPECT_EQ(LiftEnded(&s, t6 + std::chrono::seconds(180)), StateValue::kOk);
  EXPECT_EQ(s.by, SuppressedBy::kNone);
  EXPECT_EQ(s.held_from, std::nullopt);
}

TEST(SuppressionTest, WithoutASuppressorInAlarmOrAWaitActionsRunAtOnce) {
  CompositeSpec spec = Spec();
  const TimePoint now = *ParseTimestamp("2024-05-01T10:02:00Z");
  AlarmState ok;
  ok.value = StateValue::kOk;
  AlarmState alarm{StateValue::kAlarm, "rule true", "", now};
  Suppression s;
  Evaluation e = StateChange(ok, alarm, true, spec.alarm_actions);
  EXPECT_FALSE(HoldActions(spec, std::nullopt, StateValue::kOk, &e, &s, now));  // no suppressor
  EXPECT_EQ(e.actions, spec.alarm_actions);
  spec.actions_suppressor = "maintenance";  // WaitPeriod 0: nothing to wait for
  spec.actions_suppressor_wait_period = spec.actions_suppressor_extension_period = 0;
  EXPECT_FALSE(HoldActions(spec, StateValue::kOk, StateValue::kOk, &e, &s, now));
  EXPECT_EQ(e.actions, spec.alarm_actions);
  EXPECT_EQ(s.by, SuppressedBy::kNone);
  // The suppressor in ALARM holds whatever the change.
  EXPECT_TRUE(HoldActions(spec, StateValue::kAlarm, StateValue::kOk, &e, &s, now));
  EXPECT_EQ(s.by, SuppressedBy::kAlarm);
  EXPECT_EQ(AlarmNameOf("arn:aws:cloudwatch:us-east-1:1:alarm:a:b"), "a:b");
  EXPECT_EQ(AlarmNameOf("plain"), "plain");
}

}  // namespace
}  // namespace tw::alarm
