// Reading an operation's members with the error each service answers when
// one is missing or malformed, so that every handler reads the same way:
//
//   Args args(input, api::Service::kLogs);
//   std::string group;
//   if (!args.String("logGroupName", &group, kRequired)) return args.error();
//
// Missing required members: Logs "1 validation error detected: Value null at
// 'logGroupName' failed to satisfy constraint: Member must not be null"
// (InvalidParameterException); CloudWatch "The parameter AlarmName is
// required." (MissingParameter); SNS "Invalid parameter: TopicArn"
// (InvalidParameter). Malformed values: InputReader's ValidationError
// message with the service's invalid-parameter error (CloudWatch:
// ValidationError).

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/errors.h"
#include "api/input.h"
#include "api/value.h"

namespace tw::server {

inline constexpr bool kRequired = true;

// A page token that is the offset of the page's first item ("50");
// nullopt when the text is not one, 0 when there is no token.
std::optional<std::size_t> PageOffset(const std::optional<std::string>& token);

// Tags as CloudWatch and SNS answer them: [{Key, Value}], by key.
api::Value TagListValue(const std::map<std::string, std::string>& tags);

class Args {
 public:
  Args(const api::InputReader& input, api::Service service) : in_(input), service_(service) {}

  // Each leaves *out untouched when the member is absent and not required,
  // and returns false (with error()) on a failure.
  bool String(std::string_view name, std::string* out, bool required = false);
  bool String(std::string_view name, std::optional<std::string>* out);
  bool Integer(std::string_view name, std::int64_t* out, bool required = false);
  bool Integer(std::string_view name, std::optional<std::int64_t>* out);
  bool Double(std::string_view name, std::optional<double>* out, bool required = false);
  bool Bool(std::string_view name, bool* out);
  bool Timestamp(std::string_view name, std::optional<TimePoint>* out, bool required = false);
  bool StringList(std::string_view name, std::vector<std::string>* out, bool required = false);
  bool StringMap(std::string_view name, std::map<std::string, std::string>* out);
  bool List(std::string_view name, std::vector<api::InputReader>* out, bool required = false);
  // A Tags list of {Key, Value} (CloudWatch and SNS): at most 50, keys of
  // 1-128 characters, values of at most 256; a key given twice keeps the
  // last value.
  bool Tags(std::string_view name, std::map<std::string, std::string>* out, bool required = false);

  const api::ApiError& error() const { return error_; }
  const api::InputReader& input() const { return in_; }

  // The service's error for a missing required member / a bad value.
  api::ApiError Missing(std::string_view name) const;
  api::ApiError Invalid(std::string message) const;

 private:
  template <typename T>
  bool Take(Result<std::optional<T>> value, std::string_view name, bool required, T* out);

  const api::InputReader& in_;
  api::Service service_;
  api::ApiError error_;
};

}  // namespace tw::server
