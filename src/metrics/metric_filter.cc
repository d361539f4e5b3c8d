// MetricFilter validation (PutMetricFilter / AWS::Logs::MetricFilter rules,
// filter-patterns.md §7.1–7.2) and FilterSet evaluation (§7.3).

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/metrics.h"

namespace tw::metrics {

namespace {

constexpr std::size_t kMaxFilterNameChars = 512;
constexpr std::size_t kMaxLogGroupNameChars = 512;
constexpr std::size_t kMaxMetricNameChars = 255;
constexpr std::size_t kMaxMetricValueChars = 100;
constexpr std::size_t kMaxDimensions = 3;
constexpr std::size_t kMaxDimensionKeyChars = 255;
constexpr std::size_t kMaxDimensionValueChars = 255;
// CloudWatch stores dimension values of 1–1024 characters
// (aws-protocols-alarms.md §3.2); an extracted value outside that range could
// not be published, so the dimension is left out like a missing one.
constexpr std::size_t kMaxPublishedDimensionValueBytes = 1024;

// PutMetricData rejects values whose magnitude is above 2^360 or below
// 2^-360 other than zero (aws-protocols-alarms.md §3.2); a metric filter
// cannot publish them either, so such a value is treated like a
// non-numeric one. The pattern engine saturates 1e999 to DBL_MAX, which
// this also drops.
bool IsPublishable(double value) {
  const double magnitude = std::abs(value);
  return magnitude == 0 ||
         (magnitude >= std::ldexp(1.0, -360) && magnitude <= std::ldexp(1.0, 360));
}

constexpr std::string_view kTransformation = "MetricTransformations[0].";

// aws-protocols-alarms.md §3.2, StandardUnit.
// clang-format off
constexpr std::array<std::string_view, 27> kStandardUnits = {
    "Seconds", "Microseconds", "Milliseconds",
    "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
    "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
    "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
    "Count/Second", "None"};
// clang-format on

// AWS states its limits in characters; count UTF-8 code points, not bytes.
std::size_t CountChars(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

Status Invalid(std::string_view property, std::string_view message) {
  return InvalidArgument(std::string(property) + ": " + std::string(message));
}

// Reference errors come from the pattern engine, whose ToString() says
// "Invalid metric filter pattern. Column 1", which would blame the pattern;
// only the message and hint describe a reference.
Status InvalidReference(std::string_view property, const pattern::PatternError& error) {
  std::string message = error.message;
  if (!error.hint.empty()) message += " (" + error.hint + ")";
  return Invalid(property, message);
}

// MetricName and MetricNamespace: required, ≤255, none of `forbidden`.
// AWS's references give [^:*$]* for both, but CloudWatch Logs accepts a
// namespace such as "A.B-c_d/1#2:metricNamespace" (recorded): a colon is
// refused only in the name.
constexpr std::string_view kForbiddenInName = ":*$";
constexpr std::string_view kForbiddenInNamespace = "*$";
Status ValidateMetricIdentifier(std::string_view property, std::string_view value,
                                std::string_view forbidden) {
  if (value.empty()) return Invalid(property, "is required");
  if (CountChars(value) > kMaxMetricNameChars) {
    return Invalid(property, "must be at most 255 characters");
  }
  if (value.find_first_of(forbidden) != std::string_view::npos) {
    return Invalid(property, forbidden == kForbiddenInName ? "must not contain ':', '*' or '$'"
                                                           : "must not contain '*' or '$'");
  }
  return Status::Ok();
}

bool IsLogGroupNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == '/' || c == '#';
}

Status ValidateNames(const MetricFilterSpec& spec) {
  if (spec.filter_name.empty() || CountChars(spec.filter_name) > kMaxFilterNameChars) {
    return Invalid("FilterName", "must be 1 to 512 characters");
  }
  if (spec.filter_name.find_first_of(":*") != std::string::npos) {
    return Invalid("FilterName", "must not contain ':' or '*'");
  }
  // The log group pattern is ASCII-only, so bytes are characters here.
  if (spec.log_group_name.empty() || spec.log_group_name.size() > kMaxLogGroupNameChars) {
    return Invalid("LogGroupName", "must be 1 to 512 characters");
  }
  if (!std::all_of(spec.log_group_name.begin(), spec.log_group_name.end(), IsLogGroupNameChar)) {
    return Invalid("LogGroupName", "must match the pattern [\\.\\-_/#A-Za-z0-9]+");
  }
  return Status::Ok();
}

// CloudFormation Dimension.Key: "must contain only ASCII characters, must
// include at least one non-whitespace character, and cannot start with a
// colon (:)".
Status ValidateDimensionKey(const std::string& property, std::string_view key) {
  if (key.empty() || key.size() > kMaxDimensionKeyChars) {
    return Invalid(property, "must be 1 to 255 characters");
  }
  if (!std::all_of(key.begin(), key.end(),
                   [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return Invalid(property, "must contain only ASCII characters");
  }
  if (std::all_of(key.begin(), key.end(),
                  [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); })) {
    return Invalid(property, "must contain at least one non-whitespace character");
  }
  if (key.front() == ':') return Invalid(property, "must not start with ':'");
  return Status::Ok();
}

}  // namespace

// The references of one filter, compiled against its pattern.
struct MetricFilter::Compiled {
  pattern::ValueReference value;
  // (Key, reference), sorted by key so observations need no sorting.
  std::vector<std::pair<std::string, pattern::ValueReference>> dimensions;
};

bool IsStandardUnit(std::string_view unit) {
  return std::find(kStandardUnits.begin(), kStandardUnits.end(), unit) != kStandardUnits.end();
}

std::string MetricKey::ToString() const {
  std::string out = metric_namespace + "/" + metric_name;
  if (dimensions.empty()) return out;
  out += '{';
  for (std::size_t i = 0; i < dimensions.size(); ++i) {
    if (i > 0) out += ',';
    out += dimensions[i].first + "=" + dimensions[i].second;
  }
  out += '}';
  return out;
}

MetricFilter::MetricFilter(MetricFilterSpec spec) : spec_(std::move(spec)) {}
MetricFilter::MetricFilter(MetricFilter&&) noexcept = default;
MetricFilter& MetricFilter::operator=(MetricFilter&&) noexcept = default;
MetricFilter::MetricFilter(const MetricFilter&) = default;
MetricFilter& MetricFilter::operator=(const MetricFilter&) = default;
MetricFilter::~MetricFilter() = default;

Result<MetricFilter> MetricFilter::Compile(MetricFilterSpec spec) {
  // One error at a time, as AWS reports them: the filter's own properties,
  // then its pattern, then the transformation that depends on the pattern.
  TW_RETURN_IF_ERROR(ValidateNames(spec));

  auto matcher = pattern::Matcher::Compile(spec.filter_pattern);
  if (!matcher.ok()) return InvalidArgument("FilterPattern: " + matcher.error().ToString());

  MetricTransformation& t = spec.transformation;
  const std::string prefix(kTransformation);
  TW_RETURN_IF_ERROR(ValidateMetricIdentifier(prefix + "MetricNamespace", t.metric_namespace,
                                              kForbiddenInNamespace));
  TW_RETURN_IF_ERROR(
      ValidateMetricIdentifier(prefix + "MetricName", t.metric_name, kForbiddenInName));

  auto compiled = std::make_shared<Compiled>();
  const std::string value_property = prefix + "MetricValue";
  if (t.metric_value.empty()) return Invalid(value_property, "is required");
  if (CountChars(t.metric_value) > kMaxMetricValueChars) {
    return Invalid(value_property, "must be at most 100 characters");
  }
  auto value = matcher->CompileReference(t.metric_value);
  if (!value.ok()) return InvalidReference(value_property, value.error());
  compiled->value = std::move(value).value();

  // A default value CloudWatch would refuse is an error here rather than a
  // silent drop on every non-matching event.
  if (t.default_value && !IsPublishable(*t.default_value)) {
    return Invalid(prefix + "DefaultValue", "must be 0 or between 2^-360 and 2^360 in magnitude");
  }

  const std::string dims_property = prefix + "Dimensions";
  if (!t.dimensions.empty()) {
    if (t.dimensions.size() > kMaxDimensions) {
      return Invalid(dims_property, "at most 3 dimensions are allowed, got " +
                                        std::to_string(t.dimensions.size()));
    }
    // Wording observed from AWS (terraform-provider-aws#22105, §7.2).
    if (!matcher->SupportsDimensions()) {
      return Invalid(dims_property, "The specified filter pattern does not support dimensions");
    }
    // CloudFormation's wording (§7.2), without its "Invalid metric
    // transformation:" lead, which the property path replaces.
    if (t.default_value) {
      return Invalid(prefix + "DefaultValue",
                     "dimensions and default value are mutually exclusive properties");
    }
    for (std::size_t i = 0; i < t.dimensions.size(); ++i) {
      const auto& [key, reference] = t.dimensions[i];
      const std::string item = dims_property + "[" + std::to_string(i) + "]";
      TW_RETURN_IF_ERROR(ValidateDimensionKey(item + ".Key", key));
      for (std::size_t j = 0; j < i; ++j) {
        if (t.dimensions[j].first == key) {
          return Invalid(item + ".Key", "duplicate dimension key '" + key + "'");
        }
      }
      const std::string value_item = item + ".Value";
      if (reference.empty() || CountChars(reference) > kMaxDimensionValueChars) {
        return Invalid(value_item, "must be 1 to 255 characters");
      }
      auto ref = matcher->CompileReference(reference);
      if (!ref.ok()) return InvalidReference(value_item, ref.error());
      // A dimension value is "the log event field that will contain the
      // value for this dimension" (CloudFormation Dimension docs); a
      // constant would only rename the metric, so it is refused.
      if (ref->kind() == pattern::ValueReference::Kind::kLiteral) {
        return Invalid(value_item, "must be a field reference such as $.eventType or $user, not '" +
                                       reference + "'");
      }
      compiled->dimensions.emplace_back(key, std::move(ref).value());
    }
    std::sort(compiled->dimensions.begin(), compiled->dimensions.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  // Omitted means None (§7.2); an API layer that maps an absent member to ""
  // gets the same result.
  if (t.unit.empty()) t.unit = "None";
  if (!IsStandardUnit(t.unit)) {
    return Invalid(prefix + "Unit", "'" + t.unit + "' is not a CloudWatch StandardUnit");
  }

  MetricFilter filter(std::move(spec));
  filter.matcher_ = std::make_shared<const pattern::Matcher>(std::move(matcher).value());
  filter.compiled_ = std::move(compiled);
  return filter;
}

FilterSet::FilterSet(std::vector<MetricFilter> filters) : filters_(std::move(filters)) {}

std::size_t FilterSet::Evaluate(event::EventView& event, TimePoint timestamp,
                                std::vector<Observation>* out,
                                std::span<std::uint64_t> matches) const {
  std::size_t matched = 0;
  // Everything up to the push_back works on the shared EventView and the
  // stack, so a non-matching event without a default value allocates nothing.
  for (std::size_t i = 0; i < filters_.size(); ++i) {
    const MetricFilter& filter = filters_[i];
    const MetricTransformation& t = filter.spec_.transformation;
    std::optional<double> value;
    bool is_default = false;
    if (filter.matcher_->Matches(event)) {
      ++matched;
      if (!matches.empty()) ++matches[i];
      value = filter.matcher_->ResolveNumber(filter.compiled_->value, event);
      // Missing or non-numeric: no datapoint (§7.3, open question 8).
      if (!value || !IsPublishable(*value)) continue;
    } else if (t.default_value) {
      value = t.default_value;
      is_default = true;
    } else {
      continue;
    }

    Observation& o = out->emplace_back();
    o.key.metric_namespace = t.metric_namespace;
    o.key.metric_name = t.metric_name;
    o.unit = t.unit;
    o.value = *value;
    o.timestamp = timestamp;
    o.is_default = is_default;
    o.filter_index = i;
    if (is_default) continue;  // default values never carry dimensions (Compile)
    std::array<char, event::kScalarTextCapacity> buffer;
    for (const auto& [key, ref] : filter.compiled_->dimensions) {
      std::optional<std::string_view> text = filter.matcher_->ResolveText(ref, event, buffer);
      // "This dimension will only be published for a metric if the value is
      // found in the log event" (CloudFormation Dimension docs).
      if (!text || text->empty() || text->size() > kMaxPublishedDimensionValueBytes) continue;
      o.key.dimensions.emplace_back(key, std::string(*text));
    }
  }
  return matched;
}

}  // namespace tw::metrics
