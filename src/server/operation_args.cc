#include "server/operation_args.h"

#include <cctype>
#include <charconv>

#include "server/operations.h"

namespace tw::server {
namespace {

std::string LowerFirst(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

std::optional<std::size_t> PageOffset(const std::optional<std::string>& token) {
  if (!token) return std::size_t{0};
  std::size_t offset = 0;
  auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
  if (ec != std::errc() || end != token->data() + token->size()) return std::nullopt;
  return offset;
}

api::ApiError Args::Missing(std::string_view name) const {
  switch (service_) {
    case api::Service::kLogs:
      return api::LogsError("InvalidParameterException",
                            "1 validation error detected: Value null at '" + LowerFirst(name) +
                                "' failed to satisfy constraint: Member must not be null");
    case api::Service::kCloudWatch:
      return api::MissingParameter("The parameter " + std::string(name) + " is required.");
    case api::Service::kSns:
      return api::SnsInvalidParameter("Invalid parameter: " + std::string(name));
  }
  return api::SnsInvalidParameter(std::string(name));
}

api::ApiError Args::Invalid(std::string message) const {
  switch (service_) {
    case api::Service::kLogs:
      return api::LogsError("InvalidParameterException", std::move(message));
    case api::Service::kCloudWatch:
      return api::ValidationError(std::move(message));
    case api::Service::kSns:
      return api::SnsInvalidParameter(std::move(message));
  }
  return api::SnsInvalidParameter(std::move(message));
}

template <typename T>
bool Args::Take(Result<std::optional<T>> value, std::string_view name, bool required, T* out) {
  if (!value.ok()) {
    error_ = Invalid(value.status().message());
    return false;
  }
  if (!*value) {
    if (!required) return true;
    error_ = Missing(name);
    return false;
  }
  *out = std::move(**value);
  return true;
}

bool Args::String(std::string_view name, std::string* out, bool required) {
  return Take(in_.String(name), name, required, out);
}
bool Args::String(std::string_view name, std::optional<std::string>* out) {
  std::string value;
  bool present = in_.Raw(name) != nullptr && !in_.Raw(name)->is_null();
  if (!Take(in_.String(name), name, false, &value)) return false;
  if (present) *out = std::move(value);
  return true;
}
bool Args::Integer(std::string_view name, std::int64_t* out, bool required) {
  return Take(in_.Integer(name), name, required, out);
}
bool Args::Integer(std::string_view name, std::optional<std::int64_t>* out) {
  std::int64_t value = 0;
  bool present = in_.Raw(name) != nullptr && !in_.Raw(name)->is_null();
  if (!Take(in_.Integer(name), name, false, &value)) return false;
  if (present) *out = value;
  return true;
}
bool Args::Double(std::string_view name, std::optional<double>* out, bool required) {
  double value = 0;
  bool present = in_.Raw(name) != nullptr && !in_.Raw(name)->is_null();
  if (!Take(in_.Double(name), name, required, &value)) return false;
  if (present) *out = value;
  return true;
}
bool Args::Bool(std::string_view name, bool* out) { return Take(in_.Bool(name), name, false, out); }
bool Args::Timestamp(std::string_view name, std::optional<TimePoint>* out, bool required) {
  TimePoint value;
  bool present = in_.Raw(name) != nullptr && !in_.Raw(name)->is_null();
  if (!Take(in_.Timestamp(name), name, required, &value)) return false;
  if (present) *out = value;
  return true;
}
bool Args::StringList(std::string_view name, std::vector<std::string>* out, bool required) {
  return Take(in_.StringList(name), name, required, out);
}
bool Args::StringMap(std::string_view name, std::map<std::string, std::string>* out) {
  return Take(in_.StringMap(name), name, false, out);
}
bool Args::List(std::string_view name, std::vector<api::InputReader>* out, bool required) {
  Result<std::vector<api::InputReader>> items = in_.List(name);
  if (!items.ok()) {
    error_ = Invalid(items.status().message());
    return false;
  }
  if (required && !in_.Has(name)) {
    error_ = Missing(name);
    return false;
  }
  *out = std::move(items).value();
  return true;
}

api::Value TagListValue(const std::map<std::string, std::string>& tags) {
  api::Value list = api::Value::List();
  for (const auto& [key, value] : tags) {
    list.Append(api::Value::Structure(
        {{"Key", api::Value::String(key)}, {"Value", api::Value::String(value)}}));
  }
  return list;
}

bool Args::Tags(std::string_view name, std::map<std::string, std::string>* out, bool required) {
  std::vector<api::InputReader> list;
  if (!List(name, &list, required)) return false;
  const std::string path = LowerFirst(name);
  if (list.size() > 50) {
    error_ = Invalid(
        api::ValidationMessage("[...]", path, "Member must have length less than or equal to 50"));
    return false;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    Args tag(list[i], service_);
    std::string key, value;
    if (!tag.String("Key", &key, kRequired) || !tag.String("Value", &value, kRequired)) {
      error_ = tag.error();
      return false;
    }
    const std::string at = path + "." + std::to_string(i + 1) + ".member.";
    if (key.empty() || key.size() > 128) {
      error_ = Invalid(api::ValidationMessage(
          key, at + "key",
          key.empty() ? "Member must have length greater than or equal to 1"
                      : "Member must have length less than or equal to 128"));
      return false;
    }
    if (value.size() > 256) {
      error_ = Invalid(api::ValidationMessage(value, at + "value",
                                              "Member must have length less than or equal to 256"));
      return false;
    }
    (*out)[key] = value;
  }
  return true;
}

void RegisterTagOperations(api::Operations* operations, api::Service service,
                           std::string arn_member, TagHandler tags) {
  using Output = Result<api::Value, api::ApiError>;
  operations->Add(
      service, "TagResource", [=](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, service);
        std::string arn;
        std::map<std::string, std::string> add;
        if (!args.String(arn_member, &arn, kRequired) || !args.Tags("Tags", &add, kRequired)) {
          return args.error();
        }
        return tags(arn, add, {}, false);
      });
  operations->Add(service, "UntagResource",
                  [=](const api::InputReader& in, const api::CallContext&) -> Output {
                    Args args(in, service);
                    std::string arn;
                    std::vector<std::string> keys;
                    if (!args.String(arn_member, &arn, kRequired) ||
                        !args.StringList("TagKeys", &keys, kRequired)) {
                      return args.error();
                    }
                    return tags(arn, {}, keys, false);
                  });
  operations->Add(service, "ListTagsForResource",
                  [=](const api::InputReader& in, const api::CallContext&) -> Output {
                    Args args(in, service);
                    std::string arn;
                    if (!args.String(arn_member, &arn, kRequired)) return args.error();
                    return tags(arn, {}, {}, true);
                  });
}

}  // namespace tw::server
