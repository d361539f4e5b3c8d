// Golden tests for the wire codecs: the captured requests and responses of
// spec aws-protocols-alarms.md §1.4-1.6 and §3.4, RFC 8949 Appendix A for
// CBOR, and every rejection with its message.

#include "api/codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tw::api {
namespace {

// "83 01 02" -> the three bytes; spaces are ignored.
std::string Bytes(std::string_view hex) {
  auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    if (high < 0) {
      high = digit(c);
    } else {
      out.push_back(static_cast<char>(high * 16 + digit(c)));
      high = -1;
    }
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// The XML of the spec without its indentation: every line break and the
// spaces after it (the element texts have no line breaks).
std::string WithoutIndentation(std::string_view xml) {
  std::string out;
  for (std::size_t i = 0; i < xml.size(); ++i) {
    if (xml[i] != '\n') {
      out.push_back(xml[i]);
      continue;
    }
    while (i + 1 < xml.size() && xml[i + 1] == ' ') ++i;
  }
  return out;
}

std::string DecodedQuery(std::string_view form) {
  Result<Value> v = DecodeQuery(form);
  if (!v.ok()) return "error: " + v.status().message();
  return v->DebugString();
}

std::string QueryError(std::string_view form) {
  Result<Value> v = DecodeQuery(form);
  if (v.ok()) return "ok: " + v->DebugString();
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  return v.status().message();
}

std::string DecodedJson(std::string_view body) {
  Result<Value> v = DecodeJson(body);
  if (!v.ok()) return "error: " + v.status().message();
  return v->DebugString();
}

std::string JsonError(std::string_view body) {
  Result<Value> v = DecodeJson(body);
  if (v.ok()) return "ok: " + v->DebugString();
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  return v.status().message();
}

std::string DecodedCbor(std::string_view hex) {
  Result<Value> v = DecodeCbor(Bytes(hex));
  if (!v.ok()) return "error: " + v.status().message();
  return v->DebugString();
}

std::string CborError(std::string_view bytes) {
  Result<Value> v = DecodeCbor(bytes);
  if (v.ok()) return "ok: " + v->DebugString();
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  return v.status().message();
}

TimePoint At(std::int64_t epoch_millis) { return FromEpochMillis(epoch_millis); }

Value S(std::string s) { return Value::String(std::move(s)); }

// --- awsQuery requests -------------------------------------------------------

TEST(QueryCodecTest, DecodesCapturedPutMetricAlarm) {
  // §1.4, CLI 2.9.19, the line breaks of the spec removed.
  std::string body =
      "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=HighErrors&AlarmDescription=too+many+"
      "errors"
      "&OKActions.member.1=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts"
      "&AlarmActions.member.1=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts"
      "&MetricName=ErrorCount&Namespace=App&Statistic=Sum"
      "&Dimensions.member.1.Name=Env&Dimensions.member.1.Value=prod"
      "&Dimensions.member.2.Name=Svc&Dimensions.member.2.Value=api"
      "&Period=60&Unit=Count&EvaluationPeriods=3&DatapointsToAlarm=2&Threshold=5.0"
      "&ComparisonOperator=GreaterThanThreshold&TreatMissingData=notBreaching";
  EXPECT_EQ(DecodedQuery(body),
            R"({Action:"PutMetricAlarm",Version:"2010-08-01",AlarmName:"HighErrors",)"
            R"(AlarmDescription:"too many errors",)"
            R"(OKActions:["arn:aws:sns:us-east-1:123456789012:alerts"],)"
            R"(AlarmActions:["arn:aws:sns:us-east-1:123456789012:alerts"],)"
            R"(MetricName:"ErrorCount",Namespace:"App",Statistic:"Sum",)"
            R"(Dimensions:[{Name:"Env",Value:"prod"},{Name:"Svc",Value:"api"}],)"
            R"(Period:"60",Unit:"Count",EvaluationPeriods:"3",DatapointsToAlarm:"2",)"
            R"(Threshold:"5.0",ComparisonOperator:"GreaterThanThreshold",)"
            R"(TreatMissingData:"notBreaching"})");
}

TEST(QueryCodecTest, DecodesCapturedPutMetricData) {
  std::string body =
      "Action=PutMetricData&Version=2010-08-01&Namespace=App"
      "&MetricData.member.1.MetricName=Latency&MetricData.member.1.Value=12.5"
      "&MetricData.member.1.Unit=Milliseconds"
      "&MetricData.member.1.Timestamp=2023-11-14T22%3A13%3A20Z"
      "&MetricData.member.1.Dimensions.member.1.Name=Env"
      "&MetricData.member.1.Dimensions.member.1.Value=prod"
      "&MetricData.member.2.MetricName=Latency&MetricData.member.2.Values.member.1=1"
      "&MetricData.member.2.Values.member.2=2"
      "&MetricData.member.2.Counts.member.1=3&MetricData.member.2.Counts.member.2=4"
      "&MetricData.member.3.MetricName=S&MetricData.member.3.StatisticValues.SampleCount=2"
      "&MetricData.member.3.StatisticValues.Sum=3&MetricData.member.3.StatisticValues.Minimum=1"
      "&MetricData.member.3.StatisticValues.Maximum=2";
  EXPECT_EQ(
      DecodedQuery(body),
      R"({Action:"PutMetricData",Version:"2010-08-01",Namespace:"App",MetricData:[)"
      R"({MetricName:"Latency",Value:"12.5",Unit:"Milliseconds",)"
      R"(Timestamp:"2023-11-14T22:13:20Z",Dimensions:[{Name:"Env",Value:"prod"}]},)"
      R"({MetricName:"Latency",Values:["1","2"],Counts:["3","4"]},)"
      R"({MetricName:"S",StatisticValues:{SampleCount:"2",Sum:"3",Minimum:"1",Maximum:"2"}}]})");
}

TEST(QueryCodecTest, DecodesCapturedPublishWithNameValueEntries) {
  std::string body =
      "Action=Publish&Version=2010-03-31"
      "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts"
      "&Message=hello+world&Subject=Hi&MessageAttributes.entry.1.Name=k"
      "&MessageAttributes.entry.1.Value.DataType=String"
      "&MessageAttributes.entry.1.Value.StringValue=v";
  EXPECT_EQ(DecodedQuery(body),
            R"({Action:"Publish",Version:"2010-03-31",)"
            R"(TopicArn:"arn:aws:sns:us-east-1:123456789012:alerts",Message:"hello world",)"
            R"(Subject:"Hi",MessageAttributes:map{k:{DataType:"String",StringValue:"v"}}})");
}

TEST(QueryCodecTest, DecodesCapturedSubscribeWithKeyValueEntries) {
  // §3.4.
  std::string body =
      "Action=Subscribe&Version=2010-03-31"
      "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts"
      "&Protocol=https&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=false"
      "&Endpoint=https%3A%2F%2Fexample.com%2Fhook";
  EXPECT_EQ(DecodedQuery(body),
            R"({Action:"Subscribe",Version:"2010-03-31",)"
            R"(TopicArn:"arn:aws:sns:us-east-1:123456789012:alerts",Protocol:"https",)"
            R"(Attributes:map{RawMessageDelivery:"false"},Endpoint:"https://example.com/hook"})");
}

TEST(QueryCodecTest, DecodesCapturedDescribeAlarms) {
  EXPECT_EQ(DecodedQuery("Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=HighErrors"),
            R"({Action:"DescribeAlarms",Version:"2010-08-01",AlarmNames:["HighErrors"]})");
}

TEST(QueryCodecTest, DecodesPlusAndPercentTwentyAsSpace) {
  // botocore writes '+', JS '%20'; a literal plus arrives as %2B.
  EXPECT_EQ(DecodedQuery("A=too+many&B=too%20many&C=1%2B1&D=~x%7E"),
            R"({A:"too many",B:"too many",C:"1+1",D:"~x~"})");
  EXPECT_EQ(DecodedQuery("Alarm+Name=x"), R"({Alarm Name:"x"})");
  EXPECT_EQ(DecodedQuery("A=%C3%A9"), "{A:\"\xC3\xA9\"}");
}

TEST(QueryCodecTest, EmptyValueIsAnEmptyListMarker) {
  EXPECT_EQ(DecodedQuery("Action=PutMetricAlarm&AlarmActions="),
            R"({Action:"PutMetricAlarm",AlarmActions:""})");
  // The marker gives way to members of the same path, in either order.
  EXPECT_EQ(DecodedQuery("L=&L.member.1=x"), R"({L:["x"]})");
  EXPECT_EQ(DecodedQuery("L.member.1=x&L="), R"({L:["x"]})");
  EXPECT_EQ(DecodedQuery("S=&S.A=1"), R"({S:{A:"1"}})");
  // A name without '=' has an empty value.
  EXPECT_EQ(DecodedQuery("AlarmActions"), R"({AlarmActions:""})");
}

TEST(QueryCodecTest, OrdersIndicesNumerically) {
  std::string body;
  for (int i : {10, 2, 1, 9, 3, 8, 4, 7, 5, 6, 11}) {
    body += "L.member." + std::to_string(i) + "=v" + std::to_string(i) + "&";
  }
  EXPECT_EQ(DecodedQuery(body),
            R"({L:["v1","v2","v3","v4","v5","v6","v7","v8","v9","v10","v11"]})");
  // Gaps close up; items may be structures given member by member.
  EXPECT_EQ(
      DecodedQuery("D.member.7.Name=b&D.member.3.Name=a&D.member.7.Value=2&D.member.3.Value=1"),
      R"({D:[{Name:"a",Value:"1"},{Name:"b",Value:"2"}]})");
  EXPECT_EQ(
      DecodedQuery("M.entry.10.key=ten&M.entry.10.value=10&M.entry.2.key=two&M.entry.2.value=2"),
      R"({M:map{two:"2",ten:"10"}})");
}

TEST(QueryCodecTest, DecodesMapsInBothStyles) {
  EXPECT_EQ(DecodedQuery("Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Alerts+%26+co"
                         "&Attributes.entry.2.key=Policy&Attributes.entry.2.value="),
            R"({Attributes:map{DisplayName:"Alerts & co",Policy:""}})");
  // The value may come before the key.
  EXPECT_EQ(DecodedQuery("M.entry.1.value=v&M.entry.1.key=k"), R"({M:map{k:"v"}})");
  EXPECT_EQ(DecodedQuery("MessageAttributes.entry.1.Name=n"
                         "&MessageAttributes.entry.1.Value.DataType=Binary"
                         "&MessageAttributes.entry.1.Value.BinaryValue=AAE%3D"
                         "&MessageAttributes.entry.2.Name=s"
                         "&MessageAttributes.entry.2.Value.DataType=String.Array"
                         "&MessageAttributes.entry.2.Value.StringValue=%5B%22a%22%5D"),
            R"({MessageAttributes:map{n:{DataType:"Binary",BinaryValue:"AAE="},)"
            R"(s:{DataType:"String.Array",StringValue:"[\"a\"]"}}})");
  // A key given twice: the later entry's value, in the first entry's place.
  EXPECT_EQ(DecodedQuery("M.entry.1.key=k&M.entry.1.value=1&M.entry.2.key=j&M.entry.2.value=2"
                         "&M.entry.3.key=k&M.entry.3.value=3"),
            R"({M:map{k:"3",j:"2"}})");
}

TEST(QueryCodecTest, KeepsOtherNamesAsStructureMembers) {
  // "member"/"entry" without an index, or at the top level, are plain names.
  EXPECT_EQ(DecodedQuery("S.member=x&member.1=y&S.entry.x=z"),
            R"({S:{member:"x",entry:{x:"z"}},member:{1:"y"}})");
  // A repeated parameter takes its last value.
  EXPECT_EQ(DecodedQuery("A=1&B=2&A=3"), R"({A:"3",B:"2"})");
  // Empty pairs are skipped.
  EXPECT_EQ(DecodedQuery("&A=1&&B=2&"), R"({A:"1",B:"2"})");
  EXPECT_EQ(DecodedQuery(""), "{}");
  // Leading zeros name the same index.
  EXPECT_EQ(DecodedQuery("L.member.01=a&L.member.1=b"), R"({L:["b"]})");
}

TEST(QueryCodecTest, RejectsMalformedEscapes) {
  EXPECT_EQ(QueryError("A=%zz"), "malformed query string: invalid %-escape in 'A=%zz'");
  EXPECT_EQ(QueryError("A=1&B%2=2"), "malformed query string: invalid %-escape in 'B%2=2'");
  EXPECT_EQ(QueryError("A=100%"), "malformed query string: invalid %-escape in 'A=100%'");
}

TEST(QueryCodecTest, RejectsMalformedNames) {
  EXPECT_EQ(QueryError("=x"), "malformed query string: a parameter has no name");
  EXPECT_EQ(QueryError("A..B=1"),
            "malformed query string: parameter name 'A..B' has an empty part");
  EXPECT_EQ(QueryError("A.=1"), "malformed query string: parameter name 'A.' has an empty part");
  EXPECT_EQ(QueryError(".A=1"), "malformed query string: parameter name '.A' has an empty part");
  EXPECT_EQ(QueryError("L.member.1234567890123456789=x"),
            "query parameter name 'L.member.1234567890123456789' has an index "
            "(1234567890123456789) that is too large");
}

TEST(QueryCodecTest, RejectsConflictingPaths) {
  EXPECT_EQ(QueryError("A=1&A.B=2"),
            "conflicting query parameters: 'A' is both a value and a structure");
  EXPECT_EQ(QueryError("A.B=2&A=1"),
            "conflicting query parameters: 'A' is both a structure and a value");
  EXPECT_EQ(QueryError("L.member.1=x&L.Foo=y"),
            "conflicting query parameters: 'L' is both a list and a structure");
  EXPECT_EQ(QueryError("M.entry.1.key=k&M.member.1=x"),
            "conflicting query parameters: 'M' is both a map and a list");
  EXPECT_EQ(QueryError("D.member.1.Name=a&D.member.1=b"),
            "conflicting query parameters: 'D.member.1' is both a structure and a value");
}

TEST(QueryCodecTest, RejectsIncompleteMapEntries) {
  EXPECT_EQ(QueryError("M.entry.1.value=v"),
            "query map entry 'M.entry.1' has no key (.key or .Name)");
  EXPECT_EQ(QueryError("M.entry.1.key=k"),
            "query map entry 'M.entry.1' has no value (.value or .Value)");
  EXPECT_EQ(QueryError("M.entry.2=x"), "query map entry 'M.entry.2' has no key (.key or .Name)");
  EXPECT_EQ(QueryError("M.entry.1.key.x=k&M.entry.1.value=v"),
            "query map entry 'M.entry.1' has no key (.key or .Name)");
}

TEST(QueryCodecTest, BoundsNesting) {
  std::string name = "A";
  for (int i = 1; i < kMaxNestingDepth; ++i) name += ".A";
  EXPECT_TRUE(DecodeQuery(name + "=x").ok());
  std::string deeper = name + ".A";
  Result<Value> v = DecodeQuery(deeper + "=x");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "query parameter name '" + deeper.substr(0, 128) +
                                      "...' is nested deeper than 64 levels");
  // One megabyte of dots fails fast instead of recursing.
  std::string huge(1 << 20, 'a');
  for (std::size_t i = 1; i < huge.size(); i += 2) huge[i] = '.';
  EXPECT_FALSE(DecodeQuery(huge + "=x").ok());
}

// --- awsQuery responses (XML) ------------------------------------------------

Value DescribeAlarmsOutput() {
  const std::string topic = "arn:aws:sns:us-east-1:123456789012:alerts";
  Value alarm = Value::Structure();
  alarm.Set("AlarmName", S("HighErrors"));
  alarm.Set("AlarmArn", S("arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighErrors"));
  alarm.Set("AlarmDescription", S("too many errors"));
  alarm.Set("AlarmConfigurationUpdatedTimestamp", Value::Timestamp(At(1699999800123)));
  alarm.Set("ActionsEnabled", Value::Bool(true));
  alarm.Set("OKActions", Value::List({S(topic)}));
  alarm.Set("AlarmActions", Value::List({S(topic)}));
  alarm.Set("InsufficientDataActions", Value::List());
  alarm.Set("StateValue", S("ALARM"));
  alarm.Set("StateReason",
            S("Threshold Crossed: 2 out of the last 3 datapoints [7.0 (14/11/23 22:12:00), 9.0 "
              "(14/11/23 22:11:00)] were greater than the threshold (5.0) (minimum 2 datapoints "
              "for OK -> ALARM transition)."));
  alarm.Set("StateReasonData",
            S(R"({"version":"1.0","queryDate":"2023-11-14T22:13:20.456+0000",)"
              R"("startDate":"2023-11-14T22:10:00.000+0000","statistic":"Sum","period":60,)"
              R"("recentDatapoints":[1.0,9.0,7.0],"threshold":5.0,"evaluatedDatapoints":)"
              R"([{"timestamp":"2023-11-14T22:12:00.000+0000","sampleCount":7.0,"value":7.0}]})"));
  alarm.Set("StateUpdatedTimestamp", Value::Timestamp(At(1700000000456)));
  alarm.Set("MetricName", S("ErrorCount"));
  alarm.Set("Namespace", S("App"));
  alarm.Set("Statistic", S("Sum"));
  alarm.Set("ExtendedStatistic", Value());  // Null: omitted
  alarm.Set("Dimensions",
            Value::List({Value::Structure({{"Name", S("Env")}, {"Value", S("prod")}}),
                         Value::Structure({{"Name", S("Svc")}, {"Value", S("api")}})}));
  alarm.Set("Period", Value::Integer(60));
  alarm.Set("Unit", S("Count"));
  alarm.Set("EvaluationPeriods", Value::Integer(3));
  alarm.Set("DatapointsToAlarm", Value::Integer(2));
  alarm.Set("Threshold", Value::Double(5.0));
  alarm.Set("ComparisonOperator", S("GreaterThanThreshold"));
  alarm.Set("TreatMissingData", S("notBreaching"));
  alarm.Set("StateTransitionedTimestamp", Value::Timestamp(At(1700000000456)));
  Value output = Value::Structure();
  output.Set("MetricAlarms", Value::List({alarm}));
  output.Set("CompositeAlarms", Value::List());
  return output;
}

TEST(XmlCodecTest, EncodesDescribeAlarmsAsInTheSpec) {
  // §3.4, verbatim.
  constexpr std::string_view kSpec = R"(
<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <DescribeAlarmsResult>
    <MetricAlarms>
      <member>
        <AlarmName>HighErrors</AlarmName>
        <AlarmArn>arn:aws:cloudwatch:us-east-1:123456789012:alarm:HighErrors</AlarmArn>
        <AlarmDescription>too many errors</AlarmDescription>
        <AlarmConfigurationUpdatedTimestamp>2023-11-14T22:10:00.123Z</AlarmConfigurationUpdatedTimestamp>
        <ActionsEnabled>true</ActionsEnabled>
        <OKActions><member>arn:aws:sns:us-east-1:123456789012:alerts</member></OKActions>
        <AlarmActions><member>arn:aws:sns:us-east-1:123456789012:alerts</member></AlarmActions>
        <InsufficientDataActions/>
        <StateValue>ALARM</StateValue>
        <StateReason>Threshold Crossed: 2 out of the last 3 datapoints [7.0 (14/11/23 22:12:00), 9.0 (14/11/23 22:11:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -&gt; ALARM transition).</StateReason>
        <StateReasonData>{"version":"1.0","queryDate":"2023-11-14T22:13:20.456+0000","startDate":"2023-11-14T22:10:00.000+0000","statistic":"Sum","period":60,"recentDatapoints":[1.0,9.0,7.0],"threshold":5.0,"evaluatedDatapoints":[{"timestamp":"2023-11-14T22:12:00.000+0000","sampleCount":7.0,"value":7.0}]}</StateReasonData>
        <StateUpdatedTimestamp>2023-11-14T22:13:20.456Z</StateUpdatedTimestamp>
        <MetricName>ErrorCount</MetricName>
        <Namespace>App</Namespace>
        <Statistic>Sum</Statistic>
        <Dimensions>
          <member><Name>Env</Name><Value>prod</Value></member>
          <member><Name>Svc</Name><Value>api</Value></member>
        </Dimensions>
        <Period>60</Period>
        <Unit>Count</Unit>
        <EvaluationPeriods>3</EvaluationPeriods>
        <DatapointsToAlarm>2</DatapointsToAlarm>
        <Threshold>5.0</Threshold>
        <ComparisonOperator>GreaterThanThreshold</ComparisonOperator>
        <TreatMissingData>notBreaching</TreatMissingData>
        <StateTransitionedTimestamp>2023-11-14T22:13:20.456Z</StateTransitionedTimestamp>
      </member>
    </MetricAlarms>
    <CompositeAlarms/>
  </DescribeAlarmsResult>
  <ResponseMetadata><RequestId>9b5e7c1a-7c4c-4a8e-9d3e-3f1b2c4d5e6f</RequestId></ResponseMetadata>
</DescribeAlarmsResponse>
)";
  EXPECT_EQ(EncodeQueryResponse("DescribeAlarms", "http://monitoring.amazonaws.com/doc/2010-08-01/",
                                DescribeAlarmsOutput(), "9b5e7c1a-7c4c-4a8e-9d3e-3f1b2c4d5e6f"),
            WithoutIndentation(kSpec));
}

TEST(XmlCodecTest, EncodesSnsResponsesAsInTheSpec) {
  constexpr std::string_view kSubscribe = R"(
<SubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <SubscribeResult>
    <SubscriptionArn>pending confirmation</SubscriptionArn>
  </SubscribeResult>
  <ResponseMetadata><RequestId>c4407779-24a4-56fa-982c-3d927f93a775</RequestId></ResponseMetadata>
</SubscribeResponse>
)";
  EXPECT_EQ(EncodeQueryResponse("Subscribe", "http://sns.amazonaws.com/doc/2010-03-31/",
                                Value::Structure({{"SubscriptionArn", S("pending confirmation")}}),
                                "c4407779-24a4-56fa-982c-3d927f93a775"),
            WithoutIndentation(kSubscribe));
  constexpr std::string_view kPublish = R"(
<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult>
    <MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId>
  </PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>
)";
  EXPECT_EQ(EncodeQueryResponse(
                "Publish", "http://sns.amazonaws.com/doc/2010-03-31/",
                Value::Structure({{"MessageId", S("567910cd-659e-55d4-8ccb-5aaf14679dc0")},
                                  {"SequenceNumber", Value()}}),
                "d74b8436-ae13-5ab4-a9ff-ce54dfea72a0"),
            WithoutIndentation(kPublish));
}

TEST(XmlCodecTest, LeavesOutTheResultOfAnEmptyOutput) {
  constexpr std::string_view kPutMetricAlarm = R"(
<PutMetricAlarmResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <ResponseMetadata><RequestId>2690d7eb-ed86-11dd-9877-6fad448a8419</RequestId></ResponseMetadata>
</PutMetricAlarmResponse>
)";
  for (const Value& empty :
       {Value::Structure(), Value(), Value::Structure({{"NextToken", Value()}})}) {
    EXPECT_EQ(
        EncodeQueryResponse("PutMetricAlarm", "http://monitoring.amazonaws.com/doc/2010-08-01/",
                            empty, "2690d7eb-ed86-11dd-9877-6fad448a8419"),
        WithoutIndentation(kPutMetricAlarm));
  }
}

TEST(XmlCodecTest, EncodesErrorsAsInTheSpec) {
  constexpr std::string_view kCloudWatch = R"(
<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <Error>
    <Type>Sender</Type>
    <Code>ResourceNotFound</Code>
    <Message>Alarm NoSuch not found</Message>
  </Error>
  <RequestId>4f7c0c9e-3f3a-4c1e-9b1e-6c2f0a1d2e3f</RequestId>
</ErrorResponse>
)";
  EXPECT_EQ(
      EncodeQueryError("http://monitoring.amazonaws.com/doc/2010-08-01/", true, "ResourceNotFound",
                       "Alarm NoSuch not found", "4f7c0c9e-3f3a-4c1e-9b1e-6c2f0a1d2e3f"),
      WithoutIndentation(kCloudWatch));
  EXPECT_EQ(EncodeQueryError("http://sns.amazonaws.com/doc/2010-03-31/", true, "NotFound",
                             "Topic does not exist", "r1"),
            R"(<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error>)"
            R"(<Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message>)"
            R"(</Error><RequestId>r1</RequestId></ErrorResponse>)");
  EXPECT_EQ(EncodeQueryError("ns", false, "InternalFailure", "a < b & c > d", "r"),
            R"(<ErrorResponse xmlns="ns"><Error><Type>Receiver</Type><Code>InternalFailure</Code>)"
            R"(<Message>a &lt; b &amp; c &gt; d</Message></Error><RequestId>r</RequestId>)"
            R"(</ErrorResponse>)");
}

TEST(XmlCodecTest, EncodesEveryKind) {
  Value output = Value::Structure();
  output.Set("Bool", Value::Bool(false));
  output.Set("Int", Value::Integer(-7));
  output.Set("Big", Value::Double(1e7));
  output.Set("Small", Value::Double(0.5));
  output.Set("NaN", Value::Double(std::nan("")));
  output.Set("Empty", S(""));
  output.Set("Blob", Value::Blob(std::string("\x00\x01\xFF", 3)));
  output.Set("Attributes",
             Value::Map({{"Owner", S("123456789012")}, {"a&b", S("<x>")}, {"Gone", Value()}}));
  output.Set("Structured", Value::Map({{"k", Value::Structure({{"DataType", S("String")}})}}));
  output.Set("ExtendedStatistics", Value::Map({{"p99", Value::Double(12.5)}}));
  output.Set("Nested", Value::Structure({{"Inner", Value::Structure({{"X", Value::Integer(1)}})},
                                         {"Hollow", Value::Structure({{"Y", Value()}})}}));
  output.Set("EmptyMap", Value::Map());
  output.Set("Items", Value::List({Value::Integer(1), Value(), Value::List({S("deep")})}));
  output.Set("Time", Value::Timestamp(At(0)));
  output.Set("Millis", Value::Timestamp(At(1700000000123)));
  EXPECT_EQ(EncodeQueryResponse("Op", "ns", output, "id"),
            R"(<OpResponse xmlns="ns"><OpResult><Bool>false</Bool><Int>-7</Int>)"
            R"(<Big>1.0E7</Big><Small>0.5</Small><NaN>NaN</NaN><Empty></Empty><Blob>AAH/</Blob>)"
            R"(<Attributes><entry><key>Owner</key><value>123456789012</value></entry>)"
            R"(<entry><key>a&amp;b</key><value>&lt;x&gt;</value></entry></Attributes>)"
            R"(<Structured><entry><key>k</key><value><DataType>String</DataType></value></entry>)"
            R"(</Structured><ExtendedStatistics><entry><key>p99</key><value>12.5</value></entry>)"
            R"(</ExtendedStatistics><Nested><Inner><X>1</X></Inner><Hollow/></Nested>)"
            R"(<EmptyMap/><Items><member>1</member><member/><member><member>deep</member>)"
            R"(</member></Items><Time>1970-01-01T00:00:00Z</Time>)"
            R"(<Millis>2023-11-14T22:13:20.123Z</Millis></OpResult>)"
            R"(<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>)");
}

TEST(XmlCodecTest, AnEmptyResultElementOnlyWhereTheModelHasOne) {
  // botocore looks for <TagResourceResult> (an output shape without
  // members); PutMetricAlarm has no output shape and AWS sends none.
  EXPECT_EQ(
      EncodeQueryResponse("TagResource", "ns", Value::Structure(), "id"),
      R"(<TagResourceResponse xmlns="ns"><TagResourceResult/>)"
      R"(<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></TagResourceResponse>)");
  EXPECT_EQ(
      EncodeQueryResponse("PutMetricAlarm", "ns", Value::Structure(), "id"),
      R"(<PutMetricAlarmResponse xmlns="ns">)"
      R"(<ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></PutMetricAlarmResponse>)");
}

TEST(XmlCodecTest, KeepsTextReadableByEveryXmlParser) {
  Value output = Value::Structure(
      {{"T", S("quote\" apos' tab\t nl\n cr\r bell\x07 bad\xFF ok\xC3\xA9 nonchar\xEF\xBF\xBE")}});
  EXPECT_EQ(EncodeQueryResponse("Op", "a\"b<", output, "id"),
            "<OpResponse xmlns=\"a&quot;b&lt;\"><OpResult><T>quote\" apos' tab\t nl\n "
            "cr&#xD; bell\xEF\xBF\xBD bad\xEF\xBF\xBD ok\xC3\xA9 nonchar\xEF\xBF\xBD</T>"
            "</OpResult><ResponseMetadata><RequestId>id</RequestId></ResponseMetadata>"
            "</OpResponse>");
}

// --- JSON --------------------------------------------------------------------

TEST(JsonCodecTest, DecodesCapturedRequests) {
  // §1.5, JS v3.
  EXPECT_EQ(
      DecodedJson(
          R"({"AlarmName":"A","AlarmActions":["arn:aws:sns:us-east-1:123456789012:t"],"MetricName":"M","Namespace":"N","Statistic":"Average","Dimensions":[{"Name":"Env","Value":"prod"}],"Period":60,"EvaluationPeriods":1,"Threshold":1.5,"ComparisonOperator":"GreaterThanThreshold"})"),
      R"({AlarmName:"A",AlarmActions:["arn:aws:sns:us-east-1:123456789012:t"],MetricName:"M",)"
      R"(Namespace:"N",Statistic:"Average",Dimensions:[{Name:"Env",Value:"prod"}],Period:60,)"
      R"(EvaluationPeriods:1,Threshold:1.5,ComparisonOperator:"GreaterThanThreshold"})");
  // §3.4, CLI 2.9.19 (JSON 1.1): 0.0 stays a Double, the epoch milliseconds Integers.
  EXPECT_EQ(
      DecodedJson(R"({"logGroupName": "/app/test", "filterName": "errs", "filterPattern": "ERROR",
 "metricTransformations": [{"metricName": "ErrorCount", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0.0}]})"),
      R"({logGroupName:"/app/test",filterName:"errs",filterPattern:"ERROR",)"
      R"(metricTransformations:[{metricName:"ErrorCount",metricNamespace:"App",)"
      R"(metricValue:"1",defaultValue:0.0}]})");
  EXPECT_EQ(DecodedJson(R"({"logGroupName": "/app/test", "logStreamName": "s1",
 "logEvents": [{"timestamp": 1700000000000, "message": "ERROR something"},
               {"timestamp": 1700000001000, "message": "latency=12"}]})"),
            R"({logGroupName:"/app/test",logStreamName:"s1",logEvents:[)"
            R"({timestamp:1700000000000,message:"ERROR something"},)"
            R"({timestamp:1700000001000,message:"latency=12"}]})");
  // JSON 1.0 timestamps are epoch seconds, fraction included.
  EXPECT_EQ(DecodedJson(R"({"Timestamp":1700000000.123,"StartTime":1700000000})"),
            "{Timestamp:1.700000000123E9,StartTime:1700000000}");
}

TEST(JsonCodecTest, KeepsIntegersApartFromDoubles) {
  EXPECT_EQ(DecodedJson("[5, 5.0, -3, 1e3, 2.5E-3, -0, -0.0]"), "[5,5.0,-3,1000.0,0.0025,0,-0.0]");
  EXPECT_EQ(DecodedJson("[9223372036854775807, -9223372036854775808]"),
            "[9223372036854775807,-9223372036854775808]");
  // Beyond int64 only an approximation is possible.
  EXPECT_EQ(DecodedJson("[9223372036854775808, 18446744073709551616, -9223372036854775809]"),
            "[9.223372036854776E18,1.8446744073709552E19,-9.223372036854776E18]");
  EXPECT_EQ(DecodedJson("123456789012345678901234567890"), "1.2345678901234568E29");
  EXPECT_EQ(JsonError("[1e400]"),
            "request body is not valid JSON: number overflow parsing '1e400'");
}

TEST(JsonCodecTest, DecodesTheOtherKinds) {
  EXPECT_EQ(DecodedJson(""), "{}");
  EXPECT_EQ(DecodedJson("{}"), "{}");
  EXPECT_EQ(DecodedJson(R"( {"a" : [true, false, null, {}, []], "s": "\u00e9\n\"", "n": null} )"),
            "{a:[true,false,null,{},[]],s:\"\xC3\xA9\\n\\\"\",n:null}");
  EXPECT_EQ(DecodedJson(R"("\ud83d\ude00")"), "\"\xF0\x9F\x98\x80\"");
  // A repeated key: the last value, in the first key's place.
  EXPECT_EQ(DecodedJson(R"({"a":1,"b":2,"a":3})"), "{a:3,b:2}");
  std::string many = "{";
  for (int i = 0; i < 100; ++i)
    many += "\"k" + std::to_string(i % 50) + "\":" + std::to_string(i) + ",";
  many.back() = '}';
  Result<Value> v = DecodeJson(many);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->members().size(), 50u);
  EXPECT_EQ(v->members()[7].first, "k7");
  EXPECT_EQ(v->members()[7].second, Value::Integer(57));
}

TEST(JsonCodecTest, ReportsInvalidJson) {
  EXPECT_EQ(JsonError(R"({"a":tru})"),
            "request body is not valid JSON: parse error at line 1, column 9: syntax error while "
            "parsing value - invalid literal; last read: '\"a\":tru}'");
  EXPECT_EQ(JsonError("{} x"),
            "request body is not valid JSON: parse error at line 1, column 4: syntax error while "
            "parsing value - invalid literal; last read: '{} x'; expected end of input");
  EXPECT_EQ(JsonError(R"({"a":1)"),
            "request body is not valid JSON: parse error at line 1, column 7: syntax error while "
            "parsing object - unexpected end of input; expected '}'");
  EXPECT_EQ(JsonError(" "),
            "request body is not valid JSON: parse error at line 1, column 2: syntax error while "
            "parsing value - unexpected end of input; expected '[', '{', or a literal");
  std::string bad_utf8 = JsonError("\"\xFF\"");
  EXPECT_TRUE(bad_utf8.starts_with("request body is not valid JSON: parse error at line 1, "))
      << bad_utf8;
  EXPECT_NE(bad_utf8.find("ill-formed UTF-8"), std::string::npos) << bad_utf8;
}

TEST(JsonCodecTest, BoundsNesting) {
  std::string ok = std::string(kMaxNestingDepth, '[') + std::string(kMaxNestingDepth, ']');
  EXPECT_TRUE(DecodeJson(ok).ok());
  std::string deep = "{\"a\":" + std::string(kMaxNestingDepth, '[') + "]";
  EXPECT_EQ(JsonError(deep), "request body is not valid JSON: nested deeper than 64 levels");
  EXPECT_EQ(JsonError(std::string(100000, '[')),
            "request body is not valid JSON: nested deeper than 64 levels");
}

TEST(JsonCodecTest, EncodesTimestampsAsEpochSeconds) {
  // As CloudWatch's Java serializer writes them: doubles, Double.toString.
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(1700000000123))), "1.700000000123E9");
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(1700000000000))), "1.7E9");
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(1700000000100))), "1.7000000001E9");
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(1700000000120))), "1.70000000012E9");
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(1700000000007))), "1.700000000007E9");
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(-1500))), "-1.5");
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(0))), "0.0");
  EXPECT_EQ(EncodeJson(Value::Timestamp(At(std::numeric_limits<std::int64_t>::min()))),
            "-9.223372036854776E15");
  // Each reads back as the same millisecond.
  for (std::int64_t ms : {1700000000123LL, 1733469362001LL, 4102444799999LL}) {
    EXPECT_EQ(std::llround(std::stod(EncodeJson(Value::Timestamp(At(ms)))) * 1000), ms);
  }
}

TEST(JsonCodecTest, EncodesDescribeAlarmsAsJs) {
  // §3.4's JSON 1.0 equivalent, the members it shows.
  Value alarm = Value::Structure();
  alarm.Set("AlarmName", S("HighErrors"));
  alarm.Set("AlarmConfigurationUpdatedTimestamp", Value::Timestamp(At(1700000000123)));
  alarm.Set("Dimensions",
            Value::List({Value::Structure({{"Name", S("Env")}, {"Value", S("prod")}})}));
  alarm.Set("Threshold", Value::Double(5.0));
  alarm.Set("Unit", Value());
  Value output = Value::Structure(
      {{"MetricAlarms", Value::List({alarm})}, {"CompositeAlarms", Value::List()}});
  EXPECT_EQ(
      EncodeJson(output),
      R"({"MetricAlarms":[{"AlarmName":"HighErrors",)"
      R"("AlarmConfigurationUpdatedTimestamp":1.700000000123E9,)"
      R"("Dimensions":[{"Name":"Env","Value":"prod"}],"Threshold":5.0}],"CompositeAlarms":[]})");
  EXPECT_EQ(EncodeJson(Value::Structure()), "{}");
}

TEST(JsonCodecTest, EncodesEveryKind) {
  Value v = Value::Structure();
  v.Set("n", Value());
  v.Set("b", Value::Bool(true));
  v.Set("i", Value::Integer(std::numeric_limits<std::int64_t>::min()));
  v.Set("d", Value::List({Value::Double(1e7), Value::Double(0.1), Value::Double(-0.0),
                          Value::Double(std::nan("")), Value::Double(INFINITY),
                          Value::Double(-INFINITY), Value()}));
  v.Set("s", S("a\"b\\c\n\x01\xFF"));
  v.Set("blob", Value::Blob("foobar"));
  v.Set("m", Value::Map({{"k", S("v")}, {"gone", Value()}}));
  EXPECT_EQ(EncodeJson(v), R"({"b":true,"i":-9223372036854775808,)"
                           R"("d":[1.0E7,0.1,-0.0,"NaN","Infinity","-Infinity",null],)"
                           R"("s":"a\"b\\c\n\u0001\ufffd","blob":"Zm9vYmFy","m":{"k":"v"}})");
}

TEST(JsonCodecTest, RoundTripsWhatItDecodes) {
  for (std::string_view body :
       {R"({"a":[1,2.5,-0.0,"x",true,null,{"b":{}}],"c":1e-300,"d":"\u0000"})",
        R"([1.7976931348623157e308,5e-324,-9223372036854775808])"}) {
    Result<Value> first = DecodeJson(body);
    ASSERT_TRUE(first.ok()) << body;
    Result<Value> second = DecodeJson(EncodeJson(*first));
    ASSERT_TRUE(second.ok()) << EncodeJson(*first);
    EXPECT_EQ(*second, *first) << EncodeJson(*first);
  }
}

// DecodeJson tries simdjson first; what it gives must be exactly what
// nlohmann alone gives, value for value (the sign of zero included) and
// error for error.
TEST(JsonCodecTest, TheFastPathAgreesWithTheReference) {
  std::vector<std::string> bodies = {
      "",
      " ",
      "null",
      "true",
      "[]",
      "{}",
      "0",
      "-0",
      "-0.0",
      "0.0",
      "5",
      "5.0",
      "1E2",
      "1e-2",
      "9223372036854775807",
      "9223372036854775808",
      "-9223372036854775808",
      "-9223372036854775809",
      "18446744073709551615",
      "18446744073709551616",
      "123456789012345678901234567890",
      "1e400",
      "-1e400",
      "1.7976931348623157e308",
      "4.9e-324",
      "2.2250738585072011e-308",
      "0.1",
      "01",
      "1.",
      ".5",
      "+1",
      "-",
      "NaN",
      R"({"a":1,"b":2,"a":3})",
      R"({"a":{"a":[{"a":null}]}})",
      R"("\u00e9\ud83d\ude00")",
      R"("\ud800")",
      R"("\udc00\ud800")",
      R"("\u0000")",
      "\"\xFF\"",
      "\"\xC3\xA9\"",
      "\"\xED\xA0\x80\"",
      "\"\xF4\x90\x80\x80\"",
      "\"a\tb\"",
      "\"a\x01b\"",
      "\xEF\xBB\xBF{}",
      "{} x",
      "{}  \n",
      "[1,]",
      "{\"a\":}",
      "{\"a\" 1}",
      "[1 2]",
      std::string("[\"a\0b\"]", 7),
      "[true, false, nul]",
      R"({"logEvents":[{"timestamp":1,"message":"{\"eventName\":\"DeletePolicy\"}"}]})",
      std::string(kMaxNestingDepth, '[') + std::string(kMaxNestingDepth, ']'),
      std::string(kMaxNestingDepth + 1, '[') + std::string(kMaxNestingDepth + 1, ']'),
      "{\"a\":" + std::string(kMaxNestingDepth, '[') + std::string(kMaxNestingDepth, ']') + "}",
  };
  std::function<bool(const Value&, const Value&)> same_kinds = [&](const Value& a, const Value& b) {
    if (a.kind() != b.kind()) return false;
    if (a.kind() == Value::Kind::kDouble) {
      return std::signbit(a.AsDouble()) == std::signbit(b.AsDouble());
    }
    if (a.kind() == Value::Kind::kList) {
      for (std::size_t i = 0; i < a.items().size(); ++i) {
        if (!same_kinds(a.items()[i], b.items()[i])) return false;
      }
    }
    if (a.kind() == Value::Kind::kStructure) {
      for (std::size_t i = 0; i < a.members().size(); ++i) {
        if (!same_kinds(a.members()[i].second, b.members()[i].second)) return false;
      }
    }
    return true;
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body.substr(0, 80));
    Result<Value> fast = DecodeJson(body);
    Result<Value> reference = DecodeJsonReference(body);
    ASSERT_EQ(fast.ok(), reference.ok()) << (fast.ok() ? reference : fast).status().message();
    if (fast.ok()) {
      EXPECT_EQ(*fast, *reference);
      EXPECT_TRUE(same_kinds(*fast, *reference));
    } else {
      EXPECT_EQ(fast.status().message(), reference.status().message());
    }
  }
}

// --- CBOR --------------------------------------------------------------------

TEST(CborCodecTest, DecodesRfc8949Integers) {
  EXPECT_EQ(DecodedCbor("00"), "0");
  EXPECT_EQ(DecodedCbor("01"), "1");
  EXPECT_EQ(DecodedCbor("0a"), "10");
  EXPECT_EQ(DecodedCbor("17"), "23");
  EXPECT_EQ(DecodedCbor("1818"), "24");
  EXPECT_EQ(DecodedCbor("1819"), "25");
  EXPECT_EQ(DecodedCbor("1864"), "100");
  EXPECT_EQ(DecodedCbor("1903e8"), "1000");
  EXPECT_EQ(DecodedCbor("1a000f4240"), "1000000");
  EXPECT_EQ(DecodedCbor("1b000000e8d4a51000"), "1000000000000");
  EXPECT_EQ(DecodedCbor("1b7fffffffffffffff"), "9223372036854775807");
  EXPECT_EQ(DecodedCbor("1bffffffffffffffff"), "1.8446744073709552E19");  // beyond int64
  EXPECT_EQ(DecodedCbor("3bffffffffffffffff"), "-1.8446744073709552E19");
  EXPECT_EQ(DecodedCbor("3b7fffffffffffffff"), "-9223372036854775808");
  EXPECT_EQ(DecodedCbor("20"), "-1");
  EXPECT_EQ(DecodedCbor("29"), "-10");
  EXPECT_EQ(DecodedCbor("3863"), "-100");
  EXPECT_EQ(DecodedCbor("3903e7"), "-1000");
  // Not the shortest form, still well-formed.
  EXPECT_EQ(DecodedCbor("1b0000000000000005"), "5");
}

TEST(CborCodecTest, DecodesRfc8949Floats) {
  EXPECT_EQ(DecodedCbor("f90000"), "0.0");
  EXPECT_EQ(DecodedCbor("f98000"), "-0.0");
  EXPECT_EQ(DecodedCbor("f93c00"), "1.0");
  EXPECT_EQ(DecodedCbor("fb3ff199999999999a"), "1.1");
  EXPECT_EQ(DecodedCbor("f93e00"), "1.5");
  EXPECT_EQ(DecodedCbor("f97bff"), "65504.0");
  EXPECT_EQ(DecodedCbor("fa47c35000"), "100000.0");
  EXPECT_EQ(DecodedCbor("fa7f7fffff"), "3.4028234663852886E38");
  EXPECT_EQ(DecodedCbor("fb7e37e43c8800759c"), "1.0E300");
  EXPECT_EQ(DecodedCbor("f90001"), "5.960464477539063E-8");
  EXPECT_EQ(DecodedCbor("f90400"), "6.103515625E-5");
  EXPECT_EQ(DecodedCbor("f9c400"), "-4.0");
  EXPECT_EQ(DecodedCbor("fbc010666666666666"), "-4.1");
  EXPECT_EQ(DecodedCbor("f97c00"), "Infinity");
  EXPECT_EQ(DecodedCbor("f97e00"), "NaN");
  EXPECT_EQ(DecodedCbor("f9fc00"), "-Infinity");
  EXPECT_EQ(DecodedCbor("fa7f800000"), "Infinity");
  EXPECT_EQ(DecodedCbor("fa7fc00000"), "NaN");
  EXPECT_EQ(DecodedCbor("faff800000"), "-Infinity");
  EXPECT_EQ(DecodedCbor("fb7ff0000000000000"), "Infinity");
  EXPECT_EQ(DecodedCbor("fb7ff8000000000000"), "NaN");
  EXPECT_EQ(DecodedCbor("fbfff0000000000000"), "-Infinity");
}

TEST(CborCodecTest, DecodesRfc8949SimpleValues) {
  EXPECT_EQ(DecodedCbor("f4"), "false");
  EXPECT_EQ(DecodedCbor("f5"), "true");
  EXPECT_EQ(DecodedCbor("f6"), "null");
  EXPECT_EQ(DecodedCbor("f7"), "null");  // undefined
  EXPECT_EQ(CborError(Bytes("f0")),
            "request body is not valid CBOR: unsupported simple value 16 at byte 0");
  EXPECT_EQ(CborError(Bytes("f8ff")),
            "request body is not valid CBOR: unsupported simple value 255 at byte 0");
  EXPECT_EQ(CborError(Bytes("f818")),
            "request body is not valid CBOR: malformed simple value at byte 0");
}

TEST(CborCodecTest, DecodesRfc8949Tags) {
  // Tag 0 (date/time text) and the others keep their content.
  EXPECT_EQ(DecodedCbor("c074323031332d30332d32315432303a30343a30305a"),
            R"("2013-03-21T20:04:00Z")");
  EXPECT_EQ(DecodedCbor("d74401020304"), R"(blob:"\u0001\u0002\u0003\u0004")");
  EXPECT_EQ(DecodedCbor("d818456449455446"), R"(blob:"dIETF")");
  EXPECT_EQ(DecodedCbor("d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
            R"("http://www.example.com")");
  // Tag 1, epoch seconds, as an integer or a float.
  EXPECT_EQ(DecodedCbor("c11a514b67b0"), "@2013-03-21T20:04:00Z");
  EXPECT_EQ(DecodedCbor("c1fb41d452d9ec200000"), "@2013-03-21T20:04:00.500Z");
  EXPECT_EQ(DecodedCbor("c1fb41d954fc4007df3b"), "@2023-11-14T22:13:20.123Z");
  EXPECT_EQ(DecodedCbor("c1f93c00"), "@1970-01-01T00:00:01Z");
  EXPECT_EQ(DecodedCbor("c13903e7"), "@1969-12-31T23:43:20Z");
  // Nested tags peel off one by one.
  EXPECT_EQ(DecodedCbor("d820c11a514b67b0"), "@2013-03-21T20:04:00Z");
}

TEST(CborCodecTest, RejectsBadEpochTimes) {
  EXPECT_EQ(CborError(Bytes("c16161")),
            "request body is not valid CBOR: tag 1 (epoch time) must enclose a number at byte 1");
  EXPECT_EQ(CborError(Bytes("c1fb7e37e43c8800759c")),
            "request body is not valid CBOR: epoch time out of range (years 0000-9999) at byte 1");
  EXPECT_EQ(CborError(Bytes("c1f97e00")),
            "request body is not valid CBOR: epoch time out of range (years 0000-9999) at byte 1");
  EXPECT_EQ(CborError(Bytes("c11b7fffffffffffffff")),
            "request body is not valid CBOR: epoch time out of range (years 0000-9999) at byte 1");
  EXPECT_EQ(DecodedCbor("c11b0000003afff4417f"), "@9999-12-31T23:59:59Z");
  EXPECT_EQ(CborError(Bytes("c11b0000003afff44180")),
            "request body is not valid CBOR: epoch time out of range (years 0000-9999) at byte 1");
  // The range applies to the time rounded to the millisecond.
  EXPECT_EQ(DecodedCbor("c1fb424d7ffa20bfffdf"), "@9999-12-31T23:59:59.999Z");
  EXPECT_EQ(CborError(Bytes("c1fb424d7ffa20bffff3")),
            "request body is not valid CBOR: epoch time out of range (years 0000-9999) at byte 1");
  EXPECT_EQ(DecodedCbor("c1fbc22cf2e8f8000034"), "@0000-01-01T00:00:00Z");
  EXPECT_EQ(CborError(Bytes("c1fbc22cf2e8f800004f")),
            "request body is not valid CBOR: epoch time out of range (years 0000-9999) at byte 1");
}

TEST(CborCodecTest, DecodesRfc8949Strings) {
  EXPECT_EQ(DecodedCbor("40"), R"(blob:"")");
  EXPECT_EQ(DecodedCbor("4401020304"), R"(blob:"\u0001\u0002\u0003\u0004")");
  EXPECT_EQ(DecodedCbor("60"), R"("")");
  EXPECT_EQ(DecodedCbor("6161"), R"("a")");
  EXPECT_EQ(DecodedCbor("6449455446"), R"("IETF")");
  EXPECT_EQ(DecodedCbor("62225c"), R"("\"\\")");
  EXPECT_EQ(DecodedCbor("62c3bc"), "\"\xC3\xBC\"");
  EXPECT_EQ(DecodedCbor("63e6b0b4"), "\"\xE6\xB0\xB4\"");
  EXPECT_EQ(DecodedCbor("64f0908591"), "\"\xF0\x90\x85\x91\"");
}

TEST(CborCodecTest, DecodesRfc8949ArraysAndMaps) {
  EXPECT_EQ(DecodedCbor("80"), "[]");
  EXPECT_EQ(DecodedCbor("83010203"), "[1,2,3]");
  EXPECT_EQ(DecodedCbor("8301820203820405"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(DecodedCbor("98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]");
  EXPECT_EQ(DecodedCbor("a0"), "{}");
  EXPECT_EQ(DecodedCbor("a26161016162820203"), R"({a:1,b:[2,3]})");
  EXPECT_EQ(DecodedCbor("826161a161626163"), R"(["a",{b:"c"}])");
  EXPECT_EQ(DecodedCbor("a56161614161626142616361436164614461656145"),
            R"({a:"A",b:"B",c:"C",d:"D",e:"E"})");
  // A repeated key: the last value wins.
  EXPECT_EQ(DecodedCbor("a2616101616102"), "{a:2}");
  // RFC 8949's {1: 2, 3: 4}: Smithy maps have text keys only.
  EXPECT_EQ(CborError(Bytes("a201020304")),
            "request body is not valid CBOR: map key is not a text string at byte 1");
  // The DescribeAlarms body of §1.6.
  EXPECT_EQ(DecodedCbor("a16a416c61726d4e616d6573816141"), R"({AlarmNames:["A"]})");
}

TEST(CborCodecTest, DecodesRfc8949IndefiniteLengths) {
  EXPECT_EQ(DecodedCbor("5f42010243030405ff"), R"(blob:"\u0001\u0002\u0003\u0004\u0005")");
  EXPECT_EQ(DecodedCbor("7f657374726561646d696e67ff"), R"("streaming")");
  EXPECT_EQ(DecodedCbor("7fff"), R"("")");
  EXPECT_EQ(DecodedCbor("9fff"), "[]");
  EXPECT_EQ(DecodedCbor("9f018202039f0405ffff"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(DecodedCbor("9f01820203820405ff"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(DecodedCbor("83018202039f0405ff"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(DecodedCbor("83019f0203ff820405"), "[1,[2,3],[4,5]]");
  EXPECT_EQ(DecodedCbor("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff"),
            "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]");
  EXPECT_EQ(DecodedCbor("bf61610161629f0203ffff"), R"({a:1,b:[2,3]})");
  EXPECT_EQ(DecodedCbor("826161bf61626163ff"), R"(["a",{b:"c"}])");
  EXPECT_EQ(DecodedCbor("bf6346756ef563416d7421ff"), R"({Fun:true,Amt:-2})");
  EXPECT_EQ(DecodedCbor("bfff"), "{}");
  // Keys may be indefinite-length text too.
  EXPECT_EQ(DecodedCbor("bf7f6161ff01ff"), "{a:1}");
}

TEST(CborCodecTest, EmptyBodyIsAnEmptyStructure) { EXPECT_EQ(DecodedCbor(""), "{}"); }

TEST(CborCodecTest, RejectsTruncatedInput) {
  EXPECT_EQ(CborError(Bytes("1a0000")),
            "request body is not valid CBOR: unexpected end of input at byte 3");
  EXPECT_EQ(CborError(Bytes("83 01 02")),
            "request body is not valid CBOR: array length 3 exceeds the remaining input at byte 0");
  EXPECT_EQ(CborError(Bytes("82 01 1a 00")),
            "request body is not valid CBOR: unexpected end of input at byte 4");
  EXPECT_EQ(
      CborError(Bytes("6261")),
      "request body is not valid CBOR: string length 2 exceeds the remaining input at byte 0");
  EXPECT_EQ(CborError(Bytes("9f01")),
            "request body is not valid CBOR: unexpected end of input at byte 2");
  EXPECT_EQ(CborError(Bytes("5f4101")),
            "request body is not valid CBOR: unexpected end of input at byte 3");
  EXPECT_EQ(CborError(Bytes("a16161")),
            "request body is not valid CBOR: unexpected end of input at byte 3");
  EXPECT_EQ(CborError(Bytes("c1")),
            "request body is not valid CBOR: unexpected end of input at byte 1");
}

TEST(CborCodecTest, RejectsInvalidUtf8) {
  EXPECT_EQ(CborError(Bytes("62c328")),
            "request body is not valid CBOR: invalid UTF-8 in text at byte 0");
  EXPECT_EQ(CborError(Bytes("63eda080")),  // a surrogate
            "request body is not valid CBOR: invalid UTF-8 in text at byte 0");
  EXPECT_EQ(CborError(Bytes("62c080")),  // overlong
            "request body is not valid CBOR: invalid UTF-8 in text at byte 0");
  // Chunks must be valid on their own, even if their concatenation would be.
  EXPECT_EQ(CborError(Bytes("7f61c361bcff")),
            "request body is not valid CBOR: invalid UTF-8 in text at byte 1");
  // Byte strings are not text.
  EXPECT_EQ(DecodedCbor("41ff"), R"(blob:"\ufffd")");
}

TEST(CborCodecTest, RejectsLengthsBeyondTheInput) {
  EXPECT_EQ(CborError(Bytes("5bffffffffffffffff")),
            "request body is not valid CBOR: string length 18446744073709551615 exceeds the "
            "remaining input at byte 0");
  EXPECT_EQ(CborError(Bytes("7b7fffffffffffffff")),
            "request body is not valid CBOR: string length 9223372036854775807 exceeds the "
            "remaining input at byte 0");
  EXPECT_EQ(CborError(Bytes("9b0000000100000000")),
            "request body is not valid CBOR: array length 4294967296 exceeds the remaining input "
            "at byte 0");
  EXPECT_EQ(CborError(Bytes("bb0000000100000000")),
            "request body is not valid CBOR: map length 4294967296 exceeds the remaining input at "
            "byte 0");
  EXPECT_EQ(CborError(Bytes("a3616100")),
            "request body is not valid CBOR: map length 3 exceeds the remaining input at byte 0");
}

TEST(CborCodecTest, NestedLengthsDoNotMultiplyAllocations) {
  // 60 arrays, each announcing 2^20 items, over 2^20 bytes: every length
  // passes the remaining-input check, but reserving them all at once would
  // take gigabytes.
  std::string body;
  for (int i = 0; i < 60; ++i) body += Bytes("9a00100000");
  body.append(1 << 20, '\0');
  EXPECT_EQ(CborError(body), "request body is not valid CBOR: unexpected end of input at byte " +
                                 std::to_string(body.size()));
}

TEST(CborCodecTest, BoundsNesting) {
  std::string ok = std::string(kMaxNestingDepth, '\x81') + '\0';
  EXPECT_TRUE(DecodeCbor(ok).ok());
  EXPECT_EQ(CborError(std::string(kMaxNestingDepth + 1, '\x81') + '\0'),
            "request body is not valid CBOR: nested deeper than 64 levels at byte 64");
  EXPECT_EQ(CborError(std::string(100000, '\x9f')),
            "request body is not valid CBOR: nested deeper than 64 levels at byte 64");
  EXPECT_EQ(CborError(std::string(100000, '\xc6')),
            "request body is not valid CBOR: nested deeper than 64 levels at byte 64");
  EXPECT_EQ(CborError(std::string(100000, '\xa1')),  // maps as keys
            "request body is not valid CBOR: nested deeper than 64 levels at byte 64");
}

TEST(CborCodecTest, RejectsMalformedItems) {
  EXPECT_EQ(CborError(Bytes("0000")),
            "request body is not valid CBOR: trailing data after the CBOR item at byte 1");
  EXPECT_EQ(CborError(Bytes("a0ff")),
            "request body is not valid CBOR: trailing data after the CBOR item at byte 1");
  EXPECT_EQ(CborError(Bytes("1c")),
            "request body is not valid CBOR: reserved additional information 28 at byte 0");
  EXPECT_EQ(CborError(Bytes("5d")),
            "request body is not valid CBOR: reserved additional information 29 at byte 0");
  EXPECT_EQ(CborError(Bytes("1f")),
            "request body is not valid CBOR: indefinite length for major type 0 at byte 0");
  EXPECT_EQ(CborError(Bytes("3f")),
            "request body is not valid CBOR: indefinite length for major type 1 at byte 0");
  EXPECT_EQ(CborError(Bytes("df00")),
            "request body is not valid CBOR: indefinite length for major type 6 at byte 0");
  EXPECT_EQ(CborError(Bytes("ff")), "request body is not valid CBOR: unexpected break at byte 0");
  EXPECT_EQ(CborError(Bytes("81ff")), "request body is not valid CBOR: unexpected break at byte 1");
  EXPECT_EQ(CborError(Bytes("bf6161ff")),
            "request body is not valid CBOR: unexpected break at byte 3");
  EXPECT_EQ(CborError(Bytes("5f6161ff")),
            "request body is not valid CBOR: a chunk of an indefinite-length string must be a "
            "definite string of the same type at byte 1");
  EXPECT_EQ(CborError(Bytes("7f7fffff")),
            "request body is not valid CBOR: a chunk of an indefinite-length string must be a "
            "definite string of the same type at byte 1");
  EXPECT_EQ(CborError(Bytes("a14101f6")),
            "request body is not valid CBOR: map key is not a text string at byte 1");
}

TEST(CborCodecTest, EncodesShortestIntegers) {
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(0))), "00");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(23))), "17");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(24))), "1818");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(255))), "18ff");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(256))), "190100");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(65535))), "19ffff");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(65536))), "1a00010000");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(4294967295))), "1affffffff");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(4294967296))), "1b0000000100000000");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(1000000000000))), "1b000000e8d4a51000");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(std::numeric_limits<std::int64_t>::max()))),
            "1b7fffffffffffffff");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(-1))), "20");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(-24))), "37");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(-25))), "3818");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(-1000))), "3903e7");
  EXPECT_EQ(Hex(EncodeCbor(Value::Integer(std::numeric_limits<std::int64_t>::min()))),
            "3b7fffffffffffffff");
}

TEST(CborCodecTest, EncodesTheOtherKinds) {
  EXPECT_EQ(Hex(EncodeCbor(Value())), "f6");
  EXPECT_EQ(Hex(EncodeCbor(Value::Bool(false))), "f4");
  EXPECT_EQ(Hex(EncodeCbor(Value::Bool(true))), "f5");
  EXPECT_EQ(Hex(EncodeCbor(Value::Double(1.1))), "fb3ff199999999999a");
  EXPECT_EQ(Hex(EncodeCbor(Value::Double(1.5))), "fb3ff8000000000000");  // always float64
  EXPECT_EQ(Hex(EncodeCbor(Value::Double(-INFINITY))), "fbfff0000000000000");
  EXPECT_EQ(Hex(EncodeCbor(S(""))), "60");
  EXPECT_EQ(Hex(EncodeCbor(S("IETF"))), "6449455446");
  EXPECT_EQ(Hex(EncodeCbor(S("\xC3\xBC"))), "62c3bc");
  EXPECT_EQ(Hex(EncodeCbor(S("a\xFF"))), "6461efbfbd");  // U+FFFD for the invalid byte
  EXPECT_EQ(Hex(EncodeCbor(Value::Blob(Bytes("01020304")))), "4401020304");
  EXPECT_EQ(Hex(EncodeCbor(Value::Blob(std::string(24, 'x')))).substr(0, 4), "5818");
  EXPECT_EQ(
      Hex(EncodeCbor(Value::List(
          {Value::Integer(1), Value::List({Value::Integer(2), Value::Integer(3)}), Value()}))),
      "8301820203f6");
  EXPECT_EQ(Hex(EncodeCbor(
                Value::Structure({{"a", Value::Integer(1)},
                                  {"gone", Value()},
                                  {"b", Value::List({Value::Integer(2), Value::Integer(3)})}}))),
            "a26161016162820203");
  EXPECT_EQ(Hex(EncodeCbor(Value::Map({{"k", S("v")}}))), "a1616b6176");
  EXPECT_EQ(Hex(EncodeCbor(Value::Structure({{"AlarmNames", Value::List({S("A")})}}))),
            "a16a416c61726d4e616d6573816141");
}

TEST(CborCodecTest, EncodesTimestampsAsTagOneAndFloat64) {
  EXPECT_EQ(Hex(EncodeCbor(Value::Timestamp(At(1363896240000)))), "c1fb41d452d9ec000000");
  EXPECT_EQ(Hex(EncodeCbor(Value::Timestamp(At(1363896240500)))), "c1fb41d452d9ec200000");
  EXPECT_EQ(Hex(EncodeCbor(Value::Timestamp(At(1700000000123)))), "c1fb41d954fc4007df3b");
  // Every millisecond of the range survives the float64.
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{999},
                          std::int64_t{1700000000123}, std::int64_t{253402300799999},
                          std::int64_t{-62167219200000}, std::int64_t{4102444800001}}) {
    Result<Value> back = DecodeCbor(EncodeCbor(Value::Timestamp(At(ms))));
    ASSERT_TRUE(back.ok()) << ms;
    EXPECT_EQ(*back, Value::Timestamp(At(ms)));
  }
}

TEST(CborCodecTest, RoundTripsEveryKind) {
  Value v = Value::Structure();
  v.Set("null", Value::List({Value()}));
  v.Set("bool", Value::Bool(true));
  v.Set("ints",
        Value::List({Value::Integer(0), Value::Integer(-1), Value::Integer(23), Value::Integer(24),
                     Value::Integer(std::numeric_limits<std::int64_t>::min()),
                     Value::Integer(std::numeric_limits<std::int64_t>::max())}));
  v.Set("doubles", Value::List({Value::Double(0.1), Value::Double(-0.0), Value::Double(5e-324),
                                Value::Double(INFINITY), Value::Double(1.7976931348623157e308)}));
  v.Set("text", S("\xF0\x9F\x98\x80 and \x00 nul"));
  v.Set("blob", Value::Blob(std::string("\x00\xFF", 2)));
  v.Set("time", Value::Timestamp(At(1700000000123)));
  v.Set("nested", Value::Structure({{"deeper", Value::Structure({{"x", S("y")}})}}));
  Result<Value> back = DecodeCbor(EncodeCbor(v));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->DebugString(), v.DebugString());
  EXPECT_EQ(*back, v);
}

// --- base64 and Value --------------------------------------------------------

TEST(Base64CodecTest, FollowsRfc4648) {
  const std::pair<const char*, const char*> kVectors[] = {{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(EncodeBase64(plain), encoded);
    EXPECT_EQ(DecodeBase64(encoded), plain);
  }
  EXPECT_EQ(EncodeBase64(std::string("\x00\x01\xFF", 3)), "AAH/");
  EXPECT_EQ(DecodeBase64("Zm8"), "fo");  // padding optional
  EXPECT_EQ(DecodeBase64("Zg"), "f");
  EXPECT_EQ(DecodeBase64("Z"), std::nullopt);
  EXPECT_EQ(DecodeBase64("Zm 9v"), std::nullopt);
  EXPECT_EQ(DecodeBase64("Zm9v-_=="), std::nullopt);
  EXPECT_EQ(DecodeBase64("===="), std::nullopt);
  EXPECT_EQ(DecodeBase64("Zg=a"), std::nullopt);
}

TEST(ValueCodecTest, MergedStructureKeepsFirstPositionAndLastValue) {
  EXPECT_EQ(Value::MergedStructure(
                {{"a", Value::Integer(1)}, {"b", Value::Integer(2)}, {"a", Value::Integer(3)}})
                .DebugString(),
            "{a:3,b:2}");
  EXPECT_EQ(Value::MergedStructure({{"k", S("v")}}, /*map=*/true).DebugString(), R"(map{k:"v"})");
  Value::Members many;
  for (int i = 0; i < 1000; ++i)
    many.emplace_back("k" + std::to_string(i % 300), Value::Integer(i));
  Value merged = Value::MergedStructure(std::move(many));
  ASSERT_EQ(merged.members().size(), 300u);
  EXPECT_EQ(merged.members()[5].first, "k5");
  EXPECT_EQ(*merged.Find("k5"), Value::Integer(905));
  EXPECT_EQ(*merged.Find("k299"), Value::Integer(899));
}

}  // namespace
}  // namespace tw::api
