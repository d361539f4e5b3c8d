#include "server/replay.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "event/event_view.h"
#include "ingest/ingest.h"
#include "server/evaluation.h"

namespace tw::server {
namespace {

namespace fs = std::filesystem;

bool IsInputName(const std::string& name) {
  for (const char* suffix : {".json", ".jsonl", ".ndjson"}) {
    std::string s(suffix);
    if (name.ends_with(s) || name.ends_with(s + ".gz")) return true;
  }
  return false;
}

// Picks the log group whose events are replayed.
Result<std::string> ChooseLogGroup(const Configuration& config,
                                   const std::optional<std::string>& requested) {
  std::set<std::string> used;
  for (const MetricFilterConfig& f : config.metric_filters) used.insert(f.spec.log_group_name);
  if (requested) {
    if (!used.count(*requested)) {
      std::string known;
      for (const std::string& g : used) known += (known.empty() ? "" : ", ") + g;
      return InvalidArgument("no metric filter of the template reads log group '" + *requested +
                             "'" + (known.empty() ? "" : " (filters read: " + known + ")"));
    }
    return *requested;
  }
  if (used.empty()) return InvalidArgument("the template has no AWS::Logs::MetricFilter to replay");
  if (used.size() > 1) {
    std::string known;
    for (const std::string& g : used) known += (known.empty() ? "" : ", ") + g;
    return InvalidArgument("the template's metric filters read several log groups (" + known +
                           "); choose one with --log-group");
  }
  return *used.begin();
}

}  // namespace

std::vector<std::string> CollectInputFiles(const std::vector<std::string>& paths,
                                           std::vector<SkippedFile>* missing) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    fs::file_status status = fs::status(path, error);
    if (error || !fs::exists(status)) {
      missing->push_back({path, "no such file or directory"});
      continue;
    }
    if (!fs::is_directory(status)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(
             path, fs::directory_options::skip_permission_denied, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (it->is_regular_file(error) && IsInputName(it->path().filename().string())) {
        found.push_back(it->path().string());
      }
    }
    if (error) missing->push_back({path, "cannot list directory: " + error.message()});
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

namespace {

// The composite alarms of `config` over the metric alarms' transitions in
// `result` (in time order) until `end`: their transitions merged into the
// timeline, their summaries after the metric alarms'.
Status ReplayComposites(const Configuration& config, TimePoint end, ReplayResult* result) {
  if (config.composite_alarms.empty()) return Status::Ok();
  std::vector<alarm::AlarmRule> rules;
  rules.reserve(config.composite_alarms.size());
  for (const CompositeAlarmConfig& c : config.composite_alarms) {
    Result<alarm::AlarmRule> rule = alarm::AlarmRule::Parse(c.spec.alarm_rule);
    if (!rule.ok()) {
      return InvalidArgument("Resources." + c.logical_id + ".Properties." +
                             rule.status().message());
    }
    rules.push_back(std::move(rule).value());
  }
  std::vector<AlarmSummary> summaries(config.composite_alarms.size());
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    summaries[i].alarm_name = config.composite_alarms[i].spec.alarm_name;
  }
  if (!result->first_event) {
    result->alarms.insert(result->alarms.end(), summaries.begin(), summaries.end());
    return Status::Ok();
  }
  const Duration minute = std::chrono::minutes(1);
  const TimePoint begin = FloorTo(*result->first_event, minute) + minute;
  std::map<std::string, alarm::ChildState> children;
  auto set_child = [&](const std::string& name, const std::string& arn,
                       const alarm::AlarmState& state) {
    children[name] = children[arn] = alarm::ChildState{arn, state};
  };
  for (const AlarmConfig& a : config.alarms) {
    set_child(a.spec.alarm_name, a.spec.alarm_arn, alarm::InitialState(begin));
  }
  std::vector<alarm::CompositeState> composites;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const alarm::CompositeSpec& spec = config.composite_alarms[i].spec;
    composites.push_back({&spec, &rules[i], alarm::InitialState(begin)});
    set_child(spec.alarm_name, spec.alarm_arn, composites.back().state);
  }
  std::vector<std::optional<TimePoint>> alarm_since(composites.size());
  std::vector<ReplayTransition> timeline;
  auto record = [&](std::size_t i, const alarm::AlarmState& previous,
                    const alarm::Evaluation& evaluation, const alarm::ChildState* trigger) {
    ReplayTransition t;
    t.time = evaluation.state.updated;
    t.alarm_name = composites[i].spec->alarm_name;
    t.old_state = previous.value;
    t.new_state = evaluation.state.value;
    t.reason = evaluation.state.reason;
    t.reason_data = evaluation.state.reason_data;
    t.actions = evaluation.actions;
    t.composite = true;
    if (trigger != nullptr) t.trigger = *trigger;
    if (alarm_since[i]) {
      summaries[i].seconds_in_alarm +=
          std::chrono::duration_cast<std::chrono::seconds>(t.time - *alarm_since[i]).count();
      alarm_since[i].reset();
    }
    if (t.new_state == alarm::StateValue::kAlarm) alarm_since[i] = t.time;
    ++summaries[i].transitions;
    timeline.push_back(std::move(t));
  };
  // At the start, as at creation: in template order, which puts each
  // composite after the composites it names.
  for (std::size_t i = 0; i < composites.size(); ++i) {
    alarm::CompositeState& c = composites[i];
    alarm::Evaluation e =
        alarm::EvaluateComposite(*c.spec, *c.rule, c.state, children, std::nullopt, begin);
    if (!e.changed) continue;
    const alarm::AlarmState previous = c.state;
    c.state = e.state;
    set_child(c.spec->alarm_name, c.spec->alarm_arn, c.state);
    record(i, previous, e, nullptr);
  }
  std::map<std::string, std::string> arn_of;
  for (const AlarmConfig& a : config.alarms) arn_of[a.spec.alarm_name] = a.spec.alarm_arn;
  for (ReplayTransition& t : result->transitions) {
    const std::string name = t.alarm_name;
    const TimePoint time = t.time;
    set_child(name, arn_of[name], alarm::AlarmState{t.new_state, t.reason, t.reason_data, time});
    timeline.push_back(std::move(t));
    for (const alarm::CascadeStep& step :
         alarm::CascadeComposites(&composites, &children, name, time)) {
      record(step.composite, step.previous, step.evaluation, &step.trigger);
    }
  }
  result->transitions = std::move(timeline);
  for (std::size_t i = 0; i < composites.size(); ++i) {
    if (alarm_since[i]) {
      summaries[i].seconds_in_alarm +=
          std::chrono::duration_cast<std::chrono::seconds>(end - *alarm_since[i]).count();
    }
    summaries[i].state = composites[i].state.value;
  }
  result->alarms.insert(result->alarms.end(), summaries.begin(), summaries.end());
  return Status::Ok();
}

}  // namespace

Result<ReplayResult> Replay(const Configuration& config, const ReplayOptions& options,
                            const ReplayProgress& progress) {
  ReplayResult result;
  Result<std::string> log_group = ChooseLogGroup(config, options.log_group);
  if (!log_group.ok()) return log_group.status();
  result.log_group = *log_group;

  std::vector<metrics::MetricFilter> filters;
  for (const MetricFilterConfig& f : config.metric_filters) {
    if (f.spec.log_group_name != result.log_group) continue;
    Result<metrics::MetricFilter> compiled = metrics::MetricFilter::Compile(f.spec);
    if (!compiled.ok()) {
      return InvalidArgument("Resources." + f.logical_id + ".Properties." +
                             compiled.status().message());
    }
    filters.push_back(std::move(compiled).value());
  }
  metrics::FilterSet filter_set(std::move(filters));
  std::vector<std::uint64_t> matched_per_filter(filter_set.filters().size(), 0);

  metrics::MetricStore store(options.evidence_per_transition);
  std::vector<std::string> files = CollectInputFiles(options.paths, &result.skipped_files);
  event::EventView view;
  std::vector<metrics::Observation> observations;
  std::vector<std::uint64_t> file_matches(matched_per_filter.size());
  for (std::size_t f = 0; f < files.size(); ++f) {
    const std::string& path = files[f];
    Result<std::unique_ptr<ingest::MessageReader>> reader =
        ingest::MessageReader::Open(path, ingest::InputFormat::kCloudTrail);
    if (!reader.ok()) {
      result.skipped_files.push_back({path, reader.status().message()});
      continue;
    }
    // The file is collected apart and kept only if it reads to the end, so a
    // malformed file contributes nothing; memory stays bounded by the minutes
    // the file covers, not by its size.
    metrics::MetricStore file_store(options.evidence_per_transition);
    std::fill(file_matches.begin(), file_matches.end(), 0);
    std::uint64_t file_events = 0, file_without_time = 0;
    std::optional<TimePoint> file_first, file_last;
    std::string_view message;
    while ((*reader)->Next(&message)) {
      view.Reset(message);
      event::JsonValue time_value = view.Json().Member("eventTime");
      std::optional<TimePoint> time;
      if (time_value.valid() && time_value.type() == event::JsonType::kString) {
        time = ParseTimestamp(time_value.AsString());
      }
      if (!time) {
        ++file_without_time;
        continue;
      }
      ++file_events;
      file_first = file_first ? std::min(*file_first, *time) : *time;
      file_last = file_last ? std::max(*file_last, *time) : *time;
      observations.clear();
      filter_set.Evaluate(view, *time, &observations);
      for (const metrics::Observation& o : observations) {
        if (!o.is_default) ++file_matches[o.filter_index];
        file_store.Record(o, message);
      }
    }
    if (!(*reader)->status().ok()) {
      result.skipped_files.push_back({path, (*reader)->status().message()});
      continue;
    }
    ++result.files;
    result.events += file_events;
    result.events_without_time += file_without_time;
    if (file_first) {
      result.first_event =
          result.first_event ? std::min(*result.first_event, *file_first) : *file_first;
      result.last_event = result.last_event ? std::max(*result.last_event, *file_last) : *file_last;
    }
    for (std::size_t i = 0; i < matched_per_filter.size(); ++i)
      matched_per_filter[i] += file_matches[i];
    store.Merge(file_store);
    if (progress) progress(f + 1, files.size(), result.events);
  }

  // Alarms, evaluated at every minute boundary of event time.
  struct Running {
    const AlarmConfig* config;
    alarm::AlarmState state;
    AlarmSummary summary;
    std::optional<TimePoint> alarm_since;
  };
  std::vector<Running> running;
  Duration longest_range{0};
  for (const AlarmConfig& a : config.alarms) {
    running.push_back({&a, {}, {}, std::nullopt});
    running.back().summary.alarm_name = a.spec.alarm_name;
    for (std::size_t i = 0; i < filter_set.filters().size(); ++i) {
      const metrics::MetricTransformation& t = filter_set.filters()[i].spec().transformation;
      if (t.metric_namespace == a.spec.metric_namespace && t.metric_name == a.spec.metric_name) {
        running.back().summary.matched_events += matched_per_filter[i];
      }
    }
    Duration range = std::chrono::duration_cast<Duration>(a.spec.period) *
                     std::max(a.spec.evaluation_periods, 5);
    longest_range = std::max(longest_range, range);
  }
  TimePoint end_of_replay;
  if (result.first_event) {
    // An evaluation at t reads [t - range, t). Its outcome can differ from the
    // previous one only while a minute holding data is inside that window, or
    // on the first evaluation after it left: so each alarm is evaluated at the
    // first minute, and at every minute of [m + 1 min, m + range + 1 min] for
    // each minute m with data. Between those stretches every evaluation would
    // read an empty window and repeat the last outcome; skipping them keeps a
    // replay of years of sparse data fast.
    const Duration minute = std::chrono::minutes(1);
    TimePoint begin = FloorTo(*result.first_event, minute) + minute;
    TimePoint end = FloorTo(*result.last_event, minute) + minute + longest_range;
    end_of_replay = end;
    for (Running& r : running) {
      const alarm::AlarmSpec& spec = r.config->spec;
      r.state = alarm::InitialState(begin);
      metrics::MetricKey key = spec.metric();
      Duration range =
          std::chrono::duration_cast<Duration>(spec.period) * std::max(spec.evaluation_periods, 5);
      std::vector<std::pair<TimePoint, TimePoint>> stretches = {{begin, begin}};
      if (options.evaluate_every_minute) stretches.back().second = end;
      for (TimePoint m : store.MinutesWithData(key)) {
        TimePoint from = std::max(begin, m + minute);
        TimePoint to = std::min(end, m + range + minute);
        if (from > to) continue;
        if (from <= stretches.back().second + minute) {
          stretches.back().second = std::max(stretches.back().second, to);
        } else {
          stretches.push_back({from, to});
        }
      }
      for (const auto& [from, to] : stretches) {
        for (TimePoint now = from; now <= to; now += minute) {
          AlarmEvaluation step =
              EvaluateAlarm(spec, r.state, store, now, options.evidence_per_transition);
          const alarm::Evaluation& evaluation = step.evaluation;
          if (!evaluation.changed) continue;
          ReplayTransition transition;
          transition.time = now;
          transition.alarm_name = spec.alarm_name;
          transition.old_state = r.state.value;
          transition.new_state = evaluation.state.value;
          transition.reason = evaluation.state.reason;
          transition.reason_data = evaluation.state.reason_data;
          transition.actions = evaluation.actions;
          transition.evidence = std::move(step.evidence);
          transition.evidence_total = step.evidence_total;
          if (r.alarm_since) {
            r.summary.seconds_in_alarm +=
                std::chrono::duration_cast<std::chrono::seconds>(now - *r.alarm_since).count();
            r.alarm_since.reset();
          }
          if (transition.new_state == alarm::StateValue::kAlarm) r.alarm_since = now;
          ++r.summary.transitions;
          r.state = evaluation.state;
          result.transitions.push_back(std::move(transition));
        }
      }
      if (r.alarm_since) {
        r.summary.seconds_in_alarm +=
            std::chrono::duration_cast<std::chrono::seconds>(end - *r.alarm_since).count();
      }
    }
    // Alarms were replayed one after another; the timeline is in time order,
    // alarms in template order within a minute.
    std::stable_sort(
        result.transitions.begin(), result.transitions.end(),
        [](const ReplayTransition& a, const ReplayTransition& b) { return a.time < b.time; });
  }
  for (Running& r : running) {
    r.summary.state = r.state.value;
    result.alarms.push_back(r.summary);
  }
  TW_RETURN_IF_ERROR(ReplayComposites(config, end_of_replay, &result));
  for (const metrics::MetricKey& key : store.Keys()) {
    metrics::Statistics total = store.Total(key);
    result.metrics.push_back({key, total.sample_count, total.sum});
  }
  return result;
}

}  // namespace tw::server
