// The router without a socket: requests signed as each client signs them,
// routed to plain handlers, answered in each protocol's shape.

#include "api/router.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "api/codec.h"

namespace tw::api {
namespace {

const Credentials kKey{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ops_.Add(Service::kLogs, "CreateLogGroup",
             [this](const InputReader& in, const CallContext& c) -> Result<Value, ApiError> {
               last_ = c;
               last_input_ = in.value().DebugString();
               Result<std::optional<std::string>> name = in.String("logGroupName");
               if (name.ok() && *name == "taken") {
                 return LogsError("ResourceAlreadyExistsException",
                                  "The specified log group already exists");
               }
               return Value::Structure();
             });
    ops_.Add(Service::kCloudWatch, "DescribeAlarms",
             [this](const InputReader& in, const CallContext& c) -> Result<Value, ApiError> {
               last_ = c;
               last_input_ = in.value().DebugString();
               Value alarm = Value::Structure(
                   {{"AlarmName", Value::String("A")},
                    {"StateUpdatedTimestamp", Value::Timestamp(FromEpochMillis(1700000000123))}});
               return Value::Structure(
                   {{"MetricAlarms", Value::List({alarm})}, {"CompositeAlarms", Value::List()}});
             });
    ops_.Add(Service::kCloudWatch, "SetAlarmState",
             [](const InputReader&, const CallContext&) -> Result<Value, ApiError> {
               return ResourceNotFound("Alarm NoSuch not found");
             });
    ops_.Add(Service::kSns, "ListTopics",
             [this](const InputReader&, const CallContext& c) -> Result<Value, ApiError> {
               last_ = c;
               return Value::Structure({{"Topics", Value::List()}});
             });
    RouterOptions options;
    options.clock = &clock_;
    options.secrets = [](std::string_view id) -> std::optional<std::string> {
      if (id == kKey.access_key_id) return kKey.secret_access_key;
      return std::nullopt;
    };
    router_ = std::make_unique<Router>(&ops_, options);
  }

  HttpRequest Signed(HttpRequest r, std::string_view service, TimePoint at) {
    r.headers.emplace_back("host", "127.0.0.1:4566");
    SignedRequest s{r.method, r.path, r.query, r.headers, r.body};
    std::vector<std::string> extra;
    for (const auto& [name, value] : r.headers) {
      if (name == "x-amz-target" || name == "smithy-protocol") extra.push_back(name);
    }
    SignSigV4(&s, kKey, "eu-west-1", service, at, extra);
    r.headers = s.headers;
    return r;
  }
  HttpRequest Signed(HttpRequest r, std::string_view service) {
    return Signed(std::move(r), service, clock_.Now());
  }

  static HttpRequest Logs(std::string op, std::string body) {
    return {
        "POST",
        "/",
        "",
        {{"content-type", "application/x-amz-json-1.1"}, {"x-amz-target", "Logs_20140328." + op}},
        std::move(body)};
  }
  static HttpRequest Query(std::string body) {
    return {"POST",
            "/",
            "",
            {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}},
            std::move(body)};
  }
  static std::string HeaderOf(const HttpResponse& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  ManualClock clock_{*ParseTimestamp("2023-11-14T22:13:20Z")};
  Operations ops_;
  std::unique_ptr<Router> router_;
  CallContext last_;
  std::string last_input_;
};

TEST_F(RouterTest, LogsJson11) {
  HttpResponse r =
      router_->Handle(Signed(Logs("CreateLogGroup", R"({"logGroupName":"/app"})"), "logs"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(HeaderOf(r, "Date"), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(HeaderOf(r, "x-amzn-RequestId").size(), 36u);
  EXPECT_EQ(last_.service, Service::kLogs);
  EXPECT_EQ(last_.protocol, Protocol::kJson11);
  EXPECT_EQ(last_.region, "eu-west-1");
  EXPECT_EQ(last_.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(last_input_, R"({logGroupName:"/app"})");

  r = router_->Handle(Signed(Logs("CreateLogGroup", R"({"logGroupName":"taken"})"), "logs"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"__type":"ResourceAlreadyExistsException","message":"The specified log group already exists"})");
  EXPECT_EQ(HeaderOf(r, "x-amzn-query-error"), "");

  r = router_->Handle(Signed(Logs("Frobnicate", "{}"), "logs"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"__type":"UnknownOperationException","message":"Unknown operation Frobnicate"})");

  r = router_->Handle(Signed(Logs("CreateLogGroup", "{not json"), "logs"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("__type":"SerializationException")"), std::string::npos) << r.body;
}

TEST_F(RouterTest, CloudWatchQueryAndJson10AndCbor) {
  HttpResponse q = router_->Handle(Signed(
      Query("Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=A"), "monitoring"));
  EXPECT_EQ(q.status, 200);
  EXPECT_EQ(HeaderOf(q, "Content-Type"), "text/xml");
  EXPECT_NE(q.body.find("<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
                        "2010-08-01/\"><DescribeAlarmsResult><MetricAlarms><member><AlarmName>A<"
                        "/AlarmName><StateUpdatedTimestamp>2023-11-14T22:13:20.123Z<"),
            std::string::npos)
      << q.body;
  EXPECT_NE(q.body.find("<CompositeAlarms/>"), std::string::npos);
  EXPECT_EQ(last_.protocol, Protocol::kQuery);
  EXPECT_EQ(last_input_, R"({Action:"DescribeAlarms",Version:"2010-08-01",AlarmNames:["A"]})");

  HttpRequest json{"POST",
                   "/",
                   "",
                   {{"content-type", "application/x-amz-json-1.0"},
                    {"x-amz-target", "GraniteServiceVersion20100801.DescribeAlarms"}},
                   R"({"AlarmNames":["A"]})"};
  HttpResponse j = router_->Handle(Signed(json, "monitoring"));
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(HeaderOf(j, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(
      j.body,
      R"({"MetricAlarms":[{"AlarmName":"A","StateUpdatedTimestamp":1.700000000123E9}],"CompositeAlarms":[]})");

  json.headers[1].second = "GraniteServiceVersion20100801.SetAlarmState";
  HttpResponse e = router_->Handle(Signed(json, "monitoring"));
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(HeaderOf(e, "x-amzn-query-error"), "ResourceNotFound;Sender");
  EXPECT_EQ(e.body, R"({"__type":"ResourceNotFound","message":"Alarm NoSuch not found"})");

  HttpRequest cbor{
      "POST",
      "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
      "",
      {{"content-type", "application/cbor"}, {"smithy-protocol", "rpc-v2-cbor"}},
      EncodeCbor(Value::Structure({{"AlarmNames", Value::List({Value::String("A")})}}))};
  HttpResponse c = router_->Handle(Signed(cbor, "monitoring"));
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(HeaderOf(c, "smithy-protocol"), "rpc-v2-cbor");
  EXPECT_EQ(HeaderOf(c, "Content-Type"), "application/cbor");
  Result<Value> decoded = DecodeCbor(c.body);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(
      decoded->DebugString(),
      R"({MetricAlarms:[{AlarmName:"A",StateUpdatedTimestamp:@2023-11-14T22:13:20.123Z}],CompositeAlarms:[]})");
  EXPECT_EQ(last_.protocol, Protocol::kCbor);

  HttpRequest other = cbor;
  other.path = "/service/Elsewhere/operation/DescribeAlarms";
  HttpResponse u = router_->Handle(Signed(other, "monitoring"));
  EXPECT_EQ(u.status, 400);
  EXPECT_EQ(HeaderOf(u, "x-amzn-query-error"), "InvalidAction;Sender");

  // The header alone routes to CBOR; a path shorter than "/service/" is an
  // unknown operation, not an out-of-range read.
  for (const char* path : {"/", "/service", ""}) {
    other.path = path;
    HttpResponse root = router_->Handle(Signed(other, "monitoring"));
    EXPECT_EQ(root.status, 400) << path;
    EXPECT_EQ(HeaderOf(root, "x-amzn-query-error"), "InvalidAction;Sender") << path;
    EXPECT_EQ(HeaderOf(root, "smithy-protocol"), "rpc-v2-cbor") << path;
  }
}

TEST_F(RouterTest, QueryRoutesByVersionThenByScopeAndRefusesUnknownActions) {
  HttpResponse sns = router_->Handle(Signed(Query("Action=ListTopics&Version=2010-03-31"), "sns"));
  EXPECT_EQ(sns.status, 200);
  EXPECT_NE(sns.body.find("<ListTopicsResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
                          "<ListTopicsResult><Topics/></ListTopicsResult>"),
            std::string::npos)
      << sns.body;
  EXPECT_EQ(last_.service, Service::kSns);

  HttpResponse scoped = router_->Handle(Signed(Query("Action=ListTopics"), "sns"));
  EXPECT_EQ(scoped.status, 200);

  HttpResponse unknown =
      router_->Handle(Signed(Query("Action=Frobnicate&Version=2010-03-31"), "sns"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("<Code>InvalidAction</Code>"), std::string::npos) << unknown.body;
  EXPECT_NE(unknown.body.find("<Type>Sender</Type>"), std::string::npos);

  HttpResponse missing = router_->Handle(Signed(Query("Version=2010-03-31"), "sns"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("<Code>MissingAction</Code>"), std::string::npos) << missing.body;

  // The scope must name the routed service.
  HttpResponse wrong_scope =
      router_->Handle(Signed(Query("Action=ListTopics&Version=2010-03-31"), "monitoring"));
  EXPECT_EQ(wrong_scope.status, 403);
  EXPECT_NE(wrong_scope.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
  EXPECT_NE(wrong_scope.body.find("Credential should be scoped to correct service: 'sns'."),
            std::string::npos)
      << wrong_scope.body;
}

TEST_F(RouterTest, AuthFailuresInEachProtocolsShape) {
  // Unsigned.
  HttpRequest logs = Logs("CreateLogGroup", R"({"logGroupName":"/app"})");
  logs.headers.emplace_back("host", "127.0.0.1:4566");
  HttpResponse r = router_->Handle(logs);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"})");
  HttpRequest query = Query("Action=ListTopics&Version=2010-03-31");
  query.headers.emplace_back("host", "127.0.0.1:4566");
  r = router_->Handle(query);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>MissingAuthenticationToken</Code>"), std::string::npos);

  // Unknown key.
  HttpRequest signed_logs = Signed(Logs("CreateLogGroup", "{}"), "logs");
  for (auto& [n, v] : signed_logs.headers) {
    if (n == "authorization") v.replace(v.find("AKIDEXAMPLE"), 11, "AKIDUNKNOWN");
  }
  r = router_->Handle(signed_logs);
  EXPECT_EQ(
      r.body,
      R"({"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."})");

  // Tampered body.
  HttpRequest tampered = Signed(Logs("CreateLogGroup", R"({"logGroupName":"/a"})"), "logs");
  tampered.body = R"({"logGroupName":"/b"})";
  r = router_->Handle(tampered);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body.starts_with(
      R"({"__type":"InvalidSignatureException","message":"The request signature we calculated does not match)"))
      << r.body;

  // Signed 20 minutes ago: outside the 5 minutes of Logs and the 15 of query services.
  const TimePoint old = clock_.Now() - std::chrono::minutes(20);
  r = router_->Handle(Signed(Logs("CreateLogGroup", "{}"), "logs", old));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Signature expired: 20231114T215320Z is now earlier than"),
            std::string::npos)
      << r.body;
  r = router_->Handle(Signed(Query("Action=ListTopics&Version=2010-03-31"), "sns", old));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
  // 10 minutes ago: too old for Logs, fine for SNS.
  const TimePoint ten = clock_.Now() - std::chrono::minutes(10);
  EXPECT_EQ(router_->Handle(Signed(Logs("CreateLogGroup", "{}"), "logs", ten)).status, 400);
  EXPECT_EQ(
      router_->Handle(Signed(Query("Action=ListTopics&Version=2010-03-31"), "sns", ten)).status,
      200);

  // JSON 1.0 adds the query-compatible header.
  HttpRequest json{"POST",
                   "/",
                   "",
                   {{"content-type", "application/x-amz-json-1.0"},
                    {"x-amz-target", "GraniteServiceVersion20100801.DescribeAlarms"},
                    {"host", "127.0.0.1:4566"}},
                   "{}"};
  r = router_->Handle(json);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(HeaderOf(r, "x-amzn-query-error"), "MissingAuthenticationToken;Sender");
}

TEST_F(RouterTest, GzipBodiesAreSignedAsSentAndDecodedBeforeDispatch) {
  std::string plain = R"({"AlarmNames":["A"]})";
  uLongf size = compressBound(plain.size()) + 32;
  std::string packed(size, '\0');
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(plain.data());
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  packed.resize(z.total_out);
  deflateEnd(&z);
  HttpRequest json{"POST",
                   "/",
                   "",
                   {{"content-type", "application/x-amz-json-1.0"},
                    {"content-encoding", "gzip"},
                    {"x-amz-target", "GraniteServiceVersion20100801.DescribeAlarms"}},
                   packed};
  HttpResponse r = router_->Handle(Signed(json, "monitoring"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(last_input_, R"({AlarmNames:["A"]})");

  // Issue 12: the same signature over another body is refused, whatever
  // Content-Encoding says; the hash is the received bytes'.
  HttpRequest swapped = Signed(json, "monitoring");
  swapped.body = plain;
  r = router_->Handle(swapped);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("SignatureDoesNotMatch"), std::string::npos) << r.body;
  EXPECT_EQ(last_input_, R"({AlarmNames:["A"]})");
}

std::string GzipOf(std::string_view plain) {
  std::string packed(plain.size() + 128, '\0');
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  packed.resize(z.total_out);
  deflateEnd(&z);
  return packed;
}

// boto3 1.34 to 1.36 sent CloudWatch's awsQuery forms gzip-compressed over
// 10 KB: the form is read once the body is decoded.
TEST_F(RouterTest, GzipQueryFormIsRoutedByItsDecodedParameters) {
  std::string form = "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=A";
  HttpRequest request = Query(GzipOf(form));
  request.headers.emplace_back("content-encoding", "gzip");
  HttpResponse r = router_->Handle(Signed(request, "monitoring"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(last_input_, R"({Action:"DescribeAlarms",Version:"2010-08-01",AlarmNames:["A"]})");

  HttpRequest brotli = Query(form);
  brotli.headers.emplace_back("content-encoding", "br");
  r = router_->Handle(Signed(brotli, "monitoring"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>MalformedInput</Code><Message>Content-Encoding 'br' is not "
                        "supported (only gzip)</Message>"),
            std::string::npos)
      << r.body;
}

// Issue 12: requests that cannot be authentic are refused from their head,
// before a byte of their body is read.
TEST_F(RouterTest, CheckHeadRefusesWhatCannotBeAuthentic) {
  // A small unsigned body is read, so that Handle answers exactly (an
  // awsQuery form's Version names the service of the error).
  HttpRequest small = Logs("CreateLogGroup", "");
  small.headers.emplace_back("content-length", "100");
  EXPECT_FALSE(router_->CheckHead(small));
  HttpRequest unsigned_logs = Logs("CreateLogGroup", "");
  unsigned_logs.headers.emplace_back("content-length", "1000000");
  std::optional<HttpResponse> refused = router_->CheckHead(unsigned_logs);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(
      refused->body,
      R"({"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"})");

  HttpRequest stranger = Logs("CreateLogGroup", "{}");
  stranger.headers.emplace_back("host", "127.0.0.1:4566");
  SignedRequest s{stranger.method, stranger.path, stranger.query, stranger.headers, stranger.body};
  SignSigV4(&s, {"AKIDSTRANGER", "x"}, "eu-west-1", "logs", clock_.Now(), {"x-amz-target"});
  stranger.headers = s.headers;
  stranger.body.clear();  // a head has no body yet
  refused = router_->CheckHead(stranger);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->body.find("UnrecognizedClientException"), std::string::npos);

  // A known key passes: its body decides.
  HttpRequest known = Signed(Logs("CreateLogGroup", R"({"logGroupName":"/app"})"), "logs");
  known.body.clear();
  EXPECT_FALSE(router_->CheckHead(known));

  // The console and GETs pass unsigned, with small bodies only.
  HttpRequest console{"POST", "/console/api/session", "", {{"content-length", "100"}}, ""};
  EXPECT_FALSE(router_->CheckHead(console));
  console.headers = {{"content-length", "70000"}};
  refused = router_->CheckHead(console);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_EQ(refused->body, R"({"error":"unsigned request bodies are limited to 65536 bytes"})");
  console.headers = {{"transfer-encoding", "chunked"}};
  EXPECT_EQ(router_->CheckHead(console)->status, 411);
  EXPECT_FALSE(router_->CheckHead({"GET", "/?Action=ConfirmSubscription", "", {}, ""}));
}

TEST_F(RouterTest, RefusalsHaveTheProtocolsShape) {
  HttpResponse logs = router_->Refuse(Logs("PutLogEvents", ""), 413, "the body is too large");
  EXPECT_EQ(logs.status, 413);
  EXPECT_EQ(logs.body,
            R"({"__type":"InvalidParameterException","message":"the body is too large"})");
  HttpResponse query = router_->Refuse(Query(""), 413, "the body is too large");
  EXPECT_EQ(query.status, 413);
  EXPECT_NE(query.body.find("<Code>RequestEntityTooLarge</Code><Message>the body is too "
                            "large</Message>"),
            std::string::npos)
      << query.body;
  HttpRequest json10{
      "POST", "/", "", {{"x-amz-target", "GraniteServiceVersion20100801.PutMetricData"}}, ""};
  HttpResponse cw = router_->Refuse(json10, 408, "too slow");
  EXPECT_EQ(cw.status, 408);
  EXPECT_EQ(cw.body, R"({"__type":"RequestTimeoutException","message":"too slow"})");
  EXPECT_EQ(HeaderOf(cw, "x-amzn-query-error"), "RequestTimeout;Sender");
  // A refused body may be partial and megabytes long: the refusal is shaped
  // from the head alone (no scope here, so SNS), never by parsing the body
  // (whose Version would have said CloudWatch).
  HttpResponse partial =
      router_->Refuse(Query("Version=2010-08-01&Action=PutMetricData&" + std::string(1 << 20, 'a')),
                      413, "too large");
  EXPECT_NE(partial.body.find("xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\""),
            std::string::npos)
      << partial.body;
  HttpResponse bare = router_->Refuse(HttpRequest{}, 431, "more than 100 header fields");
  EXPECT_EQ(bare.body, R"({"error":"more than 100 header fields"})");
}

TEST_F(RouterTest, LocalRoutesComeFirstAndBigBodiesAreRefused) {
  RouterOptions options;
  options.clock = &clock_;
  options.secrets = [](std::string_view) { return std::optional<std::string>(); };
  options.max_body_bytes = 10;
  options.local_routes = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.path == "/health") return HttpResponse{200, {}, "ok"};
    return std::nullopt;
  };
  Router router(&ops_, options);
  EXPECT_EQ(router.Handle({"GET", "/health", "", {}, ""}).body, "ok");
  HttpResponse big = router.Handle(Logs("CreateLogGroup", std::string(11, ' ')));
  EXPECT_EQ(big.status, 413);
}

}  // namespace
}  // namespace tw::api
