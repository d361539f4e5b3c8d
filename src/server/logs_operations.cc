// CloudWatch Logs operations (spec aws-protocols-alarms.md §3.1,
// filter-patterns.md §7-9). Times are epoch milliseconds in both directions.

#include "event/event_view.h"
#include "pattern/pattern.h"
#include "server/operation_args.h"
#include "server/operations.h"

namespace tw::server {
namespace {

using api::ApiError;
using api::Service;
using V = api::Value;
using Output = Result<V, ApiError>;

constexpr Service kLogs = Service::kLogs;

V Ms(TimePoint t) { return V::Integer(ToEpochMillis(t)); }

ApiError Fail(const Status& status) { return api::LogsErrorFor(status); }

ApiError Invalid(std::string message) {
  return api::LogsError("InvalidParameterException", std::move(message));
}

// "1 validation error detected: ..." for a number out of its range.
std::optional<ApiError> CheckRange(std::int64_t value, std::string_view member, std::int64_t lo,
                                   std::int64_t hi) {
  if (value >= lo && value <= hi) return std::nullopt;
  std::string constraint =
      value < lo ? "Member must have value greater than or equal to " + std::to_string(lo)
                 : "Member must have value less than or equal to " + std::to_string(hi);
  return Invalid(api::ValidationMessage(std::to_string(value), member, constraint));
}

// The longest log group or stream name.
constexpr std::size_t kMaxNameLength = 512;

// AWS's recorded refusal of a filterPattern over 1,024 characters, before
// any parsing (PutMetricFilter, TestMetricFilter, FilterLogEvents).
constexpr std::size_t kMaxFilterPatternLength = 1024;
std::optional<ApiError> CheckPatternLength(const std::string& pattern) {
  if (pattern.size() <= kMaxFilterPatternLength) return std::nullopt;
  return Invalid(api::ValidationMessage(pattern, "filterPattern",
                                        "Member must have length less than or equal to 1024"));
}

// PutLogEvents and GetLogEvents check both names at once, in AWS's words.
std::optional<ApiError> CheckEventNames(const api::InputReader& in) {
  for (const char* member : {"logGroupName", "logStreamName"}) {
    Result<std::optional<std::string>> name = in.String(member);
    if (name.ok() && *name && (*name)->size() > kMaxNameLength) {
      return Invalid(
          "Invalid LogGroup or LogStream, both must have length less than or equal to 512.");
    }
  }
  return std::nullopt;
}

// The group named by logGroupName or logGroupIdentifier (exactly one).
bool GroupOf(Args& args, const LogService& logs, std::string* group, ApiError* error) {
  std::string name, identifier;
  if (!args.String("logGroupName", &name) || !args.String("logGroupIdentifier", &identifier)) {
    *error = args.error();
    return false;
  }
  if (!name.empty() && !identifier.empty()) {
    *error = api::LogsError("ValidationException",
                            "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    return false;
  }
  // A name no group can have is a bad parameter, not a missing group.
  if (name.size() > kMaxNameLength) {
    *error = Invalid(api::ValidationMessage(name, "logGroupName",
                                            "Member must have length less than or equal to 512"));
    return false;
  }
  if (name.empty() && identifier.empty()) {
    *error = Invalid("Should provide either logGroupName or logGroupIdentifier.");
    return false;
  }
  *group = name.empty() ? logs.GroupFromIdentifier(identifier) : name;
  return true;
}

// DescribeLogGroups' `arn` ends in ":*"; `logGroupArn` (and ListLogGroups)
// is the group's ARN without it.
std::string GroupArnWithoutWildcard(std::string_view arn) {
  return std::string(arn.ends_with(":*") ? arn.substr(0, arn.size() - 2) : arn);
}

V EventsValue(const std::vector<StoredLogEvent>& events, bool filter_form) {
  V list = V::List();
  for (const StoredLogEvent& e : events) {
    V item = V::Structure();
    if (filter_form) item.Set("logStreamName", V::String(e.stream));
    item.Set("timestamp", V::Integer(e.timestamp_ms));
    item.Set("message", V::String(e.message));
    item.Set("ingestionTime", V::Integer(e.ingestion_ms));
    if (filter_form) item.Set("eventId", V::String(e.event_id()));
    list.Append(std::move(item));
  }
  return list;
}

V TransformationValue(const metrics::MetricTransformation& t) {
  V v = V::Structure({{"metricName", V::String(t.metric_name)},
                      {"metricNamespace", V::String(t.metric_namespace)},
                      {"metricValue", V::String(t.metric_value)}});
  if (t.default_value) v.Set("defaultValue", V::Double(*t.default_value));
  if (!t.dimensions.empty()) {
    V dims = V::Map();
    for (const auto& [k, ref] : t.dimensions) dims.Set(k, V::String(ref));
    v.Set("dimensions", std::move(dims));
  }
  // Given or not, as AWS answers: an omitted unit (None) is not echoed.
  if (!t.unit.empty()) v.Set("unit", V::String(t.unit));
  return v;
}

// metrics::MetricFilter::Compile names CloudFormation properties; the API
// speaks of the filter pattern and the metric transformation.
ApiError MetricFilterError(const Status& status) {
  std::string message = status.message();
  static constexpr std::string_view kPattern = "FilterPattern: ";
  static constexpr std::string_view kTransformation = "MetricTransformations[0].";
  if (message.starts_with(kPattern)) {
    message.erase(0, kPattern.size());
  } else if (message.starts_with(kTransformation)) {
    std::size_t colon = message.find(": ");
    message = "Invalid metric transformation: " +
              (colon == std::string::npos ? message : message.substr(colon + 2));
  }
  return Fail(Status(status.code(), message));
}

bool ReadTransformation(const api::InputReader& in, metrics::MetricTransformation* t,
                        ApiError* error) {
  Args args(in, kLogs);
  std::optional<double> default_value;
  std::map<std::string, std::string> dimensions;
  // Absent stays absent (the filter still publishes with unit None): AWS
  // echoes a unit only when one was given.
  t->unit.clear();
  if (!args.String("metricName", &t->metric_name, kRequired) ||
      !args.String("metricNamespace", &t->metric_namespace, kRequired) ||
      !args.String("metricValue", &t->metric_value, kRequired) ||
      !args.Double("defaultValue", &default_value) || !args.StringMap("dimensions", &dimensions) ||
      !args.String("unit", &t->unit)) {
    *error = args.error();
    return false;
  }
  t->default_value = default_value;
  t->dimensions.assign(dimensions.begin(), dimensions.end());
  return true;
}

}  // namespace

void RegisterLogsOperations(api::Operations* ops, Engine* engine) {
  auto add = [&](const char* name, api::Handler handler) {
    ops->Add(kLogs, name, std::move(handler));
  };

  add("CreateLogGroup", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string name, kms;
    std::map<std::string, std::string> tags;
    if (!args.String("logGroupName", &name, kRequired) || !args.String("kmsKeyId", &kms) ||
        !args.StringMap("tags", &tags)) {
      return args.error();
    }
    Status s = engine->Locked([&](Services& sv) {
      return sv.logs.CreateLogGroup(name, kms, tags, engine->clock().Now());
    });
    if (!s.ok()) return Fail(s);
    return V::Structure();
  });

  add("DeleteLogGroup", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string name;
    if (!args.String("logGroupName", &name, kRequired)) return args.error();
    Status s = engine->Locked([&](Services& sv) { return sv.logs.DeleteLogGroup(name); });
    if (!s.ok()) return Fail(s);
    return V::Structure();
  });

  add("DescribeLogGroups", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string prefix, pattern;
    std::optional<std::string> token;
    std::int64_t limit = 50;
    if (!args.String("logGroupNamePrefix", &prefix) ||
        !args.String("logGroupNamePattern", &pattern) || !args.String("nextToken", &token) ||
        !args.Integer("limit", &limit)) {
      return args.error();
    }
    if (auto e = CheckRange(limit, "limit", 1, 50)) return *e;
    if (!prefix.empty() && !pattern.empty()) {
      return Invalid(
          "LogGroup name prefix and LogGroup name pattern are mutually exclusive "
          "parameters.");
    }
    Page page;
    Result<std::vector<LogGroupInfo>> groups = engine->Locked([&](Services& sv) {
      return sv.logs.DescribeLogGroups(prefix, pattern, token, static_cast<int>(limit), &page);
    });
    if (!groups.ok()) return Fail(groups.status());
    V list = V::List();
    for (const LogGroupInfo& g : *groups) {
      V item = V::Structure({{"logGroupName", V::String(g.name)}, {"creationTime", Ms(g.created)}});
      if (!pattern.empty()) {
        // AWS: "If you specify logGroupNamePattern in your request, then
        // only arn, creationTime, and logGroupName are included".
        item.Set("arn", V::String(g.arn));
        list.Append(std::move(item));
        continue;
      }
      if (g.retention_in_days) item.Set("retentionInDays", V::Integer(*g.retention_in_days));
      item.Set("metricFilterCount", V::Integer(g.metric_filter_count));
      item.Set("arn", V::String(g.arn));
      item.Set("storedBytes", V::Integer(g.stored_bytes));
      if (!g.kms_key_id.empty()) item.Set("kmsKeyId", V::String(g.kms_key_id));
      item.Set("logGroupClass", V::String("STANDARD"));
      item.Set("logGroupArn", V::String(GroupArnWithoutWildcard(g.arn)));
      item.Set("deletionProtectionEnabled", V::Bool(false));
      list.Append(std::move(item));
    }
    V out = V::Structure({{"logGroups", std::move(list)}});
    if (page.next_token) out.Set("nextToken", V::String(*page.next_token));
    return out;
  });

  add("ListLogGroups", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string pattern, group_class;
    std::optional<std::string> token;
    std::int64_t limit = 50;
    if (!args.String("logGroupNamePattern", &pattern) ||
        !args.String("logGroupClass", &group_class) || !args.String("nextToken", &token) ||
        !args.Integer("limit", &limit)) {
      return args.error();
    }
    if (auto e = CheckRange(limit, "limit", 1, 1000)) return *e;
    Page page;
    Result<std::vector<LogGroupInfo>> groups = engine->Locked([&](Services& sv) {
      return sv.logs.ListLogGroups(pattern, group_class, token, static_cast<int>(limit), &page);
    });
    if (!groups.ok()) return Fail(groups.status());
    V list = V::List();
    for (const LogGroupInfo& g : *groups) {
      list.Append(V::Structure({{"logGroupName", V::String(g.name)},
                                {"logGroupArn", V::String(GroupArnWithoutWildcard(g.arn))},
                                {"logGroupClass", V::String("STANDARD")}}));
    }
    V out = V::Structure({{"logGroups", std::move(list)}});
    if (page.next_token) out.Set("nextToken", V::String(*page.next_token));
    return out;
  });

  add("CreateLogStream", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string group, stream;
    if (!args.String("logGroupName", &group, kRequired) ||
        !args.String("logStreamName", &stream, kRequired)) {
      return args.error();
    }
    Status s = engine->Locked([&](Services& sv) {
      return sv.logs.CreateLogStream(group, stream, engine->clock().Now());
    });
    if (!s.ok()) return Fail(s);
    return V::Structure();
  });

  add("DeleteLogStream", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string group, stream;
    if (!args.String("logGroupName", &group, kRequired) ||
        !args.String("logStreamName", &stream, kRequired)) {
      return args.error();
    }
    Status s = engine->Locked([&](Services& sv) { return sv.logs.DeleteLogStream(group, stream); });
    if (!s.ok()) return Fail(s);
    return V::Structure();
  });

  add("DescribeLogStreams",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kLogs);
        std::string group, prefix, order = "LogStreamName";
        std::optional<std::string> token;
        bool descending = false;
        std::int64_t limit = 50;
        ApiError error;
        if (!engine->Locked([&](Services& sv) { return GroupOf(args, sv.logs, &group, &error); })) {
          return error;
        }
        if (!args.String("logStreamNamePrefix", &prefix) || !args.String("orderBy", &order) ||
            !args.Bool("descending", &descending) || !args.String("nextToken", &token) ||
            !args.Integer("limit", &limit)) {
          return args.error();
        }
        if (auto e = CheckRange(limit, "limit", 1, 50)) return *e;
        if (order != "LogStreamName" && order != "LastEventTime") {
          return Invalid(api::ValidationMessage(order, "orderBy",
                                                "Member must satisfy enum value set: "
                                                "[LogStreamName, LastEventTime]"));
        }
        Page page;
        Result<std::vector<LogStreamInfo>> streams = engine->Locked([&](Services& sv) {
          return sv.logs.DescribeLogStreams(group, prefix, order == "LastEventTime", descending,
                                            token, static_cast<int>(limit), &page);
        });
        if (!streams.ok()) return Fail(streams.status());
        V list = V::List();
        for (const LogStreamInfo& s : *streams) {
          V item =
              V::Structure({{"logStreamName", V::String(s.name)}, {"creationTime", Ms(s.created)}});
          if (s.first_event) item.Set("firstEventTimestamp", Ms(*s.first_event));
          if (s.last_event) item.Set("lastEventTimestamp", Ms(*s.last_event));
          if (s.last_ingestion) item.Set("lastIngestionTime", Ms(*s.last_ingestion));
          item.Set("arn", V::String(s.arn));
          item.Set("storedBytes", V::Integer(0));  // deprecated: always 0, as on AWS
          list.Append(std::move(item));
        }
        V out = V::Structure({{"logStreams", std::move(list)}});
        if (page.next_token) out.Set("nextToken", V::String(*page.next_token));
        return out;
      });

  add("PutLogEvents", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    if (std::optional<ApiError> e = CheckEventNames(in)) return *e;
    Args args(in, kLogs);
    std::string group, stream;
    std::vector<api::InputReader> items;
    if (!args.String("logGroupName", &group, kRequired) ||
        !args.String("logStreamName", &stream, kRequired) ||
        !args.List("logEvents", &items, kRequired)) {
      return args.error();
    }
    std::vector<InputLogEvent> events;
    events.reserve(items.size());
    for (const api::InputReader& item : items) {
      Args event(item, kLogs);
      InputLogEvent e;
      if (!event.Integer("timestamp", &e.timestamp_ms, kRequired) ||
          !event.String("message", &e.message, kRequired)) {
        return event.error();
      }
      events.push_back(std::move(e));
    }
    Result<PutLogEventsResult> put = engine->PutLogEvents(group, stream, events);
    if (!put.ok()) return Fail(put.status());
    V out = V::Structure({{"nextSequenceToken", V::String(put->next_sequence_token)}});
    if (put->rejected.any()) {
      V rejected = V::Structure();
      if (put->rejected.too_new_start) {
        rejected.Set("tooNewLogEventStartIndex", V::Integer(*put->rejected.too_new_start));
      }
      if (put->rejected.too_old_end) {
        rejected.Set("tooOldLogEventEndIndex", V::Integer(*put->rejected.too_old_end));
      }
      if (put->rejected.expired_end) {
        rejected.Set("expiredLogEventEndIndex", V::Integer(*put->rejected.expired_end));
      }
      out.Set("rejectedLogEventsInfo", std::move(rejected));
    }
    return out;
  });

  add("GetLogEvents", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string group, stream;
    std::optional<std::int64_t> start, end;
    std::optional<std::string> token;
    std::int64_t limit = 10'000;
    bool from_head = false;
    if (std::optional<ApiError> e = CheckEventNames(in)) return *e;
    ApiError error;
    if (!engine->Locked([&](Services& sv) { return GroupOf(args, sv.logs, &group, &error); })) {
      return error;
    }
    if (!args.String("logStreamName", &stream, kRequired) || !args.Integer("startTime", &start) ||
        !args.Integer("endTime", &end) || !args.String("nextToken", &token) ||
        !args.Integer("limit", &limit) || !args.Bool("startFromHead", &from_head)) {
      return args.error();
    }
    if (auto e = CheckRange(limit, "limit", 1, 10'000)) return *e;
    Result<GetLogEventsResult> got =
        engine->GetLogEvents(group, stream, start, end, token, static_cast<int>(limit), from_head);
    if (!got.ok()) return Fail(got.status());
    return V::Structure({{"events", EventsValue(got->events, false)},
                         {"nextForwardToken", V::String(got->next_forward_token)},
                         {"nextBackwardToken", V::String(got->next_backward_token)}});
  });

  add("FilterLogEvents", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string group;
    FilterLogEventsQuery query;
    std::int64_t limit = 10'000;
    ApiError error;
    if (!engine->Locked([&](Services& sv) { return GroupOf(args, sv.logs, &group, &error); })) {
      return error;
    }
    if (!args.StringList("logStreamNames", &query.stream_names) ||
        !args.String("logStreamNamePrefix", &query.stream_prefix) ||
        !args.Integer("startTime", &query.start_ms) || !args.Integer("endTime", &query.end_ms) ||
        !args.String("filterPattern", &query.filter_pattern) ||
        !args.String("nextToken", &query.next_token) || !args.Integer("limit", &limit)) {
      return args.error();
    }
    if (auto e = CheckPatternLength(query.filter_pattern)) return *e;
    if (auto e = CheckRange(limit, "limit", 1, 10'000)) return *e;
    query.limit = static_cast<int>(limit);
    Page page;
    Result<std::vector<StoredLogEvent>> events = engine->FilterLogEvents(group, query, &page);
    if (!events.ok()) return Fail(events.status());
    V out =
        V::Structure({{"events", EventsValue(*events, true)}, {"searchedLogStreams", V::List()}});
    if (page.next_token) out.Set("nextToken", V::String(*page.next_token));
    return out;
  });

  add("PutMetricFilter", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    metrics::MetricFilterSpec spec;
    std::vector<api::InputReader> transformations;
    if (!args.String("logGroupName", &spec.log_group_name, kRequired) ||
        !args.String("filterName", &spec.filter_name, kRequired) ||
        !args.String("filterPattern", &spec.filter_pattern, kRequired) ||
        !args.List("metricTransformations", &transformations, kRequired)) {
      return args.error();
    }
    if (auto e = CheckPatternLength(spec.filter_pattern)) return *e;
    if (transformations.size() != 1) {
      return Invalid(api::ValidationMessage(
          std::to_string(transformations.size()) + " transformations", "metricTransformations",
          transformations.empty() ? "Member must have length greater than or equal to 1"
                                  : "Member must have length less than or equal to 1"));
    }
    ApiError error;
    if (!ReadTransformation(transformations[0], &spec.transformation, &error)) return error;
    Status s = engine->Locked(
        [&](Services& sv) { return sv.logs.PutMetricFilter(spec, engine->clock().Now()); });
    if (!s.ok()) return MetricFilterError(s);
    return V::Structure();
  });

  add("DescribeMetricFilters",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kLogs);
        std::string group, prefix, metric_name, metric_namespace;
        std::optional<std::string> token;
        std::int64_t limit = 50;
        if (!args.String("logGroupName", &group) || !args.String("filterNamePrefix", &prefix) ||
            !args.String("metricName", &metric_name) ||
            !args.String("metricNamespace", &metric_namespace) ||
            !args.String("nextToken", &token) || !args.Integer("limit", &limit)) {
          return args.error();
        }
        if (auto e = CheckRange(limit, "limit", 1, 50)) return *e;
        if (metric_name.empty() != metric_namespace.empty()) {
          return Invalid("metricName and metricNamespace must be specified together");
        }
        Result<std::vector<MetricFilterInfo>> filters = engine->Locked([&](Services& sv) {
          if (!group.empty()) {
            Result<LogGroupInfo> exists = sv.logs.GetLogGroup(group);
            if (!exists.ok()) return Result<std::vector<MetricFilterInfo>>(exists.status());
          }
          return sv.logs.MetricFilters(group);
        });
        if (!filters.ok()) return Fail(filters.status());
        std::optional<std::size_t> offset = PageOffset(token);
        if (!offset) return Invalid("The specified nextToken is invalid.");
        V list = V::List();
        std::size_t seen = 0;
        std::int64_t shown = 0;
        std::optional<std::string> next;
        for (const MetricFilterInfo& f : *filters) {
          if (!f.spec.filter_name.starts_with(prefix)) continue;
          if (!metric_name.empty() &&
              (f.spec.transformation.metric_name != metric_name ||
               f.spec.transformation.metric_namespace != metric_namespace)) {
            continue;
          }
          if (seen++ < *offset) continue;
          if (shown == limit) {
            next = std::to_string(*offset + static_cast<std::size_t>(shown));
            break;
          }
          ++shown;
          list.Append(V::Structure(
              {{"filterName", V::String(f.spec.filter_name)},
               {"filterPattern", V::String(f.spec.filter_pattern)},
               {"metricTransformations", V::List({TransformationValue(f.spec.transformation)})},
               {"creationTime", Ms(f.created)},
               {"logGroupName", V::String(f.spec.log_group_name)},
               {"applyOnTransformedLogs", V::Bool(false)}}));
        }
        V out = V::Structure({{"metricFilters", std::move(list)}});
        if (next) out.Set("nextToken", V::String(*next));
        return out;
      });

  add("DeleteMetricFilter",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kLogs);
        std::string group, name;
        if (!args.String("logGroupName", &group, kRequired) ||
            !args.String("filterName", &name, kRequired)) {
          return args.error();
        }
        Status s =
            engine->Locked([&](Services& sv) { return sv.logs.DeleteMetricFilter(group, name); });
        if (!s.ok()) return Fail(s);
        return V::Structure();
      });

  add("TestMetricFilter", [](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string pattern_text;
    std::vector<std::string> messages;
    if (!args.String("filterPattern", &pattern_text, kRequired) ||
        !args.StringList("logEventMessages", &messages, kRequired)) {
      return args.error();
    }
    if (auto e = CheckPatternLength(pattern_text)) return *e;
    if (messages.empty() || messages.size() > 50) {
      return Invalid(api::ValidationMessage(
          std::to_string(messages.size()) + " messages", "logEventMessages",
          messages.empty() ? "Member must have length greater than or equal to 1"
                           : "Member must have length less than or equal to 50"));
    }
    Result<pattern::Matcher, pattern::PatternError> matcher =
        pattern::Matcher::Compile(pattern_text);
    if (!matcher.ok()) return Invalid(matcher.error().ToString());
    V matches = V::List();
    event::EventView view;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      view.Reset(messages[i]);
      if (!matcher->Matches(view)) continue;
      V values = V::Map();
      for (const auto& [key, value] : matcher->Extract(view)) values.Set(key, V::String(value));
      matches.Append(V::Structure({{"eventNumber", V::Integer(static_cast<std::int64_t>(i) + 1)},
                                   {"eventMessage", V::String(messages[i])},
                                   {"extractedValues", std::move(values)}}));
    }
    return V::Structure({{"matches", std::move(matches)}});
  });

  add("PutRetentionPolicy",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kLogs);
        std::string group;
        std::int64_t days = 0;
        if (!args.String("logGroupName", &group, kRequired) ||
            !args.Integer("retentionInDays", &days, kRequired)) {
          return args.error();
        }
        Status s = engine->Locked([&](Services& sv) {
          return sv.logs.PutRetentionPolicy(group, static_cast<int>(days));
        });
        if (!s.ok()) return Fail(s);
        return V::Structure();
      });

  add("DeleteRetentionPolicy",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kLogs);
        std::string group;
        if (!args.String("logGroupName", &group, kRequired)) return args.error();
        Status s = engine->Locked(
            [&](Services& sv) { return sv.logs.PutRetentionPolicy(group, std::nullopt); });
        if (!s.ok()) return Fail(s);
        return V::Structure();
      });

  // Tags: the current ARN-based operations and the older group-name ones.
  auto tag = [engine](const std::string& arn_or_name,
                      const std::map<std::string, std::string>& tags,
                      const std::vector<std::string>& remove) -> Output {
    Status s = engine->Locked([&](Services& sv) {
      return remove.empty() ? sv.logs.TagResource(arn_or_name, tags)
                            : sv.logs.UntagResource(arn_or_name, remove);
    });
    if (!s.ok()) return Fail(s);
    return V::Structure();
  };
  auto list_tags = [engine](const std::string& arn_or_name) -> Output {
    Result<std::map<std::string, std::string>> tags =
        engine->Locked([&](Services& sv) { return sv.logs.ListTags(arn_or_name); });
    if (!tags.ok()) return Fail(tags.status());
    V map = V::Map();
    for (const auto& [k, v] : *tags) map.Set(k, V::String(v));
    return V::Structure({{"tags", std::move(map)}});
  };
  add("TagResource", [tag](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string arn;
    std::map<std::string, std::string> tags;
    if (!args.String("resourceArn", &arn, kRequired) || !args.StringMap("tags", &tags)) {
      return args.error();
    }
    return tag(arn, tags, {});
  });
  add("TagLogGroup", [tag](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string group;
    std::map<std::string, std::string> tags;
    if (!args.String("logGroupName", &group, kRequired) || !args.StringMap("tags", &tags)) {
      return args.error();
    }
    return tag(group, tags, {});
  });
  add("UntagResource", [tag](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string arn;
    std::vector<std::string> keys;
    if (!args.String("resourceArn", &arn, kRequired) ||
        !args.StringList("tagKeys", &keys, kRequired)) {
      return args.error();
    }
    if (keys.empty()) return V::Structure();
    return tag(arn, {}, keys);
  });
  add("UntagLogGroup", [tag](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kLogs);
    std::string group;
    std::vector<std::string> keys;
    if (!args.String("logGroupName", &group, kRequired) ||
        !args.StringList("tags", &keys, kRequired)) {
      return args.error();
    }
    if (keys.empty()) return V::Structure();
    return tag(group, {}, keys);
  });
  add("ListTagsForResource",
      [list_tags](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kLogs);
        std::string arn;
        if (!args.String("resourceArn", &arn, kRequired)) return args.error();
        return list_tags(arn);
      });
  add("ListTagsLogGroup",
      [list_tags](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kLogs);
        std::string group;
        if (!args.String("logGroupName", &group, kRequired)) return args.error();
        return list_tags(group);
      });
}

}  // namespace tw::server
