// libFuzzer target for the CloudFormation template loader: arbitrary bytes go
// to server::ParseTemplate() as YAML or JSON text. Nothing may crash, hang,
// run out of memory or trip a sanitizer (yaml-cpp's exceptions included:
// they must be caught in the loader), and the checks below abort on a
// broken contract:
//   - a refused template has a non-empty message and is kInvalidArgument
//     (bad template) or kResourceExhausted (a limit: size, alias expansion);
//   - a loaded template gives only what the owning modules accept: every
//     alarm passes alarm::Validate, every metric filter compiles, every name
//     is non-empty;
//   - loading is deterministic: the same text gives the same answer twice
//     (checked unless a limit stopped the first load).
//
//   build-fuzz/fuzz/template_loader_fuzz -dict=fuzz/template.dict fuzz/corpus/template

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alarm/alarm.h"
#include "common/status.h"
#include "metrics/metrics.h"
#include "server/template.h"

namespace {

using tw::StatusCode;
using tw::server::Configuration;
using tw::server::ParseTemplate;
using tw::server::TemplateContext;

void Check(bool condition) {
  if (!condition) std::abort();
}

// A summary of what a load gave, to compare two loads of the same text.
std::string Summary(const tw::Result<Configuration>& config) {
  if (!config.ok()) return "error " + config.status().message();
  std::string out;
  for (const auto& g : config->log_groups) out += "g " + g.name + "\n";
  for (const auto& f : config->metric_filters) out += "f " + f.spec.filter_name + "\n";
  for (const auto& a : config->alarms) out += "a " + a.spec.alarm_name + "\n";
  for (const auto& t : config->topics) out += "t " + t.arn + "\n";
  for (const auto& s : config->subscriptions) out += "s " + s.endpoint + "\n";
  for (const auto& w : config->warnings) out += "w " + w + "\n";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  TemplateContext context;
  const tw::Result<Configuration> config = ParseTemplate(text, "fuzz.yaml", context);
  if (!config.ok()) {
    Check(!config.status().message().empty());
    Check(config.status().code() == StatusCode::kInvalidArgument ||
          config.status().code() == StatusCode::kResourceExhausted);
  } else {
    for (const auto& group : config->log_groups) Check(!group.name.empty());
    for (const auto& filter : config->metric_filters) {
      Check(tw::metrics::MetricFilter::Compile(filter.spec).ok());
    }
    for (const auto& alarm : config->alarms) Check(tw::alarm::Validate(alarm.spec).ok());
    for (const auto& topic : config->topics) Check(!topic.name.empty() && !topic.arn.empty());
  }
  // Not for a load stopped by a limit: running into one takes a second or
  // more under the sanitizers, and a second time would add nothing.
  if (config.ok() || config.status().code() != StatusCode::kResourceExhausted) {
    Check(Summary(ParseTemplate(text, "fuzz.yaml", context)) == Summary(config));
  }
  return 0;
}
