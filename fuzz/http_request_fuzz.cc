// libFuzzer target for the network edge: raw bytes off a socket through
// HttpRequestParser (request line, headers, Content-Length and chunked
// bodies, trailers, pipelining), then the Router's head check and, for a
// complete request, the Router itself, signed or not, with any
// Content-Encoding (gzip bodies are inflated there, up to the limit).
// Nothing may crash, hang or trip a sanitizer, and the checks below abort
// on a broken contract:
//   - the parser never consumes more than it is given, keeps no more body
//     than max_body_bytes, and reaches the same result (state, request,
//     error) whatever the split of the bytes into reads;
//   - a failure's status is one of the parser's documented ones;
//   - the Router answers every request with a status, and a body larger
//     than its limit (inflated or not) is never handed to an operation.
//
//   build-fuzz/fuzz/http_request_fuzz -dict=fuzz/http.dict fuzz/corpus/http

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/http_parser.h"
#include "api/router.h"

namespace {

using tw::api::HttpRequest;
using tw::api::HttpRequestParser;

const tw::api::Credentials kKey{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};

void Check(bool condition) {
  if (!condition) std::abort();
}

tw::api::HttpLimits SmallLimits() {
  tw::api::HttpLimits limits;
  limits.max_request_line_bytes = 512;
  limits.max_head_bytes = 2048;
  limits.max_header_count = 16;
  limits.max_body_bytes = 4096;
  return limits;
}

struct Outcome {
  HttpRequestParser::State state;
  std::size_t used;
  int error_status;
  HttpRequest request;
};

Outcome Parse(std::string_view bytes, std::size_t step) {
  HttpRequestParser parser(SmallLimits());
  std::size_t used = 0;
  while (used < bytes.size() && (parser.state() == HttpRequestParser::State::kHead ||
                                 parser.state() == HttpRequestParser::State::kBody)) {
    std::size_t n = std::min(step, bytes.size() - used);
    std::size_t took = parser.Feed(bytes.substr(used, n));
    Check(took <= n);
    used += took;
    Check(parser.request().body.size() <= SmallLimits().max_body_bytes);
    if (took < n) break;
  }
  Outcome out{parser.state(), used,
              parser.state() == HttpRequestParser::State::kFailed ? parser.error().status : 0,
              parser.request()};
  if (parser.state() == HttpRequestParser::State::kFailed) {
    static const int kStatuses[] = {400, 413, 414, 417, 431, 501, 505};
    Check(std::find(std::begin(kStatuses), std::end(kStatuses), out.error_status) !=
          std::end(kStatuses));
  }
  return out;
}

const tw::api::Operations& Ops() {
  static const tw::api::Operations* ops = [] {
    auto* o = new tw::api::Operations();
    auto handler = [](const tw::api::InputReader&, const tw::api::CallContext&)
        -> tw::Result<tw::api::Value, tw::api::ApiError> { return tw::api::Value::Structure(); };
    o->Add(tw::api::Service::kLogs, "PutLogEvents", handler);
    o->Add(tw::api::Service::kCloudWatch, "PutMetricData", handler);
    o->Add(tw::api::Service::kSns, "Publish", handler);
    return o;
  }();
  return *ops;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t step = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  const bool sign = in.ConsumeBool();
  const int service = in.ConsumeIntegralInRange(0, 2);
  std::string bytes = in.ConsumeRemainingBytesAsString();

  Outcome whole = Parse(bytes, bytes.size() + 1);
  Outcome pieces = Parse(bytes, step);
  Check(whole.state == pieces.state);
  Check(whole.error_status == pieces.error_status);
  if (whole.state == HttpRequestParser::State::kDone) {
    Check(whole.used == pieces.used);
    Check(whole.request.method == pieces.request.method);
    Check(whole.request.path == pieces.request.path);
    Check(whole.request.query == pieces.request.query);
    Check(whole.request.headers == pieces.request.headers);
    Check(whole.request.body == pieces.request.body);
  }

  static tw::ManualClock clock(tw::FromEpochMillis(1700000000000));
  tw::api::RouterOptions options;
  options.clock = &clock;
  options.max_body_bytes = 4096;
  options.secrets = [](std::string_view id) -> std::optional<std::string> {
    if (id == kKey.access_key_id) return std::string(kKey.secret_access_key);
    return std::nullopt;
  };
  tw::api::Router router(&Ops(), options);
  if (whole.state == HttpRequestParser::State::kFailed) {
    Check(router.Refuse(whole.request, whole.error_status, "refused").status == whole.error_status);
    return 0;
  }
  if (whole.state != HttpRequestParser::State::kDone) return 0;
  HttpRequest request = whole.request;
  HttpRequest head = request;
  head.body.clear();
  (void)router.CheckHead(head);
  if (sign) {
    tw::api::SignedRequest s{request.method, request.path, request.query, request.headers,
                             request.body};
    std::erase_if(s.headers, [](const auto& h) { return h.first == "x-amz-content-sha256"; });
    if (std::none_of(s.headers.begin(), s.headers.end(),
                     [](const auto& h) { return h.first == "host"; })) {
      s.headers.emplace_back("host", "127.0.0.1:4566");
    }
    static const char* kServices[] = {"logs", "monitoring", "sns"};
    tw::api::SignSigV4(&s, kKey, "us-east-1", kServices[service], clock.Now());
    request.headers = s.headers;
  }
  tw::api::HttpResponse response = router.Handle(request);
  Check(response.status >= 200 && response.status < 600);
  return 0;
}
