#include "api/router.h"

#include <zlib.h>

#include <array>
#include <cstdio>

#include "api/codec.h"
#include "common/random.h"

namespace tw::api {
namespace {

constexpr std::string_view kLogsPrefix = "Logs_20140328";
constexpr std::string_view kCloudWatchPrefix = "GraniteServiceVersion20100801";

std::string HttpDate(TimePoint t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day date(day);
  std::chrono::hh_mm_ss<Duration> time(t - day);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                kDays[std::chrono::weekday(day).c_encoding()], unsigned(date.day()),
                kMonths[unsigned(date.month()) - 1], int(date.year()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()));
  return buffer;
}

const char* ContentType(Protocol protocol) {
  switch (protocol) {
    case Protocol::kJson11:
      return "application/x-amz-json-1.1";
    case Protocol::kJson10:
      return "application/x-amz-json-1.0";
    case Protocol::kQuery:
      return "text/xml";
    case Protocol::kCbor:
      return "application/cbor";
  }
  return "application/json";
}

// Decompresses a gzip body, refusing to grow past `limit`.
Result<std::string> Gunzip(std::string_view body, std::size_t limit) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return Internal("cannot start zlib");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      return InvalidArgument("the gzip request body cannot be decompressed");
    }
    out.append(chunk, sizeof chunk - stream.avail_out);
    if (out.size() > limit) {
      inflateEnd(&stream);
      return Status(StatusCode::kResourceExhausted, "the decompressed body is too large");
    }
    if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return InvalidArgument("the gzip request body is truncated");
    }
  }
  inflateEnd(&stream);
  return out;
}

enum class ContentCoding { kIdentity, kGzip };

// Content-Encoding as clients send it: gzip (boto3 >= 1.34 compresses
// PutMetricData over 10 KB; "x-gzip" is its old alias), or nothing.
Result<ContentCoding> ContentCodingOf(std::string_view header) {
  std::string coding;
  for (char c : header) {
    if (c != ' ' && c != '\t') coding.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (coding.empty() || coding == "identity") return ContentCoding::kIdentity;
  if (coding == "gzip" || coding == "x-gzip") return ContentCoding::kGzip;
  return InvalidArgument("Content-Encoding '" + std::string(header) +
                         "' is not supported (only gzip)");
}

// The service named in an Authorization header's credential scope, for
// query requests that carry no Version.
std::string ScopeService(const HttpRequest& request) {
  std::string auth = request.Header("authorization");
  std::size_t at = auth.find("Credential=");
  if (at == std::string::npos) return "";
  std::string credential = auth.substr(at + 11, auth.find_first_of(", ", at) - at - 11);
  // AKID/date/region/service/aws4_request
  std::size_t slash = 0;
  for (int i = 0; i < 3 && slash != std::string::npos; ++i) slash = credential.find('/', slash + 1);
  if (slash == std::string::npos) return "";
  std::size_t end = credential.find('/', slash + 1);
  return credential.substr(slash + 1,
                           end == std::string::npos ? std::string::npos : end - slash - 1);
}

struct Route {
  Service service = Service::kLogs;
  Protocol protocol = Protocol::kJson11;
  std::string operation;
  std::optional<Value> query_params;  // awsQuery: already decoded
  std::optional<ApiError> error;      // the request cannot be routed
};

Value MergeStructures(Value a, const Value& b) {
  for (const auto& [name, value] : b.members()) a.Set(name, value);
  return a;
}

// Which service, protocol and operation `request` is; a form `body` (the
// request's, decoded) is read for awsQuery parameters.
Route RouteOf(const HttpRequest& request, std::string_view body) {
  Route route;
  const std::string target = request.Header("x-amz-target");
  const std::string content_type = request.Header("content-type");
  if (request.path.starts_with("/service/") || request.Header("smithy-protocol") == "rpc-v2-cbor") {
    route.protocol = Protocol::kCbor;
    route.service = Service::kCloudWatch;
    // The header alone routes here too, so the path may be anything ("/").
    constexpr std::string_view kService = "/service/";
    if (!request.path.starts_with(kService)) {
      route.error = UnknownOperation(Service::kCloudWatch, std::string(request.path));
      return route;
    }
    std::string_view rest = std::string_view(request.path).substr(kService.size());
    std::size_t slash = rest.find('/');
    std::string_view service = rest.substr(0, slash);
    constexpr std::string_view kOperation = "/operation/";
    if (slash == std::string_view::npos || rest.substr(slash, kOperation.size()) != kOperation ||
        service != kCloudWatchPrefix) {
      route.error = UnknownOperation(Service::kCloudWatch, std::string(request.path));
      return route;
    }
    route.operation = std::string(rest.substr(slash + kOperation.size()));
    return route;
  }
  if (!target.empty()) {
    std::size_t dot = target.find('.');
    std::string_view prefix = std::string_view(target).substr(0, dot);
    route.operation = dot == std::string::npos ? "" : target.substr(dot + 1);
    if (prefix == kLogsPrefix) {
      route.service = Service::kLogs;
      route.protocol = Protocol::kJson11;
    } else if (prefix == kCloudWatchPrefix) {
      route.service = Service::kCloudWatch;
      route.protocol = Protocol::kJson10;
    } else {
      route.error = UnknownOperation(Service::kLogs, target);
    }
    return route;
  }
  const bool form = content_type.starts_with("application/x-www-form-urlencoded");
  if (form || request.query.find("Action=") != std::string::npos) {
    route.protocol = Protocol::kQuery;
    Result<Value> from_query = DecodeQuery(request.query);
    Result<Value> from_body = form ? DecodeQuery(body) : Result<Value>(Value::Structure());
    std::string version;
    if (from_query.ok() && from_body.ok()) {
      route.query_params = MergeStructures(std::move(from_query).value(), *from_body);
      if (const Value* v = route.query_params->Find("Version");
          v && v->kind() == Value::Kind::kString) {
        version = v->AsString();
      }
      if (const Value* a = route.query_params->Find("Action");
          a && a->kind() == Value::Kind::kString) {
        route.operation = a->AsString();
      }
    }
    if (version == "2010-08-01") {
      route.service = Service::kCloudWatch;
    } else if (version == "2010-03-31") {
      route.service = Service::kSns;
    } else {
      std::string scope = ScopeService(request);
      route.service = scope == "monitoring" ? Service::kCloudWatch : Service::kSns;
    }
    if (!from_query.ok() || !from_body.ok()) {
      route.error = MalformedRequest(
          route.service, (from_query.ok() ? from_body.status() : from_query.status()).message());
    } else if (route.operation.empty()) {
      route.error = ApiError{400, "MissingAction", "MissingAction",
                             "Could not find operation to perform: the Action parameter is "
                             "missing"};
    }
    return route;
  }
  route.error = UnknownOperation(Service::kLogs, request.method + " " + request.path);
  return route;
}

}  // namespace

void Operations::Add(Service service, std::string operation, Handler handler) {
  handlers_[{service, std::move(operation)}] = std::move(handler);
}

const Handler* Operations::Find(Service service, std::string_view operation) const {
  auto it = handlers_.find(std::pair<Service, std::string>(service, std::string(operation)));
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> Operations::Names(Service service) const {
  std::vector<std::string> names;
  for (const auto& [key, handler] : handlers_) {
    if (key.first == service) names.push_back(key.second);
  }
  return names;
}

std::string_view XmlNamespace(Service service) {
  return service == Service::kSns ? "http://sns.amazonaws.com/doc/2010-03-31/"
                                  : "http://monitoring.amazonaws.com/doc/2010-08-01/";
}

HttpResponse ErrorResponse(Protocol protocol, Service service, const ApiError& error,
                           std::string_view request_id) {
  HttpResponse response;
  response.status = error.http_status;
  response.headers.emplace_back("Content-Type", ContentType(protocol));
  switch (protocol) {
    case Protocol::kQuery:
      response.body = EncodeQueryError(XmlNamespace(service), error.sender(), error.code,
                                       error.message, request_id);
      break;
    case Protocol::kJson11:
    case Protocol::kJson10:
    case Protocol::kCbor: {
      Value body = Value::Structure({{"__type", Value::String(error.shape)}});
      if (!error.message.empty()) body.Set("message", Value::String(error.message));
      response.body = protocol == Protocol::kCbor ? EncodeCbor(body) : EncodeJson(body);
      if (protocol != Protocol::kJson11) {
        response.headers.emplace_back("x-amzn-query-error",
                                      error.code + (error.sender() ? ";Sender" : ";Receiver"));
      }
      break;
    }
  }
  return response;
}

Router::Router(const Operations* operations, RouterOptions options)
    : operations_(operations), options_(std::move(options)) {}

// What a request's answer needs whatever happens to it: its ID, the time,
// where it was routed, and the response's common headers.
class Router::Call {
 public:
  // `route_body` is what the route may be read from before the body is
  // decoded: enough to shape an error.
  Call(const Router& router, const HttpRequest& request, std::string_view route_body)
      : router_(router), now_(router.options_.clock->Now()) {
    context_.request_id = NewUuid();
    context_.now = now_;
    Reroute(RouteOf(request, route_body));
  }
  Call(const Router& router, const HttpRequest& request)
      : Call(router, request,
             request.Header("content-encoding").empty() ? std::string_view(request.body) : "") {}

  void Reroute(Route route) {
    route_ = std::move(route);
    context_.service = route_.service;
    context_.protocol = route_.protocol;
    context_.operation = route_.operation;
  }
  Route& route() { return route_; }
  CallContext& context() { return context_; }
  TimePoint now() const { return now_; }

  HttpResponse Finish(HttpResponse response, const ApiError* error = nullptr) const {
    response.headers.emplace_back("x-amzn-RequestId", context_.request_id);
    response.headers.emplace_back("Date", HttpDate(now_));
    if (context_.protocol == Protocol::kCbor) {
      response.headers.emplace_back("smithy-protocol", "rpc-v2-cbor");
    }
    if (router_.options_.on_response) router_.options_.on_response(context_, response, error);
    return response;
  }
  HttpResponse Fail(const ApiError& error) const {
    return Finish(ErrorResponse(context_.protocol, context_.service, error, context_.request_id),
                  &error);
  }

 private:
  const Router& router_;
  const TimePoint now_;
  CallContext context_;
  Route route_;
};

Result<VerifiedRequest, AuthError> Router::Verify(const HttpRequest& request, Service service,
                                                  TimePoint now, bool head_only) const {
  SignedRequest signed_request{request.method, request.path, request.query, request.headers,
                               head_only ? std::string() : request.body};
  VerifyOptions verify;
  verify.expected_service = ServiceName(service);
  verify.max_skew = service == Service::kLogs ? options_.logs_max_skew : options_.query_max_skew;
  verify.head_only = head_only;
  return VerifySigV4(signed_request, options_.secrets, now, verify);
}

std::optional<HttpResponse> Router::CheckHead(const HttpRequest& request) const {
  // Only the head counts, whether or not some body arrived with it, so the
  // answer does not depend on how the bytes were split into packets.
  HttpRequest head{request.method, request.path, request.query, request.headers, "",
                   request.remote_address};
  SignedRequest signed_head{head.method, head.path, head.query, head.headers, ""};
  if (!HasSignature(signed_head)) {
    // Unsigned requests are the console's and the SNS links': small, and
    // never chunked. Others get Handle's refusal (MissingAuthenticationToken)
    // once their body is in, which for an awsQuery form names the service
    // its Version says; a body too large for that is refused now, unread.
    if (!head.Header("transfer-encoding").empty()) {
      return Refuse(head, 411, "unsigned requests must send a Content-Length");
    }
    const std::string length = head.Header("content-length");
    std::size_t declared = 0;
    const bool too_long = length.size() > 9;
    for (char c : length) declared = declared * 10 + static_cast<std::size_t>(c - '0');
    if (!too_long && declared <= kMaxUnsignedBodyBytes) return std::nullopt;
    const bool local = head.method == "GET" || head.method == "HEAD" ||
                       head.path == "/console" || head.path.starts_with("/console/");
    if (local) {
      return Refuse(head, 413,
                    "unsigned request bodies are limited to " +
                        std::to_string(kMaxUnsignedBodyBytes) + " bytes");
    }
  }
  Call call(*this, head);
  Result<VerifiedRequest, AuthError> verified =
      Verify(head, call.route().service, call.now(), /*head_only=*/true);
  if (!verified.ok()) return call.Fail(AuthFailure(call.route().service, verified.error()));
  return std::nullopt;
}

HttpResponse Router::Refuse(const HttpRequest& head, int status, const std::string& message) const {
  if (head.path == "/console" || head.path.starts_with("/console/") ||
      (head.method.empty() && head.path.empty())) {
    HttpResponse response;
    response.status = status;
    response.headers.emplace_back("Content-Type", "application/json");
    response.body = EncodeJson(Value::Structure({{"error", Value::String(message)}}));
    return response;
  }
  // Routed from the head alone: a refused body may be partial, and parsing
  // megabytes of it to name the operation is work a refusal must not do.
  Call call(*this, head, /*route_body=*/"");
  HttpResponse response = call.Fail(HttpRefusal(call.route().service, status, message));
  response.status = status;
  return response;
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  if (options_.local_routes) {
    if (std::optional<HttpResponse> local = options_.local_routes(request)) return *local;
  }
  Call call(*this, request);
  if (request.body.size() > options_.max_body_bytes) {
    return call.Fail(
        RequestTooLarge(call.route().service, request.body.size(), options_.max_body_bytes));
  }
  // Authentication comes before anything about the operation is revealed,
  // and covers the body exactly as it arrived.
  Result<VerifiedRequest, AuthError> verified =
      Verify(request, call.route().service, call.now(), /*head_only=*/false);
  if (!verified.ok()) return call.Fail(AuthFailure(call.route().service, verified.error()));
  call.context().region = verified->region;
  call.context().access_key_id = verified->access_key_id;

  // Only now is the body decoded (streaming, stopped at the limit).
  std::string body = request.body;
  Result<ContentCoding> coding = ContentCodingOf(request.Header("content-encoding"));
  if (!coding.ok()) {
    return call.Fail(MalformedRequest(call.route().service, coding.status().message()));
  }
  if (*coding == ContentCoding::kGzip) {
    Result<std::string> plain = Gunzip(body, options_.max_body_bytes);
    if (!plain.ok()) {
      if (plain.status().code() == StatusCode::kResourceExhausted) {
        return call.Fail(RequestTooLarge(call.route().service, options_.max_body_bytes + 1,
                                         options_.max_body_bytes));
      }
      return call.Fail(MalformedRequest(call.route().service, plain.status().message()));
    }
    body = std::move(plain).value();
    // A form body is routed by its decoded parameters.
    if (call.route().protocol == Protocol::kQuery) call.Reroute(RouteOf(request, body));
  }
  const Route& route = call.route();
  if (route.error) return call.Fail(*route.error);
  const Handler* handler = operations_->Find(route.service, route.operation);
  if (handler == nullptr) return call.Fail(UnknownOperation(route.service, route.operation));

  Value input;
  if (route.query_params) {
    input = *route.query_params;
  } else {
    Result<Value> decoded = route.protocol == Protocol::kCbor ? DecodeCbor(body) : DecodeJson(body);
    if (!decoded.ok()) {
      return call.Fail(MalformedRequest(route.service, decoded.status().message()));
    }
    input = std::move(decoded).value();
  }

  Result<Value, ApiError> output = (*handler)(InputReader(input), call.context());
  if (!output.ok()) return call.Fail(output.error());
  HttpResponse response;
  response.headers.emplace_back("Content-Type", ContentType(route.protocol));
  switch (route.protocol) {
    case Protocol::kQuery:
      response.body = EncodeQueryResponse(route.operation, XmlNamespace(route.service), *output,
                                          call.context().request_id);
      break;
    case Protocol::kCbor:
      response.body = EncodeCbor(*output);
      break;
    case Protocol::kJson11:
    case Protocol::kJson10:
      response.body = EncodeJson(*output);
      break;
  }
  return call.Finish(std::move(response));
}

}  // namespace tw::api
