#include "cli/replay_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/json_output.h"
#include "cli/template_parameters.h"
#include "common/counted.h"
#include "common/url.h"
#include "notify/outbox.h"
#include "server/notifications.h"
#include "server/replay.h"
#include "server/template.h"

namespace tw::cli {
namespace {

using Json = nlohmann::ordered_json;

Json EvidenceJson(const server::EvidenceRecord& e) {
  std::string text;
  notify::AppendEvidenceJson(&text, e);
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// "roleName=admin, policyName=x" from the request parameters' scalar members.
std::string MainParameters(const std::string& request_parameters) {
  Json parameters = Json::parse(request_parameters, nullptr, false);
  if (!parameters.is_object()) return "";
  std::string out;
  int shown = 0;
  for (auto it = parameters.begin(); it != parameters.end() && shown < 4; ++it) {
    if (it.value().is_object() || it.value().is_array()) continue;
    std::string value = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    if (value.size() > 60) value = value.substr(0, 57) + "...";
    out += (out.empty() ? "" : ", ") + it.key() + "=" + value;
    ++shown;
  }
  return out;
}

// "3/10 files, 120,000 events, 40,000 events/s, about 7 s left": the files
// left take as long as the files done did, on average.
std::string ProgressLine(std::size_t done, std::size_t total, std::uint64_t events,
                         double seconds) {
  std::string line =
      fmt::format("{}/{} files, {} event{}, {:.0f} events/s", done, total,
                  fmt::group_digits(events), events == 1 ? "" : "s", events / seconds);
  if (done > 0 && done < total) {
    const double left = seconds / static_cast<double>(done) * static_cast<double>(total - done);
    line += left < 90 ? fmt::format(", about {:.0f} s left", left)
                      : fmt::format(", about {:.0f} min left", left / 60);
  }
  return line;
}

void PrintForPeople(const server::ReplayResult& result, std::FILE* out) {
  if (result.transitions.empty()) std::fprintf(out, "No alarm changed state.\n");
  for (const server::ReplayTransition& t : result.transitions) {
    std::fprintf(out, "%s  %s  %s -> %s\n", FormatIso8601(t.time).c_str(), t.alarm_name.c_str(),
                 alarm::StateName(t.old_state), alarm::StateName(t.new_state));
    std::fprintf(out, "    %s\n", t.reason.c_str());
    if (t.new_state != alarm::StateValue::kAlarm || t.composite) continue;
    std::fprintf(out, "    evidence: %zu of %llu matching event%s\n", t.evidence.size(),
                 static_cast<unsigned long long>(t.evidence_total),
                 t.evidence_total == 1 ? "" : "s");
    for (const server::EvidenceRecord& e : t.evidence) {
      std::string line =
          fmt::format("      {}  {}  {}  by {}  from {}  in {}", e.event_time, e.event_name,
                      e.event_source, e.principal.empty() ? "?" : e.principal,
                      e.source_ip_address.empty() ? "?" : e.source_ip_address,
                      e.aws_region.empty() ? "?" : e.aws_region);
      if (const std::string failure = e.Failure(); !failure.empty()) {
        line += "  failed: " + failure;
      }
      std::string parameters = MainParameters(e.request_parameters);
      if (!parameters.empty()) line += "  (" + parameters + ")";
      std::fprintf(out, "%s\n", line.c_str());
    }
  }
  std::fprintf(out, "\nReplayed %s of log group %s from %s",
               Counted(static_cast<std::int64_t>(result.events), "event").c_str(),
               result.log_group.c_str(),
               Counted(static_cast<std::int64_t>(result.files), "file").c_str());
  if (result.first_event) {
    std::fprintf(out, " (%s to %s)", FormatIso8601(*result.first_event).c_str(),
                 FormatIso8601(*result.last_event).c_str());
  }
  std::fprintf(out, ".\n");
  if (result.events_without_time > 0) {
    std::fprintf(out, "%llu records had no readable eventTime and were not ingested.\n",
                 static_cast<unsigned long long>(result.events_without_time));
  }
  for (const server::SkippedFile& s : result.skipped_files) {
    std::fprintf(out, "skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
  }
  std::fprintf(out, "\n%-40s %-17s %11s %8s %15s\n", "alarm", "final state", "transitions",
               "matched", "time in ALARM");
  for (const server::AlarmSummary& a : result.alarms) {
    std::fprintf(out, "%-40s %-17s %11d %8llu %14llds\n", a.alarm_name.c_str(),
                 alarm::StateName(a.state), a.transitions,
                 static_cast<unsigned long long>(a.matched_events),
                 static_cast<long long>(a.seconds_in_alarm));
  }
  std::fprintf(out, "\n%-60s %10s %12s\n", "metric", "samples", "sum");
  for (const server::MetricSummary& m : result.metrics) {
    std::fprintf(out, "%-60s %10.0f %12g\n", m.key.ToString().c_str(), m.samples, m.sum);
  }
}

void PrintDeliveriesForPeople(const std::vector<notify::Delivery>& deliveries, std::FILE* out) {
  std::fprintf(out, "\n%zu notification%s:\n", deliveries.size(),
               deliveries.size() == 1 ? "" : "s");
  for (const notify::Delivery& d : deliveries) {
    std::fprintf(out, "  %-9s %-10s %-40s %d attempt%s  %s\n", notify::DeliveryStateName(d.state),
                 d.item.protocol.c_str(), RedactUrlPasswords(d.item.endpoint).c_str(), d.attempts,
                 d.attempts == 1 ? " " : "s", RedactUrlPasswords(d.last_detail).c_str());
    std::fprintf(out, "            %s\n", d.item.subject.c_str());
  }
}

void PrintJson(const server::ReplayResult& result, const std::vector<notify::Delivery>& deliveries,
               std::FILE* out) {
  for (const server::ReplayTransition& t : result.transitions) {
    Json reason_data = Json::parse(t.reason_data, nullptr, false);
    if (reason_data.is_discarded()) reason_data = Json::object();
    Json evidence = Json::array();
    for (const server::EvidenceRecord& e : t.evidence) evidence.push_back(EvidenceJson(e));
    Json line{{"type", "transition"},
              {"time", FormatIso8601(t.time)},
              {"alarmName", t.alarm_name},
              {"oldState", alarm::StateName(t.old_state)},
              {"newState", alarm::StateName(t.new_state)},
              {"reason", t.reason},
              {"reasonData", reason_data},
              {"actions", t.actions},
              {"evidence", evidence},
              {"evidenceTotal", t.evidence_total}};
    std::fprintf(out, "%s\n", DumpJson(line).c_str());
  }
  Json skipped = Json::array();
  for (const server::SkippedFile& s : result.skipped_files) {
    skipped.push_back({{"path", s.path}, {"reason", s.reason}});
  }
  Json alarms = Json::array();
  for (const server::AlarmSummary& a : result.alarms) {
    alarms.push_back({{"alarmName", a.alarm_name},
                      {"state", alarm::StateName(a.state)},
                      {"transitions", a.transitions},
                      {"matchedEvents", a.matched_events},
                      {"secondsInAlarm", a.seconds_in_alarm}});
  }
  Json metric_list = Json::array();
  for (const server::MetricSummary& m : result.metrics) {
    Json dimensions = Json::object();
    for (const auto& [name, value] : m.key.dimensions) dimensions[name] = value;
    metric_list.push_back({{"namespace", m.key.metric_namespace},
                           {"metricName", m.key.metric_name},
                           {"dimensions", dimensions},
                           {"samples", m.samples},
                           {"sum", m.sum}});
  }
  for (const notify::Delivery& d : deliveries) {
    Json line{{"type", "delivery"}};
    line.update(DeliveryJson(d));
    std::fprintf(out, "%s\n", DumpJson(line).c_str());
  }
  Json summary{{"type", "summary"},
               {"events", result.events},
               {"eventsWithoutTime", result.events_without_time},
               {"files", result.files},
               {"skippedFiles", skipped},
               {"alarms", alarms},
               {"metrics", metric_list}};
  std::fprintf(out, "%s\n", DumpJson(summary).c_str());
}

// Queues the notifications of every transition and waits for their
// outcome; returns the exit status (0, 1 or 2) and the run's deliveries.
int Notify(const ReplayCommandOptions& options, const server::Configuration& config,
           const server::ReplayResult& result, std::vector<notify::Delivery>* deliveries,
           std::FILE* err) {
  SystemClock clock;
  server::NotifierOptions notifier_options = ResolveDeliveryOptions(options.delivery);
  notifier_options.region = options.region;
  notifier_options.account_id = options.account_id;
  notifier_options.on_attempt = [err](const notify::Delivery& d, const notify::AttemptRecord& a) {
    std::fprintf(err, "%s\n", DescribeAttempt(d, a).c_str());
  };
  Result<std::unique_ptr<server::Notifier>> notifier =
      server::Notifier::Open(notifier_options, &clock);
  if (!notifier.ok()) {
    std::fprintf(err, "trailwatch replay: %s\n", notifier.status().message().c_str());
    return 2;
  }
  server::Notifier& n = **notifier;
  std::vector<std::string> warnings;
  Status applied = n.ApplyConfiguration(config, &warnings);
  if (!applied.ok()) {
    std::fprintf(err, "trailwatch replay: %s\n", applied.message().c_str());
    return 2;
  }
  if (notifier_options.smtp_url.empty()) {
    std::fprintf(err, "no --smtp server given: e-mail is written to the Maildir %s\n",
                 n.layout().maildir().c_str());
  }
  notify::Outbox outbox(&n.db());
  Result<std::vector<notify::Delivery>> newest = outbox.List({.limit = 1});
  if (!newest.ok()) {
    std::fprintf(err, "trailwatch replay: %s\n", newest.status().message().c_str());
    return 2;
  }
  const std::int64_t first_id = newest->empty() ? 0 : newest->front().id;

  std::map<std::string, const alarm::AlarmSpec*> specs;
  for (const server::AlarmConfig& a : config.alarms) specs[a.spec.alarm_name] = &a.spec;
  std::map<std::string, const alarm::CompositeSpec*> composite_specs;
  for (const server::CompositeAlarmConfig& c : config.composite_alarms) {
    composite_specs[c.spec.alarm_name] = &c.spec;
  }
  const TimePoint configured =
      result.first_event ? FloorTo(*result.first_event, std::chrono::minutes(1)) : clock.Now();
  for (const server::ReplayTransition& t : result.transitions) {
    if (t.actions.empty()) continue;
    server::TransitionFacts facts;
    facts.old_state = t.old_state;
    facts.new_state.value = t.new_state;
    facts.new_state.reason = t.reason;
    facts.new_state.reason_data = t.reason_data;
    facts.new_state.updated = t.time;
    facts.configuration_updated = configured;
    facts.evidence = t.evidence;
    facts.evidence_total = t.evidence_total;
    const std::string console_url =
        server::ConsoleAlarmUrl(notifier_options.public_url, t.alarm_name);
    notify::AlarmChange change =
        t.composite ? server::DescribeAlarmChange(*composite_specs.at(t.alarm_name), facts,
                                                  t.trigger ? &*t.trigger : nullptr, options.region,
                                                  options.account_id, console_url)
                    : server::DescribeAlarmChange(*specs.at(t.alarm_name), facts, options.region,
                                                  options.account_id, console_url);
    Result<std::vector<std::string>> ids = n.PublishTransition(change, t.actions, &warnings);
    if (!ids.ok()) {
      std::fprintf(err, "trailwatch replay: %s\n", ids.status().message().c_str());
      return 2;
    }
  }
  for (const std::string& warning : warnings) std::fprintf(err, "warning: %s\n", warning.c_str());

  n.deliverer().Start();
  std::optional<TimePoint> deadline;
  if (options.max_wait_seconds > 0) {
    deadline = clock.Now() + Duration(static_cast<std::int64_t>(options.max_wait_seconds * 1000));
  }
  const bool idle = n.deliverer().WaitUntilIdle(deadline);
  n.deliverer().Stop();

  Result<std::vector<notify::Delivery>> run =
      outbox.List({.after_id = first_id, .limit = std::numeric_limits<std::size_t>::max() / 2});
  if (!run.ok()) {
    std::fprintf(err, "trailwatch replay: %s\n", run.status().message().c_str());
    return 2;
  }
  *deliveries = std::move(run).value();
  std::reverse(deliveries->begin(), deliveries->end());  // oldest first
  int status = 0;
  for (const notify::Delivery& d : *deliveries) {
    if (d.state != notify::DeliveryState::kDelivered) status = 1;
  }
  if (!idle) {
    Result<notify::OutboxCounts> counts = n.deliverer().Counts();
    std::fprintf(err,
                 "stopped waiting after %g s: %lld deliveries still pending in %s "
                 "(`trailwatch outbox deliver --data-dir %s` resumes them)\n",
                 options.max_wait_seconds,
                 static_cast<long long>(counts.ok() ? counts->pending : -1),
                 n.layout().database().c_str(), n.layout().dir.c_str());
    status = 1;
  }
  return status;
}

}  // namespace

CLI::App* AddReplayCommand(CLI::App& app, ReplayCommandOptions* options) {
  CLI::App* command = app.add_subcommand(
      "replay",
      "Replay archived CloudTrail files through a CloudFormation template's metric filters and "
      "alarms, on event time: which alarms would have fired, when, why, and because of whom.");
  command
      ->add_option("--template", options->template_path,
                   "CloudFormation template (YAML or JSON) with AWS::Logs::MetricFilter and "
                   "AWS::CloudWatch::Alarm resources")
      ->required();
  AddParameterOption(command, &options->parameters);
  command->add_option("--log-group", options->log_group,
                      "Log group whose metric filters apply (default: the one the template's "
                      "filters read)");
  command->add_option("--region", options->region, "Region for ARNs and ${AWS::Region}")
      ->capture_default_str();
  command
      ->add_option("--account-id", options->account_id, "Account ID for ARNs and ${AWS::AccountId}")
      ->capture_default_str();
  command->add_flag("--json", options->json,
                    "One JSON object per line: each transition, then a summary");
  command->add_flag("--notify", options->notify,
                    "Deliver the notifications the transitions would have sent, to the template's "
                    "subscriptions, and wait until each is delivered or dead-lettered");
  AddDeliveryOptions(command, &options->delivery);
  command
      ->add_option("--max-wait", options->max_wait_seconds,
                   "With --notify: stop waiting for retries after this many seconds (0: as long "
                   "as the retry policies take)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("PATH", options->paths,
                   "CloudTrail files or directories (recursive): {\"Records\":[...]} files, "
                   "arrays, one record per line, optionally .gz")
      ->required();
  command->footer(
      "Examples:\n  trailwatch replay --template examples/cis-benchmark.yaml "
      "AWSLogs/111122223333/CloudTrail/\n"
      "  trailwatch replay --notify --smtp smtp://mail.example.com:587 --smtp-starttls \\\n"
      "      --template examples/iam-policy-change.yaml examples/sample-cloudtrail.json");
  return command;
}

int RunReplay(const ReplayCommandOptions& options, std::FILE* out, std::FILE* err) {
  server::TemplateContext context;
  context.region = options.region;
  context.account_id = options.account_id;
  context.parameters = options.parameters;
  Result<server::Configuration> config = server::LoadTemplate(options.template_path, context);
  if (!config.ok()) {
    std::fprintf(err, "trailwatch replay: %s\n", config.status().message().c_str());
    return 2;
  }
  for (const std::string& warning : config->warnings) {
    std::fprintf(err, "warning: %s\n", warning.c_str());
  }
  server::ReplayOptions replay_options;
  if (!options.log_group.empty()) replay_options.log_group = options.log_group;
  replay_options.paths = options.paths;

  // Progress only for people watching a terminal (not with --json, whose
  // reader is a program), and only once it is slow.
  const bool show_progress = isatty(fileno(err)) != 0 && !options.json;
  const auto started = std::chrono::steady_clock::now();
  bool progress_shown = false;
  server::ReplayProgress progress = [&](std::size_t done, std::size_t total, std::uint64_t events) {
    if (!show_progress) return;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (seconds < 1.0) return;
    progress_shown = true;
    // "\x1b[K" clears what a longer previous line left.
    std::fprintf(err, "\r%s\x1b[K", ProgressLine(done, total, events, seconds).c_str());
    std::fflush(err);
  };
  Result<server::ReplayResult> result = server::Replay(*config, replay_options, progress);
  if (progress_shown) std::fprintf(err, "\n");
  if (!result.ok()) {
    std::fprintf(err, "trailwatch replay: %s\n", result.status().message().c_str());
    return 2;
  }
  if (result->files == 0) {
    for (const server::SkippedFile& s : result->skipped_files) {
      std::fprintf(err, "skipped %s: %s\n", s.path.c_str(), s.reason.c_str());
    }
    std::fprintf(err, "trailwatch replay: no readable input\n");
    return 2;
  }
  std::vector<notify::Delivery> deliveries;
  int status = 0;
  if (options.notify) {
    status = Notify(options, *config, *result, &deliveries, err);
    if (status == 2) return 2;
  }
  if (options.json) {
    PrintJson(*result, deliveries, out);
  } else {
    PrintForPeople(*result, out);
    if (options.notify) PrintDeliveriesForPeople(deliveries, out);
  }
  return status;
}

}  // namespace tw::cli
