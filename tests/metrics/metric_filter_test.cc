// MetricFilter::Compile (PutMetricFilter validation, filter-patterns.md
// §7.1–7.2) and FilterSet::Evaluate (what is emitted, §7.3).

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metrics.h"

namespace tw::metrics {
namespace {

const TimePoint kTime = FromEpochMillis(1'700'000'000'000);

MetricFilterSpec ValidSpec() {
  MetricFilterSpec spec;
  spec.filter_name = "ConsoleLogins";
  spec.log_group_name = "/aws/cloudtrail/org-trail";
  spec.filter_pattern = R"({ $.eventName = "ConsoleLogin" })";
  spec.transformation.metric_namespace = "CloudTrailMetrics";
  spec.transformation.metric_name = "ConsoleLoginCount";
  spec.transformation.metric_value = "1";
  return spec;
}

// The message Compile() rejects `spec` with, or "" if it is accepted.
std::string CompileError(const MetricFilterSpec& spec) {
  Result<MetricFilter> filter = MetricFilter::Compile(spec);
  if (filter.ok()) return "";
  EXPECT_EQ(filter.status().code(), StatusCode::kInvalidArgument);
  return filter.status().message();
}

MetricFilter MustCompile(MetricFilterSpec spec) {
  Result<MetricFilter> filter = MetricFilter::Compile(std::move(spec));
  EXPECT_TRUE(filter.ok()) << (filter.ok() ? "" : filter.status().message());
  return std::move(filter).value();
}

MetricFilterSpec Spec(std::string pattern, std::string value,
                      std::vector<std::pair<std::string, std::string>> dimensions = {},
                      std::optional<double> default_value = std::nullopt) {
  MetricFilterSpec spec = ValidSpec();
  spec.filter_pattern = std::move(pattern);
  spec.transformation.metric_value = std::move(value);
  spec.transformation.dimensions = std::move(dimensions);
  spec.transformation.default_value = default_value;
  return spec;
}

struct ValidationCase {
  const char* name;
  std::function<void(MetricFilterSpec&)> change;
  const char* error;  // "" = accepted
};

TEST(MetricFilterTest, ValidationRulesAndTheirMessages) {
  const std::string k512(512, 'a');
  const std::string k255(255, 'a');
  const std::vector<ValidationCase> cases = {
      {"valid", [](MetricFilterSpec&) {}, ""},
      // FilterName: 1–512, [^:*]*.
      {"filter name empty", [](MetricFilterSpec& s) { s.filter_name = ""; },
       "FilterName: must be 1 to 512 characters"},
      {"filter name 512", [&](MetricFilterSpec& s) { s.filter_name = k512; }, ""},
      {"filter name 513", [&](MetricFilterSpec& s) { s.filter_name = k512 + "a"; },
       "FilterName: must be 1 to 512 characters"},
      // Counted in characters: 512 two-byte characters are fine.
      {"filter name 512 chars utf8",
       [](MetricFilterSpec& s) {
         s.filter_name.clear();
         for (int i = 0; i < 512; ++i) s.filter_name += "\xc3\xa9";
       },
       ""},
      {"filter name colon", [](MetricFilterSpec& s) { s.filter_name = "a:b"; },
       "FilterName: must not contain ':' or '*'"},
      {"filter name star", [](MetricFilterSpec& s) { s.filter_name = "a*"; },
       "FilterName: must not contain ':' or '*'"},
      {"filter name spaces ok", [](MetricFilterSpec& s) { s.filter_name = "Root usage (CIS 1.7)"; },
       ""},
      // LogGroupName: 1–512, [\.\-_/#A-Za-z0-9]+.
      {"log group empty", [](MetricFilterSpec& s) { s.log_group_name = ""; },
       "LogGroupName: must be 1 to 512 characters"},
      {"log group 513", [&](MetricFilterSpec& s) { s.log_group_name = k512 + "a"; },
       "LogGroupName: must be 1 to 512 characters"},
      {"log group all allowed chars", [](MetricFilterSpec& s) { s.log_group_name = "a.Z-0_/#9"; },
       ""},
      {"log group space", [](MetricFilterSpec& s) { s.log_group_name = "my group"; },
       "LogGroupName: must match the pattern [\\.\\-_/#A-Za-z0-9]+"},
      {"log group colon", [](MetricFilterSpec& s) { s.log_group_name = "a:b"; },
       "LogGroupName: must match the pattern [\\.\\-_/#A-Za-z0-9]+"},
      // FilterPattern: the engine's error, behind the property name.
      {"pattern error", [](MetricFilterSpec& s) { s.filter_pattern = "{ $.eventName = }"; },
       "FilterPattern: Invalid metric filter pattern. Column 17: expected a value after the "
       "operator "
       "near \"}\""},
      {"empty pattern matches all", [](MetricFilterSpec& s) { s.filter_pattern = ""; }, ""},
      // MetricNamespace / MetricName: required, ≤255, [^:*$]*.
      {"namespace empty", [](MetricFilterSpec& s) { s.transformation.metric_namespace = ""; },
       "MetricTransformations[0].MetricNamespace: is required"},
      {"namespace 255", [&](MetricFilterSpec& s) { s.transformation.metric_namespace = k255; }, ""},
      {"namespace 256",
       [&](MetricFilterSpec& s) { s.transformation.metric_namespace = k255 + "a"; },
       "MetricTransformations[0].MetricNamespace: must be at most 255 characters"},
      {"namespace colon ok (recorded from AWS)",
       [](MetricFilterSpec& s) {
         s.transformation.metric_namespace = "A.B-c_d/1#2:metricNamespace";
       },
       ""},
      {"namespace star", [](MetricFilterSpec& s) { s.transformation.metric_namespace = "a*b"; },
       "MetricTransformations[0].MetricNamespace: must not contain '*' or '$'"},
      {"namespace slash ok",
       [](MetricFilterSpec& s) { s.transformation.metric_namespace = "LogMetrics/App"; }, ""},
      {"name empty", [](MetricFilterSpec& s) { s.transformation.metric_name = ""; },
       "MetricTransformations[0].MetricName: is required"},
      {"name 256", [&](MetricFilterSpec& s) { s.transformation.metric_name = k255 + "a"; },
       "MetricTransformations[0].MetricName: must be at most 255 characters"},
      {"name star", [](MetricFilterSpec& s) { s.transformation.metric_name = "Count*"; },
       "MetricTransformations[0].MetricName: must not contain ':', '*' or '$'"},
      {"name dollar", [](MetricFilterSpec& s) { s.transformation.metric_name = "$cost"; },
       "MetricTransformations[0].MetricName: must not contain ':', '*' or '$'"},
      // MetricValue: required, ≤100, a number or a reference the pattern supports.
      {"value empty", [](MetricFilterSpec& s) { s.transformation.metric_value = ""; },
       "MetricTransformations[0].MetricValue: is required"},
      {"value 101",
       [](MetricFilterSpec& s) { s.transformation.metric_value = "$." + std::string(99, 'a'); },
       "MetricTransformations[0].MetricValue: must be at most 100 characters"},
      {"value 100 ok",
       [](MetricFilterSpec& s) { s.transformation.metric_value = "$." + std::string(98, 'a'); },
       ""},
      {"value decimal", [](MetricFilterSpec& s) { s.transformation.metric_value = "-2.5e3"; }, ""},
      {"value word", [](MetricFilterSpec& s) { s.transformation.metric_value = "one"; },
       "MetricTransformations[0].MetricValue: metric value 'one' must be a number or a field "
       "reference (e.g. 1, $.bytes or $size)"},
      {"value json path", [](MetricFilterSpec& s) { s.transformation.metric_value = "$.bytes"; },
       ""},
      {"value json wildcard",
       [](MetricFilterSpec& s) { s.transformation.metric_value = "$.items[*].size"; },
       "MetricTransformations[0].MetricValue: a field reference cannot contain a wildcard (name "
       "one member, e.g. $.items[0].size)"},
      {"value reference with term pattern",
       [](MetricFilterSpec& s) {
         s.filter_pattern = "ERROR";
         s.transformation.metric_value = "$.bytes";
       },
       "MetricTransformations[0].MetricValue: field references such as $.bytes need a JSON or "
       "space-delimited pattern (use a literal such as 1 with a term pattern)"},
      {"value unknown delimited field",
       [](MetricFilterSpec& s) {
         s.filter_pattern = "[ip, user, bytes]";
         s.transformation.metric_value = "$size";
       },
       "MetricTransformations[0].MetricValue: the pattern has no field named 'size' (named fields "
       "are $ip, $user, $bytes)"},
      {"value delimited position",
       [](MetricFilterSpec& s) {
         s.filter_pattern = "[ip, user, bytes]";
         s.transformation.metric_value = "$3";
       },
       ""},
      {"default value", [](MetricFilterSpec& s) { s.transformation.default_value = 0; }, ""},
      {"default value NaN",
       [](MetricFilterSpec& s) { s.transformation.default_value = std::nan(""); },
       "MetricTransformations[0].DefaultValue: must be 0 or between 2^-360 and 2^360 in "
       "magnitude"},
      {"default value 1e200", [](MetricFilterSpec& s) { s.transformation.default_value = 1e200; },
       "MetricTransformations[0].DefaultValue: must be 0 or between 2^-360 and 2^360 in "
       "magnitude"},
      {"default value negative", [](MetricFilterSpec& s) { s.transformation.default_value = -1; },
       ""},
      // Dimensions.
      {"three dimensions",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A", "$.a"}, {"B", "$.b"}, {"C", "$.c"}};
       },
       ""},
      {"four dimensions",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A", "$.a"}, {"B", "$.b"}, {"C", "$.c"}, {"D", "$.d"}};
       },
       "MetricTransformations[0].Dimensions: at most 3 dimensions are allowed, got 4"},
      {"dimensions with term pattern",
       [](MetricFilterSpec& s) {
         s.filter_pattern = "[SUCCESS]";  // a delimited pattern: fine
         s.transformation.dimensions = {{"Field", "$1"}};
       },
       ""},
      {"dimensions with term pattern rejected",
       [](MetricFilterSpec& s) {
         s.filter_pattern = "SUCCESS";
         s.transformation.dimensions = {{"Function", "$.lambdaFunctionName"}};
       },
       "MetricTransformations[0].Dimensions: The specified filter pattern does not support "
       "dimensions"},
      {"dimensions with match-all pattern rejected",
       [](MetricFilterSpec& s) {
         s.filter_pattern = "";
         s.transformation.dimensions = {{"A", "$.a"}};
       },
       "MetricTransformations[0].Dimensions: The specified filter pattern does not support "
       "dimensions"},
      {"dimensions and default value",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A", "$.a"}};
         s.transformation.default_value = 0;
       },
       "MetricTransformations[0].DefaultValue: dimensions and default value are mutually exclusive "
       "properties"},
      {"dimension key empty",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"", "$.a"}};
       },
       "MetricTransformations[0].Dimensions[0].Key: must be 1 to 255 characters"},
      {"dimension key 256",
       [&](MetricFilterSpec& s) {
         s.transformation.dimensions = {{k255 + "a", "$.a"}};
       },
       "MetricTransformations[0].Dimensions[0].Key: must be 1 to 255 characters"},
      {"dimension key non-ascii",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"caf\xc3\xa9", "$.a"}};
       },
       "MetricTransformations[0].Dimensions[0].Key: must contain only ASCII characters"},
      {"dimension key blank",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A", "$.a"}, {" \t", "$.b"}};
       },
       "MetricTransformations[0].Dimensions[1].Key: must contain at least one non-whitespace "
       "character"},
      {"dimension key colon",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{":A", "$.a"}};
       },
       "MetricTransformations[0].Dimensions[0].Key: must not start with ':'"},
      {"dimension key inner colon ok",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A:B", "$.a"}};
       },
       ""},
      {"dimension key duplicate",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A", "$.a"}, {"A", "$.b"}};
       },
       "MetricTransformations[0].Dimensions[1].Key: duplicate dimension key 'A'"},
      {"dimension value empty",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A", ""}};
       },
       "MetricTransformations[0].Dimensions[0].Value: must be 1 to 255 characters"},
      {"dimension value 256",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"A", "$." + std::string(254, 'a')}};
       },
       "MetricTransformations[0].Dimensions[0].Value: must be 1 to 255 characters"},
      {"dimension value literal",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"Env", "42"}};
       },
       "MetricTransformations[0].Dimensions[0].Value: must be a field reference such as "
       "$.eventType or $user, not '42'"},
      {"dimension value word",
       [](MetricFilterSpec& s) {
         s.transformation.dimensions = {{"Env", "prod"}};
       },
       "MetricTransformations[0].Dimensions[0].Value: metric value 'prod' must be a number or a "
       "field reference (e.g. 1, $.bytes or $size)"},
      {"dimension value wrong kind",
       [](MetricFilterSpec& s) {
         s.filter_pattern = "[ip, user]";
         s.transformation.dimensions = {{"User", "$who"}};
       },
       "MetricTransformations[0].Dimensions[0].Value: the pattern has no field named 'who' (named "
       "fields are $ip, $user)"},
      // Unit: a StandardUnit, exact spelling.
      {"unit count", [](MetricFilterSpec& s) { s.transformation.unit = "Count"; }, ""},
      {"unit per second", [](MetricFilterSpec& s) { s.transformation.unit = "Bytes/Second"; }, ""},
      {"unit empty means None", [](MetricFilterSpec& s) { s.transformation.unit = ""; }, ""},
      {"unit lower case", [](MetricFilterSpec& s) { s.transformation.unit = "count"; },
       "MetricTransformations[0].Unit: 'count' is not a CloudWatch StandardUnit"},
      {"unit unknown", [](MetricFilterSpec& s) { s.transformation.unit = "Requests"; },
       "MetricTransformations[0].Unit: 'Requests' is not a CloudWatch StandardUnit"},
  };
  for (const ValidationCase& c : cases) {
    MetricFilterSpec spec = ValidSpec();
    c.change(spec);
    EXPECT_EQ(CompileError(spec), c.error) << c.name;
  }
}

TEST(MetricFilterTest, EmptyUnitBecomesNoneAndCopiesShareThePattern) {
  MetricFilterSpec spec = ValidSpec();
  spec.transformation.unit = "";
  MetricFilter filter = MustCompile(spec);
  EXPECT_EQ(filter.spec().transformation.unit, "None");
  MetricFilter copy = filter;
  EXPECT_EQ(&copy.matcher(), &filter.matcher());
  EXPECT_EQ(copy.spec().filter_name, "ConsoleLogins");
}

TEST(MetricKeyTest, ToString) {
  EXPECT_EQ((MetricKey{"CloudTrailMetrics", "IAMPolicyEventCount", {}}).ToString(),
            "CloudTrailMetrics/IAMPolicyEventCount");
  EXPECT_EQ((MetricKey{"NS", "Name", {{"Bucket", "logs"}, {"User", "bob"}}}).ToString(),
            "NS/Name{Bucket=logs,User=bob}");
}

// Emits `set` over `message` and returns what it emitted.
std::vector<Observation> Emit(const FilterSet& set, std::string_view message,
                              std::size_t* matched = nullptr) {
  event::EventView view;
  view.Reset(message);
  std::vector<Observation> out;
  std::size_t n = set.Evaluate(view, kTime, &out);
  if (matched) *matched = n;
  return out;
}

TEST(FilterSetTest, JsonFieldValueWithDimensionsSortedAndMissingOnesOmitted) {
  FilterSet set({MustCompile(Spec(R"({ $.eventName = "PutObject" })", "$.bytes",
                                  {{"User", "$.user.name"}, {"Bucket", "$.bucket"}}))});
  std::size_t matched = 0;
  auto out =
      Emit(set, R"({"eventName":"PutObject","bytes":512,"bucket":"logs","user":{"name":"bob"}})",
           &matched);
  EXPECT_EQ(matched, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key.ToString(), "CloudTrailMetrics/ConsoleLoginCount{Bucket=logs,User=bob}");
  EXPECT_EQ(out[0].value, 512);
  EXPECT_EQ(out[0].unit, "None");
  EXPECT_EQ(out[0].timestamp, kTime);
  EXPECT_FALSE(out[0].is_default);
  EXPECT_EQ(out[0].filter_index, 0u);

  // user.name missing, and a number as a dimension value is rendered as text.
  out = Emit(set, R"({"eventName":"PutObject","bytes":1,"bucket":7})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key.dimensions, (Dimensions{{"Bucket", "7"}}));

  // Every dimension missing: the metric without dimensions.
  out = Emit(set, R"({"eventName":"PutObject","bytes":3,"user":{"name":{"first":"b"}}})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].key.dimensions.empty());

  // A numeric string is a number; text, booleans, objects and absence are not.
  out = Emit(set, R"({"eventName":"PutObject","bytes":"42"})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, 42);
  for (const char* event :
       {R"({"eventName":"PutObject","bytes":"many"})", R"({"eventName":"PutObject","bytes":true})",
        R"({"eventName":"PutObject","bytes":{"n":1}})", R"({"eventName":"PutObject","bytes":null})",
        R"({"eventName":"PutObject"})"}) {
    out = Emit(set, event, &matched);
    EXPECT_EQ(matched, 1u) << event;  // it matched, but has no value to publish
    EXPECT_TRUE(out.empty()) << event;
  }

  out = Emit(set, R"({"eventName":"GetObject","bytes":512})", &matched);
  EXPECT_EQ(matched, 0u);
  EXPECT_TRUE(out.empty());
  out = Emit(set, "not json at all", &matched);
  EXPECT_EQ(matched, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(DimensionLimitTest, NewSetsPastTheLimitLoseTheirDimensionsUntilTheHourTurns) {
  MetricFilterSpec by_user = Spec(R"({ $.eventName = "PutObject" })", "1", {{"User", "$.user"}});
  MetricFilterSpec other = by_user;
  other.filter_name = "Other";
  FilterSet set({MustCompile(by_user), MustCompile(other)});
  DimensionLimit limit(2);
  auto emit = [&](const std::string& user, TimePoint now, std::size_t* cleared) {
    std::vector<Observation> out =
        Emit(set, R"({"eventName":"PutObject","user":")" + user + R"("})");
    *cleared = limit.Apply("group", set, now, &out);
    std::vector<std::string> keys;
    for (const Observation& o : out) keys.push_back(o.key.ToString());
    return keys;
  };
  std::size_t cleared = 0;
  const TimePoint hour = FromEpochMillis(1'700'002'800'000);  // 2023-11-14T23:00:00Z
  EXPECT_EQ(emit("a", hour, &cleared),
            (std::vector<std::string>{"CloudTrailMetrics/ConsoleLoginCount{User=a}",
                                      "CloudTrailMetrics/ConsoleLoginCount{User=a}"}));
  emit("b", hour + std::chrono::minutes(1), &cleared);
  EXPECT_EQ(cleared, 0u);
  // A third set in the hour: published without dimensions, by both filters.
  EXPECT_EQ(emit("c", hour + std::chrono::minutes(59), &cleared),
            (std::vector<std::string>{"CloudTrailMetrics/ConsoleLoginCount",
                                      "CloudTrailMetrics/ConsoleLoginCount"}));
  EXPECT_EQ(cleared, 2u);
  // Sets seen in the hour keep their dimensions.
  EXPECT_EQ(emit("a", hour + std::chrono::minutes(59), &cleared).at(0),
            "CloudTrailMetrics/ConsoleLoginCount{User=a}");
  EXPECT_EQ(cleared, 0u);
  // The next hour counts afresh.
  EXPECT_EQ(emit("c", hour + std::chrono::hours(1), &cleared).at(0),
            "CloudTrailMetrics/ConsoleLoginCount{User=c}");
  EXPECT_EQ(cleared, 0u);
  // Another log group's filter of the same name has its own count.
  std::vector<Observation> out = Emit(set, R"({"eventName":"PutObject","user":"z"})");
  EXPECT_EQ(limit.Apply("elsewhere", set, hour, &out), 0u);
  EXPECT_EQ(DimensionLimit::kPerFilterPerHour, 1000u);
}

TEST(FilterSetTest, DelimitedNamedAndPositionalReferences) {
  const char* pattern = "[ip, user, status=4*, bytes]";
  FilterSet set({MustCompile(Spec(pattern, "$bytes", {{"Status", "$status"}})),
                 MustCompile(Spec(pattern, "$4", {{"Who", "$2"}}))});
  std::size_t matched = 0;
  auto out = Emit(set, "10.0.0.1 alice 404 1534", &matched);
  EXPECT_EQ(matched, 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].value, 1534);
  EXPECT_EQ(out[0].key.dimensions, (Dimensions{{"Status", "404"}}));
  EXPECT_EQ(out[0].filter_index, 0u);
  EXPECT_EQ(out[1].value, 1534);
  EXPECT_EQ(out[1].key.dimensions, (Dimensions{{"Who", "alice"}}));
  EXPECT_EQ(out[1].filter_index, 1u);

  // "-" for bytes: matched, nothing published.
  out = Emit(set, "10.0.0.1 alice 403 -", &matched);
  EXPECT_EQ(matched, 2u);
  EXPECT_TRUE(out.empty());

  out = Emit(set, "10.0.0.1 alice 200 10", &matched);
  EXPECT_EQ(matched, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(FilterSetTest, TermPatternWithLiteralValueAndDefaultPerNonMatchingEvent) {
  FilterSet set({MustCompile(Spec("ERROR", "2.5", {}, 0.0))});
  std::vector<Observation> all;
  event::EventView view;
  std::size_t matched = 0;
  for (const char* message : {"ERROR disk full", "INFO ok", "INFO still ok"}) {
    view.Reset(message);
    matched += set.Evaluate(view, kTime, &all);
  }
  EXPECT_EQ(matched, 1u);
  ASSERT_EQ(all.size(), 3u);  // one per event: the value, then a default for each miss
  EXPECT_EQ(all[0].value, 2.5);
  EXPECT_FALSE(all[0].is_default);
  EXPECT_EQ(all[1].value, 0);
  EXPECT_TRUE(all[1].is_default);
  EXPECT_EQ(all[2].value, 0);
  EXPECT_TRUE(all[2].is_default);
  EXPECT_EQ(all[1].key, all[0].key);
}

// The pattern's prefilter rejects an event without "ConsoleLogin" before any
// parse; that must emit the same default observation as a parsed miss (the
// literal elsewhere, or not JSON at all).
TEST(FilterSetTest, DefaultValueIsTheSameWhetherThePrefilterOrTheParseRejects) {
  FilterSet set({MustCompile(Spec(R"({ $.eventName = "ConsoleLogin" })", "1", {}, 0.0))});
  struct Case {
    const char* message;
    bool parsed;  // whether deciding needed the JSON parse
    bool match;
  };
  const Case cases[] = {
      {R"({"eventName":"ConsoleLogin"})", true, true},
      {R"({"eventName":"PutObject"})", false, false},
      {R"({"eventName":"PutObject","note":"ConsoleLogin"})", true, false},
      {R"({"eventName":"\u0043onsoleLogin"})", true, true},
      {"not json", false, false},
  };
  event::EventView view;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    view.Reset(c.message);
    std::vector<Observation> out;
    EXPECT_EQ(set.Evaluate(view, kTime, &out), c.match ? 1u : 0u);
    EXPECT_EQ(view.json_parsed(), c.parsed);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].value, c.match ? 1 : 0);
    EXPECT_EQ(out[0].is_default, !c.match);
    EXPECT_EQ(out[0].key.metric_name, "ConsoleLoginCount");
    EXPECT_EQ(out[0].timestamp, kTime);
    EXPECT_EQ(out[0].filter_index, 0u);
    EXPECT_TRUE(out[0].key.dimensions.empty());
  }
}

TEST(FilterSetTest, ManyFiltersShareOneEventAndAppend) {
  MetricFilterSpec bytes = Spec(R"({ $.bytes > 0 })", "$.bytes");
  bytes.transformation.metric_name = "Bytes";
  bytes.transformation.unit = "Bytes";
  MetricFilterSpec count = Spec(R"({ $.eventName = * })", "1", {}, 0.0);
  count.transformation.metric_name = "Events";
  count.transformation.unit = "Count";
  MetricFilterSpec errors = Spec(R"({ $.errorCode = * })", "1", {}, 0.0);
  errors.transformation.metric_name = "Errors";
  FilterSet set({MustCompile(bytes), MustCompile(count), MustCompile(errors)});
  ASSERT_EQ(set.filters().size(), 3u);

  event::EventView view;
  view.Reset(R"({"eventName":"PutObject","bytes":10})");
  std::vector<Observation> out = {Observation{}};  // Evaluate appends
  EXPECT_EQ(set.Evaluate(view, kTime, &out), 2u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1].key.metric_name, "Bytes");
  EXPECT_EQ(out[1].unit, "Bytes");
  EXPECT_EQ(out[1].value, 10);
  EXPECT_EQ(out[2].key.metric_name, "Events");
  EXPECT_EQ(out[2].unit, "Count");
  EXPECT_EQ(out[3].key.metric_name, "Errors");
  EXPECT_TRUE(out[3].is_default);
  EXPECT_EQ(out[3].filter_index, 2u);
}

TEST(FilterSetTest, NumbersPutMetricDataWouldRejectAreNotPublished) {
  FilterSet set({MustCompile(Spec("[a, n]", "$n"))});
  for (const char* event : {"x 1e999", "x 1e300", "x -1e109", "x 1e-109", "x -1e-300"}) {
    std::size_t matched = 0;
    EXPECT_TRUE(Emit(set, event, &matched).empty()) << event;
    EXPECT_EQ(matched, 1u);
  }
  for (const char* event : {"x 1e108", "x -1e108", "x 1e-108", "x 0", "x -0"}) {
    EXPECT_EQ(Emit(set, event).size(), 1u) << event;
  }
}

}  // namespace
}  // namespace tw::metrics
