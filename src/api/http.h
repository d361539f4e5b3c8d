// An HTTP request and response as values: what the HTTP layer
// (http_server.h, http_parser.h) hands to the Router and gets back. No I/O.

#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tw::api {

struct HttpRequest {
  std::string method;
  std::string path;                                          // raw, without the query
  std::string query;                                         // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  // The bytes as they arrived (a chunked body de-chunked, nothing decoded):
  // SigV4's payload hash is taken over exactly these.
  std::string body;
  std::string remote_address;  // the peer's IP address, "" when unknown

  // The first value of header `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// "Not Found" for 404; "" for a status without a standard reason.
std::string_view HttpReason(int status);

}  // namespace tw::api
