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
#include "api/input.h"
#include "api/sigv4.h"
#include "api/value.h"
#include "common/status.h"
#include "common/time.h"

namespace tw::api {

enum class Protocol { kJson11, kJson10, kQuery, kCbor };

struct HttpRequest {
  std::string method;
  std::string path;                                          // raw, without the query
  std::string query;                                         // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // The HTTP layer already undid a Content-Encoding: gzip (the payload hash
  // of a signed request is then taken from x-amz-content-sha256).
  bool body_decoded = false;
  std::string remote_address;

  // The first value of header `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

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
  // Larger bodies are refused before decoding (413).
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  // Clock skew allowed: AWS's JSON services (Logs) allow 5 minutes, the
  // query services 15.
  Duration logs_max_skew = std::chrono::minutes(5);
  Duration query_max_skew = std::chrono::minutes(15);
  // Requests the server answers itself before any AWS routing (the
  // console, the SNS confirmation links, the signing certificate). nullopt
  // passes the request on.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> local_routes;
  // Called once per AWS request after it was answered, for the log.
  std::function<void(const CallContext&, const HttpResponse&)> on_response;
};

// The XML namespace of a query service's responses.
std::string_view XmlNamespace(Service service);

class Router {
 public:
  Router(const Operations* operations, RouterOptions options);

  HttpResponse Handle(const HttpRequest& request) const;

 private:
  const Operations* operations_;
  RouterOptions options_;
};

// The response a protocol gives for `error` (used by Handle, and by the
// server's unsigned routes to answer in the same shape).
HttpResponse ErrorResponse(Protocol protocol, Service service, const ApiError& error,
                           std::string_view request_id);

}  // namespace tw::api
