// CloudWatch operations (spec aws-protocols-alarms.md §3.2): metrics and
// metric alarms. The same handlers serve awsQuery, awsJson1_0 and CBOR; the
// router encodes Timestamps and lists as each protocol needs.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "common/java_double.h"
#include "server/operation_args.h"
#include "server/operations.h"

namespace tw::server {
namespace {

using api::ApiError;
using api::Service;
using V = api::Value;
using Output = Result<V, ApiError>;

constexpr Service kCloudWatch = Service::kCloudWatch;
constexpr double kLargest = 0x1p360;  // PutMetricData's range: 2^-360 .. 2^360
constexpr double kSmallest = 0x1p-360;
constexpr std::size_t kMaxDatapoints = 1440;
constexpr const char* kStatistics[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};

bool IsStatistic(std::string_view s) {
  return std::find(std::begin(kStatistics), std::end(kStatistics), s) != std::end(kStatistics);
}

bool ValidValue(double v) {
  return std::isfinite(v) && (v == 0 || (std::fabs(v) >= kSmallest && std::fabs(v) <= kLargest));
}

std::string Member(std::string_view list, std::size_t index, std::string_view field) {
  return std::string(list) + ".member." + std::to_string(index + 1) + "." + std::string(field);
}

// Dimensions: a list of {Name, Value}, returned sorted by name.
bool ReadDimensions(Args& args, std::string_view name, metrics::Dimensions* out, ApiError* error) {
  std::vector<api::InputReader> items;
  if (!args.List(name, &items)) {
    *error = args.error();
    return false;
  }
  if (items.size() > 30) {
    *error = api::InvalidParameterValue("The collection " + std::string(name) +
                                        " must not have a size greater than 30.");
    return false;
  }
  std::set<std::string> names;
  for (const api::InputReader& item : items) {
    Args d(item, kCloudWatch);
    std::string n, v;
    if (!d.String("Name", &n, kRequired) || !d.String("Value", &v, kRequired)) {
      *error = d.error();
      return false;
    }
    if (!names.insert(n).second) {
      *error = api::InvalidParameterValue("The dimension " + n + " is specified more than once.");
      return false;
    }
    out->emplace_back(std::move(n), std::move(v));
  }
  std::sort(out->begin(), out->end());
  return true;
}

V DimensionsValue(const metrics::Dimensions& dimensions) {
  V list = V::List();
  for (const auto& [name, value] : dimensions) {
    list.Append(V::Structure({{"Name", V::String(name)}, {"Value", V::String(value)}}));
  }
  return list;
}

V StringList(const std::vector<std::string>& values) {
  V list = V::List();
  for (const std::string& v : values) list.Append(V::String(v));
  return list;
}

// What metric and composite alarms both show in DescribeAlarms.
template <typename Spec>
V CommonAlarmFields(const Spec& s, const alarm::AlarmState& state,
                    TimePoint configuration_updated) {
  V v =
      V::Structure({{"AlarmName", V::String(s.alarm_name)}, {"AlarmArn", V::String(s.alarm_arn)}});
  if (!s.alarm_description.empty()) v.Set("AlarmDescription", V::String(s.alarm_description));
  v.Set("AlarmConfigurationUpdatedTimestamp", V::Timestamp(configuration_updated));
  v.Set("ActionsEnabled", V::Bool(s.actions_enabled));
  v.Set("OKActions", StringList(s.ok_actions));
  v.Set("AlarmActions", StringList(s.alarm_actions));
  v.Set("InsufficientDataActions", StringList(s.insufficient_data_actions));
  v.Set("StateValue", V::String(alarm::StateName(state.value)));
  v.Set("StateReason", V::String(state.reason));
  if (!state.reason_data.empty()) v.Set("StateReasonData", V::String(state.reason_data));
  v.Set("StateUpdatedTimestamp", V::Timestamp(state.updated));
  return v;
}

V CompositeValue(const StoredComposite& c) {
  V v = CommonAlarmFields(c.spec, c.state, c.configuration_updated);
  v.Set("AlarmRule", V::String(c.spec.alarm_rule));
  v.Set("StateTransitionedTimestamp", V::Timestamp(c.state_transitioned));
  // The suppression fields only when set, as AWS's recorded composite
  // without a suppressor has none of them.
  if (c.suppression.by != alarm::SuppressedBy::kNone) {
    v.Set("ActionsSuppressedBy", V::String(alarm::SuppressedByName(c.suppression.by)));
    v.Set("ActionsSuppressedReason", V::String(c.suppression.Reason()));
  }
  if (!c.spec.actions_suppressor.empty()) {
    v.Set("ActionsSuppressor", V::String(c.spec.actions_suppressor));
    v.Set("ActionsSuppressorWaitPeriod",
          V::Integer(c.spec.actions_suppressor_wait_period.value_or(0)));
    v.Set("ActionsSuppressorExtensionPeriod",
          V::Integer(c.spec.actions_suppressor_extension_period.value_or(0)));
  }
  return v;
}

V AlarmValue(const StoredAlarm& a) {
  const alarm::AlarmSpec& s = a.spec;
  V v = CommonAlarmFields(s, a.state, a.configuration_updated);
  v.Set("MetricName", V::String(s.metric_name));
  v.Set("Namespace", V::String(s.metric_namespace));
  if (s.extended_statistic.empty()) {
    v.Set("Statistic", V::String(s.statistic));
  } else {
    v.Set("ExtendedStatistic", V::String(s.extended_statistic));
  }
  v.Set("Dimensions", DimensionsValue(s.dimensions));
  v.Set("Period", V::Integer(s.period.count()));
  if (s.unit) v.Set("Unit", V::String(*s.unit));
  v.Set("EvaluationPeriods", V::Integer(s.evaluation_periods));
  if (s.datapoints_to_alarm) v.Set("DatapointsToAlarm", V::Integer(*s.datapoints_to_alarm));
  v.Set("Threshold", V::Double(s.threshold));
  v.Set("ComparisonOperator", V::String(alarm::ComparisonOperatorName(s.comparison_operator)));
  if (s.treat_missing_data_given) {
    v.Set("TreatMissingData", V::String(alarm::TreatMissingDataName(s.treat_missing_data)));
  }
  if (!s.extended_statistic.empty()) {
    v.Set("EvaluateLowSampleCountPercentile",
          V::String(s.evaluate_low_sample_count_percentile ? "evaluate" : "ignore"));
  }
  v.Set("StateTransitionedTimestamp", V::Timestamp(a.state_transitioned));
  return v;
}

Result<std::vector<StoredAlarm>, ApiError> AllAlarms(Engine* engine) {
  Result<std::vector<StoredAlarm>> alarms =
      engine->Locked([](Services& sv) { return sv.alarms.List(); });
  if (!alarms.ok()) return api::CloudWatchErrorFor(alarms.status());
  return std::move(alarms).value();
}

// PutMetricAlarm's members into a spec, checked by alarm::Validate.
Result<std::pair<alarm::AlarmSpec, std::map<std::string, std::string>>, ApiError> ReadAlarm(
    const api::InputReader& in, const api::CallContext& context, const EngineOptions& options) {
  Args args(in, kCloudWatch);
  alarm::AlarmSpec s;
  std::int64_t evaluation_periods = 0, period = 0;
  std::optional<std::int64_t> datapoints;
  std::optional<double> threshold;
  std::string comparison, missing, low_sample;
  std::optional<std::string> unit;
  std::vector<api::InputReader> metrics;
  std::map<std::string, std::string> tags;
  if (!args.String("AlarmName", &s.alarm_name, kRequired) ||
      !args.Integer("EvaluationPeriods", &evaluation_periods, kRequired) ||
      !args.String("ComparisonOperator", &comparison, kRequired) ||
      !args.String("AlarmDescription", &s.alarm_description) ||
      !args.Bool("ActionsEnabled", &s.actions_enabled) ||
      !args.StringList("OKActions", &s.ok_actions) ||
      !args.StringList("AlarmActions", &s.alarm_actions) ||
      !args.StringList("InsufficientDataActions", &s.insufficient_data_actions) ||
      !args.String("MetricName", &s.metric_name) ||
      !args.String("Namespace", &s.metric_namespace) || !args.String("Statistic", &s.statistic) ||
      !args.String("ExtendedStatistic", &s.extended_statistic) ||
      !args.Integer("Period", &period) || !args.String("Unit", &unit) ||
      !args.Integer("DatapointsToAlarm", &datapoints) || !args.Double("Threshold", &threshold) ||
      !args.String("TreatMissingData", &missing) ||
      !args.String("EvaluateLowSampleCountPercentile", &low_sample) || !args.Tags("Tags", &tags) ||
      !args.List("Metrics", &metrics)) {
    return args.error();
  }
  if (!metrics.empty() || in.Has("ThresholdMetricId")) {
    return api::InvalidParameterCombination(
        "Metric math alarms (Metrics, ThresholdMetricId) are not supported by trailwatch; use "
        "MetricName, Namespace and Statistic");
  }
  if (s.metric_name.empty()) return api::MissingParameter("The parameter MetricName is required.");
  if (s.metric_namespace.empty()) {
    return api::MissingParameter("The parameter Namespace is required.");
  }
  if (!threshold) return api::MissingParameter("The parameter Threshold is required.");
  if (period == 0) return api::MissingParameter("The parameter Period is required.");
  ApiError error;
  if (!ReadDimensions(args, "Dimensions", &s.dimensions, &error)) return error;
  Result<alarm::ComparisonOperator> op = alarm::ParseComparisonOperator(comparison);
  if (!op.ok()) return api::ValidationError(op.status().message());
  Result<alarm::TreatMissingData> tmd =
      alarm::ParseTreatMissingData(missing.empty() ? "missing" : missing);
  if (!tmd.ok()) return api::ValidationError(tmd.status().message());
  if (!low_sample.empty() && low_sample != "evaluate" && low_sample != "ignore") {
    return api::ValidationError(
        api::ValidationMessage(low_sample, "evaluateLowSampleCountPercentile",
                               "Member must satisfy enum value set: [evaluate, ignore]"));
  }
  s.comparison_operator = *op;
  s.treat_missing_data = *tmd;
  s.treat_missing_data_given = !missing.empty();
  s.evaluate_low_sample_count_percentile = low_sample != "ignore";
  s.evaluation_periods =
      static_cast<int>(std::clamp<std::int64_t>(evaluation_periods, -1, 1 << 20));
  if (datapoints)
    s.datapoints_to_alarm = static_cast<int>(std::clamp<std::int64_t>(*datapoints, -1, 1 << 20));
  s.period = std::chrono::seconds(std::clamp<std::int64_t>(period, -1, 1LL << 40));
  s.threshold = *threshold;
  s.unit = unit;
  const std::string region = context.region.empty() ? options.region : context.region;
  s.alarm_arn =
      "arn:aws:cloudwatch:" + region + ":" + options.account_id + ":alarm:" + s.alarm_name;
  Status valid = alarm::Validate(s);
  if (!valid.ok()) return api::ValidationError(valid.message());
  return std::pair(std::move(s), std::move(tags));
}

// PutMetricData's data into a batch of minutes, with AWS's checks.
Result<metrics::MetricStore, ApiError> ReadMetricData(const api::InputReader& in, TimePoint now) {
  Args args(in, kCloudWatch);
  std::string ns;
  std::vector<api::InputReader> data;
  if (!args.String("Namespace", &ns, kRequired) || !args.List("MetricData", &data, kRequired)) {
    return args.error();
  }
  if (ns.empty() || ns.size() > 255 || ns.front() == ':') {
    return api::InvalidParameterValue("The value " + ns + " for parameter Namespace is invalid.");
  }
  if (ns.starts_with("AWS/")) {
    return api::InvalidParameterValue("The value " + ns +
                                      " for parameter Namespace is invalid: the AWS/ namespaces "
                                      "are reserved for AWS services.");
  }
  if (data.empty() || data.size() > 1000) {
    return api::InvalidParameterValue(
        "The collection MetricData must have a size between 1 and 1000.");
  }
  metrics::MetricStore batch;
  for (std::size_t i = 0; i < data.size(); ++i) {
    Args d(data[i], kCloudWatch);
    metrics::MetricKey key;
    key.metric_namespace = ns;
    std::optional<TimePoint> timestamp;
    std::optional<double> value;
    std::optional<std::vector<double>> values, counts;
    std::string unit = "None";
    std::optional<std::int64_t> resolution;
    if (!d.String("MetricName", &key.metric_name, kRequired) ||
        !d.Timestamp("Timestamp", &timestamp) || !d.Double("Value", &value) ||
        !d.String("Unit", &unit) || !d.Integer("StorageResolution", &resolution)) {
      return d.error();
    }
    Result<std::optional<std::vector<double>>> read_values = data[i].DoubleList("Values");
    Result<std::optional<std::vector<double>>> read_counts = data[i].DoubleList("Counts");
    if (!read_values.ok()) return d.Invalid(read_values.status().message());
    if (!read_counts.ok()) return d.Invalid(read_counts.status().message());
    values = *read_values;
    counts = *read_counts;
    Result<std::optional<api::InputReader>> set = data[i].Structure("StatisticValues");
    if (!set.ok()) return d.Invalid(set.status().message());
    ApiError error;
    if (!ReadDimensions(d, "Dimensions", &key.dimensions, &error)) return error;
    const std::string where = Member("MetricData", i, "");
    if (unit.empty()) unit = "None";
    if (!metrics::IsStandardUnit(unit)) {
      return api::InvalidParameterValue("The parameter " + where +
                                        "Unit must be a value in the "
                                        "set of CloudWatch standard units.");
    }
    const bool has_values = values && !values->empty();
    // AWS's recorded answers: Value excludes Values and StatisticValues, each
    // pair named; Values with StatisticValues is accepted (trailwatch keeps
    // the Values, the samples themselves).
    for (const auto& [given, name] :
         {std::pair{has_values, "Values"}, std::pair{set->has_value(), "StatisticValues"}}) {
      if (value && given) {
        return api::InvalidParameterCombination("The parameters " + where + "Value and " + where +
                                                name +
                                                " are mutually exclusive and you have specified "
                                                "both.");
      }
    }
    if (!value && !*set && !has_values) {
      return api::InvalidParameterCombination("At least one of the parameters " + where +
                                              "Value, " + where + "StatisticValues or " + where +
                                              "Values must be specified.");
    }
    if (resolution && *resolution != 1 && *resolution != 60) {
      return api::InvalidParameterValue("The value " + std::to_string(*resolution) +
                                        " for parameter " + where +
                                        "StorageResolution is invalid. Valid values are 1 and 60.");
    }
    const TimePoint t = timestamp.value_or(now);
    if (t < now - std::chrono::hours(24 * 14)) {
      return api::InvalidParameterValue("The parameter " + where +
                                        "Timestamp must specify a time no more than two weeks in "
                                        "the past.");
    }
    if (t > now + std::chrono::hours(2)) {
      return api::InvalidParameterValue("The parameter " + where +
                                        "Timestamp must specify a time no more than two hours in "
                                        "the future.");
    }
    metrics::MinuteData minute;
    metrics::Statistics& stats = minute.by_unit[unit];
    if (value) {
      if (!ValidValue(*value)) {
        return api::InvalidParameterValue("The value " + JavaDoubleToString(*value) +
                                          " for parameter " + where + "Value is invalid.");
      }
      stats.Add(*value);
    } else if (*set && !has_values) {
      Args sv(**set, kCloudWatch);
      std::optional<double> count, sum, min, max;
      if (!sv.Double("SampleCount", &count, kRequired) || !sv.Double("Sum", &sum, kRequired) ||
          !sv.Double("Minimum", &min, kRequired) || !sv.Double("Maximum", &max, kRequired)) {
        return sv.error();
      }
      for (double x : {*count, *sum, *min, *max}) {
        if (!ValidValue(x)) {
          return api::InvalidParameterValue("The value " + JavaDoubleToString(x) +
                                            " for parameter " + where +
                                            "StatisticValues is invalid.");
        }
      }
      if (!(*count > 0) || *min > *max) {
        return api::InvalidParameterValue("The parameter " + where +
                                          "StatisticValues is invalid: SampleCount must be "
                                          "positive and Minimum at most Maximum.");
      }
      stats.sample_count = *count;
      stats.sum = *sum;
      stats.minimum = *min;
      stats.maximum = *max;
      // A statistic set feeds percentiles only when its samples are all one
      // value (CloudWatch: SampleCount 1, or Minimum = Maximum).
      if (*min == *max) stats.sketch.Add(*min, *count);
    } else {
      if (values->size() > 150) {
        return api::InvalidParameterValue("The collection " + where +
                                          "Values must not have a size greater than 150.");
      }
      if (counts && !counts->empty() && counts->size() != values->size()) {
        return api::InvalidParameterValue("The parameters " + where + "Values and " + where +
                                          "Counts must be of the same size.");
      }
      for (std::size_t k = 0; k < values->size(); ++k) {
        double c = counts && !counts->empty() ? (*counts)[k] : 1;
        if (!ValidValue((*values)[k]) || !(c >= 0) || !std::isfinite(c)) {
          return api::InvalidParameterValue("The value " + JavaDoubleToString((*values)[k]) +
                                            " for parameter " + where + "Values is invalid.");
        }
        stats.Add((*values)[k], c);
      }
    }
    // High-resolution data keeps its second; standard data its minute.
    const Duration slot =
        resolution == 1 ? Duration(std::chrono::seconds(1)) : Duration(std::chrono::minutes(1));
    if (stats.sample_count > 0) batch.MergeMinute(key, FloorTo(t, slot), minute);
  }
  return batch;
}

// Bucket starts from StartTime (down to the minute), `period` apart.
Result<std::chrono::seconds, ApiError> CheckPeriod(std::int64_t period) {
  if (period < 1) {
    return api::InvalidParameterValue("The parameter Period must be greater than 0.");
  }
  if (period % 60 != 0 && period != 1 && period != 5 && period != 10 && period != 30) {
    return api::InvalidParameterValue(
        "The parameter Period must be a multiple of 60 (or 1, 5, 10 or 30 for high-resolution "
        "metrics).");
  }
  return std::chrono::seconds(period);
}

// GetMetricData never mixes units in one result: without a Unit, it keeps
// the first unit by name and, as AWS's recorded answers do ("[Count,
// Milliseconds, Seconds]" kept Count; "[Milliseconds, Seconds]" kept
// Milliseconds), names them all in a MultipleUnits message.
void KeepOneUnit(std::vector<MetricDatapoint>* points, std::vector<std::string>* units) {
  std::set<std::string> present;
  for (const MetricDatapoint& p : *points) present.insert(p.unit);
  if (present.size() < 2) return;
  units->assign(present.begin(), present.end());
  const std::string kept = units->front();
  std::erase_if(*points, [&](const MetricDatapoint& p) { return p.unit != kept; });
}

// "arn:aws:cloudwatch:<region>:<account>:alarm:<name>" -> "<name>" (which
// may hold colons); "" for anything else.
std::string AlarmNameOfArn(std::string_view arn) {
  if (!arn.starts_with("arn:")) return "";
  std::size_t at = 0;
  for (int colons = 0; colons < 5; ++colons) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return "";
    ++at;
  }
  std::string_view rest = arn.substr(at);
  if (!rest.starts_with("alarm:")) return "";
  return std::string(rest.substr(6));
}

V DatapointValue(const MetricDatapoint& p, const std::vector<std::string>& statistics,
                 const std::vector<std::string>& extended) {
  V v = V::Structure({{"Timestamp", V::Timestamp(p.timestamp)}});
  for (const std::string& s : statistics) {
    if (std::optional<double> x = p.statistics.Get(s)) v.Set(s, V::Double(*x));
  }
  v.Set("Unit", V::String(p.unit));
  if (!extended.empty()) {
    V map = V::Map();
    for (const std::string& e : extended) {
      if (std::optional<double> x = p.statistics.Get(e)) map.Set(e, V::Double(*x));
    }
    v.Set("ExtendedStatistics", std::move(map));
  }
  return v;
}

}  // namespace

void RegisterCloudWatchOperations(api::Operations* ops, Engine* engine) {
  auto add = [&](const char* name, api::Handler handler) {
    ops->Add(kCloudWatch, name, std::move(handler));
  };

  add("PutMetricData", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Result<metrics::MetricStore, ApiError> batch = ReadMetricData(in, engine->clock().Now());
    if (!batch.ok()) return batch.error();
    Status s = engine->PutMetrics(*batch);
    if (!s.ok()) return api::CloudWatchErrorFor(s);
    return V::Structure();
  });

  add("GetMetricStatistics",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kCloudWatch);
        MetricQuery q;
        std::optional<TimePoint> start, end;
        std::int64_t period = 0;
        std::vector<std::string> statistics, extended;
        if (!args.String("Namespace", &q.key.metric_namespace, kRequired) ||
            !args.String("MetricName", &q.key.metric_name, kRequired) ||
            !args.Timestamp("StartTime", &start, kRequired) ||
            !args.Timestamp("EndTime", &end, kRequired) ||
            !args.Integer("Period", &period, kRequired) ||
            !args.StringList("Statistics", &statistics) ||
            !args.StringList("ExtendedStatistics", &extended) || !args.String("Unit", &q.unit)) {
          return args.error();
        }
        ApiError error;
        if (!ReadDimensions(args, "Dimensions", &q.key.dimensions, &error)) return error;
        Result<std::chrono::seconds, ApiError> checked = CheckPeriod(period);
        if (!checked.ok()) return checked.error();
        q.period = *checked;
        if (statistics.empty() && extended.empty()) {
          return api::InvalidParameterCombination(
              "Must specify either Statistics or "
              "ExtendedStatistics, but not both.");
        }
        for (const std::string& s : statistics) {
          if (!IsStatistic(s)) {
            return api::InvalidParameterValue(
                "The parameter Statistics.member must be a value in the set [ SampleCount, "
                "Average, "
                "Sum, Minimum, Maximum ].");
          }
        }
        for (const std::string& e : extended) {
          if (!metrics::ParsePercentileStatistic(e)) {
            return api::InvalidParameterValue("The value " + e +
                                              " for parameter ExtendedStatistics is invalid.");
          }
        }
        if (*start >= *end) {
          return api::InvalidParameterValue(
              "The parameter StartTime must be less than the parameter EndTime.");
        }
        q.start = *start;
        q.end = *end;
        // Counted over the range as given (a whole day at Period 60 is 1,440
        // even when StartTime is not on a minute), rounded up.
        const auto range = std::chrono::ceil<std::chrono::seconds>(*end - *start);
        const auto requested = (range + q.period - std::chrono::seconds(1)) / q.period;
        if (static_cast<std::size_t>(requested) > kMaxDatapoints) {
          return api::InvalidParameterCombination(
              "You have requested up to " + std::to_string(requested) +
              " datapoints, which exceeds the limit of 1,440. You may reduce the datapoints "
              "requested "
              "by increasing Period, or decreasing the time range.");
        }
        std::vector<MetricDatapoint> points =
            engine->Locked([&](Services& sv) { return sv.metrics.Datapoints(q); });
        V list = V::List();
        for (const MetricDatapoint& p : points)
          list.Append(DatapointValue(p, statistics, extended));
        return V::Structure(
            {{"Label", V::String(q.key.metric_name)}, {"Datapoints", std::move(list)}});
      });

  add("GetMetricData", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kCloudWatch);
    std::vector<api::InputReader> queries;
    std::optional<TimePoint> start, end;
    std::string scan_by = "TimestampDescending";
    // AWS's default: at most 100,800 datapoints in one answer, over all
    // queries; the rest follows with NextToken.
    std::int64_t max_points = 100'800;
    std::optional<std::string> token;
    if (!args.List("MetricDataQueries", &queries, kRequired) ||
        !args.Timestamp("StartTime", &start, kRequired) ||
        !args.Timestamp("EndTime", &end, kRequired) || !args.String("ScanBy", &scan_by) ||
        !args.Integer("MaxDatapoints", &max_points) || !args.String("NextToken", &token)) {
      return args.error();
    }
    if (max_points < 1) {
      return api::InvalidParameterValue("The parameter MaxDatapoints must be greater than 0.");
    }
    std::optional<std::size_t> skip = PageOffset(token);
    if (!skip) {
      return api::InvalidNextToken("The service couldn't process your request: invalid NextToken.");
    }
    if (queries.empty() || queries.size() > 500) {
      return api::InvalidParameterValue(
          "The collection MetricDataQueries must have a size between 1 and 500.");
    }
    if (scan_by != "TimestampDescending" && scan_by != "TimestampAscending") {
      return api::ValidationError(
          api::ValidationMessage(scan_by, "scanBy",
                                 "Member must satisfy enum value set: [TimestampDescending, "
                                 "TimestampAscending]"));
    }
    if (*start >= *end) {
      return api::InvalidParameterValue(
          "The parameter StartTime must be less than the parameter EndTime.");
    }
    static const std::regex kId("[a-z][a-zA-Z0-9_]*");
    // Every query's datapoints first, then the page of them this answer holds.
    struct Series {
      std::string id, label, statistic;
      std::int64_t period = 0;
      bool generated_label = false;  // no Label given: "<MetricName> <Stat>"
      std::vector<MetricDatapoint> points;
      std::vector<std::string> units;  // no Unit and several: all of them, by name
    };
    std::vector<Series> all;
    std::set<std::string> ids;
    for (const api::InputReader& query : queries) {
      Args qa(query, kCloudWatch);
      std::string id, label, expression;
      bool return_data = true;
      if (!qa.String("Id", &id, kRequired) || !qa.String("Label", &label) ||
          !qa.String("Expression", &expression) || !qa.Bool("ReturnData", &return_data)) {
        return qa.error();
      }
      if (!std::regex_match(id, kId) || id.size() > 255) {
        return api::ValidationError("The value " + id +
                                    " for parameter MetricDataQueries.member.Id is invalid: it "
                                    "must start with a lower-case letter and hold only letters, "
                                    "digits and underscores.");
      }
      if (!ids.insert(id).second) {
        return api::ValidationError("The value " + id + " for parameter Id is not unique.");
      }
      if (!expression.empty()) {
        return api::ValidationError(
            "Metric math expressions are not supported by trailwatch (query " + id +
            "); use MetricStat");
      }
      Result<std::optional<api::InputReader>> stat = query.Structure("MetricStat");
      if (!stat.ok()) return qa.Invalid(stat.status().message());
      if (!*stat) {
        return api::ValidationError("The query " + id + " needs a MetricStat or an Expression.");
      }
      Args sa(**stat, kCloudWatch);
      std::int64_t period = 0;
      std::string statistic;
      MetricQuery q;
      if (!sa.Integer("Period", &period, kRequired) || !sa.String("Stat", &statistic, kRequired) ||
          !sa.String("Unit", &q.unit)) {
        return sa.error();
      }
      Result<std::optional<api::InputReader>> metric = (*stat)->Structure("Metric");
      if (!metric.ok()) return sa.Invalid(metric.status().message());
      if (!*metric) return api::MissingParameter("The parameter MetricStat.Metric is required.");
      Args ma(**metric, kCloudWatch);
      if (!ma.String("Namespace", &q.key.metric_namespace, kRequired) ||
          !ma.String("MetricName", &q.key.metric_name, kRequired)) {
        return ma.error();
      }
      ApiError error;
      if (!ReadDimensions(ma, "Dimensions", &q.key.dimensions, &error)) return error;
      Result<std::chrono::seconds, ApiError> checked = CheckPeriod(period);
      if (!checked.ok()) return checked.error();
      if (!IsStatistic(statistic) && !metrics::ParsePercentileStatistic(statistic)) {
        return api::ValidationError("The value " + statistic +
                                    " for parameter MetricStat.Stat is invalid.");
      }
      q.period = *checked;
      q.start = *start;
      q.end = *end;
      if (!return_data) continue;
      Series series{id, label, statistic, period, label.empty(), {}};
      if (label.empty()) series.label = q.key.metric_name + " " + statistic;
      for (MetricDatapoint& p :
           engine->Locked([&](Services& sv) { return sv.metrics.Datapoints(q); })) {
        if (p.statistics.Get(statistic)) series.points.push_back(std::move(p));
      }
      if (!q.unit) KeepOneUnit(&series.points, &series.units);
      if (scan_by == "TimestampDescending")
        std::reverse(series.points.begin(), series.points.end());
      all.push_back(std::move(series));
    }
    // AWS's generated labels name the period too when the queries' periods differ.
    const bool periods_differ = std::any_of(
        all.begin(), all.end(), [&](const Series& x) { return x.period != all.front().period; });
    V results = V::List();
    std::size_t position = 0;  // datapoints of the queries before this one
    std::int64_t shown = 0;
    std::optional<std::string> next;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Series& series = all[i];
      const std::size_t first =
          *skip > position ? std::min(*skip - position, series.points.size()) : 0;
      position += series.points.size();
      // A later page lists only the queries it carries datapoints of.
      if (*skip > 0 && first == series.points.size()) continue;
      V timestamps = V::List(), values = V::List();
      std::size_t j = first;
      for (; j < series.points.size() && shown < max_points; ++j, ++shown) {
        timestamps.Append(V::Timestamp(series.points[j].timestamp));
        values.Append(V::Double(*series.points[j].statistics.Get(series.statistic)));
      }
      const bool partial = j < series.points.size();
      if (partial && !next) next = std::to_string(position - (series.points.size() - j));
      const std::string label = series.generated_label && periods_differ
                                    ? series.label + " " + std::to_string(series.period)
                                    : series.label;
      V result = V::Structure({{"Id", V::String(series.id)},
                               {"Label", V::String(label)},
                               {"Timestamps", std::move(timestamps)},
                               {"Values", std::move(values)},
                               {"StatusCode", V::String(partial ? "PartialData" : "Complete")}});
      if (!series.units.empty()) {
        std::string units;
        for (const std::string& unit : series.units) units += (units.empty() ? "" : ", ") + unit;
        result.Set("Messages",
                   V::List({V::Structure(
                       {{"Code", V::String("MultipleUnits")},
                        {"Value", V::String("Multiple units returned: '[" + units + "]'")}})}));
      }
      results.Append(std::move(result));
    }
    V out = V::Structure({{"MetricDataResults", std::move(results)}, {"Messages", V::List()}});
    if (next) out.Set("NextToken", V::String(*next));
    return out;
  });

  add("ListMetrics", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kCloudWatch);
    std::string ns, name, recently;
    std::optional<std::string> token;
    std::vector<api::InputReader> filters;
    if (!args.String("Namespace", &ns) || !args.String("MetricName", &name) ||
        !args.List("Dimensions", &filters) || !args.String("NextToken", &token) ||
        !args.String("RecentlyActive", &recently)) {
      return args.error();
    }
    if (!recently.empty() && recently != "PT3H") {
      return api::ValidationError(api::ValidationMessage(
          recently, "recentlyActive", "Member must satisfy enum value set: [PT3H]"));
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> dimension_filters;
    for (const api::InputReader& f : filters) {
      Args fa(f, kCloudWatch);
      std::string n;
      std::optional<std::string> v;
      if (!fa.String("Name", &n, kRequired) || !fa.String("Value", &v)) return fa.error();
      dimension_filters.emplace_back(n, v);
    }
    std::optional<TimePoint> since;
    if (!recently.empty()) since = engine->clock().Now() - std::chrono::hours(3);
    std::vector<metrics::MetricKey> keys = engine->Locked(
        [&](Services& sv) { return sv.metrics.List(ns, name, dimension_filters, since); });
    std::optional<std::size_t> offset = PageOffset(token);
    if (!offset) {
      return api::InvalidNextToken("The service couldn't process your request: invalid NextToken.");
    }
    constexpr std::size_t kPage = 500;
    V list = V::List();
    for (std::size_t i = *offset; i < keys.size() && i < *offset + kPage; ++i) {
      list.Append(V::Structure({{"Namespace", V::String(keys[i].metric_namespace)},
                                {"MetricName", V::String(keys[i].metric_name)},
                                {"Dimensions", DimensionsValue(keys[i].dimensions)}}));
    }
    V out = V::Structure({{"Metrics", std::move(list)}});
    if (*offset + kPage < keys.size()) {
      out.Set("NextToken", V::String(std::to_string(*offset + kPage)));
    }
    return out;
  });

  add("PutMetricAlarm",
      [engine](const api::InputReader& in, const api::CallContext& context) -> Output {
        auto read = ReadAlarm(in, context, engine->options());
        if (!read.ok()) return read.error();
        Status s = engine->PutMetricAlarm(read->first, read->second);
        if (!s.ok()) return api::CloudWatchErrorFor(s);
        return V::Structure();
      });

  add("PutCompositeAlarm",
      [engine](const api::InputReader& in, const api::CallContext& context) -> Output {
        Args args(in, kCloudWatch);
        alarm::CompositeSpec spec;
        std::map<std::string, std::string> tags;
        if (!args.String("AlarmName", &spec.alarm_name, kRequired) ||
            !args.String("AlarmRule", &spec.alarm_rule, kRequired) ||
            !args.String("AlarmDescription", &spec.alarm_description) ||
            !args.Bool("ActionsEnabled", &spec.actions_enabled) ||
            !args.StringList("OKActions", &spec.ok_actions) ||
            !args.StringList("AlarmActions", &spec.alarm_actions) ||
            !args.StringList("InsufficientDataActions", &spec.insufficient_data_actions) ||
            !args.String("ActionsSuppressor", &spec.actions_suppressor) ||
            !args.Integer("ActionsSuppressorWaitPeriod", &spec.actions_suppressor_wait_period) ||
            !args.Integer("ActionsSuppressorExtensionPeriod",
                          &spec.actions_suppressor_extension_period) ||
            !args.Tags("Tags", &tags)) {
          return args.error();
        }
        const EngineOptions& options = engine->options();
        const std::string region = context.region.empty() ? options.region : context.region;
        spec.alarm_arn =
            "arn:aws:cloudwatch:" + region + ":" + options.account_id + ":alarm:" + spec.alarm_name;
        Status valid = alarm::ValidateComposite(spec);
        if (valid.ok()) {
          for (const auto* actions :
               {&spec.ok_actions, &spec.alarm_actions, &spec.insufficient_data_actions}) {
            for (const std::string& arn : *actions) {
              if (!arn.starts_with("arn:aws:sns:")) {
                valid = InvalidArgument("Invalid action " + arn +
                                        ": trailwatch runs SNS topic actions only");
              }
            }
          }
        }
        if (!valid.ok()) return api::ValidationError(valid.message());
        Status s = engine->PutCompositeAlarm(spec, tags);
        if (s.code() == StatusCode::kInvalidArgument) return api::ValidationError(s.message());
        if (!s.ok()) return api::CloudWatchErrorFor(s);
        return V::Structure();
      });

  add("DescribeAlarms", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kCloudWatch);
    std::vector<std::string> names, types;
    std::string prefix, state, action_prefix, children_of, parents_of;
    std::optional<std::string> token;
    std::int64_t max_records = 50;
    if (!args.StringList("AlarmNames", &names) || !args.String("AlarmNamePrefix", &prefix) ||
        !args.StringList("AlarmTypes", &types) || !args.String("StateValue", &state) ||
        !args.String("ActionPrefix", &action_prefix) || !args.String("NextToken", &token) ||
        !args.Integer("MaxRecords", &max_records) ||
        !args.String("ChildrenOfAlarmName", &children_of) ||
        !args.String("ParentsOfAlarmName", &parents_of)) {
      return args.error();
    }
    if (!names.empty() && !prefix.empty()) {
      return api::InvalidParameterCombination(
          "AlarmNames and AlarmNamePrefix are mutually exclusive.");
    }
    if (max_records < 1 || max_records > 100) {
      return api::ValidationError(api::ValidationMessage(
          std::to_string(max_records), "maxRecords",
          max_records < 1 ? "Member must have value greater than or equal to 1"
                          : "Member must have value less than or equal to 100"));
    }
    if (!state.empty() && state != "OK" && state != "ALARM" && state != "INSUFFICIENT_DATA") {
      return api::ValidationError(api::ValidationMessage(
          state, "stateValue",
          "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"));
    }
    for (const std::string& type : types) {
      // LogAlarm is CloudWatch's newest kind; trailwatch keeps none, so
      // asking for them gives an empty LogAlarms list.
      if (type != "MetricAlarm" && type != "CompositeAlarm" && type != "LogAlarm") {
        return api::ValidationError(api::ValidationMessage(
            type, "alarmTypes.member",
            "Member must satisfy enum value set: [CompositeAlarm, MetricAlarm, LogAlarm]"));
      }
    }
    auto wants_type = [&](const char* type) {
      return std::find(types.begin(), types.end(), type) != types.end();
    };
    // Without AlarmTypes, AWS lists metric alarms only.
    const bool metric_alarms = types.empty() || wants_type("MetricAlarm");
    const bool composite_alarms = wants_type("CompositeAlarm");
    auto alarms = AllAlarms(engine);
    if (!alarms.ok()) return alarms.error();
    Result<std::vector<StoredComposite>> composites =
        engine->Locked([](Services& sv) { return sv.alarms.ListComposites(); });
    if (!composites.ok()) return api::CloudWatchErrorFor(composites.status());
    // ChildrenOfAlarmName: the alarms a composite's rule names;
    // ParentsOfAlarmName: the composites whose rules name an alarm.
    std::optional<std::set<std::string>> related;
    if (!children_of.empty() || !parents_of.empty()) {
      related.emplace();
      for (const StoredComposite& c : *composites) {
        const std::vector<std::string>& children = c.rule.Children();
        if (c.spec.alarm_name == children_of) {
          for (const std::string& child : children) related->insert(child);
        }
        if (!parents_of.empty() &&
            std::any_of(children.begin(), children.end(), [&](const std::string& child) {
              return child == parents_of || child.ends_with(":alarm:" + parents_of);
            })) {
          related->insert(c.spec.alarm_name);
        }
      }
    }
    std::set<std::string> wanted(names.begin(), names.end());
    std::optional<std::size_t> offset = PageOffset(token);
    if (!offset) {
      return api::InvalidNextToken("The service couldn't process your request: invalid NextToken.");
    }
    auto selected = [&](const auto& spec, const alarm::AlarmState& alarm_state) {
      if (!wanted.empty() && !wanted.count(spec.alarm_name)) return false;
      if (related && !related->count(spec.alarm_name) && !related->count(spec.alarm_arn)) {
        return false;
      }
      if (!spec.alarm_name.starts_with(prefix)) return false;
      if (!state.empty() && alarm::StateName(alarm_state.value) != state) return false;
      if (action_prefix.empty()) return true;
      for (const auto* actions :
           {&spec.alarm_actions, &spec.ok_actions, &spec.insufficient_data_actions}) {
        for (const std::string& arn : *actions) {
          if (arn.starts_with(action_prefix)) return true;
        }
      }
      return false;
    };
    // One page over both kinds: metric alarms first, then composites.
    V metric_list = V::List(), composite_list = V::List();
    std::size_t matched = 0;
    std::int64_t shown = 0;
    std::optional<std::string> next;
    auto page = [&](V* list, V value) {
      if (next || matched++ < *offset) return;
      if (shown == max_records) {
        next = std::to_string(*offset + static_cast<std::size_t>(max_records));
        return;
      }
      ++shown;
      list->Append(std::move(value));
    };
    if (metric_alarms) {
      for (const StoredAlarm& a : *alarms) {
        if (selected(a.spec, a.state)) page(&metric_list, AlarmValue(a));
      }
    }
    if (composite_alarms) {
      for (const StoredComposite& c : *composites) {
        if (selected(c.spec, c.state)) page(&composite_list, CompositeValue(c));
      }
    }
    // All three lists, empty ones too, as AWS answers (CompositeAlarms: []
    // is recorded; today's SDK models read LogAlarms alongside).
    V out = V::Structure({{"CompositeAlarms", std::move(composite_list)},
                          {"MetricAlarms", std::move(metric_list)},
                          {"LogAlarms", V::List()}});
    if (next) out.Set("NextToken", V::String(*next));
    return out;
  });

  add("DescribeAlarmsForMetric",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kCloudWatch);
        std::string name, ns, statistic, extended;
        std::optional<std::int64_t> period;
        std::optional<std::string> unit;
        if (!args.String("MetricName", &name, kRequired) ||
            !args.String("Namespace", &ns, kRequired) || !args.String("Statistic", &statistic) ||
            !args.String("ExtendedStatistic", &extended) || !args.Integer("Period", &period) ||
            !args.String("Unit", &unit)) {
          return args.error();
        }
        metrics::Dimensions dimensions;
        ApiError error;
        const bool with_dimensions = in.Has("Dimensions");
        if (!ReadDimensions(args, "Dimensions", &dimensions, &error)) return error;
        auto alarms = AllAlarms(engine);
        if (!alarms.ok()) return alarms.error();
        V list = V::List();
        for (const StoredAlarm& a : *alarms) {
          const alarm::AlarmSpec& s = a.spec;
          if (s.metric_name != name || s.metric_namespace != ns) continue;
          if (!statistic.empty() && s.statistic != statistic) continue;
          if (!extended.empty() && s.extended_statistic != extended) continue;
          if (period && s.period.count() != *period) continue;
          if (unit && s.unit != unit) continue;
          if (with_dimensions && s.dimensions != dimensions) continue;
          list.Append(AlarmValue(a));
        }
        return V::Structure({{"MetricAlarms", std::move(list)}});
      });

  add("DescribeAlarmHistory",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kCloudWatch);
        HistoryQuery q;
        std::string scan_by = "TimestampDescending";
        std::int64_t max_records = 100;
        std::vector<std::string> types;
        if (!args.String("AlarmName", &q.alarm_name) || !args.String("HistoryItemType", &q.type) ||
            !args.Timestamp("StartDate", &q.start) || !args.Timestamp("EndDate", &q.end) ||
            !args.Integer("MaxRecords", &max_records) || !args.String("NextToken", &q.next_token) ||
            !args.String("ScanBy", &scan_by) || !args.StringList("AlarmTypes", &types)) {
          return args.error();
        }
        if (!q.type.empty() && q.type != "ConfigurationUpdate" && q.type != "StateUpdate" &&
            q.type != "Action") {
          return api::ValidationError(api::ValidationMessage(
              q.type, "historyItemType",
              "Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action]"));
        }
        if (max_records < 1 || max_records > 100) {
          return api::ValidationError(
              api::ValidationMessage(std::to_string(max_records), "maxRecords",
                                     "Member must have value between 1 and 100"));
        }
        q.ascending = scan_by == "TimestampAscending";
        q.limit = static_cast<int>(max_records);
        std::optional<std::string> next;
        Result<std::vector<HistoryRecord>> items =
            engine->Locked([&](Services& sv) { return sv.alarms.History(q, &next); });
        if (!items.ok()) return api::InvalidNextToken(items.status().message());
        V list = V::List();
        for (const HistoryRecord& r : *items) {
          list.Append(V::Structure({{"AlarmName", V::String(r.alarm_name)},
                                    {"AlarmType", V::String("MetricAlarm")},
                                    {"Timestamp", V::Timestamp(r.item.timestamp)},
                                    {"HistoryItemType", V::String(r.item.type)},
                                    {"HistorySummary", V::String(r.item.summary)},
                                    {"HistoryData", V::String(r.item.data)}}));
        }
        V out = V::Structure({{"AlarmHistoryItems", std::move(list)}});
        if (next) out.Set("NextToken", V::String(*next));
        return out;
      });

  add("DeleteAlarms", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kCloudWatch);
    std::vector<std::string> names;
    if (!args.StringList("AlarmNames", &names, kRequired)) return args.error();
    if (names.size() > 100) {
      return api::ValidationError("The collection AlarmNames must have at most 100 members.");
    }
    Status s = engine->DeleteAlarms(names);
    if (s.code() == StatusCode::kInvalidArgument) return api::ValidationError(s.message());
    if (!s.ok()) return api::CloudWatchErrorFor(s);
    return V::Structure();
  });

  // Tags of alarms, by ARN (the only CloudWatch resources trailwatch keeps).
  auto tag = [engine](const std::string& arn, const std::map<std::string, std::string>& add,
                      const std::vector<std::string>& remove, bool list) -> Output {
    return engine->Locked([&](Services& sv) -> Output {
      const std::string name = AlarmNameOfArn(arn);
      Result<AnyAlarm> found = sv.alarms.Find(name);
      if (!found.ok() || found->Arn() != arn) {
        return api::ResourceNotFoundException("The resource " + arn + " does not exist.");
      }
      if (list) {
        return V::Structure(
            {{"Tags", TagListValue(found->metric ? found->metric->tags : found->composite->tags)}});
      }
      Status s = sv.alarms.Tag(name, add, remove, engine->clock().Now());
      if (!s.ok()) return api::CloudWatchErrorFor(s);
      return V::Structure();
    });
  };

  RegisterTagOperations(ops, kCloudWatch, "ResourceARN", tag);

  add("SetAlarmState", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kCloudWatch);
    std::string name, state, reason, data;
    if (!args.String("AlarmName", &name, kRequired) ||
        !args.String("StateValue", &state, kRequired) ||
        !args.String("StateReason", &reason, kRequired) || !args.String("StateReasonData", &data)) {
      return args.error();
    }
    alarm::StateValue value;
    if (state == "OK") {
      value = alarm::StateValue::kOk;
    } else if (state == "ALARM") {
      value = alarm::StateValue::kAlarm;
    } else if (state == "INSUFFICIENT_DATA") {
      value = alarm::StateValue::kInsufficientData;
    } else {
      return api::ValidationError(api::ValidationMessage(
          state, "stateValue",
          "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"));
    }
    if (reason.size() > 1023) {
      return api::ValidationError(
          api::ValidationMessage(reason.substr(0, 32) + "...", "stateReason",
                                 "Member must have length less than or equal to 1023"));
    }
    if (!data.empty() && !nlohmann::json::accept(data)) {
      return api::InvalidFormat("Invalid JSON in StateReasonData");
    }
    Status s = engine->SetAlarmState(name, value, reason, data);
    // AWS's recorded answer for an alarm that does not exist has no message.
    if (s.code() == StatusCode::kNotFound) return api::ResourceNotFound("");
    if (!s.ok()) return api::CloudWatchErrorFor(s);
    return V::Structure();
  });

  for (const auto& [name, enabled] :
       {std::pair{"EnableAlarmActions", true}, std::pair{"DisableAlarmActions", false}}) {
    add(name,
        [engine, enabled = enabled](const api::InputReader& in, const api::CallContext&) -> Output {
          Args args(in, kCloudWatch);
          std::vector<std::string> names;
          if (!args.StringList("AlarmNames", &names, kRequired)) return args.error();
          Status s = engine->Locked(
              [&](Services& sv) { return sv.alarms.SetActionsEnabled(names, enabled); });
          if (!s.ok()) return api::CloudWatchErrorFor(s);
          return V::Structure();
        });
  }
}

}  // namespace tw::server
