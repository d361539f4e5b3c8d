#include "alarm/alarm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "alarm/format.h"
#include "common/counted.h"

namespace tw::alarm {
namespace {

using namespace std::string_view_literals;

constexpr std::array kComparisonOperators = {
    std::pair{ComparisonOperator::kGreaterThanOrEqualToThreshold,
              "GreaterThanOrEqualToThreshold"sv},
    std::pair{ComparisonOperator::kGreaterThanThreshold, "GreaterThanThreshold"sv},
    std::pair{ComparisonOperator::kLessThanThreshold, "LessThanThreshold"sv},
    std::pair{ComparisonOperator::kLessThanOrEqualToThreshold, "LessThanOrEqualToThreshold"sv},
};

constexpr std::array kTreatMissingData = {
    std::pair{TreatMissingData::kBreaching, "breaching"sv},
    std::pair{TreatMissingData::kNotBreaching, "notBreaching"sv},
    std::pair{TreatMissingData::kIgnore, "ignore"sv},
    std::pair{TreatMissingData::kMissing, "missing"sv},
};

constexpr std::array kStatistics = {"SampleCount"sv, "Average"sv, "Sum"sv, "Minimum"sv,
                                    "Maximum"sv};

// CloudWatch StandardUnit (aws-protocols-alarms.md §3.2).
constexpr std::array kStandardUnits = {
    "Seconds"sv,
    "Microseconds"sv,
    "Milliseconds"sv,
    "Bytes"sv,
    "Kilobytes"sv,
    "Megabytes"sv,
    "Gigabytes"sv,
    "Terabytes"sv,
    "Bits"sv,
    "Kilobits"sv,
    "Megabits"sv,
    "Gigabits"sv,
    "Terabits"sv,
    "Percent"sv,
    "Count"sv,
    "Bytes/Second"sv,
    "Kilobytes/Second"sv,
    "Megabytes/Second"sv,
    "Gigabytes/Second"sv,
    "Terabytes/Second"sv,
    "Bits/Second"sv,
    "Kilobits/Second"sv,
    "Megabits/Second"sv,
    "Gigabits/Second"sv,
    "Terabits/Second"sv,
    "Count/Second"sv,
    "None"sv,
};

// Model limits (aws-protocols-alarms.md §3.2).
constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxDescriptionLength = 1024;
constexpr std::size_t kMaxDimensions = 30;
constexpr std::size_t kMaxDimensionValueLength = 1024;
constexpr std::size_t kMaxActions = 5;
constexpr std::size_t kMaxArnLength = 1024;
constexpr std::int64_t kMaxEvaluationSeconds = 86400;
constexpr std::size_t kMaxStateReasonLength = 1023;
constexpr std::size_t kMaxStateReasonDataLength = 4000;

template <typename Table, typename Value>
std::string_view NameIn(const Table& table, Value value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "";
}

template <typename Table>
std::string AcceptedNames(const Table& table) {
  std::string names;
  for (const auto& [v, name] : table) {
    if (!names.empty()) names.append(", ");
    names.append(name);
  }
  return names;
}

// The percentile of "pNN[.NN]" as a number in [0, 100], or -1 if `text` is not
// one. Accepts exactly what metrics::Statistics::Get accepts, so a valid alarm
// never reads an unknown statistic.
double ParsePercentile(std::string_view text) {
  if (text.size() < 2 || text[0] != 'p') return -1;
  std::size_t i = 1;
  double value = 0;
  std::size_t integer_digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    value = value * 10 + (text[i] - '0');
    ++i;
    ++integer_digits;
  }
  if (integer_digits == 0 || integer_digits > 3) return -1;
  if (i < text.size()) {
    if (text[i] != '.') return -1;
    ++i;
    std::size_t fraction_digits = 0;
    double scale = 0.1;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value += (text[i] - '0') * scale;
      scale /= 10;
      ++i;
      ++fraction_digits;
    }
    // CloudWatch takes percentiles with up to two decimal places (p99.99).
    if (fraction_digits == 0 || fraction_digits > 2 || i != text.size()) return -1;
  }
  return value <= 100 ? value : -1;
}

Status CheckName(std::string_view property, const std::string& value) {
  if (value.empty()) return InvalidArgument(std::string(property) + ": is required");
  if (value.size() > kMaxNameLength) {
    return InvalidArgument(std::string(property) + ": must be at most 255 characters long");
  }
  return Status::Ok();
}

// AWS accepts any action ARN format it can run; trailwatch runs SNS topics only,
// so anything else is "unsupported" (aws-protocols-alarms.md §3.2: ValidationError).
Status CheckActions(std::string_view property, const std::vector<std::string>& arns) {
  if (arns.size() > kMaxActions) {
    return InvalidArgument(std::string(property) + ": at most 5 actions are allowed");
  }
  for (std::size_t i = 0; i < arns.size(); ++i) {
    const std::string& arn = arns[i];
    std::string where = std::string(property) + "[" + std::to_string(i) + "]";
    if (arn.empty() || arn.size() > kMaxArnLength) {
      return InvalidArgument(where + ": must be 1 to 1024 characters long");
    }
    // arn:partition:sns:region:account:topic, every part non-empty.
    std::vector<std::string_view> parts;
    std::string_view rest = arn;
    for (int k = 0; k < 5; ++k) {
      std::size_t colon = rest.find(':');
      if (colon == std::string_view::npos) break;
      parts.push_back(rest.substr(0, colon));
      rest.remove_prefix(colon + 1);
    }
    parts.push_back(rest);
    bool well_formed =
        parts.size() == 6 && parts[0] == "arn" &&
        std::none_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); });
    if (!well_formed) return InvalidArgument(where + ": '" + arn + "' is not a valid ARN");
    if (parts[2] != "sns") {
      return InvalidArgument(where + ": unsupported action '" + arn +
                             "': only SNS topic ARNs (arn:aws:sns:...) are supported");
    }
  }
  return Status::Ok();
}

bool Breaches(ComparisonOperator op, double value, double threshold) {
  switch (op) {
    case ComparisonOperator::kGreaterThanOrEqualToThreshold:
      return value >= threshold;
    case ComparisonOperator::kGreaterThanThreshold:
      return value > threshold;
    case ComparisonOperator::kLessThanThreshold:
      return value < threshold;
    case ComparisonOperator::kLessThanOrEqualToThreshold:
      return value <= threshold;
  }
  return false;
}

const char* ComparisonText(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kGreaterThanOrEqualToThreshold:
      return "greater than or equal to";
    case ComparisonOperator::kGreaterThanThreshold:
      return "greater than";
    case ComparisonOperator::kLessThanThreshold:
      return "less than";
    case ComparisonOperator::kLessThanOrEqualToThreshold:
      return "less than or equal to";
  }
  return "";
}

// One bucket of the evaluation range, resolved to a datapoint.
struct Point {
  TimePoint start;
  bool real = false;  // has a value; otherwise missing
  double value = 0;
  double sample_count = 0;
  bool breaching = false;
};

// The outcome of §4.4 before it is compared with the current state.
struct Decision {
  std::optional<StateValue> state;  // nullopt: keep the current state
  std::vector<std::size_t> used;    // indices of the real points used, newest first
  std::size_t considered = 0;       // points[0, considered) are listed as evaluated
  int filled = 0;                   // missing datapoints treated as breaching or not
  bool filled_breaching = false;
};

// aws-protocols-alarms.md §4.4. `premature` is the user guide's premature-alarm rule.
Decision Decide(const AlarmSpec& spec, const std::vector<Point>& points) {
  // Validate() guarantees N >= 1; the clamp keeps an unvalidated spec from
  // reading an empty range.
  const std::size_t n = static_cast<std::size_t>(std::max(spec.evaluation_periods, 1));
  const int m = spec.m();
  Decision d;
  std::vector<std::size_t> real;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].real) real.push_back(i);
  }
  auto count_breaching = [&](const std::vector<std::size_t>& indices) {
    return static_cast<int>(std::count_if(indices.begin(), indices.end(),
                                          [&](std::size_t i) { return points[i].breaching; }));
  };

  if (real.size() >= n) {
    // Enough real datapoints: gaps are skipped and TreatMissingData plays no part.
    d.used.assign(real.begin(), real.begin() + static_cast<std::ptrdiff_t>(n));
    d.considered = d.used.back() + 1;
    d.state = count_breaching(d.used) >= m ? StateValue::kAlarm : StateValue::kOk;
    return d;
  }

  d.used = real;
  // AWS lists the N newest buckets (recorded: 2 empty ones for N = 2 with no
  // data; "5 datapoints were unknown" lists 5), and older ones only as far
  // as the real datapoints it used reach.
  d.considered = std::min(points.size(), std::max(n, real.empty() ? 0 : real.back() + 1));
  const int r = static_cast<int>(real.size());
  const int missing = static_cast<int>(n) - r;
  const int kb = count_breaching(real);
  auto premature = [&] {
    std::size_t window = std::min(n, points.size());
    std::size_t j = 0;  // 1-based index of the oldest breaching real point in b1..bN
    for (std::size_t i = 0; i < window; ++i) {
      if (points[i].real && points[i].breaching) j = i + 1;
    }
    if (j == 0 || static_cast<int>(j) < m) return false;
    for (std::size_t i = 0; i + 1 < j; ++i) {
      if (points[i].real && !points[i].breaching) return false;
    }
    return true;
  };

  switch (spec.treat_missing_data) {
    case TreatMissingData::kBreaching:
      d.filled = missing;
      d.filled_breaching = true;
      d.state = kb + missing >= m ? StateValue::kAlarm : StateValue::kOk;
      break;
    case TreatMissingData::kNotBreaching:
      d.filled = missing;
      d.state = kb >= m ? StateValue::kAlarm : StateValue::kOk;
      break;
    case TreatMissingData::kMissing:
      if (r == 0) {
        d.state = StateValue::kInsufficientData;
      } else if (kb >= m || (r < m && premature())) {
        d.state = StateValue::kAlarm;
      } else {
        d.state = StateValue::kOk;
      }
      break;
    case TreatMissingData::kIgnore:
      if (r == 0) {
        d.state = std::nullopt;
      } else if (kb >= m) {
        d.state = StateValue::kAlarm;
      } else if (r < m && premature()) {
        d.state = std::nullopt;
      } else {
        d.state = StateValue::kOk;
      }
      break;
  }
  return d;
}

// EvaluateLowSampleCountPercentile (CloudWatch user guide, "Percentile-based
// alarms and low data samples"): a p in [0.5, 1) needs 10 / (1 - p) samples,
// a p in (0, 0.5) needs 10 / p. p0 and p100 are the exact minimum and maximum,
// so no sample count is too low for them.
bool LowSampleCount(double percentile, double sample_count) {
  double p = percentile / 100;
  if (p <= 0 || p >= 1) return false;
  double needed = p >= 0.5 ? 10 / (1 - p) : 10 / p;
  return sample_count < needed;
}

std::string Plural(int count, std::string_view word) { return Counted(count, word); }

const char* WasWere(int count) { return count == 1 ? "was" : "were"; }

// "[v (dd/MM/yy HH:mm:ss), ...]" of `listed`, newest first. When the whole
// reason would pass the model's 1023 characters, the oldest entries give way
// to "..." (trailwatch's choice; AWS's behaviour at that size is unknown).
std::string ReasonList(const std::vector<Point>& points, const std::vector<std::size_t>& listed,
                       std::size_t budget) {
  std::string out = "[";
  for (std::size_t k = 0; k < listed.size(); ++k) {
    const Point& p = points[listed[k]];
    std::string item = JavaDoubleToString(p.value) + " (" + FormatReasonTime(p.start) + ")";
    std::size_t needed = out.size() + (k > 0 ? 2 : 0) + item.size() + 1;
    if (k + 1 < listed.size()) needed += 5;  // room for ", ..."
    if (needed > budget) {
      out.append(k > 0 ? ", ..." : "...");
      break;
    }
    if (k > 0) out.append(", ");
    out.append(item);
  }
  out.push_back(']');
  return out;
}

std::string ThresholdReason(const AlarmSpec& spec, const std::vector<Point>& points,
                            const Decision& d, StateValue target,
                            const std::vector<std::size_t>& listed) {
  const int n = spec.evaluation_periods;
  const bool to_alarm = target == StateValue::kAlarm;
  const char* filled_as = d.filled_breaching ? "[Breaching]" : "[NonBreaching]";
  if (listed.empty() && d.filled > 0) {
    // Only filled datapoints decided (shape 3 of §4.6).
    return "Threshold Crossed: no datapoints were received for " + Plural(d.filled, "period") +
           " and " + Plural(d.filled, "missing datapoint") + " " + WasWere(d.filled) +
           " treated as " + filled_as + ".";
  }
  const int k = static_cast<int>(listed.size());
  std::string cmp = to_alarm ? "" : "not ";
  cmp += ComparisonText(spec.comparison_operator);
  std::string after = std::string(" ") + WasWere(k) + " " + cmp + " the threshold (" +
                      JavaDoubleToString(spec.threshold) + ")";
  if (d.filled > 0) {
    after += " and " + Plural(d.filled, "missing datapoint") + " " + WasWere(d.filled) +
             " treated as " + filled_as;
  }
  std::string before;
  if (spec.datapoints_to_alarm.has_value()) {
    before = "Threshold Crossed: " + std::to_string(k) + " out of the last " + std::to_string(n) +
             " datapoints ";
    // Leaving ALARM needs N - M + 1 non-breaching datapoints.
    int minimum = to_alarm ? spec.m() : n - spec.m() + 1;
    after += " (minimum " + Plural(minimum, "datapoint") + " for " +
             (to_alarm ? "OK -> ALARM" : "ALARM -> OK") + " transition).";
  } else {
    before = "Threshold Crossed: " + Plural(k, "datapoint") + " ";
    after += ".";
  }
  std::size_t fixed = before.size() + after.size();
  std::size_t budget = fixed < kMaxStateReasonLength ? kMaxStateReasonLength - fixed : 2;
  return before + ReasonList(points, listed, budget) + after;
}

// StateReasonData (§4.6). Key order as in real payloads: version, queryDate,
// startDate, unit, statistic, period, recentDatapoints, threshold,
// evaluatedDatapoints. Percentile alarms carry "extendedStatistic" in place
// of "statistic" (not observed; trailwatch's choice, mirroring the API field).
// Only the newest `recent_limit` used datapoints and the newest
// `evaluated_limit` considered buckets are listed.
std::string ReasonData(const AlarmSpec& spec, const std::vector<Point>& points, const Decision& d,
                       TimePoint now, std::size_t recent_limit, std::size_t evaluated_limit) {
  const std::size_t recent = std::min(d.used.size(), recent_limit);
  std::string out = R"({"version":"1.0","queryDate":)";
  AppendJsonString(&out, FormatAwsMillis(now));
  if (recent > 0) {
    out.append(R"(,"startDate":)");
    AppendJsonString(&out, FormatAwsMillis(points[d.used[recent - 1]].start));
  }
  if (spec.unit.has_value()) {
    out.append(R"(,"unit":)");
    AppendJsonString(&out, *spec.unit);
  }
  if (!spec.extended_statistic.empty()) {
    out.append(R"(,"extendedStatistic":)");
    AppendJsonString(&out, spec.extended_statistic);
  } else {
    out.append(R"(,"statistic":)");
    AppendJsonString(&out, spec.statistic);
  }
  out.append(R"(,"period":)" + std::to_string(spec.period.count()));
  out.append(R"(,"recentDatapoints":[)");
  for (std::size_t k = recent; k-- > 0;) {  // oldest first
    out.append(JavaDoubleToString(points[d.used[k]].value));
    if (k > 0) out.push_back(',');
  }
  out.append(R"(],"threshold":)" + JavaDoubleToString(spec.threshold));

  out.append(R"(,"evaluatedDatapoints":[)");
  const std::size_t evaluated = std::min(d.considered, evaluated_limit);
  for (std::size_t i = 0; i < evaluated; ++i) {  // newest first
    const Point& p = points[i];
    if (i > 0) out.push_back(',');
    out.append(R"({"timestamp":)");
    AppendJsonString(&out, FormatAwsMillis(p.start));
    if (p.real) {
      out.append(R"(,"sampleCount":)" + JavaDoubleToString(p.sample_count) + R"(,"value":)" +
                 JavaDoubleToString(p.value));
    }
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

// Fits StateReasonData into the model's 4000 characters: first by listing
// fewer evaluatedDatapoints (AWS itself often lists only the newest one),
// then fewer of the oldest recentDatapoints. Only long ranges (large N) get here.
std::string BoundedReasonData(const AlarmSpec& spec, const std::vector<Point>& points,
                              const Decision& d, TimePoint now) {
  std::size_t recent = d.used.size();
  std::size_t evaluated = d.considered;
  std::string data = ReasonData(spec, points, d, now, recent, evaluated);
  while (data.size() > kMaxStateReasonDataLength && (evaluated > 1 || recent > 1)) {
    // Drop as many entries as the excess surely needs, given the longest
    // possible entry, so a few rebuilds suffice even for N = 1440.
    const std::size_t excess = data.size() - kMaxStateReasonDataLength;
    constexpr std::size_t kLongestEvaluated = 110;  // timestamp, sampleCount, value
    constexpr std::size_t kLongestRecent = 25;      // "-1.2345678901234567E-300,"
    if (evaluated > 1) {
      evaluated -= std::min(evaluated - 1, std::max<std::size_t>(1, excess / kLongestEvaluated));
    } else {
      recent -= std::min(recent - 1, std::max<std::size_t>(1, excess / kLongestRecent));
    }
    data = ReasonData(spec, points, d, now, recent, evaluated);
  }
  return data;
}

void AppendStateJson(std::string* out, const AlarmState& state) {
  out->append(R"({"stateValue":)");
  AppendJsonString(out, StateName(state.value));
  out->append(R"(,"stateReason":)");
  AppendJsonString(out, state.reason);
  if (!state.reason_data.empty()) {
    // Embedded as an object, not a string (§4.7).
    out->append(R"(,"stateReasonData":)");
    out->append(state.reason_data);
  }
  out->push_back('}');
}

}  // namespace

const char* StateName(StateValue state) {
  switch (state) {
    case StateValue::kOk:
      return "OK";
    case StateValue::kAlarm:
      return "ALARM";
    case StateValue::kInsufficientData:
      return "INSUFFICIENT_DATA";
  }
  return "";
}

Result<ComparisonOperator> ParseComparisonOperator(std::string_view text) {
  for (const auto& [op, name] : kComparisonOperators) {
    if (name == text) return op;
  }
  return InvalidArgument("ComparisonOperator: '" + std::string(text) + "' is not one of " +
                         AcceptedNames(kComparisonOperators) +
                         " (anomaly detection operators are not supported)");
}

Result<TreatMissingData> ParseTreatMissingData(std::string_view text) {
  for (const auto& [mode, name] : kTreatMissingData) {
    if (name == text) return mode;
  }
  return InvalidArgument("TreatMissingData: '" + std::string(text) + "' is not one of " +
                         AcceptedNames(kTreatMissingData));
}

const char* ComparisonOperatorName(ComparisonOperator op) {
  return NameIn(kComparisonOperators, op).data();
}

const char* TreatMissingDataName(TreatMissingData mode) {
  return NameIn(kTreatMissingData, mode).data();
}

Status Validate(const AlarmSpec& spec) {
  if (spec.alarm_name.empty() || spec.alarm_name.size() > kMaxNameLength) {
    return InvalidArgument("AlarmName: must be 1 to 255 characters long");
  }
  // PutMetricAlarm reference: "can't contain ASCII control characters".
  if (std::any_of(spec.alarm_name.begin(), spec.alarm_name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return InvalidArgument("AlarmName: must not contain ASCII control characters");
  }
  if (spec.alarm_description.size() > kMaxDescriptionLength) {
    return InvalidArgument("AlarmDescription: must be at most 1024 characters long");
  }
  TW_RETURN_IF_ERROR(CheckName("Namespace", spec.metric_namespace));
  if (spec.metric_namespace.front() == ':') {
    return InvalidArgument("Namespace: must not start with ':'");
  }
  TW_RETURN_IF_ERROR(CheckName("MetricName", spec.metric_name));

  if (!spec.statistic.empty() && !spec.extended_statistic.empty()) {
    return InvalidArgument(
        "ExtendedStatistic: Statistic and ExtendedStatistic are mutually exclusive");
  }
  if (spec.statistic.empty() && spec.extended_statistic.empty()) {
    return InvalidArgument("Statistic: one of Statistic or ExtendedStatistic is required");
  }
  if (!spec.statistic.empty() &&
      std::find(kStatistics.begin(), kStatistics.end(), spec.statistic) == kStatistics.end()) {
    return InvalidArgument("Statistic: '" + spec.statistic +
                           "' is not one of SampleCount, Average, Sum, Minimum, Maximum");
  }
  if (!spec.extended_statistic.empty() && ParsePercentile(spec.extended_statistic) < 0) {
    return InvalidArgument("ExtendedStatistic: '" + spec.extended_statistic +
                           "' is not a percentile between p0.0 and p100 (e.g. p99, p99.9)");
  }

  if (spec.dimensions.size() > kMaxDimensions) {
    return InvalidArgument("Dimensions: at most 30 dimensions are allowed");
  }
  for (std::size_t i = 0; i < spec.dimensions.size(); ++i) {
    const auto& [name, value] = spec.dimensions[i];
    std::string where = "Dimensions[" + std::to_string(i) + "]";
    if (name.empty() || name.size() > kMaxNameLength) {
      return InvalidArgument(where + ".Name: must be 1 to 255 characters long");
    }
    if (value.empty() || value.size() > kMaxDimensionValueLength) {
      return InvalidArgument(where + ".Value: must be 1 to 1024 characters long");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (spec.dimensions[j].first == name) {
        return InvalidArgument(where + ".Name: duplicate dimension name '" + name + "'");
      }
    }
  }

  const std::int64_t period = spec.period.count();
  if (period <= 0 || (period != 10 && period != 30 && period % 60 != 0)) {
    return InvalidArgument("Period: must be 10, 30 or a multiple of 60");
  }
  if (spec.evaluation_periods < 1) {
    return InvalidArgument("EvaluationPeriods: must be at least 1");
  }
  if (spec.datapoints_to_alarm.has_value()) {
    if (*spec.datapoints_to_alarm < 1) {
      return InvalidArgument("DatapointsToAlarm: must be at least 1");
    }
    if (*spec.datapoints_to_alarm > spec.evaluation_periods) {
      return InvalidArgument("DatapointsToAlarm: must be less than or equal to EvaluationPeriods");
    }
  }
  if (period * spec.evaluation_periods > kMaxEvaluationSeconds) {
    return InvalidArgument("Period: Period * EvaluationPeriods must be at most 86400 (one day)");
  }
  if (!std::isfinite(spec.threshold)) {
    return InvalidArgument("Threshold: must be a finite number");
  }
  if (spec.unit.has_value() &&
      std::find(kStandardUnits.begin(), kStandardUnits.end(), *spec.unit) == kStandardUnits.end()) {
    return InvalidArgument("Unit: '" + *spec.unit +
                           "' is not a CloudWatch StandardUnit (Count, Seconds, Bytes, None, ...)");
  }
  TW_RETURN_IF_ERROR(CheckActions("AlarmActions", spec.alarm_actions));
  TW_RETURN_IF_ERROR(CheckActions("OKActions", spec.ok_actions));
  TW_RETURN_IF_ERROR(CheckActions("InsufficientDataActions", spec.insufficient_data_actions));
  // EvaluateLowSampleCountPercentile is accepted for every alarm: AWS documents
  // it as "used only for alarms based on percentiles" and stores it otherwise;
  // Evaluate() ignores it for non-percentile statistics.
  return Status::Ok();
}

AlarmState InitialState(TimePoint now) {
  AlarmState state;
  state.updated = now;
  return state;
}

Duration EvaluationInterval(const AlarmSpec& spec) {
  return spec.period < std::chrono::minutes(1) ? Duration(std::chrono::seconds(10))
                                               : Duration(std::chrono::minutes(1));
}

std::vector<TimePoint> BucketStarts(const AlarmSpec& spec, TimePoint now) {
  const int count = std::max(spec.evaluation_periods, 5);
  const TimePoint end = FloorTo(now, EvaluationInterval(spec));
  const Duration period = spec.period;
  std::vector<TimePoint> starts;
  starts.reserve(static_cast<std::size_t>(count));
  for (int i = 1; i <= count; ++i) starts.push_back(end - i * period);
  return starts;
}

Evaluation StateChange(const AlarmState& current, AlarmState next, bool actions_enabled,
                       const std::vector<std::string>& actions) {
  Evaluation result;
  const TimePoint now = next.updated;
  const StateValue target = next.value;
  result.changed = true;

  HistoryItem update;
  update.timestamp = now;
  update.type = "StateUpdate";
  update.summary =
      std::string("Alarm updated from ") + StateName(current.value) + " to " + StateName(target);
  update.data = R"({"version":"1.0","oldState":)";
  AppendStateJson(&update.data, current);
  update.data.append(R"(,"newState":)");
  AppendStateJson(&update.data, next);
  update.data.push_back('}');
  result.history.push_back(std::move(update));
  result.state = std::move(next);

  if (actions_enabled) {
    result.actions = actions;
    for (HistoryItem& item : ActionHistory(actions, now)) result.history.push_back(std::move(item));
  }
  return result;
}

std::vector<HistoryItem> ActionHistory(const std::vector<std::string>& actions, TimePoint now) {
  std::vector<HistoryItem> items;
  for (const std::string& arn : actions) {
    // Recorded as succeeded when decided: delivery belongs to notify, which
    // the server calls with the actions; the evaluator cannot know the outcome.
    HistoryItem action;
    action.timestamp = now;
    action.type = "Action";
    action.summary = "Successfully executed action " + arn;
    action.data = R"({"actionState":"Succeeded","notificationResource":)";
    AppendJsonString(&action.data, arn);
    action.data.push_back('}');
    items.push_back(std::move(action));
  }
  return items;
}

namespace {

// Moves `result` from `current` to `next`, keeping its deciding buckets.
void RecordTransition(const AlarmSpec& spec, const AlarmState& current, AlarmState next,
                      Evaluation* result) {
  std::vector<TimePoint> deciding = std::move(result->deciding_buckets);
  const std::vector<std::string>& actions = ActionsFor(spec, next.value);
  *result = StateChange(current, std::move(next), spec.actions_enabled, actions);
  result->deciding_buckets = std::move(deciding);
}

}  // namespace

Evaluation Evaluate(const AlarmSpec& spec, const AlarmState& current,
                    std::span<const Bucket> buckets, TimePoint now) {
  const bool percentile = !spec.extended_statistic.empty();
  const std::string& statistic = percentile ? spec.extended_statistic : spec.statistic;

  std::vector<Point> points;
  points.reserve(buckets.size());
  for (const Bucket& bucket : buckets) {
    Point p;
    p.start = bucket.start;
    if (bucket.statistics.has_value()) {
      // An undefined value (a percentile over negative samples) is missing.
      std::optional<double> value = bucket.statistics->Get(statistic);
      if (value.has_value()) {
        p.real = true;
        p.value = *value;
        p.sample_count = bucket.statistics->sample_count;
        p.breaching = Breaches(spec.comparison_operator, *value, spec.threshold);
      }
    }
    points.push_back(p);
  }

  Evaluation result;
  result.state = current;
  Decision d = Decide(spec, points);
  if (!d.state.has_value()) return result;  // ignore: keep the current state

  if (percentile && !spec.evaluate_low_sample_count_percentile) {
    // "ignore": no state change while any datapoint used has too few samples
    // to be statistically significant.
    double p = ParsePercentile(spec.extended_statistic);
    for (std::size_t i : d.used) {
      if (LowSampleCount(p, points[i].sample_count)) return result;
    }
  }

  const StateValue target = *d.state;
  std::vector<std::size_t> listed;
  if (target != StateValue::kInsufficientData) {
    bool want_breaching = target == StateValue::kAlarm;
    for (std::size_t i : d.used) {
      if (points[i].breaching == want_breaching) listed.push_back(i);
    }
  }
  for (std::size_t i : listed) result.deciding_buckets.push_back(points[i].start);
  if (target == current.value) return result;

  AlarmState next;
  next.value = target;
  next.updated = now;
  if (target == StateValue::kInsufficientData) {
    const int n = spec.evaluation_periods;
    next.reason = "Insufficient Data: " + Plural(n, "datapoint") + " " + WasWere(n) + " unknown.";
  } else {
    next.reason = ThresholdReason(spec, points, d, target, listed);
  }
  next.reason_data = BoundedReasonData(spec, points, d, now);

  RecordTransition(spec, current, std::move(next), &result);
  return result;
}

Evaluation SetState(const AlarmSpec& spec, const AlarmState& current, StateValue value,
                    std::string reason, std::string reason_data, TimePoint now) {
  Evaluation result;
  result.state = current;
  if (value == current.value) return result;
  AlarmState next;
  next.value = value;
  next.reason = std::move(reason);
  next.reason_data = std::move(reason_data);
  next.updated = now;
  RecordTransition(spec, current, std::move(next), &result);
  return result;
}

HistoryItem ConfigurationUpdate(const AlarmSpec& spec, const AlarmState& state, TimePoint now,
                                bool created) {
  HistoryItem item;
  item.timestamp = now;
  item.type = "ConfigurationUpdate";
  item.summary = "Alarm \"" + spec.alarm_name + (created ? "\" created" : "\" updated");
  std::string& d = item.data;
  d = R"({"version":"1.0","type":)";
  d += created ? R"("Create","createdAlarm":{)" : R"("Update","updatedAlarm":{)";
  auto field = [&](std::string_view key, std::string_view value, bool first = false) {
    if (!first) d.push_back(',');
    AppendJsonString(&d, key);
    d.push_back(':');
    AppendJsonString(&d, value);
  };
  auto raw = [&](std::string_view key, const std::string& value) {
    d.push_back(',');
    AppendJsonString(&d, key);
    d.push_back(':');
    d += value;
  };
  auto list = [&](std::string_view key, const std::vector<std::string>& values) {
    std::string array = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) array.push_back(',');
      AppendJsonString(&array, values[i]);
    }
    raw(key, array + "]");
  };
  field("alarmName", spec.alarm_name, true);
  field("alarmDescription", spec.alarm_description);
  field("alarmArn", spec.alarm_arn);
  field("alarmConfigurationUpdatedTimestamp", FormatAwsMillis(now));
  field("namespace", spec.metric_namespace);
  field("metricName", spec.metric_name);
  if (spec.extended_statistic.empty()) {
    field("statistic", spec.statistic);
  } else {
    field("extendedStatistic", spec.extended_statistic);
  }
  raw("period", std::to_string(spec.period.count()));
  std::string dimensions = "[";
  for (std::size_t i = 0; i < spec.dimensions.size(); ++i) {
    if (i > 0) dimensions.push_back(',');
    dimensions += R"({"value":)";
    AppendJsonString(&dimensions, spec.dimensions[i].second);
    dimensions += R"(,"name":)";
    AppendJsonString(&dimensions, spec.dimensions[i].first);
    dimensions.push_back('}');
  }
  raw("dimensions", dimensions + "]");
  raw("threshold", JavaDoubleToString(spec.threshold));
  field("comparisonOperator", ComparisonOperatorName(spec.comparison_operator));
  raw("evaluationPeriods", std::to_string(spec.evaluation_periods));
  raw("datapointsToAlarm", std::to_string(spec.m()));
  field("treatMissingData", TreatMissingDataName(spec.treat_missing_data));
  if (spec.unit) field("unit", *spec.unit);
  field("stateValue", StateName(state.value));
  field("stateUpdatedTimestamp", FormatAwsMillis(state.updated));
  raw("actionsEnabled", spec.actions_enabled ? "true" : "false");
  list("alarmActions", spec.alarm_actions);
  list("insufficientDataActions", spec.insufficient_data_actions);
  list("okactions", spec.ok_actions);
  d += "}}";
  return item;
}

}  // namespace tw::alarm
