// One port for three services and four wire protocols (spec
// aws-protocols-alarms.md §1.2): a request is routed to its service and
// protocol, its SigV4 signature verified, its body decoded into an
// api::Value, handed to the operation registered for it, and the result (or
// the error) encoded the way that protocol's clients expect, with
// x-amzn-RequestId and Date on every response.
//
// The router knows nothing of the services: operations are plain
// functions registered in an Operations table by the server. It does no
// I/O either: http_server.cc turns sockets into HttpRequest values, and
// tests can call Handle() directly.
//
// Thread safety: Handle() may be called from many threads at once; the
// Operations table and options must not change after construction.

#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/errors.h"
#include "api/http.h"
#include "api/input.h"
#include "api/sigv4.h"
#include "api/value.h"
#include "common/status.h"
#include "common/time.h"

namespace tw::api {

enum class Protocol { kJson11, kJson10, kQuery, kCbor };

struct CallContext {
  Service service = Service::kLogs;
  Protocol protocol = Protocol::kJson11;
  std::string operation;
  std::string region;  // from the signature's credential scope
  std::string access_key_id;
  std::string request_id;
  TimePoint now;
};

using Handler =
    std::function<Result<Value, ApiError>(const InputReader& input, const CallContext& context)>;

class Operations {
 public:
  void Add(Service service, std::string operation, Handler handler);
  const Handler* Find(Service service, std::string_view operation) const;
  // The operations of a service, sorted (for help and tests).
  std::vector<std::string> Names(Service service) const;

 private:
  std::map<std::pair<Service, std::string>, Handler, std::less<>> handlers_;
};

struct RouterOptions {
  SecretLookup secrets;
  const Clock* clock = nullptr;
  // Larger bodies are refused (413), as received and once a
  // Content-Encoding: gzip is undone (the decoding stops at the limit).
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  // Clock skew allowed: AWS's JSON services (Logs) allow 5 minutes, the
  // query services 15.
  Duration logs_max_skew = std::chrono::minutes(5);
  Duration query_max_skew = std::chrono::minutes(15);
  // Requests the server answers itself before any AWS routing (the
  // console, the SNS confirmation links, the signing certificate). nullopt
  // passes the request on.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> local_routes;
  // Called once per AWS request after it was answered, for the log; `error`
  // is what a refused request was refused with (nullptr when it succeeded).
  std::function<void(const CallContext&, const HttpResponse&, const ApiError* error)> on_response;
};

// The XML namespace of a query service's responses.
std::string_view XmlNamespace(Service service);

class Router {
 public:
  // Unsigned requests (the console, the SNS links) may carry at most this
  // much body; the console's JSON needs far less.
  static constexpr std::size_t kMaxUnsignedBodyBytes = 64 * 1024;

  Router(const Operations* operations, RouterOptions options);

  HttpResponse Handle(const HttpRequest& request) const;

  // A look at a request's head before its body is read (HttpHandlers::
  // check_head; any body in `head` is ignored): a request whose signature
  // fails before the body matters (malformed, expired, wrong scope, unknown
  // key) is refused as Handle would refuse it; an unsigned one with a body
  // over kMaxUnsignedBodyBytes, or chunked, is refused unread (413, 411; or
  // MissingAuthenticationToken for the AWS routes). nullopt lets the body be
  // read.
  std::optional<HttpResponse> CheckHead(const HttpRequest& head) const;

  // The answer to a refusal by the HTTP layer (HttpHandlers::refuse): the
  // protocol's error body for the service the head routes to (413 ->
  // RequestEntityTooLarge...), JSON for the console.
  HttpResponse Refuse(const HttpRequest& head, int status, const std::string& message) const;

 private:
  class Call;

  Result<VerifiedRequest, AuthError> Verify(const HttpRequest& request, Service service,
                                            TimePoint now, bool head_only) const;

  const Operations* operations_;
  RouterOptions options_;
};

// The response a protocol gives for `error` (used by Handle, and by the
// server's unsigned routes to answer in the same shape).
HttpResponse ErrorResponse(Protocol protocol, Service service, const ApiError& error,
                           std::string_view request_id);

}  // namespace tw::api
