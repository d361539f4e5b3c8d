// libFuzzer target for composite alarms' AlarmRule language: arbitrary text
// goes to AlarmRule::Parse(). A rule that parses is evaluated with several
// assignments of states to its children. Nothing may crash, hang or trip a
// sanitizer, and the checks below abort on a broken contract:
//   - a refused rule says "AlarmRule: ..." (the message a user sees);
//   - a parsed rule names at most 100 alarms, each non-empty and once;
//   - evaluation is deterministic, and NOT of a rule is its negation.
//
//   build-fuzz/fuzz/alarm_rule_fuzz -dict=fuzz/alarm.dict fuzz/corpus/alarm

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "alarm/composite.h"

namespace {

using tw::alarm::AlarmRule;
using tw::alarm::StateValue;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tw::Result<AlarmRule> rule = AlarmRule::Parse(text);
  if (!rule.ok()) {
    Check(rule.status().message().starts_with("AlarmRule: "));
    return 0;
  }
  const auto& children = rule->Children();
  Check(children.size() <= AlarmRule::kMaxChildren);
  Check(std::set<std::string>(children.begin(), children.end()).size() == children.size());
  for (const std::string& child : children) Check(!child.empty());

  tw::Result<AlarmRule> negated = AlarmRule::Parse("NOT (" + text + ")");
  for (unsigned seed = 0; seed < 4; ++seed) {
    auto state_of = [&](const std::string& name) -> std::optional<StateValue> {
      const std::size_t h = std::hash<std::string>{}(name) + seed;
      if (h % 4 == 3) return std::nullopt;  // an alarm that does not exist
      return static_cast<StateValue>(h % 3);
    };
    const bool value = rule->Evaluate(state_of);
    Check(rule->Evaluate(state_of) == value);
    // The wrapped rule may be refused for its length or depth only.
    if (negated.ok()) Check(negated->Evaluate(state_of) == !value);
  }
  return 0;
}
