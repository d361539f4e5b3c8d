#include "notify/alarm_message.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "common/html.h"
#include "common/java_double.h"
#include "common/json_string.h"
#include "common/url.h"

namespace tw::notify {
namespace {

constexpr std::size_t kMaxSubjectBytes = 99;  // SNS: "less than 100 characters"
constexpr std::size_t kMaxShownParameters = 3;
constexpr std::size_t kMaxParameterValueBytes = 64;

// --- Text helpers ------------------------------------------------------------

// The longest prefix of `s` of at most `max_bytes` that does not split a
// UTF-8 sequence (invalid bytes count as one-byte characters).
std::string_view Utf8Prefix(std::string_view s, std::size_t max_bytes) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = Utf8SequenceLength(s.substr(i));
    if (len == 0) len = 1;
    if (i + len > max_bytes) break;
    i += len;
  }
  return s.substr(0, i);
}

std::string Truncated(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  return std::string(Utf8Prefix(s, max_bytes - 3)) + "...";
}

// Control characters (line breaks above all) become spaces, so a field from
// an event cannot break a one-line layout.
std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

// `s` with each character of `from` replaced by the entity at the same
// index of `to`.
std::string ReplaceEntities(std::string_view s, std::string_view from,
                            std::initializer_list<std::string_view> to) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    std::size_t at = from.find(c);
    if (at == std::string_view::npos) {
      out.push_back(c);
    } else {
      out += *(to.begin() + at);
    }
  }
  return out;
}

// "SampleCount" -> "SAMPLE_COUNT": the Java enum name AWS's message uses.
std::string UpperSnake(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i > 0 && c >= 'A' && c <= 'Z' && s[i - 1] >= 'a' && s[i - 1] <= 'z') out.push_back('_');
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

// --- JSON --------------------------------------------------------------------

void AppendKey(std::string* out, std::string_view key) {
  if (out->back() != '{') out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
}

void AppendStringField(std::string* out, std::string_view key, std::string_view value) {
  AppendKey(out, key);
  AppendJsonString(out, value);
}

void AppendRawField(std::string* out, std::string_view key, std::string_view raw) {
  AppendKey(out, key);
  out->append(raw);
}

void AppendStringArray(std::string* out, std::string_view key,
                       const std::vector<std::string>& values) {
  AppendKey(out, key);
  out->push_back('[');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(out, values[i]);
  }
  out->push_back(']');
}

bool IsAbsent(std::string_view json_text) { return json_text.empty() || json_text == "null"; }

// requestParameters as a JSON value: embedded as is when it is valid JSON
// (nlohmann's parser also checks UTF-8), else as a string so that the
// message stays valid JSON.
void AppendRequestParameters(std::string* out, std::string_view text) {
  AppendKey(out, "requestParameters");
  if (IsAbsent(text)) {
    out->append("null");
  } else if (nlohmann::json::accept(text)) {
    out->append(text);
  } else {
    AppendJsonString(out, text);
  }
}

void AppendTrigger(std::string* out, const AlarmTrigger& t) {
  AppendKey(out, "Trigger");
  out->push_back('{');
  AppendStringField(out, "MetricName", t.metric_name);
  AppendStringField(out, "Namespace", t.metric_namespace);
  bool extended = !t.extended_statistic.empty();
  AppendStringField(out, "StatisticType", extended ? "ExtendedStatistic" : "Statistic");
  AppendStringField(out, "Statistic", extended ? t.extended_statistic : UpperSnake(t.statistic));
  if (t.unit) {
    AppendStringField(out, "Unit", *t.unit);
  } else {
    AppendRawField(out, "Unit", "null");
  }
  AppendKey(out, "Dimensions");
  out->push_back('[');
  for (std::size_t i = 0; i < t.dimensions.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->push_back('{');
    AppendStringField(out, "value", t.dimensions[i].value);
    AppendStringField(out, "name", t.dimensions[i].name);
    out->push_back('}');
  }
  out->push_back(']');
  AppendRawField(out, "Period", std::to_string(t.period.count()));
  AppendRawField(out, "EvaluationPeriods", std::to_string(t.evaluation_periods));
  if (t.datapoints_to_alarm) {
    AppendRawField(out, "DatapointsToAlarm", std::to_string(*t.datapoints_to_alarm));
  }
  AppendStringField(out, "ComparisonOperator", t.comparison_operator);
  AppendRawField(out, "Threshold", JavaDoubleToString(t.threshold));
  AppendStringField(out, "TreatMissingData", t.treat_missing_data);
  AppendStringField(out, "EvaluateLowSampleCountPercentile",
                    t.evaluate_low_sample_count_percentile);
  out->push_back('}');
}

// --- E-mail ------------------------------------------------------------------

// "- Name:" padded to the value column of CloudWatch's template.
void AppendDetail(std::string* out, std::string_view label, std::string_view value,
                  std::size_t column) {
  std::string line = "- ";
  line += label;
  line += ':';
  if (!value.empty()) {
    line.append(line.size() < column ? column - line.size() : 1, ' ');
    line += value;
  }
  *out += line;
  *out += '\n';
}

std::string ActionList(const std::vector<std::string>& actions) {
  if (actions.empty()) return "";
  std::string out = "[";
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (i > 0) out += ", ";
    out += actions[i];
  }
  return out + "]";
}

std::string ThresholdSentence(const AlarmChange& change) {
  const AlarmTrigger& t = change.trigger;
  std::string out = "The alarm is in the " + change.new_state + " state when the metric is " +
                    t.comparison_operator + " " + JavaDoubleToString(t.threshold) + " for ";
  // The spec's observed mail (one period, DatapointsToAlarm unset) says
  // "for 300 seconds."; for M-of-N alarms CloudWatch names both counts.
  if (!t.datapoints_to_alarm && t.evaluation_periods == 1) {
    out += std::to_string(t.period.count()) + " seconds.";
  } else {
    out += "at least " + std::to_string(t.datapoints_to_alarm.value_or(t.evaluation_periods)) +
           " of the last " + std::to_string(t.evaluation_periods) + " period(s) of " +
           std::to_string(t.period.count()) + " seconds.";
  }
  return out;
}

std::string ConsoleUrl(const AlarmChange& change) {
  if (!change.console_url.empty()) return change.console_url;
  return "https://" + change.region +
         ".console.aws.amazon.com/cloudwatch/deeplink.js?region=" + change.region +
         "#alarmsV2:alarm/" + PercentEncode(change.alarm_name);
}

std::string Intro(const AlarmChange& change) {
  const std::string reminder = change.reminder
                                   ? "Reminder: at \"" + FormatAwsLongTime(*change.reminder) +
                                         "\" the alarm \"" + change.alarm_name +
                                         "\" is still in the " + change.new_state + " state.\n\n"
                                   : "";
  return reminder + "You are receiving this email because your Amazon CloudWatch Alarm \"" +
         change.alarm_name + "\" in the " + RegionDisplayName(change.region) +
         " region has entered the " + change.new_state + " state, because \"" +
         change.new_state_reason + "\" at \"" + FormatAwsLongTime(change.state_change_time) + "\".";
}

// Alarm Details, Threshold, Monitored Metric and State Change Actions, each
// block followed by a blank line.
std::string DetailBlocks(const AlarmChange& change) {
  constexpr std::size_t kDetailColumn = 30;
  constexpr std::size_t kMetricColumn = 39;
  const AlarmTrigger& t = change.trigger;
  std::string out = "Alarm Details:\n";
  AppendDetail(&out, "Name", change.alarm_name, kDetailColumn);
  AppendDetail(&out, "Description", change.alarm_description.value_or(""), kDetailColumn);
  AppendDetail(&out, "State Change", change.old_state + " -> " + change.new_state, kDetailColumn);
  AppendDetail(&out, "Reason for State Change", change.new_state_reason, kDetailColumn);
  AppendDetail(&out, "Timestamp", FormatAwsLongTime(change.state_change_time), kDetailColumn);
  AppendDetail(&out, "AWS Account", change.account_id, kDetailColumn);
  AppendDetail(&out, "Alarm Arn", change.alarm_arn, kDetailColumn);

  if (change.alarm_rule) {
    // A composite alarm watches other alarms, not a metric.
    out += "\nAlarm Rule:\n- " + *change.alarm_rule + "\n";
  } else {
    out += "\nThreshold:\n- " + ThresholdSentence(change) + "\n";

    std::string dimensions;
    for (const MetricDimension& d : t.dimensions) {
      if (!dimensions.empty()) dimensions += ' ';
      dimensions += "[" + d.name + " = " + d.value + "]";
    }
    out += "\nMonitored Metric:\n";
    AppendDetail(&out, "MetricNamespace", t.metric_namespace, kMetricColumn);
    AppendDetail(&out, "MetricName", t.metric_name, kMetricColumn);
    AppendDetail(&out, "Dimensions", dimensions, kMetricColumn);
    AppendDetail(&out, "Period", std::to_string(t.period.count()) + " seconds", kMetricColumn);
    AppendDetail(&out, "Statistic",
                 t.extended_statistic.empty() ? t.statistic : t.extended_statistic, kMetricColumn);
    AppendDetail(&out, "Unit", t.unit.value_or("not specified"), kMetricColumn);
    AppendDetail(&out, "TreatMissingData", t.treat_missing_data, kMetricColumn);
  }

  out += "\nState Change Actions:\n";
  AppendDetail(&out, "OK", ActionList(change.ok_actions), 0);
  AppendDetail(&out, "ALARM", ActionList(change.alarm_actions), 0);
  AppendDetail(&out, "INSUFFICIENT_DATA", ActionList(change.insufficient_data_actions), 0);
  return out;
}

// The evidence event as the columns of the "What happened" section.
struct EvidenceRow {
  std::string time;
  std::string who;
  std::string action;   // "eventSource eventName"
  std::string on_what;  // main request parameters; empty when none
  std::string from;     // "ip (region)"
  std::string result;   // errorCode or "succeeded"
};

std::string ScalarText(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>();
  return v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// "bucketName=b, key=k": the first few top-level scalar parameters, in the
// event's order. Nested objects and arrays are left out: in CloudTrail the
// target of a call is almost always a top-level name or id.
std::string MainParameters(std::string_view json_text) {
  if (IsAbsent(json_text)) return "";
  auto params = nlohmann::ordered_json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded()) return Truncated(OneLine(json_text), kMaxParameterValueBytes);
  if (!params.is_object())
    return params.is_null() ? "" : Truncated(OneLine(ScalarText(params)), kMaxParameterValueBytes);
  std::string out;
  std::size_t shown = 0;
  for (const auto& [key, value] : params.items()) {
    if (value.is_structured() || value.is_null()) continue;
    if (shown++ == kMaxShownParameters) break;
    if (!out.empty()) out += ", ";
    out += OneLine(key) + "=" + Truncated(OneLine(ScalarText(value)), kMaxParameterValueBytes);
  }
  return out;
}

}  // namespace

std::string EvidenceLine::Failure() const {
  if (!error_code.empty()) return error_code;
  if (!error_message.empty()) return error_message;
  return response_failure;
}

namespace {

// The columns, each empty when nothing about it is known (the table shows
// a dash there; the text line leaves it out).
EvidenceRow DescribeEvidence(const EvidenceLine& e) {
  EvidenceRow row;
  row.time = OneLine(e.event_time);
  row.who = OneLine(e.principal);
  row.action = OneLine(e.event_source.empty() ? e.event_name : e.event_source + " " + e.event_name);
  row.on_what = MainParameters(e.request_parameters);
  if (!e.source_ip_address.empty()) {
    row.from = OneLine(e.source_ip_address) +
               (e.aws_region.empty() ? "" : " (" + OneLine(e.aws_region) + ")");
  } else if (!e.aws_region.empty()) {
    row.from = "(" + OneLine(e.aws_region) + ")";
  }
  const std::string failure = e.Failure();
  row.result = failure.empty() ? "succeeded" : OneLine(failure);
  return row;
}

std::uint64_t NotShown(const AlarmChange& change) {
  return change.evidence_total > change.evidence.size()
             ? change.evidence_total - change.evidence.size()
             : 0;
}

std::string MoreEvents(std::uint64_t n) {
  return "(and " + std::to_string(n) + " more " + (n == 1 ? "event" : "events") + " not shown)";
}

constexpr std::string_view kFooterLead =
    "If you wish to stop receiving notifications from this topic, please click or visit the link "
    "below to unsubscribe:";
constexpr std::string_view kFooterTail =
    "Please do not reply directly to this email. If you have any questions or comments regarding "
    "this email, please contact us at https://aws.amazon.com/support";

std::string EmailText(const AlarmChange& change, std::string_view unsubscribe_url) {
  std::string out = Intro(change);
  out += "\n\nView this alarm in the AWS Management Console:\n" + ConsoleUrl(change) + "\n\n";
  out += DetailBlocks(change);
  if (!change.evidence.empty() || change.evidence_total > 0) {
    out += "\nWhat happened:\n";
    for (const EvidenceLine& e : change.evidence) {
      EvidenceRow r = DescribeEvidence(e);
      std::string line = r.action;
      if (!r.on_what.empty()) line += " on " + r.on_what;
      if (!r.from.empty()) line += "  from " + r.from;
      for (const std::string* lead : {&r.who, &r.time}) {
        if (!lead->empty()) line = *lead + "  " + line;
      }
      out += "- " + line + "  " + r.result + "\n";
    }
    if (std::uint64_t n = NotShown(change); n > 0) out += MoreEvents(n) + "\n";
  }
  // EmailFooter() starts with the blank line that ends the body.
  out.pop_back();
  return out + EmailFooter(unsubscribe_url);
}

std::string Link(std::string_view url) {
  std::string escaped = HtmlEscape(url);
  return "<a href=\"" + escaped + "\">" + escaped + "</a>";
}

// The details as rows: DetailBlocks' "Section:" lines become headings and its
// "- Key: value" lines cells, so that the HTML and the text part cannot say
// different things.
std::string DetailRows(const AlarmChange& change) {
  std::string rows;
  const std::string details = DetailBlocks(change);
  std::string_view text = details;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    if (!line.starts_with("- ")) {
      line.remove_suffix(line.ends_with(':') ? 1 : 0);
      rows += "<tr><th colspan=\"2\" style=\"text-align:left;padding:12px 0 4px;font-size:15px\">" +
              HtmlEscape(line) + "</th></tr>\n";
      continue;
    }
    line.remove_prefix(2);
    const std::size_t colon = line.find(':');
    std::string key, value;
    // Keys are words ("Reason for State Change", "INSUFFICIENT_DATA"); a
    // sentence or an alarm rule ("ALARM(\"arn:...\")") is one value.
    const bool keyed = colon != std::string_view::npos &&
                       std::all_of(line.begin(), line.begin() + colon, [](char c) {
                         return std::isalpha(static_cast<unsigned char>(c)) || c == ' ' || c == '_';
                       });
    if (!keyed) {
      value = std::string(line);
    } else {
      key = std::string(line.substr(0, colon));
      value = std::string(line.substr(colon + 1));
      value.erase(0, value.find_first_not_of(' '));
    }
    if (key.empty()) {
      rows += "<tr><td colspan=\"2\" style=\"padding:2px 0;word-break:break-word\">" +
              HtmlEscape(value) + "</td></tr>\n";
      continue;
    }
    rows += "<tr><td style=\"padding:2px 12px 2px 0;color:#57606a;vertical-align:top;width:38%\">" +
            HtmlEscape(key) + "</td><td style=\"padding:2px 0;word-break:break-word\">" +
            HtmlEscape(value) + "</td></tr>\n";
  }
  return rows;
}

const char* StateColour(std::string_view state) {
  if (state == "ALARM") return "#b42318";
  if (state == "OK") return "#1a7f37";
  return "#57606a";
}

// A mail that reads on a phone as on a desktop: one column at most 640 px
// wide, inline styles only (mail clients drop <style>), the state as a
// coloured banner, the reason, "What happened" first, then the details;
// links to the trailwatch console, never to AWS's.
std::string EmailHtml(const AlarmChange& change, std::string_view unsubscribe_url) {
  const std::string colour = StateColour(change.new_state);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
      HtmlEscape(AlarmSubject(change)) +
      "</title></head>\n"
      "<body style=\"margin:0;padding:0;background:#f3f4f6;color:#1f2328;font-family:-apple-system,"
      "'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.45\">\n"
      "<div style=\"max-width:640px;margin:0 auto;padding:12px\">\n"
      "<div class=\"banner\" style=\"background:" +
      colour +
      ";color:#ffffff;padding:14px 16px;border-radius:6px 6px 0 0;font-size:19px;"
      "font-weight:600;word-break:break-word\">" +
      (change.reminder ? "Reminder: " : "") + HtmlEscape(change.new_state) + ": " +
      HtmlEscape(change.alarm_name) +
      "</div>\n<div style=\"background:#ffffff;padding:16px;border:1px solid #d0d7de;"
      "border-top:0;border-radius:0 0 6px 6px\">\n"
      "<p class=\"reason\" style=\"margin:0 0 8px;word-break:break-word\">" +
      HtmlEscape(change.new_state_reason) +
      "</p>\n<p style=\"margin:0 0 12px;color:#57606a;font-size:13px\">" +
      HtmlEscape(change.old_state + " \u2192 " + change.new_state + " at " +
                 FormatAwsLongTime(change.state_change_time) + " in " +
                 RegionDisplayName(change.region)) +
      "</p>\n";
  if (!change.console_url.empty()) {
    const std::string url = HtmlEscape(change.console_url);
    out +=
        "<p style=\"margin:0 0 16px\"><a class=\"console\" href=\"" + url +
        "\" style=\"display:inline-block;background:#0969da;color:#ffffff;text-decoration:none;"
        "padding:8px 14px;border-radius:6px\">Open the alarm in the trailwatch console</a></p>\n";
  }
  if (!change.evidence.empty() || change.evidence_total > 0) {
    out += "<h2 style=\"font-size:16px;margin:16px 0 4px\">What happened</h2>\n";
    for (const EvidenceLine& e : change.evidence) {
      EvidenceRow r = DescribeEvidence(e);
      const bool failed = r.result != "succeeded";
      out +=
          "<div class=\"event\" style=\"border-top:1px solid #d0d7de;padding:8px 0;"
          "word-break:break-word\">\n<div><strong class=\"action\">" +
          HtmlEscape(r.action.empty() ? "-" : r.action) + "</strong>";
      if (!r.on_what.empty()) out += " on <span class=\"on\">" + HtmlEscape(r.on_what) + "</span>";
      out +=
          " <span class=\"result\" style=\"color:" + std::string(failed ? "#b42318" : "#1a7f37") +
          "\">" + HtmlEscape(r.result) + "</span></div>\n";
      if (!r.who.empty())
        out += "<div>by <span class=\"who\">" + HtmlEscape(r.who) + "</span></div>\n";
      std::string where = HtmlEscape(r.time);
      if (!r.from.empty()) {
        where = (where.empty() ? "" : where + " \u00b7 ") + "from <span class=\"from\">" +
                HtmlEscape(r.from) + "</span>";
      }
      if (!where.empty())
        out += "<div style=\"color:#57606a;font-size:13px\">" + where + "</div>\n";
      out += "</div>\n";
    }
    if (std::uint64_t n = NotShown(change); n > 0) out += "<p>" + MoreEvents(n) + "</p>\n";
  }
  out +=
      "<h2 style=\"font-size:16px;margin:16px 0 0\">Details</h2>\n"
      "<table class=\"details\" style=\"border-collapse:collapse;width:100%;font-size:14px\">\n" +
      DetailRows(change) + "</table>\n</div>\n";
  out += "<p style=\"color:#57606a;font-size:12px;padding:0 4px\">" + HtmlEscape(kFooterLead) +
         "<br>" + Link(unsubscribe_url) + "</p>\n</div>\n</body></html>\n";
  return out;
}

// --- Slack -------------------------------------------------------------------

constexpr std::size_t kMaxSlackSectionBytes = 2900;  // Slack: 3000 characters per section
constexpr std::size_t kMaxSlackHeaderBytes = 150;    // Slack: 150 characters per header

// Slack's mrkdwn gives & < > a meaning (<!channel>, <url|text>); escaped,
// they are plain text.
std::string SlackEscape(std::string_view s) {
  return ReplaceEntities(s, "&<>", {"&amp;", "&lt;", "&gt;"});
}

// {"text": fallback, "blocks": [header?, section...]}: `text` is what
// notifications and clients without blocks show.
std::string SlackJson(std::string_view header, std::string_view fallback,
                      const std::vector<std::string>& sections) {
  std::string out = "{";
  AppendStringField(&out, "text", fallback);
  AppendKey(&out, "blocks");
  out.push_back('[');
  bool first = true;
  if (!header.empty()) {
    out += R"({"type":"header","text":{"type":"plain_text","text":)";
    AppendJsonString(&out, Truncated(OneLine(header), kMaxSlackHeaderBytes));
    out += "}}";
    first = false;
  }
  for (const std::string& section : sections) {
    if (!first) out.push_back(',');
    first = false;
    out += R"({"type":"section","text":{"type":"mrkdwn","text":)";
    AppendJsonString(&out, section);
    out += "}}";
  }
  out += "]}";
  return out;
}

}  // namespace

std::string RegionDisplayName(std::string_view region_code) {
  // CloudWatch's alarm messages still say "EU (...)" where the console now
  // says "Europe (...)" (spec §5.1).
  static constexpr std::pair<std::string_view, std::string_view> kRegions[] = {
      {"us-east-1", "US East (N. Virginia)"},
      {"us-east-2", "US East (Ohio)"},
      {"us-west-1", "US West (N. California)"},
      {"us-west-2", "US West (Oregon)"},
      {"af-south-1", "Africa (Cape Town)"},
      {"ap-east-1", "Asia Pacific (Hong Kong)"},
      {"ap-east-2", "Asia Pacific (Taipei)"},
      {"ap-south-1", "Asia Pacific (Mumbai)"},
      {"ap-south-2", "Asia Pacific (Hyderabad)"},
      {"ap-northeast-1", "Asia Pacific (Tokyo)"},
      {"ap-northeast-2", "Asia Pacific (Seoul)"},
      {"ap-northeast-3", "Asia Pacific (Osaka)"},
      {"ap-southeast-1", "Asia Pacific (Singapore)"},
      {"ap-southeast-2", "Asia Pacific (Sydney)"},
      {"ap-southeast-3", "Asia Pacific (Jakarta)"},
      {"ap-southeast-4", "Asia Pacific (Melbourne)"},
      {"ap-southeast-5", "Asia Pacific (Malaysia)"},
      {"ap-southeast-7", "Asia Pacific (Thailand)"},
      {"ca-central-1", "Canada (Central)"},
      {"ca-west-1", "Canada West (Calgary)"},
      {"eu-central-1", "EU (Frankfurt)"},
      {"eu-central-2", "EU (Zurich)"},
      {"eu-west-1", "EU (Ireland)"},
      {"eu-west-2", "EU (London)"},
      {"eu-west-3", "EU (Paris)"},
      {"eu-north-1", "EU (Stockholm)"},
      {"eu-south-1", "EU (Milan)"},
      {"eu-south-2", "EU (Spain)"},
      {"il-central-1", "Israel (Tel Aviv)"},
      {"me-south-1", "Middle East (Bahrain)"},
      {"me-central-1", "Middle East (UAE)"},
      {"mx-central-1", "Mexico (Central)"},
      {"sa-east-1", "South America (Sao Paulo)"},
  };
  for (const auto& [code, name] : kRegions) {
    if (code == region_code) return std::string(name);
  }
  return std::string(region_code);
}

std::string AlarmSubject(const AlarmChange& change) {
  std::string head =
      std::string(change.reminder ? "Reminder: " : "") + OneLine(change.new_state) + ": \"";
  std::string tail = "\" in " + OneLine(RegionDisplayName(change.region));
  std::string name = OneLine(change.alarm_name);
  std::size_t fixed = head.size() + tail.size();
  if (fixed + name.size() > kMaxSubjectBytes) {
    // Keep state and region; cut the name. A region too long to leave room
    // for "..." can only be an unknown code: then cut the whole subject.
    name = fixed + 3 <= kMaxSubjectBytes ? Truncated(name, kMaxSubjectBytes - fixed) : "";
  }
  return std::string(Utf8Prefix(head + name + tail, kMaxSubjectBytes));
}

std::string AlarmMessageJson(const AlarmChange& change) {
  std::string out = "{";
  AppendStringField(&out, "AlarmName", change.alarm_name);
  if (change.alarm_description) {
    AppendStringField(&out, "AlarmDescription", *change.alarm_description);
  } else {
    AppendRawField(&out, "AlarmDescription", "null");
  }
  AppendStringField(&out, "AWSAccountId", change.account_id);
  AppendStringField(&out, "AlarmConfigurationUpdatedTimestamp",
                    FormatAwsMillis(change.configuration_updated_time));
  AppendStringField(&out, "NewStateValue", change.new_state);
  AppendStringField(&out, "NewStateReason", change.new_state_reason);
  AppendStringField(&out, "StateChangeTime", FormatAwsMillis(change.state_change_time));
  AppendStringField(&out, "Region", RegionDisplayName(change.region));
  AppendStringField(&out, "AlarmArn", change.alarm_arn);
  AppendStringField(&out, "OldStateValue", change.old_state);
  AppendStringArray(&out, "OKActions", change.ok_actions);
  AppendStringArray(&out, "AlarmActions", change.alarm_actions);
  AppendStringArray(&out, "InsufficientDataActions", change.insufficient_data_actions);
  if (change.alarm_rule) {
    AppendStringField(&out, "AlarmRule", *change.alarm_rule);
    AppendKey(&out, "TriggeringChildren");
    out.push_back('[');
    for (std::size_t i = 0; i < change.triggering_children.size(); ++i) {
      const AlarmChange::TriggeringChild& c = change.triggering_children[i];
      if (i > 0) out.push_back(',');
      out.push_back('{');
      AppendStringField(&out, "Arn", c.arn);
      AppendKey(&out, "State");
      out.push_back('{');
      AppendStringField(&out, "Value", c.state);
      AppendStringField(&out, "Timestamp", FormatAwsMillis(c.timestamp));
      out.append("}}");
    }
    out.push_back(']');
  } else {
    AppendTrigger(&out, change.trigger);
  }
  out.push_back('}');
  return out;
}

std::string AlarmEvidenceJson(const AlarmChange& change) {
  std::string out = "{";
  AppendRawField(&out, "total", std::to_string(change.evidence_total));
  AppendKey(&out, "events");
  out.push_back('[');
  for (std::size_t i = 0; i < change.evidence.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendEvidenceJson(&out, change.evidence[i]);
  }
  out.append("]}");
  return out;
}

EmailBody AlarmEmail(const AlarmChange& change, std::string_view unsubscribe_url) {
  return {EmailText(change, unsubscribe_url), EmailHtml(change, unsubscribe_url)};
}

std::string EmailFooter(std::string_view unsubscribe_url) {
  std::string out = "\n\n--\n";
  out += kFooterLead;
  out += "\n";
  out += unsubscribe_url;
  out += "\n\n";
  out += kFooterTail;
  out += "\n";
  return out;
}

void AppendEvidenceJson(std::string* out, const EvidenceLine& e) {
  out->push_back('{');
  AppendStringField(out, "eventTime", e.event_time);
  AppendStringField(out, "eventName", e.event_name);
  AppendStringField(out, "eventSource", e.event_source);
  AppendStringField(out, "principal", e.principal);
  AppendStringField(out, "sourceIPAddress", e.source_ip_address);
  AppendStringField(out, "awsRegion", e.aws_region);
  if (e.error_code.empty()) {
    AppendRawField(out, "errorCode", "null");
  } else {
    AppendStringField(out, "errorCode", e.error_code);
  }
  if (e.error_message.empty()) {
    AppendRawField(out, "errorMessage", "null");
  } else {
    AppendStringField(out, "errorMessage", e.error_message);
  }
  // How it failed, whichever field told it (null when it did not).
  if (const std::string failure = e.Failure(); failure.empty()) {
    AppendRawField(out, "failure", "null");
  } else {
    AppendStringField(out, "failure", failure);
  }
  AppendRequestParameters(out, e.request_parameters);
  out->push_back('}');
}

std::string AlarmSlackPayload(const AlarmChange& change) {
  const std::string subject = AlarmSubject(change);
  // A composite alarm watches a rule over alarms, a metric alarm a metric.
  const std::string watched = change.alarm_rule
                                  ? "Rule: `" + SlackEscape(*change.alarm_rule) + "`"
                                  : SlackEscape(ThresholdSentence(change)) + "\nMetric: `" +
                                        SlackEscape(change.trigger.metric_namespace) + "/" +
                                        SlackEscape(change.trigger.metric_name) + "`";
  std::string details = "*" + SlackEscape(change.old_state) + " \u2192 " +
                        SlackEscape(change.new_state) + "*  " +
                        SlackEscape(change.new_state_reason) + "\n" + watched +
                        "  Account: " + SlackEscape(change.account_id) +
                        "  Time: " + SlackEscape(FormatIso8601(change.state_change_time));
  std::vector<std::string> sections = {details};
  if (!change.evidence.empty() || change.evidence_total > 0) {
    std::string lines = "*What happened*";
    for (const EvidenceLine& e : change.evidence) {
      EvidenceRow r = DescribeEvidence(e);
      std::string line = "\n\u2022 " + SlackEscape(r.time) + "  *" + SlackEscape(r.who) + "*  `" +
                         SlackEscape(r.action) + "`";
      if (!r.on_what.empty()) line += " on " + SlackEscape(r.on_what);
      line += "  from " + SlackEscape(r.from) + "  " + SlackEscape(r.result);
      // Slack refuses a section text over 3000 characters.
      if (lines.size() + line.size() > kMaxSlackSectionBytes) break;
      lines += line;
    }
    if (std::uint64_t n = NotShown(change); n > 0) lines += "\n" + MoreEvents(n);
    sections.push_back(lines);
  }
  return SlackJson(subject, subject + "\n" + change.new_state_reason, sections);
}

std::string SlackPayload(const std::optional<std::string>& subject, std::string_view message) {
  std::string fallback = subject ? *subject + "\n" + std::string(message) : std::string(message);
  std::string text = SlackEscape(message);
  return SlackJson(subject.value_or(""), fallback,
                   {std::string(Utf8Prefix(text, kMaxSlackSectionBytes))});
}

}  // namespace tw::notify
