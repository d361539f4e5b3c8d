// CloudFormation templates as trailwatch's configuration.
//
// LoadTemplate() reads a template (YAML or JSON; the YAML short forms
// !Ref !GetAtt !Sub !Join included), resolves Parameters (Default, or an
// override), Ref, Fn::GetAtt, Fn::Sub (with ${AWS::Region}, ${AWS::AccountId},
// ${AWS::Partition}, ${AWS::StackName}) and Fn::Join, and returns the
// resources trailwatch understands:
//   AWS::Logs::LogGroup, AWS::Logs::MetricFilter, AWS::CloudWatch::Alarm,
//   AWS::SNS::Topic (with Subscription), AWS::SNS::Subscription.
// Other resource types are skipped with a warning. Every resource is
// validated with AWS's rules (metrics::MetricFilter::Compile,
// alarm::Validate, ...); an error names the logical ID and property path:
//   "Resources.IAMPolicyAlarm.Properties.Period: must be 10, 30 or a multiple of 60"
// Those messages do not name the file (callers add it); a YAML/JSON syntax
// error does, with 1-based line and column: "cis.yaml:4:4: end of sequence
// flow not found". All of these are kInvalidArgument; an unreadable file is kIo.
//
// Limits, each a kResourceExhausted error naming the template, so that no
// template can take the process's memory, stack or minutes:
//   - size: at most 1 MiB (CloudFormation's limit for a template in S3),
//     checked before parsing: "t.yaml: the template is 1048577 bytes;
//     trailwatch reads templates of at most 1048576 bytes (CloudFormation's
//     limit for templates in S3)";
//   - expansion: what YAML aliases and intrinsic functions expand to is
//     bounded (1,000,000 nodes, 16 MiB of text; see server/template_value.h):
//     "t.yaml: Resources.Topic.Properties: YAML aliases expand to more than
//     1000000 nodes (an alias bomb?); CloudFormation templates need no such
//     expansion".
// Nesting is bounded too, as kInvalidArgument: yaml-cpp stops at 500 levels
// ("t.yaml:1:2003: collections nested more than 499 levels deep; ..."), the
// resolver at 64 ("<path>: nested more than 64 levels deep"); so are logical
// IDs (255 characters, CloudFormation's limit). A parameter's AllowedPattern
// is matched with RE2, in linear time: Java's lookaround and backreferences
// are refused as invalid.
//
// A resource without its name property gets "<stack>-<LogicalId>-<13
// characters>" as in CloudFormation, but the suffix is a hash of stack name
// and logical ID rather than random, so every load gives the same names.
// Also supported: Mappings with Fn::FindInMap, Fn::Select, Fn::Split, and the
// pseudo parameters AWS::URLSuffix, AWS::StackId, AWS::NoValue. Conditions,
// Transform and Fn::If are rejected. Warnings (not errors): skipped types,
// alarm actions and subscriptions whose topic is not in the template, and
// alarms on a metric no filter of the template publishes.

#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "alarm/composite.h"
#include "common/status.h"
#include "metrics/metrics.h"

namespace tw::server {

struct TemplateContext {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string partition = "aws";
  std::string stack_name = "trailwatch";
  std::map<std::string, std::string> parameters;  // overrides of Parameters' defaults
  // With several templates a value may be meant for another one: the
  // caller then checks that each is declared somewhere (parameter_names).
  bool undeclared_parameters_allowed = false;
};

struct LogGroupConfig {
  std::string logical_id;
  std::string name;                      // LogGroupName (default: generated from the stack)
  std::optional<int> retention_in_days;  // RetentionInDays
};

struct SubscriptionConfig {
  std::string logical_id;  // empty for inline Topic.Subscription entries
  std::string topic_arn;
  std::string protocol;  // email, email-json, http, https, slack, ...
  std::string endpoint;
  bool raw_message_delivery = false;
  std::string delivery_policy;  // JSON text, or empty
};

struct TopicConfig {
  std::string logical_id;
  std::string name;  // TopicName (default: <stack>-<logical id>-<suffix>)
  std::string arn;   // arn:<partition>:sns:<region>:<account>:<name>
  std::string display_name;
  std::string delivery_policy;              // DeliveryPolicy as JSON text, or empty
  std::string signature_version;            // SignatureVersion "1" or "2", or empty (1)
  std::map<std::string, std::string> tags;  // Tags
};

struct MetricFilterConfig {
  std::string logical_id;
  metrics::MetricFilterSpec spec;
};

struct AlarmConfig {
  std::string logical_id;
  alarm::AlarmSpec spec;
  std::map<std::string, std::string> tags;  // Tags
};

struct CompositeAlarmConfig {
  std::string logical_id;
  alarm::CompositeSpec spec;
  std::map<std::string, std::string> tags;  // Tags
};

struct Configuration {
  std::vector<LogGroupConfig> log_groups;
  std::vector<MetricFilterConfig> metric_filters;
  std::vector<AlarmConfig> alarms;
  // In an order that puts each composite after the composites it names.
  std::vector<CompositeAlarmConfig> composite_alarms;
  std::vector<TopicConfig> topics;
  std::vector<SubscriptionConfig> subscriptions;
  std::set<std::string> parameter_names;  // declared under Parameters
  std::vector<std::string>
      warnings;  // e.g. "Resources.Trail: AWS::CloudTrail::Trail is not supported; skipped"
};

// Reads and resolves the template at `path`.
Result<Configuration> LoadTemplate(const std::string& path, const TemplateContext& context);
// The same for template text; `name` is used in messages.
Result<Configuration> ParseTemplate(std::string_view text, std::string_view name,
                                    const TemplateContext& context);

}  // namespace tw::server
