// Reading an operation's input the same way from every wire format.
//
// awsQuery gives every scalar as text ("5", "true", "2023-11-14T22:13:20Z")
// and an empty list as ""; JSON gives numbers, booleans, epoch-second
// timestamps; CBOR may give tagged timestamps. An InputReader over a
// Structure accepts each of these for the type the operation asks for, and
// rejects anything else with the ValidationError text AWS uses:
//   "1 validation error detected: Value 'abc' at 'period' failed to satisfy
//    constraint: Member must be an integer"
// (the member path in the message is the member name with its first letter
// lower-cased, as AWS writes it: "Period" -> "period"; inside a list item
// "dimensions.1.member.name", inside a nested structure "metricStat.period",
// inside a map value "messageAttributes.<key>.dataType").
//
// Constraint texts, one per type: "Member must be a string", "... an
// integer", "... a number", "... a boolean", "... a timestamp", "... a list",
// "... a structure", "... a map". The offending value is shown as text
// (lists "[a, b]", structures "{k=v}", doubles as Java prints them).
//
// What each accessor accepts:
//   String     a String only.
//   Integer    an Integer, an integral Double within int64, or decimal text
//              with an optional sign ("5", "-3", "+7").
//   Double     a number, or text as strtod reads it (no leading blanks, no
//              hex): "5.0", "1e3", "NaN", "Infinity", "-inf" are returned as
//              they are; the operations check ranges.
//   Bool       a Bool, or "true"/"false" in any case.
//   Timestamp  a Timestamp; a number or numeric text is epoch seconds (a
//              fraction gives milliseconds, rounded); other text is ISO 8601
//              (ParseTimestamp). Years 0000-9999 only.
// Null members, and Null values in maps, read as absent.
//
//   InputReader in(input);
//   Result<std::optional<std::string>> name = in.String("AlarmName");
//   Result<std::optional<std::int64_t>> period = in.Integer("Period");
//   Result<std::vector<InputReader>> dims = in.List("Dimensions");  // structures
//   Result<std::optional<std::vector<std::string>>> arns = in.StringList("AlarmActions");

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/value.h"
#include "common/status.h"
#include "common/time.h"

namespace tw::api {

class InputReader {
 public:
  // `value` must outlive the reader. A non-Structure value reads as empty.
  explicit InputReader(const Value& value, std::string path = "");

  bool Has(std::string_view name) const;
  const Value* Raw(std::string_view name) const;

  // nullopt when the member is absent (or JSON null). Errors are
  // kInvalidArgument with the ValidationError message described above.
  Result<std::optional<std::string>> String(std::string_view name) const;
  Result<std::optional<std::int64_t>> Integer(std::string_view name) const;
  Result<std::optional<double>> Double(std::string_view name) const;
  Result<std::optional<bool>> Bool(std::string_view name) const;
  // Epoch seconds (number or numeric text), ISO 8601 text, or a Timestamp.
  Result<std::optional<TimePoint>> Timestamp(std::string_view name) const;
  // A List, or "" (awsQuery's empty list); nullopt when absent.
  Result<std::optional<std::vector<std::string>>> StringList(std::string_view name) const;
  Result<std::optional<std::vector<double>>> DoubleList(std::string_view name) const;
  // A List of Structures (or Maps), each as a reader whose messages say
  // "name.N.member.field" (N from 1). Absent or "" gives an empty vector.
  Result<std::vector<InputReader>> List(std::string_view name) const;
  // A Map or a Structure of string values; "" is an empty map.
  Result<std::optional<std::map<std::string, std::string>>> StringMap(std::string_view name) const;
  // A nested Structure; nullopt when absent.
  Result<std::optional<InputReader>> Structure(std::string_view name) const;
  // A Map or Structure whose values are Structures (SNS MessageAttributes),
  // in order; absent or "" gives an empty vector.
  Result<std::vector<std::pair<std::string, InputReader>>> StructureMap(
      std::string_view name) const;

  const Value& value() const { return *value_; }

 private:
  std::string PathOf(std::string_view name) const;

  const Value* value_;
  std::string path_;
};

// The message of a constraint violation, as AWS words it:
// "1 validation error detected: Value '<value>' at '<path>' failed to
// satisfy constraint: <constraint>".
std::string ValidationMessage(std::string_view value, std::string_view path,
                              std::string_view constraint);

}  // namespace tw::api
