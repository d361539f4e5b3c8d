#include "server/template.h"

#include <re2/re2.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "notify/delivery_policy.h"
#include "server/template_value.h"

// A load runs in this order, stopping at the first error (as CloudFormation
// reports one validation error at a time):
//   1. top-level sections; Parameters get their values (override, else Default)
//   2. Resources are declared, so Ref and Fn::GetAtt can see all of them
//   3. each supported resource, in template order: its Properties resolved,
//      read into the config struct, then checked by the owning module
//      (metrics::MetricFilter::Compile, alarm::Validate) and for duplicates
//   4. cross-resource checks, which only warn (targets outside the template)
// Physical names are resolved lazily (PhysicalName), because a Ref to a
// resource may be needed before that resource's turn in step 3.

namespace tw::server {
namespace {

using cfn::Value;

constexpr std::string_view kLogGroupType = "AWS::Logs::LogGroup";
constexpr std::string_view kMetricFilterType = "AWS::Logs::MetricFilter";
constexpr std::string_view kAlarmType = "AWS::CloudWatch::Alarm";
constexpr std::string_view kCompositeAlarmType = "AWS::CloudWatch::CompositeAlarm";
constexpr std::string_view kTopicType = "AWS::SNS::Topic";
constexpr std::string_view kSubscriptionType = "AWS::SNS::Subscription";

// PutRetentionPolicy's enum (aws-protocols-alarms.md §3.1).
constexpr int kRetentionDays[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                  365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
// SNS's protocols, and trailwatch's `slack` (an incoming-webhook URL).
constexpr const char* kSnsProtocols[] = {"http", "https",       "email",  "email-json", "sms",
                                         "sqs",  "application", "lambda", "firehose",   "slack"};
constexpr std::size_t kMaxFiltersPerLogGroup = 100;
// CloudFormation takes a template body of at most 51,200 bytes inline and
// 1 MB from S3. A template file is the S3 case (nobody pastes one into a
// request), so trailwatch takes the larger. Checked before parsing, so that a
// wrong path (a CloudTrail archive, /dev/zero) fails at once instead of
// filling memory, and so that the YAML tree, which yaml-cpp builds at some
// hundreds of bytes per node, stays small.
constexpr std::size_t kMaxTemplateBytes = 1 << 20;
// CloudFormation's limit on a logical ID ("resource name"). It also keeps the
// paths in messages, built per list item, short.
constexpr std::size_t kMaxLogicalIdLength = 255;

std::string Quote(std::string_view text) { return "'" + std::string(text) + "'"; }

Status Error(const std::string& path, const std::string& message) {
  return InvalidArgument(path + ": " + message);
}

// notify's messages start "DeliveryPolicy: ", which the path already says.
Status PolicyError(const std::string& path, const Status& error) {
  std::string message = error.message();
  if (message.starts_with("DeliveryPolicy: ")) message.erase(0, 16);
  return Error(path, message);
}

// A module's validation message names the property relative to the
// resource ("Period: ..."); the template's names it from the root.
Status Prefixed(const Status& status, const std::string& properties_path) {
  return Status(status.code(), properties_path + "." + status.message());
}

// CloudFormation names an unnamed resource "<stack>-<LogicalId>-<13 random
// characters>". A template load must give the same names every time (the
// server matches stored state by name), so the suffix is the FNV-1a hash of
// stack name and logical ID, in base 36: stable, and unlikely to collide.
std::string StableSuffix(std::string_view key) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  static const char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string suffix(13, '0');
  for (int i = 12; i >= 0; --i) {
    suffix[i] = kDigits[hash % 36];
    hash /= 36;
  }
  return suffix;
}

std::string GeneratedName(const std::string& stack, const std::string& logical_id,
                          std::size_t max_length) {
  std::string suffix = StableSuffix(stack + "/" + logical_id);
  std::string prefix = stack + "-" + logical_id;
  // Like CloudFormation, shorten the readable part rather than the suffix.
  if (prefix.size() + 1 + suffix.size() > max_length) {
    prefix.resize(max_length - 1 - suffix.size());
  }
  return prefix + "-" + suffix;
}

bool ParseInt(const std::string& text, int* out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && ptr == end && begin != end;
}

bool ParseDouble(const std::string& text, double* out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && ptr == end && begin != end && std::isfinite(*out);
}

bool ParseBool(std::string text, bool* out) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (text == "true") {
    *out = true;
  } else if (text == "false") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

std::string Trim(std::string_view text) {
  std::size_t b = text.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  std::size_t e = text.find_last_not_of(" \t");
  return std::string(text.substr(b, e - b + 1));
}

// Reads the typed properties of one resolved map and remembers which keys
// were read, so that what is left over can be reported as unknown.
class Props {
 public:
  Props(const Value& map, std::string path, std::string what)
      : map_(map), path_(std::move(path)), what_(std::move(what)) {}

  std::string Path(std::string_view key) const { return path_ + "." + std::string(key); }
  const std::string& path() const { return path_; }

  // The raw value of `key` (nullptr when absent), marked as read.
  const Value* Take(std::string_view key) {
    used_.insert(std::string(key));
    return map_.Find(key);
  }
  // Properties CloudFormation accepts that change nothing in trailwatch.
  void Ignore(std::initializer_list<std::string_view> keys) {
    for (std::string_view k : keys) used_.insert(std::string(k));
  }

  Status Required(std::string_view key) {
    if (Take(key) == nullptr) return Error(Path(key), "required property is missing");
    return Status::Ok();
  }

  Status String(std::string_view key, bool required, std::string* out) {
    const Value* v = Take(key);
    if (v == nullptr) return required ? Error(Path(key), "required property is missing") : Ok();
    if (!v->is_scalar())
      return Error(Path(key), std::string("must be a string, not ") + v->KindName());
    *out = v->scalar;
    return Ok();
  }
  Status OptionalString(std::string_view key, std::optional<std::string>* out) {
    std::string s;
    if (map_.Find(key) == nullptr) {
      Take(key);
      return Ok();
    }
    TW_RETURN_IF_ERROR(String(key, true, &s));
    *out = std::move(s);
    return Ok();
  }
  Status Int(std::string_view key, bool required, int* out) {
    std::optional<int> v;
    TW_RETURN_IF_ERROR(OptionalInt(key, &v));
    if (!v) return required ? Error(Path(key), "required property is missing") : Ok();
    *out = *v;
    return Ok();
  }
  Status OptionalInt(std::string_view key, std::optional<int>* out) {
    std::optional<std::string> s;
    TW_RETURN_IF_ERROR(OptionalString(key, &s));
    if (!s) return Ok();
    int n = 0;
    if (!ParseInt(*s, &n)) return Error(Path(key), "must be an integer, not " + Quote(*s));
    *out = n;
    return Ok();
  }
  Status Double(std::string_view key, bool required, double* out) {
    std::optional<double> v;
    TW_RETURN_IF_ERROR(OptionalDouble(key, &v));
    if (!v) return required ? Error(Path(key), "required property is missing") : Ok();
    *out = *v;
    return Ok();
  }
  Status OptionalDouble(std::string_view key, std::optional<double>* out) {
    std::optional<std::string> s;
    TW_RETURN_IF_ERROR(OptionalString(key, &s));
    if (!s) return Ok();
    double d = 0;
    if (!ParseDouble(*s, &d)) return Error(Path(key), "must be a number, not " + Quote(*s));
    *out = d;
    return Ok();
  }
  Status Bool(std::string_view key, bool* out) {
    std::optional<std::string> s;
    TW_RETURN_IF_ERROR(OptionalString(key, &s));
    if (s && !ParseBool(*s, out))
      return Error(Path(key), "must be true or false, not " + Quote(*s));
    return Ok();
  }
  Status StringList(std::string_view key, std::vector<std::string>* out) {
    const Value* v = Take(key);
    if (v == nullptr) return Ok();
    if (!v->is_list()) return Error(Path(key), std::string("must be a list, not ") + v->KindName());
    for (std::size_t i = 0; i < v->list.size(); ++i) {
      if (!v->list[i].is_scalar()) {
        return Error(Path(key) + "[" + std::to_string(i) + "]",
                     std::string("must be a string, not ") + v->list[i].KindName());
      }
      out->push_back(v->list[i].scalar);
    }
    return Ok();
  }
  // The maps of the list `key`, with their paths ("Dimensions[0]").
  Status MapList(std::string_view key, bool required,
                 std::vector<std::pair<const Value*, std::string>>* out) {
    const Value* v = Take(key);
    if (v == nullptr) return required ? Error(Path(key), "required property is missing") : Ok();
    if (!v->is_list()) return Error(Path(key), std::string("must be a list, not ") + v->KindName());
    for (std::size_t i = 0; i < v->list.size(); ++i) {
      std::string item_path = Path(key) + "[" + std::to_string(i) + "]";
      if (!v->list[i].is_map()) {
        return Error(item_path, std::string("must be a map, not ") + v->list[i].KindName());
      }
      out->emplace_back(&v->list[i], std::move(item_path));
    }
    return Ok();
  }

  Status CheckUnknown() const {
    for (const auto& [key, value] : map_.map) {
      if (!used_.contains(key)) return Error(Path(key), "unknown property of " + what_);
    }
    return Ok();
  }

 private:
  static Status Ok() { return Status::Ok(); }

  const Value& map_;
  std::string path_;
  std::string what_;
  std::set<std::string> used_;
};

// Tags: [{Key, Value}] as CloudWatch and SNS take them: at most 50, keys of
// 1-128 characters, values of at most 256.
Status ReadTags(Props& props, std::map<std::string, std::string>* tags) {
  std::vector<std::pair<const Value*, std::string>> items;
  TW_RETURN_IF_ERROR(props.MapList("Tags", false, &items));
  if (items.size() > 50) return Error(props.Path("Tags"), "at most 50 tags");
  for (const auto& [map, path] : items) {
    Props tag(*map, path, "a Tag");
    std::string key, value;
    TW_RETURN_IF_ERROR(tag.String("Key", true, &key));
    TW_RETURN_IF_ERROR(tag.String("Value", true, &value));
    TW_RETURN_IF_ERROR(tag.CheckUnknown());
    if (key.empty() || key.size() > 128) {
      return Error(path + ".Key", "must be 1 to 128 characters long");
    }
    if (value.size() > 256) return Error(path + ".Value", "must be at most 256 characters long");
    (*tags)[key] = value;
  }
  return Status::Ok();
}

bool IsAlphanumeric(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Whether every character of `text` is alphanumeric or one of `others`.
// Not std::regex: libstdc++'s recurses once per character and overflows the
// stack on a long enough name.
bool OnlyAlphanumericOr(std::string_view text, std::string_view others) {
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return IsAlphanumeric(c) || others.find(c) != std::string_view::npos;
  });
}

// The same rule and words as metrics::MetricFilter::Compile, which checks a
// filter's LogGroupName; this one checks the LogGroup resources.
Status CheckLogGroupName(const std::string& path, const std::string& name) {
  if (name.empty() || name.size() > 512) return Error(path, "must be 1 to 512 characters");
  if (!OnlyAlphanumericOr(name, "._-/#")) {
    return Error(path, "must match the pattern [\\.\\-_/#A-Za-z0-9]+");
  }
  return Status::Ok();
}

Status CheckTopicName(const std::string& path, const std::string& name) {
  if (name.empty() || name.size() > 256 || !OnlyAlphanumericOr(name, "_-")) {
    return Error(path, Quote(name) + " is not a valid topic name (1-256 characters of " +
                           "A-Z a-z 0-9 - _)");
  }
  return Status::Ok();
}

// Subscribe's protocol and endpoint rules ("Invalid parameter: Endpoint").
Status CheckSubscription(const std::string& path, const SubscriptionConfig& s) {
  if (std::find(std::begin(kSnsProtocols), std::end(kSnsProtocols), s.protocol) ==
      std::end(kSnsProtocols)) {
    return Error(path + ".Protocol",
                 Quote(s.protocol) +
                     " is not an SNS protocol (http, https, email, email-json, sms, sqs, "
                     "application, lambda, firehose) or slack");
  }
  const std::string endpoint_path = path + ".Endpoint";
  if (s.protocol == "http" || s.protocol == "https") {
    if (s.endpoint.rfind(s.protocol + "://", 0) != 0) {
      return Error(endpoint_path, "must be a " + s.protocol + ":// URL for protocol " + s.protocol);
    }
  } else if (s.protocol == "email" || s.protocol == "email-json") {
    std::size_t at = s.endpoint.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == s.endpoint.size() ||
        s.endpoint.find('@', at + 1) != std::string::npos) {
      return Error(endpoint_path, Quote(s.endpoint) + " is not an e-mail address");
    }
  } else if (s.protocol == "slack") {
    if (s.endpoint.rfind("https://", 0) != 0 && s.endpoint.rfind("http://", 0) != 0) {
      return Error(endpoint_path,
                   "must be the https:// URL of an incoming webhook for protocol slack");
    }
  } else if (s.protocol == "sms") {
    if (s.endpoint.empty()) return Error(endpoint_path, "required for protocol sms");
  } else if (s.endpoint.rfind("arn:", 0) != 0) {
    return Error(endpoint_path, "must be an ARN for protocol " + s.protocol);
  }
  return Status::Ok();
}

struct ResourceDecl {
  std::string id;
  std::string type;
  YAML::Node properties;  // a map, or undefined when the resource has none
  bool supported = false;
};

class Loader final : public cfn::ResourceLookup {
 public:
  explicit Loader(const TemplateContext& context) : context_(context) {}

  Result<Configuration> Load(const YAML::Node& root, std::string_view name);

  bool HasResource(const std::string& logical_id) const override {
    return index_.contains(logical_id);
  }
  Result<Value> ResourceAttribute(const std::string& logical_id, const std::string& attribute,
                                  const cfn::NodePath& path) override;

 private:
  Status ReadParameters(const YAML::Node& parameters);
  Status ReadParameter(const std::string& name, const YAML::Node& decl);
  Status DeclareResources(const YAML::Node& resources);
  Result<std::string> PhysicalName(const ResourceDecl& decl);
  Status Build(const ResourceDecl& decl);
  Status BuildLogGroup(const ResourceDecl& decl, Props& props);
  Status BuildMetricFilter(const ResourceDecl& decl, Props& props);
  Status BuildAlarm(const ResourceDecl& decl, Props& props);
  Status BuildCompositeAlarm(const ResourceDecl& decl, Props& props);
  Status CheckAlarmNameUnused(Props& props, const std::string& name) const;
  Status BuildTopic(const ResourceDecl& decl, Props& props);
  Status BuildSubscription(const ResourceDecl& decl, Props& props);
  void CheckActions(const AlarmConfig& alarm, const std::string& property,
                    const std::vector<std::string>& arns);
  Status CrossCheck();

  std::string TopicArn(const std::string& name) const {
    return "arn:" + context_.partition + ":sns:" + context_.region + ":" + context_.account_id +
           ":" + name;
  }
  std::string AlarmArn(const std::string& name) const {
    return "arn:" + context_.partition + ":cloudwatch:" + context_.region + ":" +
           context_.account_id + ":alarm:" + name;
  }
  std::string LogGroupArn(const std::string& name) const {
    return "arn:" + context_.partition + ":logs:" + context_.region + ":" + context_.account_id +
           ":log-group:" + name + ":*";
  }

  const TemplateContext& context_;
  std::unique_ptr<cfn::Resolver> resolver_;
  std::vector<ResourceDecl> resources_;
  std::set<std::string> parameter_names_;
  std::map<std::string, std::size_t> index_;  // logical ID -> resources_ index
  std::map<std::string, std::string> names_;  // logical ID -> physical name, once resolved
  std::set<std::string> naming_;              // logical IDs whose name is being resolved
  std::map<std::string, std::string> topic_ids_by_arn_;
  Configuration config_;
};

Result<Configuration> Loader::Load(const YAML::Node& root, std::string_view name) {
  if (!root.IsMap()) {
    return InvalidArgument(std::string(name) + ": a template must be a YAML or JSON map");
  }
  // A default-constructed yaml-cpp node is a defined null, so presence is
  // tracked separately.
  YAML::Node parameters, mappings, resources;
  bool has_resources = false;
  std::set<std::string> seen;
  for (const auto& entry : root) {
    const std::string& key = entry.first.Scalar();
    if (!seen.insert(key).second) return Error(key, "duplicate section");
    if (key == "AWSTemplateFormatVersion") {
      if (!entry.second.IsScalar() || entry.second.Scalar() != "2010-09-09") {
        return Error(key, "must be 2010-09-09");
      }
    } else if (key == "Description") {
      if (!entry.second.IsScalar()) return Error(key, "must be a string");
    } else if (key == "Metadata" || key == "Outputs") {
      // Not configuration: trailwatch exports nothing, so Outputs are not resolved.
    } else if (key == "Parameters") {
      parameters = entry.second;
    } else if (key == "Mappings") {
      if (!entry.second.IsMap()) return Error(key, "must be a map");
      mappings = entry.second;
    } else if (key == "Resources") {
      resources = entry.second;
      has_resources = true;
    } else if (key == "Rules") {
      config_.warnings.push_back("Rules: not checked by trailwatch");
    } else if (key == "Conditions" || key == "Transform") {
      return Error(key, "not supported by trailwatch");
    } else {
      return Error(key, "unknown template section");
    }
  }
  if (!has_resources) return Error("Resources", "required section is missing");
  if (!resources.IsMap() || resources.size() == 0) {
    return Error("Resources", "must be a map of at least one resource");
  }

  std::map<std::string, Value> pseudo;
  pseudo["AWS::Region"] = Value::Text(context_.region);
  pseudo["AWS::AccountId"] = Value::Text(context_.account_id);
  pseudo["AWS::Partition"] = Value::Text(context_.partition);
  pseudo["AWS::StackName"] = Value::Text(context_.stack_name);
  pseudo["AWS::URLSuffix"] =
      Value::Text(context_.partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com");
  pseudo["AWS::StackId"] =
      Value::Text("arn:" + context_.partition + ":cloudformation:" + context_.region + ":" +
                  context_.account_id + ":stack/" + context_.stack_name + "/" +
                  StableSuffix(context_.stack_name + "/AWS::StackId"));
  pseudo["AWS::NotificationARNs"] = Value::List({});
  resolver_ = std::make_unique<cfn::Resolver>(std::string(name), std::move(pseudo), mappings, this);

  TW_RETURN_IF_ERROR(ReadParameters(parameters));
  TW_RETURN_IF_ERROR(DeclareResources(resources));
  for (const ResourceDecl& decl : resources_) {
    if (decl.supported) TW_RETURN_IF_ERROR(Build(decl));
  }
  TW_RETURN_IF_ERROR(CrossCheck());
  return std::move(config_);
}

Status Loader::ReadParameters(const YAML::Node& parameters) {
  if (parameters.IsDefined() && !parameters.IsNull()) {
    if (!parameters.IsMap()) return Error("Parameters", "must be a map");
    for (const auto& entry : parameters) {
      const std::string& name = entry.first.Scalar();
      if (!parameter_names_.insert(name).second) {
        return Error("Parameters." + name, "duplicate parameter");
      }
      TW_RETURN_IF_ERROR(ReadParameter(name, entry.second));
    }
  }
  config_.parameter_names = parameter_names_;
  for (const auto& [name, value] : context_.parameters) {
    (void)value;
    if (!parameter_names_.contains(name) && !context_.undeclared_parameters_allowed) {
      return Error("Parameters",
                   Quote(name) + " was given a value but is not declared in the template");
    }
  }
  return Status::Ok();
}

Status Loader::ReadParameter(const std::string& name, const YAML::Node& decl) {
  const std::string path = "Parameters." + name;
  if (!decl.IsMap()) return Error(path, "must be a map");
  Result<Value> literal = resolver_->Literal(decl, path);
  if (!literal.ok()) return literal.status();
  const Value& declaration = *literal;
  Props props(declaration, path, "a parameter");
  std::string type, default_value;
  bool has_default = declaration.Find("Default") != nullptr;
  std::vector<std::string> allowed;
  std::optional<std::string> pattern;
  std::optional<int> min_length, max_length;
  std::optional<double> min_value, max_value;
  TW_RETURN_IF_ERROR(props.String("Type", true, &type));
  TW_RETURN_IF_ERROR(props.String("Default", false, &default_value));
  TW_RETURN_IF_ERROR(props.StringList("AllowedValues", &allowed));
  TW_RETURN_IF_ERROR(props.OptionalString("AllowedPattern", &pattern));
  TW_RETURN_IF_ERROR(props.OptionalInt("MinLength", &min_length));
  TW_RETURN_IF_ERROR(props.OptionalInt("MaxLength", &max_length));
  TW_RETURN_IF_ERROR(props.OptionalDouble("MinValue", &min_value));
  TW_RETURN_IF_ERROR(props.OptionalDouble("MaxValue", &max_value));
  props.Ignore({"Description", "ConstraintDescription", "NoEcho"});
  TW_RETURN_IF_ERROR(props.CheckUnknown());

  bool is_list = false, is_number = false;
  if (type == "String") {
  } else if (type == "Number") {
    is_number = true;
  } else if (type == "CommaDelimitedList") {
    is_list = true;
  } else if (type == "List<Number>") {
    is_list = is_number = true;
  } else if (type.rfind("AWS::SSM::", 0) == 0) {
    return Error(path + ".Type", type + " is not supported by trailwatch (no SSM)");
  } else if (type.rfind("AWS::", 0) == 0) {
    // AWS-specific types (AWS::EC2::VPC::Id, ...) are strings CloudFormation
    // checks against the account; trailwatch has no account to check.
  } else if (type.rfind("List<AWS::", 0) == 0) {
    is_list = true;
  } else {
    return Error(path + ".Type", "unknown parameter type " + Quote(type));
  }

  std::string text;
  if (auto it = context_.parameters.find(name); it != context_.parameters.end()) {
    text = it->second;
  } else if (has_default) {
    text = default_value;
  } else {
    return Error(path, "no value: the parameter has no Default and none was given");
  }

  std::vector<std::string> items;
  if (is_list) {
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) items.push_back(Trim(item));
    if (!text.empty() && text.back() == ',') items.push_back("");
  } else {
    items.push_back(text);
  }
  // RE2, not std::regex: the pattern and the value both come from the
  // template, and libstdc++'s std::regex recurses per character of either
  // (a long Default overflows the stack) and backtracks exponentially on
  // patterns like (a|aa)*c. RE2 matches in linear time. CloudFormation's
  // patterns are Java's; the common subset (classes, anchors, repetition,
  // groups) means the same in RE2, lookaround and backreferences are refused.
  std::optional<RE2> re;
  if (pattern) {
    RE2::Options options;
    options.set_log_errors(false);
    re.emplace(*pattern, options);
    if (!re->ok()) {
      return Error(path + ".AllowedPattern",
                   Quote(*pattern) + " is not a valid regular expression");
    }
  }
  for (const std::string& item : items) {
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), item) == allowed.end()) {
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Error(path, Quote(item) + " is not one of the AllowedValues [" + list + "]");
    }
    if (re && !RE2::FullMatch(item, *re)) {
      return Error(path, Quote(item) + " does not match the AllowedPattern " + Quote(*pattern));
    }
    if (min_length && static_cast<int>(item.size()) < *min_length) {
      return Error(path, Quote(item) + " is shorter than MinLength " + std::to_string(*min_length));
    }
    if (max_length && static_cast<int>(item.size()) > *max_length) {
      return Error(path, Quote(item) + " is longer than MaxLength " + std::to_string(*max_length));
    }
    double number = 0;
    if (is_number && !ParseDouble(item, &number)) {
      return Error(path, Quote(item) + " is not a number");
    }
    if (is_number && ((min_value && number < *min_value) || (max_value && number > *max_value))) {
      return Error(path, Quote(item) + " is outside [MinValue, MaxValue]");
    }
  }
  if (is_list) {
    std::vector<Value> values;
    for (std::string& item : items) values.push_back(Value::Text(std::move(item)));
    resolver_->SetParameter(name, Value::List(std::move(values)));
  } else {
    resolver_->SetParameter(name, Value::Text(std::move(text)));
  }
  return Status::Ok();
}

Status Loader::DeclareResources(const YAML::Node& resources) {
  for (const auto& entry : resources) {
    ResourceDecl decl;
    decl.id = entry.first.Scalar();
    const std::string path = "Resources." + decl.id;
    if (decl.id.empty() || !OnlyAlphanumericOr(decl.id, "")) {
      return Error(path, "a logical ID must be alphanumeric (A-Z a-z 0-9)");
    }
    if (decl.id.size() > kMaxLogicalIdLength) {
      return Error("Resources", "the logical ID " + Quote(decl.id.substr(0, 32)) + "... is " +
                                    std::to_string(decl.id.size()) +
                                    " characters; CloudFormation allows at most 255");
    }
    if (index_.contains(decl.id)) return Error(path, "duplicate logical ID");
    if (parameter_names_.contains(decl.id)) {
      return Error(path, "a resource and a parameter have the same name");
    }
    const YAML::Node& body = entry.second;
    if (!body.IsMap()) return Error(path, "must be a map");
    for (const auto& attribute : body) {
      const std::string& key = attribute.first.Scalar();
      if (key == "Type") {
        if (!attribute.second.IsScalar()) return Error(path + ".Type", "must be a string");
        decl.type = attribute.second.Scalar();
      } else if (key == "Properties") {
        if (!attribute.second.IsMap() && !attribute.second.IsNull()) {
          return Error(path + ".Properties", "must be a map");
        }
        if (attribute.second.IsMap()) decl.properties = attribute.second;
      } else if (key == "Condition") {
        return Error(path + ".Condition", "not supported by trailwatch");
      } else if (key != "DependsOn" && key != "Metadata" && key != "DeletionPolicy" &&
                 key != "UpdateReplacePolicy" && key != "CreationPolicy" && key != "UpdatePolicy") {
        return Error(path + "." + key, "unknown resource attribute");
      }
    }
    if (decl.type.empty()) return Error(path + ".Type", "required attribute is missing");
    decl.supported = decl.type == kLogGroupType || decl.type == kMetricFilterType ||
                     decl.type == kAlarmType || decl.type == kCompositeAlarmType ||
                     decl.type == kTopicType || decl.type == kSubscriptionType;
    if (!decl.supported) {
      config_.warnings.push_back(path + ": " + decl.type + " is not supported; skipped");
    }
    index_[decl.id] = resources_.size();
    resources_.push_back(std::move(decl));
  }
  // DependsOn only orders creation, which trailwatch does not need, but a
  // dangling one is an error in CloudFormation, so it is here too.
  for (const auto& entry : resources) {
    const YAML::Node depends = entry.second["DependsOn"];
    if (!depends.IsDefined()) continue;
    const std::string path = "Resources." + entry.first.Scalar() + ".DependsOn";
    std::vector<YAML::Node> names;
    if (depends.IsSequence()) {
      for (const YAML::Node& n : depends) names.push_back(n);
    } else {
      names.push_back(depends);
    }
    for (const YAML::Node& n : names) {
      if (!n.IsScalar()) return Error(path, "must be a logical ID or a list of them");
      if (!index_.contains(n.Scalar())) {
        return Error(path, Quote(n.Scalar()) + " is not a resource of the template");
      }
    }
  }
  return Status::Ok();
}

// The property that names each supported type, and the longest name AWS takes.
std::pair<std::string_view, std::size_t> NameProperty(std::string_view type) {
  if (type == kLogGroupType) return {"LogGroupName", 512};
  if (type == kMetricFilterType) return {"FilterName", 512};
  if (type == kAlarmType || type == kCompositeAlarmType) return {"AlarmName", 255};
  if (type == kTopicType) return {"TopicName", 256};
  return {"", 0};
}

Result<std::string> Loader::PhysicalName(const ResourceDecl& decl) {
  if (auto it = names_.find(decl.id); it != names_.end()) return it->second;
  auto [property, max_length] = NameProperty(decl.type);
  const std::string path = "Resources." + decl.id + ".Properties." + std::string(property);
  std::string name;
  std::optional<YAML::Node> node;
  if (decl.properties.IsMap()) {
    for (const auto& entry : decl.properties) {
      if (entry.first.Scalar() == property) node = entry.second;
    }
  }
  if (!node) {
    name = GeneratedName(context_.stack_name, decl.id, max_length);
  } else {
    // A name may refer to other resources' names (!Sub "${Topic}-x"); a
    // chain that comes back here has no answer.
    if (!naming_.insert(decl.id).second) {
      return Error(path, "circular reference: the name depends on itself");
    }
    Result<Value> v = resolver_->Resolve(*node, path);
    naming_.erase(decl.id);
    if (!v.ok()) return v.status();
    if (v->kind == Value::Kind::kNull) {
      name = GeneratedName(context_.stack_name, decl.id, max_length);  // !Ref AWS::NoValue
    } else if (!v->is_scalar()) {
      return Error(path, std::string("must be a string, not ") + v->KindName());
    } else {
      name = v->scalar;
    }
  }
  names_[decl.id] = name;
  return name;
}

Result<Value> Loader::ResourceAttribute(const std::string& logical_id, const std::string& attribute,
                                        const cfn::NodePath& path) {
  const ResourceDecl& decl = resources_[index_.at(logical_id)];
  auto what = [&] {
    return attribute.empty() ? "Ref " + logical_id : "Fn::GetAtt " + logical_id + "." + attribute;
  };
  if (!decl.supported || decl.type == kSubscriptionType) {
    return Error(path.ToString(),
                 what() + ": trailwatch has no value for " + decl.type + " resources");
  }
  Result<std::string> name = PhysicalName(decl);
  if (!name.ok()) return name.status();
  auto no_attribute = [&](const char* attributes) {
    return Error(path.ToString(), what() + ": " + decl.type + " has no attribute " +
                                      Quote(attribute) + " (" + attributes + ")");
  };
  if (decl.type == kLogGroupType) {
    if (attribute.empty()) return Value::Text(*name);
    if (attribute == "Arn") return Value::Text(LogGroupArn(*name));
    return no_attribute("Arn");
  }
  if (decl.type == kTopicType) {
    if (attribute.empty() || attribute == "TopicArn") return Value::Text(TopicArn(*name));
    if (attribute == "TopicName") return Value::Text(*name);
    return no_attribute("TopicArn, TopicName");
  }
  if (decl.type == kAlarmType || decl.type == kCompositeAlarmType) {
    if (attribute.empty()) return Value::Text(*name);
    if (attribute == "Arn") return Value::Text(AlarmArn(*name));
    return no_attribute("Arn");
  }
  if (attribute.empty()) return Value::Text(*name);  // MetricFilter
  return no_attribute("none");
}

Status Loader::Build(const ResourceDecl& decl) {
  const std::string path = "Resources." + decl.id + ".Properties";
  Value properties;
  properties.kind = Value::Kind::kMap;
  if (decl.properties.IsMap()) {
    Result<Value> v = resolver_->Resolve(decl.properties, path);
    if (!v.ok()) return v.status();
    properties = std::move(*v);
  }
  Props props(properties, path, decl.type);
  if (decl.type == kLogGroupType) TW_RETURN_IF_ERROR(BuildLogGroup(decl, props));
  if (decl.type == kMetricFilterType) TW_RETURN_IF_ERROR(BuildMetricFilter(decl, props));
  if (decl.type == kAlarmType) TW_RETURN_IF_ERROR(BuildAlarm(decl, props));
  if (decl.type == kCompositeAlarmType) TW_RETURN_IF_ERROR(BuildCompositeAlarm(decl, props));
  if (decl.type == kTopicType) TW_RETURN_IF_ERROR(BuildTopic(decl, props));
  if (decl.type == kSubscriptionType) TW_RETURN_IF_ERROR(BuildSubscription(decl, props));
  return props.CheckUnknown();
}

Status Loader::BuildLogGroup(const ResourceDecl& decl, Props& props) {
  LogGroupConfig group;
  group.logical_id = decl.id;
  Result<std::string> name = PhysicalName(decl);
  if (!name.ok()) return name.status();
  group.name = *name;
  props.Take("LogGroupName");
  TW_RETURN_IF_ERROR(CheckLogGroupName(props.Path("LogGroupName"), group.name));
  TW_RETURN_IF_ERROR(props.OptionalInt("RetentionInDays", &group.retention_in_days));
  if (group.retention_in_days && std::find(std::begin(kRetentionDays), std::end(kRetentionDays),
                                           *group.retention_in_days) == std::end(kRetentionDays)) {
    return Error(props.Path("RetentionInDays"),
                 "must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
                 "1096, 1827, 2192, 2557, 2922, 3288, 3653");
  }
  props.Ignore({"KmsKeyId", "Tags", "DataProtectionPolicy", "LogGroupClass", "FieldIndexPolicies",
                "ResourcePolicyDocument"});
  for (const LogGroupConfig& other : config_.log_groups) {
    if (other.name == group.name) {
      return Error(props.Path("LogGroupName"),
                   Quote(group.name) + " is also the name of Resources." + other.logical_id);
    }
  }
  config_.log_groups.push_back(std::move(group));
  return Status::Ok();
}

Status Loader::BuildMetricFilter(const ResourceDecl& decl, Props& props) {
  MetricFilterConfig filter;
  filter.logical_id = decl.id;
  metrics::MetricFilterSpec& spec = filter.spec;
  Result<std::string> name = PhysicalName(decl);
  if (!name.ok()) return name.status();
  spec.filter_name = *name;
  props.Take("FilterName");
  TW_RETURN_IF_ERROR(props.String("LogGroupName", true, &spec.log_group_name));
  TW_RETURN_IF_ERROR(props.String("FilterPattern", true, &spec.filter_pattern));
  std::vector<std::pair<const Value*, std::string>> transformations;
  TW_RETURN_IF_ERROR(props.MapList("MetricTransformations", true, &transformations));
  if (transformations.size() != 1) {
    return Error(props.Path("MetricTransformations"), "must contain exactly one transformation");
  }
  Props t(*transformations[0].first, transformations[0].second, "a MetricTransformation");
  metrics::MetricTransformation& mt = spec.transformation;
  TW_RETURN_IF_ERROR(t.String("MetricName", true, &mt.metric_name));
  TW_RETURN_IF_ERROR(t.String("MetricNamespace", true, &mt.metric_namespace));
  TW_RETURN_IF_ERROR(t.String("MetricValue", true, &mt.metric_value));
  TW_RETURN_IF_ERROR(t.OptionalDouble("DefaultValue", &mt.default_value));
  TW_RETURN_IF_ERROR(t.String("Unit", false, &mt.unit));
  std::vector<std::pair<const Value*, std::string>> dimensions;
  TW_RETURN_IF_ERROR(t.MapList("Dimensions", false, &dimensions));
  for (const auto& [map, path] : dimensions) {
    Props d(*map, path, "a metric filter Dimension");
    std::string key, value;
    TW_RETURN_IF_ERROR(d.String("Key", true, &key));
    TW_RETURN_IF_ERROR(d.String("Value", true, &value));
    TW_RETURN_IF_ERROR(d.CheckUnknown());
    mt.dimensions.emplace_back(std::move(key), std::move(value));
  }
  TW_RETURN_IF_ERROR(t.CheckUnknown());
  TW_RETURN_IF_ERROR(props.CheckUnknown());

  Result<metrics::MetricFilter> compiled = metrics::MetricFilter::Compile(spec);
  if (!compiled.ok()) return Prefixed(compiled.status(), props.path());
  spec = compiled->spec();  // normalized (an omitted Unit is "None")

  std::size_t in_group = 0;
  for (const MetricFilterConfig& other : config_.metric_filters) {
    if (other.spec.log_group_name != spec.log_group_name) continue;
    if (other.spec.filter_name == spec.filter_name) {
      return Error(props.Path("FilterName"),
                   Quote(spec.filter_name) + " is also the name of Resources." + other.logical_id +
                       " in log group " + Quote(spec.log_group_name));
    }
    ++in_group;
  }
  if (in_group >= kMaxFiltersPerLogGroup) {
    return Error(props.Path("LogGroupName"), "log group " + Quote(spec.log_group_name) +
                                                 " would have more than 100 " + "metric filters");
  }
  config_.metric_filters.push_back(std::move(filter));
  return Status::Ok();
}

Status Loader::BuildAlarm(const ResourceDecl& decl, Props& props) {
  AlarmConfig config;
  config.logical_id = decl.id;
  alarm::AlarmSpec& spec = config.spec;
  Result<std::string> name = PhysicalName(decl);
  if (!name.ok()) return name.status();
  spec.alarm_name = *name;
  spec.alarm_arn = AlarmArn(spec.alarm_name);
  props.Take("AlarmName");
  if (props.Take("Metrics") != nullptr) {
    return Error(props.Path("Metrics"), "metric math alarms are not supported by trailwatch");
  }
  if (props.Take("ThresholdMetricId") != nullptr) {
    return Error(props.Path("ThresholdMetricId"),
                 "anomaly detection alarms are not supported by trailwatch");
  }
  TW_RETURN_IF_ERROR(props.String("AlarmDescription", false, &spec.alarm_description));
  TW_RETURN_IF_ERROR(props.Bool("ActionsEnabled", &spec.actions_enabled));
  TW_RETURN_IF_ERROR(props.StringList("AlarmActions", &spec.alarm_actions));
  TW_RETURN_IF_ERROR(props.StringList("OKActions", &spec.ok_actions));
  TW_RETURN_IF_ERROR(props.StringList("InsufficientDataActions", &spec.insufficient_data_actions));

  std::string op;
  TW_RETURN_IF_ERROR(props.String("ComparisonOperator", true, &op));
  Result<alarm::ComparisonOperator> parsed_op = alarm::ParseComparisonOperator(op);
  if (!parsed_op.ok()) return Prefixed(parsed_op.status(), props.path());
  spec.comparison_operator = *parsed_op;

  TW_RETURN_IF_ERROR(props.Int("EvaluationPeriods", true, &spec.evaluation_periods));
  TW_RETURN_IF_ERROR(props.OptionalInt("DatapointsToAlarm", &spec.datapoints_to_alarm));
  // Without Metrics (unsupported), these are what the alarm watches.
  TW_RETURN_IF_ERROR(props.String("MetricName", true, &spec.metric_name));
  TW_RETURN_IF_ERROR(props.String("Namespace", true, &spec.metric_namespace));
  TW_RETURN_IF_ERROR(props.String("Statistic", false, &spec.statistic));
  TW_RETURN_IF_ERROR(props.String("ExtendedStatistic", false, &spec.extended_statistic));
  int period = 0;
  TW_RETURN_IF_ERROR(props.Int("Period", true, &period));
  spec.period = std::chrono::seconds(period);
  TW_RETURN_IF_ERROR(props.Double("Threshold", true, &spec.threshold));
  TW_RETURN_IF_ERROR(props.OptionalString("Unit", &spec.unit));

  std::string text;
  TW_RETURN_IF_ERROR(props.String("TreatMissingData", false, &text));
  if (!text.empty()) {
    Result<alarm::TreatMissingData> mode = alarm::ParseTreatMissingData(text);
    if (!mode.ok()) return Prefixed(mode.status(), props.path());
    spec.treat_missing_data = *mode;
    spec.treat_missing_data_given = true;
  }
  text.clear();
  TW_RETURN_IF_ERROR(props.String("EvaluateLowSampleCountPercentile", false, &text));
  if (text == "ignore") {
    spec.evaluate_low_sample_count_percentile = false;
  } else if (!text.empty() && text != "evaluate") {
    return Error(props.Path("EvaluateLowSampleCountPercentile"),
                 "must be evaluate or ignore, not " + Quote(text));
  }

  std::vector<std::pair<const Value*, std::string>> dimensions;
  TW_RETURN_IF_ERROR(props.MapList("Dimensions", false, &dimensions));
  // A set, not a scan of the dimensions so far: alarm::Validate refuses more
  // than 30 only after this loop, and aliases can make the list a million long.
  std::set<std::string> dimension_names;
  for (const auto& [map, path] : dimensions) {
    Props d(*map, path, "an alarm Dimension");
    std::string dimension_name, value;
    TW_RETURN_IF_ERROR(d.String("Name", true, &dimension_name));
    TW_RETURN_IF_ERROR(d.String("Value", true, &value));
    TW_RETURN_IF_ERROR(d.CheckUnknown());
    if (!dimension_names.insert(dimension_name).second) {
      return Error(path + ".Name", "dimension " + Quote(dimension_name) + " appears twice");
    }
    spec.dimensions.emplace_back(std::move(dimension_name), std::move(value));
  }
  std::sort(spec.dimensions.begin(), spec.dimensions.end());
  TW_RETURN_IF_ERROR(ReadTags(props, &config.tags));
  TW_RETURN_IF_ERROR(props.CheckUnknown());

  Status valid = alarm::Validate(spec);
  if (!valid.ok()) return Prefixed(valid, props.path());
  TW_RETURN_IF_ERROR(CheckAlarmNameUnused(props, spec.alarm_name));
  config_.alarms.push_back(std::move(config));
  return Status::Ok();
}

// Metric and composite alarms share one namespace of names.
Status Loader::CheckAlarmNameUnused(Props& props, const std::string& name) const {
  auto taken = [&](const std::string& logical_id) {
    return Error(props.Path("AlarmName"),
                 Quote(name) + " is also the name of Resources." + logical_id);
  };
  for (const AlarmConfig& other : config_.alarms) {
    if (other.spec.alarm_name == name) return taken(other.logical_id);
  }
  for (const CompositeAlarmConfig& other : config_.composite_alarms) {
    if (other.spec.alarm_name == name) return taken(other.logical_id);
  }
  return Status::Ok();
}

Status Loader::BuildCompositeAlarm(const ResourceDecl& decl, Props& props) {
  CompositeAlarmConfig config;
  config.logical_id = decl.id;
  alarm::CompositeSpec& spec = config.spec;
  Result<std::string> name = PhysicalName(decl);
  if (!name.ok()) return name.status();
  spec.alarm_name = *name;
  spec.alarm_arn = AlarmArn(spec.alarm_name);
  props.Take("AlarmName");
  TW_RETURN_IF_ERROR(props.String("AlarmRule", true, &spec.alarm_rule));
  TW_RETURN_IF_ERROR(props.String("AlarmDescription", false, &spec.alarm_description));
  TW_RETURN_IF_ERROR(props.Bool("ActionsEnabled", &spec.actions_enabled));
  TW_RETURN_IF_ERROR(props.StringList("AlarmActions", &spec.alarm_actions));
  TW_RETURN_IF_ERROR(props.StringList("OKActions", &spec.ok_actions));
  TW_RETURN_IF_ERROR(props.StringList("InsufficientDataActions", &spec.insufficient_data_actions));
  TW_RETURN_IF_ERROR(props.String("ActionsSuppressor", false, &spec.actions_suppressor));
  for (const auto& [key, out] :
       {std::pair{"ActionsSuppressorWaitPeriod", &spec.actions_suppressor_wait_period},
        std::pair{"ActionsSuppressorExtensionPeriod", &spec.actions_suppressor_extension_period}}) {
    std::optional<int> seconds;
    TW_RETURN_IF_ERROR(props.OptionalInt(key, &seconds));
    if (seconds) *out = *seconds;
  }
  TW_RETURN_IF_ERROR(ReadTags(props, &config.tags));
  TW_RETURN_IF_ERROR(props.CheckUnknown());
  Status valid = alarm::ValidateComposite(spec);
  if (!valid.ok()) return Prefixed(valid, props.path());
  TW_RETURN_IF_ERROR(CheckAlarmNameUnused(props, spec.alarm_name));
  config_.composite_alarms.push_back(std::move(config));
  return Status::Ok();
}

Status Loader::BuildTopic(const ResourceDecl& decl, Props& props) {
  TopicConfig topic;
  topic.logical_id = decl.id;
  Result<std::string> name = PhysicalName(decl);
  if (!name.ok()) return name.status();
  topic.name = *name;
  props.Take("TopicName");
  TW_RETURN_IF_ERROR(CheckTopicName(props.Path("TopicName"), topic.name));
  topic.arn = TopicArn(topic.name);
  TW_RETURN_IF_ERROR(props.String("DisplayName", false, &topic.display_name));
  if (const Value* policy = props.Take("DeliveryPolicy")) {
    topic.delivery_policy = policy->is_scalar() ? policy->scalar : policy->ToJson();
    Result<notify::TopicDeliveryPolicy> parsed =
        notify::ParseTopicDeliveryPolicy(topic.delivery_policy);
    if (!parsed.ok()) return PolicyError(props.Path("DeliveryPolicy"), parsed.status());
  }
  TW_RETURN_IF_ERROR(props.String("SignatureVersion", false, &topic.signature_version));
  if (!topic.signature_version.empty() && topic.signature_version != "1" &&
      topic.signature_version != "2") {
    return Error(props.Path("SignatureVersion"), "must be 1 or 2");
  }
  bool fifo = false;
  TW_RETURN_IF_ERROR(props.Bool("FifoTopic", &fifo));
  if (fifo) {
    // CloudWatch alarms cannot publish to FIFO topics.
    return Error(props.Path("FifoTopic"), "FIFO topics are not supported by trailwatch");
  }
  std::vector<std::pair<const Value*, std::string>> subscriptions;
  TW_RETURN_IF_ERROR(props.MapList("Subscription", false, &subscriptions));
  std::vector<SubscriptionConfig> inline_subscriptions;
  for (const auto& [map, path] : subscriptions) {
    Props s(*map, path, "a topic Subscription");
    SubscriptionConfig sub;
    sub.topic_arn = topic.arn;
    TW_RETURN_IF_ERROR(s.String("Endpoint", true, &sub.endpoint));
    TW_RETURN_IF_ERROR(s.String("Protocol", true, &sub.protocol));
    TW_RETURN_IF_ERROR(s.CheckUnknown());
    TW_RETURN_IF_ERROR(CheckSubscription(path, sub));
    inline_subscriptions.push_back(std::move(sub));
  }
  TW_RETURN_IF_ERROR(ReadTags(props, &topic.tags));
  props.Ignore({"KmsMasterKeyId", "TracingConfig", "DataProtectionPolicy", "ArchivePolicy",
                "DeliveryStatusLogging", "ContentBasedDeduplication", "FifoThroughputScope"});
  if (auto it = topic_ids_by_arn_.find(topic.arn); it != topic_ids_by_arn_.end()) {
    return Error(props.Path("TopicName"),
                 Quote(topic.name) + " is also the name of Resources." + it->second);
  }
  topic_ids_by_arn_[topic.arn] = decl.id;
  config_.topics.push_back(std::move(topic));
  for (SubscriptionConfig& sub : inline_subscriptions) {
    config_.subscriptions.push_back(std::move(sub));
  }
  return Status::Ok();
}

Status Loader::BuildSubscription(const ResourceDecl& decl, Props& props) {
  SubscriptionConfig sub;
  sub.logical_id = decl.id;
  TW_RETURN_IF_ERROR(props.String("TopicArn", true, &sub.topic_arn));
  TW_RETURN_IF_ERROR(props.String("Protocol", true, &sub.protocol));
  TW_RETURN_IF_ERROR(props.String("Endpoint", true, &sub.endpoint));
  TW_RETURN_IF_ERROR(props.Bool("RawMessageDelivery", &sub.raw_message_delivery));
  if (const Value* policy = props.Take("DeliveryPolicy")) {
    // CloudFormation takes a JSON object here; a string is JSON text already.
    sub.delivery_policy = policy->is_scalar() ? policy->scalar : policy->ToJson();
    Result<notify::DeliveryPolicy> parsed =
        notify::ParseSubscriptionDeliveryPolicy(sub.delivery_policy);
    if (!parsed.ok()) return PolicyError(props.Path("DeliveryPolicy"), parsed.status());
  }
  if (props.Take("FilterPolicy") != nullptr) {
    config_.warnings.push_back(props.Path("FilterPolicy") +
                               ": not applied by trailwatch; every message is delivered");
  }
  props.Ignore(
      {"FilterPolicyScope", "RedrivePolicy", "Region", "SubscriptionRoleArn", "ReplayPolicy"});
  TW_RETURN_IF_ERROR(CheckSubscription(props.path(), sub));
  config_.subscriptions.push_back(std::move(sub));
  return Status::Ok();
}

void Loader::CheckActions(const AlarmConfig& alarm, const std::string& property,
                          const std::vector<std::string>& arns) {
  for (std::size_t i = 0; i < arns.size(); ++i) {
    const std::string path =
        "Resources." + alarm.logical_id + ".Properties." + property + "[" + std::to_string(i) + "]";
    // alarm::Validate has already refused anything but SNS topic ARNs.
    if (!topic_ids_by_arn_.contains(arns[i])) {
      config_.warnings.push_back(path + ": " + arns[i] +
                                 " is not a topic of this template; nothing is delivered to it");
    }
  }
}

Status Loader::CrossCheck() {
  // Composites applied after the composites they name (and their
  // suppressors); a cycle is an error.
  {
    std::vector<CompositeAlarmConfig> ordered, rest = std::move(config_.composite_alarms);
    std::set<std::string> placed;
    std::set<std::string> composites;
    for (const CompositeAlarmConfig& c : rest) {
      composites.insert(c.spec.alarm_name);
      composites.insert(c.spec.alarm_arn);
    }
    while (!rest.empty()) {
      auto ready = std::find_if(rest.begin(), rest.end(), [&](const CompositeAlarmConfig& c) {
        Result<alarm::AlarmRule> rule = alarm::AlarmRule::Parse(c.spec.alarm_rule);
        for (const std::string& child : rule->Children()) {
          if (composites.count(child) && !placed.count(child)) return false;
        }
        // A composite suppressor must exist first too.
        const std::string& suppressor = c.spec.actions_suppressor;
        return suppressor.empty() || !composites.count(suppressor) || placed.count(suppressor);
      });
      if (ready == rest.end()) {
        return Error("Resources." + rest.front().logical_id + ".Properties.AlarmRule",
                     "composite alarms name each other in a cycle");
      }
      placed.insert(ready->spec.alarm_name);
      placed.insert(ready->spec.alarm_arn);
      ordered.push_back(std::move(*ready));
      rest.erase(ready);
    }
    config_.composite_alarms = std::move(ordered);
  }
  for (const SubscriptionConfig& sub : config_.subscriptions) {
    if (sub.logical_id.empty() || topic_ids_by_arn_.contains(sub.topic_arn)) continue;
    config_.warnings.push_back("Resources." + sub.logical_id + ".Properties.TopicArn: " +
                               sub.topic_arn + " is not a topic of this template");
  }
  for (const AlarmConfig& a : config_.alarms) {
    CheckActions(a, "AlarmActions", a.spec.alarm_actions);
    CheckActions(a, "OKActions", a.spec.ok_actions);
    CheckActions(a, "InsufficientDataActions", a.spec.insufficient_data_actions);
    // An alarm on a metric nothing publishes stays without data; usually a
    // typo in MetricName or Namespace.
    bool published = false;
    for (const MetricFilterConfig& f : config_.metric_filters) {
      const metrics::MetricTransformation& t = f.spec.transformation;
      published |=
          t.metric_name == a.spec.metric_name && t.metric_namespace == a.spec.metric_namespace;
    }
    if (!published) {
      config_.warnings.push_back("Resources." + a.logical_id +
                                 ".Properties.MetricName: no metric " +
                                 "filter of this template publishes " + a.spec.metric_namespace +
                                 "/" + a.spec.metric_name);
    }
  }
  return Status::Ok();
}

Status YamlError(std::string_view name, const YAML::Exception& e) {
  if (e.mark.is_null()) return InvalidArgument(std::string(name) + ": " + e.msg);
  // yaml-cpp counts from 0; editors and compilers from 1.
  return InvalidArgument(std::string(name) + ":" + std::to_string(e.mark.line + 1) + ":" +
                         std::to_string(e.mark.column + 1) + ": " + e.msg);
}

Status TooLarge(std::string_view name, const std::string& size) {
  return Status(StatusCode::kResourceExhausted,
                std::string(name) + ": the template is " + size +
                    " bytes; trailwatch reads templates of at most " +
                    std::to_string(kMaxTemplateBytes) +
                    " bytes (CloudFormation's limit for templates in S3)");
}

}  // namespace

Result<Configuration> ParseTemplate(std::string_view text, std::string_view name,
                                    const TemplateContext& context) {
  if (text.size() > kMaxTemplateBytes) return TooLarge(name, std::to_string(text.size()));
  // Every yaml-cpp exception stops here, the parser's and the node API's alike.
  try {
    YAML::Node root = YAML::Load(std::string(text));
    Loader loader(context);
    return loader.Load(root, name);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's parser recurses once per level and stops itself at 500
    // levels, with the message "bad file". Measured: that takes well under
    // 256 KB of stack, so no scan of our own is needed before it, only words
    // a user can act on.
    YAML::ParserException clearer(
        e.mark, "collections nested more than " + std::to_string(e.depth() - 1) +
                    " levels deep; CloudFormation templates need no such nesting");
    return YamlError(name, clearer);
  } catch (const YAML::Exception& e) {
    return YamlError(name, e);
  }
}

Result<Configuration> LoadTemplate(const std::string& path, const TemplateContext& context) {
  // The size of a regular file is known before reading a byte of it; for
  // anything else (a pipe, /dev/stdin) the read below stops one byte past
  // the limit.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return IoError(path + ": is a directory");
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxTemplateBytes) return TooLarge(path, std::to_string(size));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": " + std::strerror(errno));
  std::string text(kMaxTemplateBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return IoError(path + ": read failed");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxTemplateBytes) {
    return TooLarge(path, "more than " + std::to_string(kMaxTemplateBytes));
  }
  return ParseTemplate(text, path, context);
}

}  // namespace tw::server
