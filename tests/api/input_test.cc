// InputReader over the three wire shapes: awsQuery text, JSON numbers and
// CBOR tags, and every ValidationError text.

#include "api/input.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "api/codec.h"

namespace tw::api {
namespace {

Value Query(std::string_view form) {
  Result<Value> v = DecodeQuery(form);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : Value();
}

Value Json(std::string_view body) {
  Result<Value> v = DecodeJson(body);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : Value();
}

Value Cbor(std::string_view bytes) {
  Result<Value> v = DecodeCbor(bytes);
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() ? *v : Value();
}

// The message of a failed Result, checking that it is kInvalidArgument.
template <typename T>
std::string ErrorOf(const Result<T>& result) {
  if (result.ok()) return "ok";
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  return result.status().message();
}

std::string Message(std::string_view value, std::string_view path, std::string_view constraint) {
  return "1 validation error detected: Value '" + std::string(value) + "' at '" +
         std::string(path) + "' failed to satisfy constraint: " + std::string(constraint);
}

TEST(InputReaderTest, ValidationMessageIsAwsText) {
  EXPECT_EQ(ValidationMessage("0", "evaluationPeriods",
                              "Member must have value greater than or equal to 1"),
            "1 validation error detected: Value '0' at 'evaluationPeriods' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
}

TEST(InputReaderTest, ReadsStrings) {
  Value q = Query("AlarmName=High+Errors&Empty=");
  InputReader in(q);
  EXPECT_EQ(*in.String("AlarmName"), "High Errors");
  EXPECT_EQ(*in.String("Empty"), "");
  EXPECT_EQ(*in.String("Missing"), std::nullopt);
  Value j = Json(R"({"AlarmName":5,"Null":null,"List":["a","b"],"S":{"Name":"Env","Value":"p"}})");
  InputReader json(j);
  EXPECT_EQ(*json.String("Null"), std::nullopt);
  EXPECT_EQ(ErrorOf(json.String("AlarmName")),
            Message("5", "alarmName", "Member must be a string"));
  EXPECT_EQ(ErrorOf(json.String("List")), Message("[a, b]", "list", "Member must be a string"));
  EXPECT_EQ(ErrorOf(json.String("S")),
            Message("{Name=Env, Value=p}", "s", "Member must be a string"));
}

TEST(InputReaderTest, ReadsIntegers) {
  Value q = Query(
      "Period=60&Neg=-3&Plus=%2B7&Max=9223372036854775807&Bad=abc&Frac=5.0"
      "&Over=9223372036854775808&Space=+5&Empty=");
  InputReader in(q);
  EXPECT_EQ(*in.Integer("Period"), 60);
  EXPECT_EQ(*in.Integer("Neg"), -3);
  EXPECT_EQ(*in.Integer("Plus"), 7);
  EXPECT_EQ(*in.Integer("Max"), INT64_MAX);
  EXPECT_EQ(*in.Integer("Missing"), std::nullopt);
  EXPECT_EQ(ErrorOf(in.Integer("Bad")), Message("abc", "bad", "Member must be an integer"));
  EXPECT_EQ(ErrorOf(in.Integer("Frac")), Message("5.0", "frac", "Member must be an integer"));
  EXPECT_EQ(ErrorOf(in.Integer("Over")),
            Message("9223372036854775808", "over", "Member must be an integer"));
  EXPECT_EQ(ErrorOf(in.Integer("Space")), Message(" 5", "space", "Member must be an integer"));
  EXPECT_EQ(ErrorOf(in.Integer("Empty")), Message("", "empty", "Member must be an integer"));

  Value j = Json(R"({"Period":60,"Whole":60.0,"Half":1.5,"Text":"42","Flag":true,"Huge":1e19,)"
                 R"("Null":null})");
  InputReader json(j);
  EXPECT_EQ(*json.Integer("Period"), 60);
  EXPECT_EQ(*json.Integer("Whole"), 60);
  EXPECT_EQ(*json.Integer("Text"), 42);
  EXPECT_EQ(*json.Integer("Null"), std::nullopt);
  EXPECT_EQ(ErrorOf(json.Integer("Half")), Message("1.5", "half", "Member must be an integer"));
  EXPECT_EQ(ErrorOf(json.Integer("Flag")), Message("true", "flag", "Member must be an integer"));
  EXPECT_EQ(ErrorOf(json.Integer("Huge")), Message("1.0E19", "huge", "Member must be an integer"));

  // CBOR: a float64 integer as Java might send it.
  Value c = Cbor(std::string("\xA1\x66Period\xFB\x40\x4E\x00\x00\x00\x00\x00\x00", 17));
  EXPECT_EQ(*InputReader(c).Integer("Period"), 60);
}

TEST(InputReaderTest, ReadsDoubles) {
  Value q = Query(
      "Threshold=5.0&Int=12&Exp=1e3&Plus=%2B2.5&NaN=NaN&Inf=Infinity&NegInf=-Infinity"
      "&Bad=abc&Empty=&Lead=+1&Hex=0x10");
  InputReader in(q);
  EXPECT_EQ(*in.Double("Threshold"), 5.0);
  EXPECT_EQ(*in.Double("Int"), 12.0);
  EXPECT_EQ(*in.Double("Exp"), 1000.0);
  EXPECT_EQ(*in.Double("Plus"), 2.5);
  EXPECT_TRUE(std::isnan(**in.Double("NaN")));
  EXPECT_EQ(*in.Double("Inf"), INFINITY);
  EXPECT_EQ(*in.Double("NegInf"), -INFINITY);
  EXPECT_EQ(*in.Double("Missing"), std::nullopt);
  EXPECT_EQ(ErrorOf(in.Double("Bad")), Message("abc", "bad", "Member must be a number"));
  EXPECT_EQ(ErrorOf(in.Double("Empty")), Message("", "empty", "Member must be a number"));
  EXPECT_EQ(ErrorOf(in.Double("Lead")), Message(" 1", "lead", "Member must be a number"));
  EXPECT_EQ(ErrorOf(in.Double("Hex")), Message("0x10", "hex", "Member must be a number"));

  Value j = Json(R"({"Threshold":1.5,"Int":5,"Text":"2.25","Flag":false,"List":[1]})");
  InputReader json(j);
  EXPECT_EQ(*json.Double("Threshold"), 1.5);
  EXPECT_EQ(*json.Double("Int"), 5.0);
  EXPECT_EQ(*json.Double("Text"), 2.25);
  EXPECT_EQ(ErrorOf(json.Double("Flag")), Message("false", "flag", "Member must be a number"));
  EXPECT_EQ(ErrorOf(json.Double("List")), Message("[1]", "list", "Member must be a number"));

  // CBOR half float 1.5.
  Value c = Cbor(std::string("\xA1\x61T\xF9\x3E\x00", 6));
  EXPECT_EQ(*InputReader(c).Double("T"), 1.5);
}

TEST(InputReaderTest, ReadsBooleans) {
  Value q = Query("A=true&B=false&C=TRUE&D=False&E=yes&F=1&G=");
  InputReader in(q);
  EXPECT_EQ(*in.Bool("A"), true);
  EXPECT_EQ(*in.Bool("B"), false);
  EXPECT_EQ(*in.Bool("C"), true);
  EXPECT_EQ(*in.Bool("D"), false);
  EXPECT_EQ(*in.Bool("Missing"), std::nullopt);
  EXPECT_EQ(ErrorOf(in.Bool("E")), Message("yes", "e", "Member must be a boolean"));
  EXPECT_EQ(ErrorOf(in.Bool("F")), Message("1", "f", "Member must be a boolean"));
  EXPECT_EQ(ErrorOf(in.Bool("G")), Message("", "g", "Member must be a boolean"));
  Value j = Json(R"({"ActionsEnabled":true,"N":1})");
  EXPECT_EQ(*InputReader(j).Bool("ActionsEnabled"), true);
  EXPECT_EQ(ErrorOf(InputReader(j).Bool("N")), Message("1", "n", "Member must be a boolean"));
}

TEST(InputReaderTest, ReadsTimestamps) {
  const TimePoint t = FromEpochMillis(1700000000000);
  const TimePoint t123 = FromEpochMillis(1700000000123);
  // awsQuery: the CLI's and boto3's ISO 8601, or numeric text.
  Value q = Query(
      "Cli=2023-11-14T22%3A13%3A20Z&Boto=2023-11-14T22%3A13%3A20.123000Z"
      "&Epoch=1700000000&Frac=1700000000.123&Offset=2023-11-14T23:13:20%2B01:00"
      "&Bad=yesterday&Empty=&NaN=NaN&Far=1e12");
  InputReader in(q);
  EXPECT_EQ(*in.Timestamp("Cli"), t);
  EXPECT_EQ(*in.Timestamp("Boto"), t123);
  EXPECT_EQ(*in.Timestamp("Epoch"), t);
  EXPECT_EQ(*in.Timestamp("Frac"), t123);
  EXPECT_EQ(*in.Timestamp("Offset"), t);
  EXPECT_EQ(*in.Timestamp("Missing"), std::nullopt);
  EXPECT_EQ(ErrorOf(in.Timestamp("Bad")),
            Message("yesterday", "bad", "Member must be a timestamp"));
  EXPECT_EQ(ErrorOf(in.Timestamp("Empty")), Message("", "empty", "Member must be a timestamp"));
  EXPECT_EQ(ErrorOf(in.Timestamp("NaN")), Message("NaN", "naN", "Member must be a timestamp"));
  EXPECT_EQ(ErrorOf(in.Timestamp("Far")), Message("1e12", "far", "Member must be a timestamp"));

  // JSON 1.0: epoch seconds, the fraction giving milliseconds.
  Value j = Json(R"({"Timestamp":1700000000.123,"StartTime":1700000000,"Neg":-1.5,)"
                 R"("Iso":"2023-11-14T22:13:20Z","Huge":1e300,"Big":9000000000000,"Flag":true})");
  InputReader json(j);
  EXPECT_EQ(*json.Timestamp("Timestamp"), t123);
  EXPECT_EQ(*json.Timestamp("StartTime"), t);
  EXPECT_EQ(*json.Timestamp("Neg"), FromEpochMillis(-1500));
  EXPECT_EQ(*json.Timestamp("Iso"), t);
  EXPECT_EQ(ErrorOf(json.Timestamp("Huge")),
            Message("1.0E300", "huge", "Member must be a timestamp"));
  EXPECT_EQ(ErrorOf(json.Timestamp("Big")),
            Message("9000000000000", "big", "Member must be a timestamp"));
  EXPECT_EQ(ErrorOf(json.Timestamp("Flag")), Message("true", "flag", "Member must be a timestamp"));

  // CBOR: tag 1 around an integer or a float64.
  Value c =
      Cbor(std::string("\xA2\x61I\xC1\x1A\x65\x53\xF1\x00\x61"
                       "F\xC1\xFB\x41\xD9\x54\xFC\x40\x07\xDF\x3B",
                       21));
  InputReader cbor(c);
  EXPECT_EQ(*cbor.Timestamp("I"), t);
  EXPECT_EQ(*cbor.Timestamp("F"), t123);
  // A Timestamp shows as ISO 8601 in messages.
  EXPECT_EQ(ErrorOf(cbor.String("F")),
            Message("2023-11-14T22:13:20.123Z", "f", "Member must be a string"));
}

TEST(InputReaderTest, ReadsStringLists) {
  Value q = Query(
      "AlarmActions.member.1=a&AlarmActions.member.2=b&OKActions=&Scalar=x"
      "&Nested.member.1.X=1");
  InputReader in(q);
  EXPECT_EQ(*in.StringList("AlarmActions"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*in.StringList("OKActions"), std::vector<std::string>{});
  EXPECT_EQ(*in.StringList("Missing"), std::nullopt);
  EXPECT_EQ(ErrorOf(in.StringList("Scalar")), Message("x", "scalar", "Member must be a list"));
  EXPECT_EQ(ErrorOf(in.StringList("Nested")),
            Message("{X=1}", "nested.1.member", "Member must be a string"));
  Value j = Json(R"({"AlarmActions":["a",2],"OKActions":[],"N":null,"O":{}})");
  InputReader json(j);
  EXPECT_EQ(*json.StringList("OKActions"), std::vector<std::string>{});
  EXPECT_EQ(*json.StringList("N"), std::nullopt);
  EXPECT_EQ(ErrorOf(json.StringList("AlarmActions")),
            Message("2", "alarmActions.2.member", "Member must be a string"));
  EXPECT_EQ(ErrorOf(json.StringList("O")), Message("{}", "o", "Member must be a list"));
}

TEST(InputReaderTest, ReadsDoubleLists) {
  Value q = Query("Values.member.1=1&Values.member.2=2.5&Values.member.3=x&Empty=");
  InputReader in(q);
  EXPECT_EQ(ErrorOf(in.DoubleList("Values")),
            Message("x", "values.3.member", "Member must be a number"));
  EXPECT_EQ(*in.DoubleList("Empty"), std::vector<double>{});
  EXPECT_EQ(*in.DoubleList("Missing"), std::nullopt);
  Value j = Json(R"({"Values":[1,2.5,"3"],"Bad":[true],"Scalar":1})");
  InputReader json(j);
  EXPECT_EQ(*json.DoubleList("Values"), (std::vector<double>{1, 2.5, 3}));
  EXPECT_EQ(ErrorOf(json.DoubleList("Bad")),
            Message("true", "bad.1.member", "Member must be a number"));
  EXPECT_EQ(ErrorOf(json.DoubleList("Scalar")), Message("1", "scalar", "Member must be a list"));
}

TEST(InputReaderTest, ReadsListsOfStructures) {
  Value q = Query(
      "Dimensions.member.1.Name=Env&Dimensions.member.1.Value=prod"
      "&Dimensions.member.2.Name=Svc&Dimensions.member.2.Value.X=1&Empty=&Scalar=x"
      "&Strings.member.1=s");
  InputReader in(q);
  Result<std::vector<InputReader>> dims = in.List("Dimensions");
  ASSERT_TRUE(dims.ok());
  ASSERT_EQ(dims->size(), 2u);
  EXPECT_EQ(*(*dims)[0].String("Name"), "Env");
  EXPECT_EQ(*(*dims)[0].String("Value"), "prod");
  EXPECT_EQ(ErrorOf((*dims)[1].String("Value")),
            Message("{X=1}", "dimensions.2.member.value", "Member must be a string"));
  EXPECT_TRUE(in.List("Empty")->empty());
  EXPECT_TRUE(in.List("Missing")->empty());
  EXPECT_EQ(ErrorOf(in.List("Scalar")), Message("x", "scalar", "Member must be a list"));
  EXPECT_EQ(ErrorOf(in.List("Strings")),
            Message("s", "strings.1.member", "Member must be a structure"));
  // Paths nest through lists and structures as AWS writes them.
  Value deep = Query(
      "MetricDataQueries.member.1.Id=a"
      "&MetricDataQueries.member.1.MetricStat.Period=abc");
  Result<std::vector<InputReader>> queries = InputReader(deep).List("MetricDataQueries");
  ASSERT_TRUE(queries.ok());
  Result<std::optional<InputReader>> stat = (*queries)[0].Structure("MetricStat");
  ASSERT_TRUE(stat.ok() && stat->has_value());
  EXPECT_EQ(
      ErrorOf((*stat)->Integer("Period")),
      Message("abc", "metricDataQueries.1.member.metricStat.period", "Member must be an integer"));
  Value j = Json(R"({"Dimensions":[{"Name":"Env","Value":"prod"},null]})");
  EXPECT_EQ(ErrorOf(InputReader(j).List("Dimensions")),
            Message("null", "dimensions.2.member", "Member must be a structure"));
}

TEST(InputReaderTest, ReadsStringMaps) {
  Value q = Query(
      "Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Alerts"
      "&Attributes.entry.2.key=Policy&Attributes.entry.2.value="
      "&Bad.entry.1.key=k&Bad.entry.1.value.X=1&Empty=&Scalar=x");
  InputReader in(q);
  EXPECT_EQ(*in.StringMap("Attributes"),
            (std::map<std::string, std::string>{{"DisplayName", "Alerts"}, {"Policy", ""}}));
  EXPECT_EQ(*in.StringMap("Empty"), (std::map<std::string, std::string>{}));
  EXPECT_EQ(*in.StringMap("Missing"), std::nullopt);
  EXPECT_EQ(ErrorOf(in.StringMap("Bad")), Message("{X=1}", "bad.k", "Member must be a string"));
  EXPECT_EQ(ErrorOf(in.StringMap("Scalar")), Message("x", "scalar", "Member must be a map"));
  Value j = Json(R"({"tags":{"team":"a","gone":null},"n":{"k":1},"l":["a"]})");
  InputReader json(j);
  EXPECT_EQ(*json.StringMap("tags"), (std::map<std::string, std::string>{{"team", "a"}}));
  EXPECT_EQ(ErrorOf(json.StringMap("n")), Message("1", "n.k", "Member must be a string"));
  EXPECT_EQ(ErrorOf(json.StringMap("l")), Message("[a]", "l", "Member must be a map"));
}

TEST(InputReaderTest, ReadsStructures) {
  Value q = Query("StatisticValues.SampleCount=2&StatisticValues.Sum=x&Scalar=x&Empty=");
  InputReader in(q);
  Result<std::optional<InputReader>> stats = in.Structure("StatisticValues");
  ASSERT_TRUE(stats.ok() && stats->has_value());
  EXPECT_EQ(*(*stats)->Double("SampleCount"), 2.0);
  EXPECT_EQ(ErrorOf((*stats)->Double("Sum")),
            Message("x", "statisticValues.sum", "Member must be a number"));
  EXPECT_EQ(*in.Structure("Missing"), std::nullopt);
  EXPECT_EQ(ErrorOf(in.Structure("Scalar")), Message("x", "scalar", "Member must be a structure"));
  EXPECT_EQ(ErrorOf(in.Structure("Empty")), Message("", "empty", "Member must be a structure"));
}

TEST(InputReaderTest, ReadsStructureMaps) {
  // §1.4's Publish.
  Value q = Query(
      "MessageAttributes.entry.1.Name=k&MessageAttributes.entry.1.Value.DataType=String"
      "&MessageAttributes.entry.1.Value.StringValue=v"
      "&MessageAttributes.entry.2.Name=n&MessageAttributes.entry.2.Value.DataType=Number"
      "&MessageAttributes.entry.2.Value.StringValue.X=1"
      "&Flat.entry.1.Name=k&Flat.entry.1.Value=v&Empty=&Scalar=x");
  InputReader in(q);
  Result<std::vector<std::pair<std::string, InputReader>>> attributes =
      in.StructureMap("MessageAttributes");
  ASSERT_TRUE(attributes.ok());
  ASSERT_EQ(attributes->size(), 2u);
  EXPECT_EQ((*attributes)[0].first, "k");
  EXPECT_EQ(*(*attributes)[0].second.String("DataType"), "String");
  EXPECT_EQ(*(*attributes)[0].second.String("StringValue"), "v");
  EXPECT_EQ((*attributes)[1].first, "n");
  EXPECT_EQ(ErrorOf((*attributes)[1].second.String("StringValue")),
            Message("{X=1}", "messageAttributes.n.stringValue", "Member must be a string"));
  EXPECT_EQ(ErrorOf(in.StructureMap("Flat")), Message("v", "flat.k", "Member must be a structure"));
  EXPECT_TRUE(in.StructureMap("Empty")->empty());
  EXPECT_TRUE(in.StructureMap("Missing")->empty());
  EXPECT_EQ(ErrorOf(in.StructureMap("Scalar")), Message("x", "scalar", "Member must be a map"));
  // JSON 1.0 sends the same map as an object.
  Value j = Json(R"({"MessageAttributes":{"k":{"DataType":"String","StringValue":"v"},"z":null}})");
  Result<std::vector<std::pair<std::string, InputReader>>> json =
      InputReader(j).StructureMap("MessageAttributes");
  ASSERT_TRUE(json.ok());
  ASSERT_EQ(json->size(), 1u);
  EXPECT_EQ(*(*json)[0].second.String("StringValue"), "v");
}

TEST(InputReaderTest, PathsLowerTheFirstLetterOnly) {
  Value q = Query("OKActions=x&period=y");
  InputReader in(q);
  EXPECT_EQ(ErrorOf(in.StringList("OKActions")),
            Message("x", "oKActions", "Member must be a list"));
  EXPECT_EQ(ErrorOf(in.Integer("period")), Message("y", "period", "Member must be an integer"));
  InputReader nested(q, "outer.1.member");
  EXPECT_EQ(ErrorOf(nested.Integer("OKActions")),
            Message("x", "outer.1.member.oKActions", "Member must be an integer"));
}

TEST(InputReaderTest, NonStructureReadsAsEmpty) {
  for (const Value& v : {Value(), Value::String("x"), Value::List({Value::Integer(1)})}) {
    InputReader in(v);
    EXPECT_FALSE(in.Has("A"));
    EXPECT_EQ(in.Raw("A"), nullptr);
    EXPECT_EQ(*in.String("A"), std::nullopt);
    EXPECT_TRUE(in.List("A")->empty());
    EXPECT_EQ(&in.value(), &v);
  }
  Value j = Json(R"({"A":1,"N":null})");
  InputReader in(j);
  EXPECT_TRUE(in.Has("A"));
  EXPECT_FALSE(in.Has("N"));  // JSON null is absent
  ASSERT_NE(in.Raw("N"), nullptr);
  EXPECT_TRUE(in.Raw("N")->is_null());
  // A Map reads like a Structure.
  Value m = Value::Map({{"k", Value::String("v")}});
  EXPECT_EQ(*InputReader(m).String("k"), "v");
}

}  // namespace
}  // namespace tw::api
